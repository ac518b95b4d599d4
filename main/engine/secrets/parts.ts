/**
 * A secret too long for one keychain entry (Windows: see keychain-store.ts), kept in parts. The
 * entry under the secret's name starts with a header saying how many parts there are and which
 * write made them (a short random generation), then the first part; part k (k ≥ 2) is the account
 * `NAME~GEN~k`, a name the secrets list never shows (`~` is outside the secret name alphabet).
 * Each write makes its parts under a new generation and only then points the entry at them, so a
 * reader or a write that dies half-way never mixes two values. A value that fits is stored as it is.
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../protocol/errors.ts';

/** U+2063 (invisible separator) around the header: no secret begins with it by chance. */
const MARK = '\u2063switchboard-parts:';
const END = '\u2063';
/** At most this many parts (the header has room for four digits): 12 MB on Windows, more than any secret. */
const MAX_PARTS = 9999;
const GENERATION_LENGTH = 8;
/** Room the header takes in the first entry: the mark, up to four digits, ":", the generation, the end. */
const HEADER_ROOM = MARK.length + 4 + 1 + GENERATION_LENGTH + END.length;

/** How a value is laid out: in one entry, or in `count` parts of generation `generation`. */
export type Layout = { count: 1 } | { count: number; generation: string };

export function partAccount(name: string, generation: string, k: number): string {
  return `${name}~${generation}~${k}`;
}

/** What the entry under a secret's name says about where the rest of the value is. */
export function layoutOf(head: string): Layout {
  if (!head.startsWith(MARK)) return { count: 1 };
  const end = head.indexOf(END, MARK.length);
  const match = /^(\d{1,4}):([0-9a-f]+)$/.exec(end > 0 ? head.slice(MARK.length, end) : '');
  const count = Number(match?.[1]);
  return match && count >= 2 ? { count, generation: match[2]! } : { count: 1 };
}

/**
 * The entries to write: [the entry under the name, part 2, part 3, ...], and their layout, in a
 * generation other than `before`'s (whose parts are deleted once these are in place).
 */
export function splitParts(
  name: string,
  value: string,
  maxLength: number | undefined,
  before: Layout = { count: 1 },
): { entries: string[]; layout: Layout } {
  if (value.startsWith(MARK))
    throw new GatewayError('invalid_request', `the value of "${name}" cannot begin with U+2063 "switchboard-parts:"`);
  if (maxLength === undefined || value.length <= maxLength) return { entries: [value], layout: { count: 1 } };
  const size = maxLength - HEADER_ROOM;
  if (size < 2) throw new RangeError(`a keychain entry of ${maxLength} characters cannot hold a part`);
  if (value.length > size * MAX_PARTS)
    throw new GatewayError('invalid_request', `the value of "${name}" is too long for the keychain`);
  const entries: string[] = [];
  for (let at = 0; at < value.length;) {
    let end = Math.min(at + size, value.length);
    // Never between the two halves of a surrogate pair: each part must be valid text on its own.
    if (end < value.length && isHighSurrogate(value.charCodeAt(end - 1))) end--;
    entries.push(value.slice(at, end));
    at = end;
  }
  let generation: string;
  do generation = randomBytes(GENERATION_LENGTH / 2).toString('hex');
  while ('generation' in before && generation === before.generation);
  entries[0] = `${MARK}${entries.length}:${generation}${END}${entries[0]}`;
  return { entries, layout: { count: entries.length, generation } };
}

/**
 * The whole value from the entry under its name and parts 2..N as read; undefined when a part is
 * missing (the caller reads again, or reports it).
 */
export function joinParts(head: string, rest: (string | null)[]): string | undefined {
  if (rest.some((part) => part === null)) return undefined;
  return head.slice(head.indexOf(END, MARK.length) + END.length) + rest.join('');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
