/**
 * Request ids and progress tokens that are JSON numbers JSON.parse cannot hold exactly: past 2^53
 * (9007199254740993 reads as 9007199254740992) or with digits a double does not keep (1.50,
 * 1e21). An answer must carry the id as its sender wrote it, or the sender never matches it; a
 * progress notification, the token. Such numbers are rare, so a message pays a few property
 * reads; only one that has such a number is parsed again, to read its text, kept as a
 * JSON.rawJSON value that JSON.stringify writes as it was. A safe integer written another way
 * (1e3, 1.0, -0) comes back in its shortest form (1000, 1, 0): that is the same number to any
 * JSON reader that keeps integers. Under a Node without JSON.rawJSON (20: the shim may run on
 * it) messages are left as JSON.parse read them.
 */

/** A number kept as the text it was sent as (a JSON.rawJSON value). */
export interface ExactNumber {
  readonly rawJSON: string;
}

const json = JSON as unknown as {
  isRawJSON?(value: unknown): value is ExactNumber;
  rawJSON?(text: string): ExactNumber;
  parse(
    text: string,
    reviver: (this: unknown, key: string, v: unknown, context: { source?: string }) => unknown,
  ): unknown;
};

const rawJSON = json.rawJSON;
const isRawJSON = json.isRawJSON ?? (() => false);

/** Whether `value` is a number kept as its text. */
export const isExactNumber = (value: unknown): value is ExactNumber => isRawJSON(value);

/** Whether a parsed value is a number that may not be what its text said. */
const inexact = (value: unknown): boolean => typeof value === 'number' && !Number.isSafeInteger(value);

/**
 * The same text gives the same value while anything holds it, so a map of requests by id (or of
 * progress by token) finds one again: an id in use, a cancellation naming it, its answer.
 */
const interned = new Map<string, WeakRef<ExactNumber>>();
const forget = new FinalizationRegistry<string>((text) => {
  if (interned.get(text)?.deref() === undefined) interned.delete(text);
});

/** The number written as `text`, kept as that text (as JSON.parse reads it where that cannot be). */
export function exactNumber(text: string): ExactNumber | number {
  if (rawJSON === undefined) return Number(text);
  let value = interned.get(text)?.deref();
  if (value === undefined) {
    value = rawJSON(text);
    interned.set(text, new WeakRef(value));
    forget.register(value, text);
  }
  return value;
}

type Fields = { id?: unknown; params?: { requestId?: unknown; _meta?: { progressToken?: unknown } } };
type Texts = { id?: string; requestId?: string; progressToken?: string };

function needsText(m: unknown): boolean {
  if (typeof m !== 'object' || m === null) return false;
  const f = m as Fields;
  if (inexact(f.id)) return true;
  const params = f.params;
  if (typeof params !== 'object' || params === null) return false;
  if (inexact(params.requestId)) return true;
  const meta = params._meta;
  return typeof meta === 'object' && meta !== null && inexact(meta.progressToken);
}

/**
 * `value` (JSON.parse(text): a message or a batch of them), or, when a message's `id`,
 * `params.requestId` or `params._meta.progressToken` is a number JSON.parse may have changed,
 * `text` parsed again with those numbers kept as written.
 */
export function withExactIds(text: string, value: unknown): unknown {
  if (rawJSON === undefined || (Array.isArray(value) ? !value.some(needsText) : !needsText(value))) return value;
  const texts = new Map<unknown, Texts>();
  const again = json.parse(text, function (key, v, context) {
    if (
      (key === 'id' || key === 'requestId' || key === 'progressToken') &&
      inexact(v) &&
      context.source !== undefined
    ) {
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
    const params = f.params as Record<string, unknown> | undefined;
    const requestId = texts.get(params)?.requestId;
    if (requestId !== undefined) params!.requestId = exactNumber(requestId);
    const meta = params?._meta as Record<string, unknown> | undefined;
    const token = texts.get(meta)?.progressToken;
    if (token !== undefined) meta!.progressToken = exactNumber(token);
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
