/**
 * Results serialised once. A profile's tools/list answer stays the same until a server's list
 * changes, but turning it into JSON cost 1.9 µs per tool on every call (18.6 ms for 10,000 tools,
 * twice with the traffic record on). A result made with `withJsonText` is frozen and keeps its
 * text: `messageJson` splices that text into the response, and the recorder uses it as the
 * payload. Anything else that serialises the result gets the same bytes the slow way.
 */

const texts = new WeakMap<object, string>();
/**
 * The text a large result was last sent as (not frozen, so never spliced into another message):
 * the traffic record keeps that instead of serialising 10 MB again to keep its first 64 KiB.
 */
const sentTexts = new WeakMap<object, string>();
/** Results whose text is at least this long are remembered as sent (a small one costs less to redo). */
const LARGE_TEXT = 64 * 1024;
/** Only while a traffic record reads them: unread, they only held 10 MB texts longer (peak RSS +60 MB). */
let rememberSent = false;

/** The traffic recorder says whether it records (the last to say wins: one gateway per process). */
export function rememberSentResults(on: boolean): void {
  rememberSent = on;
}

/** Freezes `result` (it must never change again) and remembers its JSON text. */
export function withJsonText<T extends Record<string, unknown>>(result: T): T {
  Object.freeze(result);
  texts.set(result, JSON.stringify(result));
  return result;
}

/** The text remembered for `value`, if it was made with withJsonText. */
export function jsonTextOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}

/** The text `value` was made with (withJsonText) or, for a large result, last sent as: for the traffic record. */
export function recordedJsonTextOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? (texts.get(value) ?? sentTexts.get(value)) : undefined;
}

/** JSON.stringify(message), but a response whose result has its text splices it in. */
export function messageJson(message: unknown): string {
  if (typeof message !== 'object' || message === null || !('result' in message)) return JSON.stringify(message);
  const m = message as { jsonrpc?: unknown; id?: unknown; result?: unknown };
  const text = jsonTextOf(m.result);
  if (text !== undefined && successShape(m)) return `{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":${text}}`;
  const whole = JSON.stringify(message);
  if (
    rememberSent &&
    whole.length >= LARGE_TEXT &&
    typeof m.result === 'object' &&
    m.result !== null &&
    successShape(m)
  ) {
    const head = `{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":`;
    // Keys in success()'s order put the result last; its text is then the rest (a slice, not a copy).
    if (whole.startsWith(head)) sentTexts.set(m.result, whole.slice(head.length, -1));
  }
  return whole;
}

/** Only the exact shape success() makes: a splice would lose other keys. */
function successShape(m: { jsonrpc?: unknown; id?: unknown }): boolean {
  return m.jsonrpc === '2.0' && 'id' in m && Object.keys(m).length === 3;
}
