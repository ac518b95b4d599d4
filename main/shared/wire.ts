/**
 * Cheap reads of JSON-RPC lines written by the engine, which always serialises `jsonrpc`
 * first and `id` second (see main/engine/protocol/jsonrpc.ts). Lets the shim match
 * responses to requests without parsing a possibly 16 MiB line.
 */

import { idFromText, type ExactNumber } from './exact-numbers.ts';

export const RESPONSE_PREFIX = '{"jsonrpc":"2.0","id":';

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;

function followedByResultOrError(line: string, at: number): boolean {
  return line.startsWith(',"result"', at) || line.startsWith(',"error"', at);
}

/**
 * The id of a response line, or undefined if the line is not a response in the engine's
 * canonical shape (`{"jsonrpc":"2.0","id":<number|string>,"result"|"error"...`). Requests,
 * notifications, null ids and anything else give undefined. Reads only the start of the line.
 */
export function peekResponseId(line: string): string | number | ExactNumber | undefined {
  if (!line.startsWith(RESPONSE_PREFIX)) return undefined;
  const start = RESPONSE_PREFIX.length;
  const first = line.charCodeAt(start);
  if (first === 0x22 /* " */) {
    // Find the closing quote, skipping escapes; then let JSON.parse decode just the id.
    let i = start + 1;
    let escaped = false;
    for (; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 0x5c /* \ */) {
        i++;
        escaped = true;
        continue;
      }
      if (c === 0x22) break;
      if (c < 0x20) return undefined;
    }
    if (i >= line.length) return undefined;
    const end = i + 1;
    if (!followedByResultOrError(line, end)) return undefined;
    const raw = line.slice(start, end);
    if (!escaped) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return undefined;
    }
  }
  // Only look at a bounded window for the number: ids are short.
  const m = NUMBER.exec(line.slice(start, start + 64));
  if (m === null) return undefined;
  const end = start + m[0].length;
  if (!followedByResultOrError(line, end)) return undefined;
  const n = Number(m[0]);
  // Past 2^53, or digits a double drops (1.50): the id as written, the value the shim tracks it by.
  return Number.isSafeInteger(n) ? n : idFromText(m[0]);
}
