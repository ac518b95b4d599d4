/**
 * The string formats a question's form checks (`email`, `uri`, `date`, `date-time`), held to what
 * servers built on the MCP SDK check an answer against (ajv-formats, full mode): an answer the app
 * lets through is one the server accepts. The renderer checks as the user types, the engine again
 * before the answer goes back.
 */

/** ajv-formats' `email` (full mode): dot-separated atoms, then a dotted domain. */
const ATOM = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const EMAIL = new RegExp(`^${ATOM}(?:\\.${ATOM})*@(?:${LABEL}\\.)+${LABEL}$`, 'i');
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** RFC 3339: seconds and a time zone are required. */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):?(\d{2}))$/;

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function isDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  if (m === null || !isDate(m[1]!)) return false;
  const inRange = (v: string | undefined, max: number) => v === undefined || Number(v) < max;
  return inRange(m[2], 24) && inRange(m[3], 60) && inRange(m[4], 61) && inRange(m[5], 24) && inRange(m[6], 60);
}

/** The formats checked, each with what it means in words; any other format is a hint only. */
export const STRING_FORMATS: Readonly<Record<string, { test(text: string): boolean; what: string }>> = {
  email: { test: (t) => EMAIL.test(t), what: 'an email address' },
  uri: { test: (t) => URI.test(t), what: 'a URI (scheme:…)' },
  date: { test: isDate, what: 'a date (YYYY-MM-DD)' },
  'date-time': { test: isDateTime, what: 'a date and time (YYYY-MM-DDTHH:MM:SSZ)' },
};

/**
 * A date-time picker's value (`2026-12-05T14:30`, local time, maybe with seconds) as RFC 3339
 * with the offset of the user's time zone at that moment (`2026-12-05T14:30:00+01:00`).
 */
export function localDateTime(value: string, offsetMinutes: (local: Date) => number): string {
  // Anything else (a server's default with its zone, a value typed by hand) is left to the check.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(value)) return value;
  const withSeconds = /T\d{2}:\d{2}$/.test(value) ? `${value}:00` : value;
  const offset = offsetMinutes(new Date(withSeconds));
  if (!Number.isFinite(offset)) return withSeconds;
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${withSeconds}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
