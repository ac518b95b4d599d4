/**
 * A server's Retry-After (RFC 9110 §10.2.3) on an error status: how long it asks to be left alone,
 * rate-limited (429) or down for maintenance (503). Said in the failure's message, and the next
 * connection attempt waits at least that long instead of knocking on the backoff's schedule.
 */

/** A longer wait is not taken (a typo of the server's, or a date far off): the backoff's own cap applies then. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** The wait a Retry-After value asks for in ms (seconds, or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date is a day name, a comma, ...: anything else Date.parse would guess at.
  if (!/^[A-Za-z]{3},/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A wait as messages say it: seconds under two minutes, whole minutes (rounded up) to an hour, then "over an hour". */
export function describeWait(ms: number): string {
  if (ms < 120_000) return `${Math.max(1, Math.ceil(ms / 1000))} s`;
  return ms <= 3_600_000 ? `${Math.ceil(ms / 60_000)} min` : 'over an hour';
}

/** "it asks to wait 30 s before trying again", for a failure's message. */
export function describeRetryAfter(ms: number): string {
  return `it asks to wait ${describeWait(ms)} before trying again (Retry-After)`;
}
