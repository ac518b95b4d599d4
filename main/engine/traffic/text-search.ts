import { foldCase } from '../../../preload/contract/index.ts';

// Declared in the contract: the app's live filter folds case as the search does.
export { foldCase };

/**
 * What a text search looks for. Payloads are kept as JSON text, where a quote in a message reads
 * \", a backslash \\ and a line break \n: a search for what the message says looks for it as
 * JSON writes it too (and as typed, for a search for JSON text itself, such as "name":).
 */
export interface TextNeedles {
  /** The text, case folded (foldCase): looked for in names and payloads. */
  plain: string;
  /** As JSON writes it inside a string, case folded, when that differs: looked for in payloads. */
  inJson?: string;
}

export function textNeedles(text: string): TextNeedles {
  const plain = foldCase(text);
  // JSON.stringify escapes ", \ and C0 controls (its \u escapes are lower-case hex), and lone surrogates.
  const inJson = JSON.stringify(plain).slice(1, -1);
  return inJson === plain ? { plain } : { plain, inJson };
}
