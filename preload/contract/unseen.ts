/**
 * Characters that are not drawn but change what is, in text a client or a server wrote: control
 * characters (an escape sequence can move a terminal's cursor or recolour the line) and Unicode's
 * bidi controls (Bidi_Control), which draw what follows them in another order: U+202E turns
 * "gro.live" into "evil.org" on the screen. Every place that shows such text — the screens, the
 * CLI, the tray menu, notifications — shows each of them as its `\uXXXX` code, from this one list.
 */
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f';
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

const UNSEEN = new RegExp(`[${CONTROLS}${BIDI}]`, 'g');
/** The same, but a tab and a line break (`\n`, `\r\n`) are kept: they reorder nothing. A lone `\r` is not. */
const UNSEEN_IN_LINES = new RegExp(
  `\\r(?!\\n)|[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f${BIDI}]`,
  'g',
);

function code(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * One line of text with every unseen character written as `\uXXXX`. In JSON text that is an
 * escape of the same character: the JSON stays valid and means the same.
 */
export function showUnseen(text: string): string {
  return text.replace(UNSEEN, code);
}

/** Text of several lines, as `showUnseen` shows one: tabs and line breaks are kept. */
export function showUnseenInLines(text: string): string {
  return text.replace(UNSEEN_IN_LINES, code);
}

/** Whether text holds a character `showUnseenInLines` would write as its code. */
export function holdsUnseenChar(text: string): boolean {
  return text.search(UNSEEN_IN_LINES) !== -1;
}
