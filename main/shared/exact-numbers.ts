/**
 * Request ids that are JSON numbers JSON.parse cannot hold exactly: past 2^53
 * (9007199254740993 reads as 9007199254740992) or with digits a double does not keep (1.50,
 * 1e21). An answer must carry the id as its sender wrote it, or the sender never matches it.
 * Such ids are rare, so a message pays one typeof check; only one that has such an id is parsed
 * again, to read the number's text, kept as a JSON.rawJSON value that JSON.stringify writes as
 * it was. An id that is a safe integer written another way (1e3, 1.0, -0) comes back in its
 * shortest form (1000, 1, 0): that is the same number to any JSON reader that keeps integers.
 */

/** A number kept as the text it was sent as (a JSON.rawJSON value). */
export interface ExactNumber {
  readonly rawJSON: string;
}

const json = JSON as unknown as {
  rawJSON(text: string): ExactNumber;
  isRawJSON(value: unknown): value is ExactNumber;
  parse(
    text: string,
    reviver: (this: unknown, key: string, v: unknown, context: { source?: string }) => unknown,
  ): unknown;
};

/** Whether `value` is a number kept as its text. */
export const isExactNumber = (value: unknown): value is ExactNumber => json.isRawJSON(value);

/** Whether a parsed value is a number that may not be what its text said. */
const inexact = (value: unknown): boolean => typeof value === 'number' && !Number.isSafeInteger(value);

/**
 * The same text gives the same value, so a map of requests by id finds one again (an id in use,
 * a cancellation naming it). Bounded: past it, only those lookups can miss, never an answer.
 */
const interned = new Map<string, ExactNumber>();
const MAX_INTERNED = 1024;

/** The number written as `text`, kept as that text. */
export function exactNumber(text: string): ExactNumber {
  let value = interned.get(text);
  if (value === undefined) {
    if (interned.size >= MAX_INTERNED) interned.clear();
    value = json.rawJSON(text);
    interned.set(text, value);
  }
  return value;
}

type Fields = { id?: unknown; params?: { requestId?: unknown } };

function needsText(m: unknown): boolean {
  if (typeof m !== 'object' || m === null) return false;
  const f = m as Fields;
  return inexact(f.id) || (typeof f.params === 'object' && f.params !== null && inexact(f.params.requestId));
}

/**
 * `value` (JSON.parse(text): a message or a batch of them), or, when a message's `id` or
 * `params.requestId` is a number JSON.parse may have changed, `text` parsed again with those
 * numbers kept as written.
 */
export function withExactIds(text: string, value: unknown): unknown {
  if (Array.isArray(value) ? !value.some(needsText) : !needsText(value)) return value;
  const texts = new Map<unknown, { id?: string; requestId?: string }>();
  const again = json.parse(text, function (key, v, context) {
    if ((key === 'id' || key === 'requestId') && inexact(v) && context.source !== undefined) {
      const holder = texts.get(this) ?? {};
      holder[key] = context.source;
      texts.set(this, holder);
    }
    return v;
  });
  const keep = (m: unknown): void => {
    if (typeof m !== 'object' || m === null) return;
    const f = m as Record<string, unknown> & Fields;
    const id = texts.get(m)?.id;
    if (id !== undefined) f.id = exactNumber(id);
    const requestId = texts.get(f.params)?.requestId;
    if (requestId !== undefined) (f.params as Record<string, unknown>).requestId = exactNumber(requestId);
  };
  if (Array.isArray(again)) again.forEach(keep);
  else keep(again);
  return again;
}

/** The id written as `text` (a JSON string or number), a number kept as written when JSON.parse would change it. */
export function idFromText(text: string): string | number | ExactNumber {
  const id = JSON.parse(text) as string | number;
  return inexact(id) ? exactNumber(text) : id;
}

/** An id as text, for a key or a message (String() throws on a number kept as its text). */
export function idText(id: string | number | ExactNumber): string {
  return isExactNumber(id) ? id.rawJSON : String(id);
}
