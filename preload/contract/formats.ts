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
/**
 * ajv-formats' `uri` (full mode, built here from its parts; its source is the same): RFC 3986, so no
 * space, no letter outside ASCII (`ä` is `%C3%A4`), none of < > " { } | \ ^ `, and a `%` only before two
 * hex digits. A link typed with any of them is sent encoded (linkAsSent).
 */
const H16 = '[0-9a-f]{1,4}';
const OCTET = '(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)';
const IPV4 = `(?:${OCTET}\\.){3}${OCTET}`;
const IPV6 =
  `(?:(?:(?:${H16}:){6}|::(?:${H16}:){5}|(?:${H16})?::(?:${H16}:){4}|(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}` +
  `|(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}|(?:(?:${H16}:){0,3}${H16})?::${H16}:|(?:(?:${H16}:){0,4}${H16})?::)` +
  `(?:${H16}:${H16}|${IPV4})|(?:(?:${H16}:){0,5}${H16})?::${H16}|(?:(?:${H16}:){0,6}${H16})?::)`;
const SAFE = "a-z0-9\\-._~!$&'()*+,;=";
const PCT = '%[0-9a-f]{2}';
const PCHAR = `(?:[${SAFE}:@]|${PCT})`;
const HOST = `(?:\\[(?:${IPV6}|[Vv][0-9a-f]+\\.[${SAFE}:]+)\\]|${IPV4}|(?:[${SAFE}]|${PCT})*)`;
const SEGMENTS = `(?:\\/${PCHAR}*)*`;
const HIER_PART =
  `(?:\\/?\\/(?:(?:[${SAFE}:]|${PCT})*@)?${HOST}(?::\\d*)?${SEGMENTS}` +
  `|\\/(?:${PCHAR}+${SEGMENTS})?|${PCHAR}+${SEGMENTS})`;
const QUERY_CHARS = `(?:[${SAFE}:@/?]|${PCT})*`;
const URI = new RegExp(`^(?:[a-z][a-z0-9+\\-.]*:)${HIER_PART}(?:\\?${QUERY_CHARS})?(?:#${QUERY_CHARS})?$`, 'i');
const NOT_URI_FRAGMENT = /\/|:/;
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
  // Said to people answering a form: "URI" is the specification's word, not theirs.
  uri: { test: (t) => NOT_URI_FRAGMENT.test(t) && URI.test(t), what: 'a full link, such as https://example.com' },
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

/** RFC 3339 with its parts: date, time, fraction, and the offset's sign, hours and minutes. */
const DATE_TIME_PARTS = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):?(\d{2}))$/;

/**
 * The other way: an RFC 3339 date and time (a server's default, `2026-12-24T10:30:00Z`) as a
 * date-time picker's value in the user's time zone (`2026-12-24T11:30`, seconds only when it has
 * some), so the picker shows the moment that is sent. Undefined for anything a picker cannot show.
 */
export function pickerDateTime(value: string, offsetMinutes: (at: Date) => number): string | undefined {
  const m = DATE_TIME_PARTS.exec(value);
  if (m === null || !isDateTime(value)) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = Math.floor(Number(`0${m[7] ?? ''}`) * 1000);
  const zone = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const at = Date.UTC(y, mo - 1, d, h, mi, s, millis) - zone * 60_000;
  const offset = offsetMinutes(new Date(at));
  if (!Number.isFinite(offset)) return undefined;
  // The local wall-clock time, read with the UTC getters of a Date moved by the offset.
  const local = new Date(at + offset * 60_000);
  const year = local.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  let out = `${pad(year, 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T`;
  out += `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  if (local.getUTCSeconds() !== 0 || local.getUTCMilliseconds() !== 0) out += `:${pad(local.getUTCSeconds())}`;
  if (local.getUTCMilliseconds() !== 0) out += `.${pad(local.getUTCMilliseconds(), 3)}`;
  return out;
}

/**
 * A link as typed or read off a page (`https://de.wikipedia.org/wiki/Käse`), as a form sends it: the
 * same link, its letters outside ASCII and its spaces encoded as a browser sends them
 * (`https://de.wikipedia.org/wiki/K%C3%A4se`, a host as punycode). Text that is a link already is sent
 * as typed; what encoding does not make one (no scheme, a `|`) is returned as typed, for the check to refuse.
 */
export function linkAsSent(text: string): string {
  const uri = STRING_FORMATS.uri!;
  if (uri.test(text) || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) return text;
  let encoded: string;
  try {
    encoded = new URL(text).href;
  } catch {
    return text;
  }
  return uri.test(encoded) ? encoded : text;
}
