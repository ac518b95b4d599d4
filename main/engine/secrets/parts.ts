/**
 * A secret too long for one keychain entry (Windows: see keychain-store.ts), kept in parts. The
 * entry under the secret's name starts with a header saying how many parts there are, then the
 * first part; part k (k ≥ 2) is the account `NAME~k`, a name the secrets list never shows
 * (`~` is outside the secret name alphabet). A value that fits is stored as it is.
 */
import { GatewayError } from '../protocol/errors.ts';

/** U+2063 (invisible separator) around the header: no secret begins with it by chance. */
const MARK = '\u2063switchboard-parts:';
const END = '\u2063';
/** At most this many parts (the header has room for four digits): 12 MB on Windows, more than any secret. */
const MAX_PARTS = 9999;
/** Room the header takes in the first entry (the mark, up to four digits, the end). */
const HEADER_ROOM = MARK.length + 4 + END.length;

export function partAccount(name: string, k: number): string {
  return `${name}~${k}`;
}

/** How many parts the entry under a secret's name says the value has (1: it is the whole value). */
export function partCount(head: string): number {
  if (!head.startsWith(MARK)) return 1;
  const end = head.indexOf(END, MARK.length);
  const count = Number(head.slice(MARK.length, end));
  return end > 0 && Number.isInteger(count) && count >= 2 ? count : 1;
}

/** The entries to write: [the entry under the name, part 2, part 3, ...]. */
export function splitParts(name: string, value: string, maxLength: number | undefined): string[] {
  if (value.startsWith(MARK))
    throw new GatewayError('invalid_request', `the value of "${name}" cannot begin with U+2063 "switchboard-parts:"`);
  if (maxLength === undefined || value.length <= maxLength) return [value];
  const size = maxLength - HEADER_ROOM;
  if (size < 2) throw new RangeError(`a keychain entry of ${maxLength} characters cannot hold a part`);
  if (value.length > size * MAX_PARTS)
    throw new GatewayError('invalid_request', `the value of "${name}" is too long for the keychain`);
  const parts: string[] = [];
  for (let at = 0; at < value.length;) {
    let end = Math.min(at + size, value.length);
    // Never between the two halves of a surrogate pair: each part must be valid text on its own.
    if (end < value.length && isHighSurrogate(value.charCodeAt(end - 1))) end--;
    parts.push(value.slice(at, end));
    at = end;
  }
  parts[0] = `${MARK}${parts.length}${END}${parts[0]}`;
  return parts;
}

/** The whole value from the entry under its name and parts 2..N as read; a missing part is an error. */
export function joinParts(name: string, head: string, rest: (string | null)[]): string {
  const missing = rest.findIndex((part) => part === null);
  if (missing >= 0)
    throw new GatewayError(
      'secret_missing',
      `secret "${name}" is incomplete in the keychain (part ${missing + 2} of ${rest.length + 1} is missing): ` +
        'set it again',
    );
  return head.slice(head.indexOf(END, MARK.length) + END.length) + rest.join('');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
