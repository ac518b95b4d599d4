/**
 * Text as a traffic search compares it, in any case: lower-cased, with the Greek final ς as σ.
 * toLowerCase makes a capital Σ ς at a word's end and σ within one, so "ΟΔΟΣ" would not find
 * "Οδοσακης". The gateway's search and the app's live filter both fold so, and agree.
 */
export function foldCase(text: string): string {
  const lower = text.toLowerCase();
  return lower.includes('ς') ? lower.replaceAll('ς', 'σ') : lower;
}
