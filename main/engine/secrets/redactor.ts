/**
 * The one redactor for everything the gateway stores or shows: servers' stderr (memory and file),
 * `lastError` and crash notes, log lines, control API answers and events, CLI output. It knows
 * the secret values the gateway resolved (set again on every config load, the ones replaced kept
 * too) and replaces each
 * occurrence with `[redacted:NAME]`, in the common encodings too (URL-encoded, JSON-escaped,
 * base64), and it strips the user:password part of any URL in the text, whoever wrote it.
 */

/** A value to hide and the name shown in its place. */
export interface SecretValue {
  /** Shown as `[redacted:LABEL]`: a secret's name, an env var's or header's name. Never the value. */
  label: string;
  value: string;
}

/** Shorter values are not redacted: hiding every "abc" would garble text and protect nothing. */
export const MIN_SECRET_LENGTH = 4;

/**
 * `scheme://user:password@`. The match starts at `://` and looks back for the scheme: a pattern
 * starting with the scheme is tried at every letter of a long run like `a.b.c.d…` and reads the
 * run to its end each time — quadratic, seconds of the event loop for one 64 KiB payload.
 */
const URL_CREDENTIALS = /:\/\/(?<=\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>\\]*@/gi;
const URL_CREDENTIALS_LABEL = '[redacted:url-credentials]';
/** A URL at the end of a text that may have been cut inside its user:password part (no `@` yet). */
const PARTIAL_URL_CREDENTIALS = /:\/\/(?<=\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>\\@]*$/i;
/** The shortest start of a secret a cut text is trimmed for: less tells nothing. */
const MIN_PARTIAL = 2;
/**
 * A spelling longer than this is looked for by its start, and the rest compared where that start
 * is found. V8 refuses an alternative of some 32 000 characters ("Regular expression too large",
 * thrown where the pattern is first used, with the whole pattern — every secret — in its message):
 * one long secret took the gateway down and printed them all.
 */
const MAX_ALTERNATIVE = 1024;

/**
 * Values hidden before and no longer in the set, still hidden: a rotated token, a refreshed OAuth
 * token, a client's header once its session ended. The old value may still be valid for a while,
 * and what had it (a process being stopped, a backend, a client) may still quote it. The last this
 * many, so a gateway running for months does not grow its pattern without end.
 */
export const MAX_RETIRED_VALUES = 64;

export class Redactor {
  /** Every spelling of every value → its label. */
  #labels = new Map<string, string>();
  /** The values of the last `set` → their labels. */
  #current = new Map<string, string>();
  /** Values that left the set, oldest first → their labels (MAX_RETIRED_VALUES at most). */
  #retired = new Map<string, string>();
  #pattern: RegExp | undefined;
  /** The start of each spelling longer than MAX_ALTERNATIVE → those spellings, longest first. */
  #long = new Map<string, string[]>();
  /** The spellings that are whole in the pattern, to try where a long one's start was not it. */
  #short: RegExp | undefined;
  #names = new Set<string>();
  #longestName = 0;

  /**
   * Replaces the set of values to hide (what the current config resolved); the values that leave it
   * are kept hidden too, the last MAX_RETIRED_VALUES of them.
   */
  set(values: Iterable<SecretValue>): void {
    const current = new Map<string, string>();
    for (const { label, value } of values)
      if (value.length >= MIN_SECRET_LENGTH && !current.has(value)) current.set(value, label);
    for (const [value, label] of this.#current) {
      if (current.has(value)) continue;
      this.#retired.delete(value); // to the newest end
      this.#retired.set(value, label);
    }
    for (const value of current.keys()) this.#retired.delete(value);
    for (const value of this.#retired.keys()) {
      if (this.#retired.size <= MAX_RETIRED_VALUES) break;
      this.#retired.delete(value);
    }
    this.#current = current;
    const labels = new Map<string, string>();
    for (const [value, label] of [...current, ...this.#retired])
      for (const spelling of spellings(value)) if (!labels.has(spelling)) labels.set(spelling, label);
    this.#labels = labels;
    // Longest first, so a value is never half-replaced by a shorter one it contains.
    const known = [...labels.keys()].sort((a, b) => b.length - a.length);
    const whole = known.filter((spelling) => spelling.length <= MAX_ALTERNATIVE);
    this.#long = new Map();
    for (const spelling of known.filter((s) => s.length > MAX_ALTERNATIVE)) {
      const start = spelling.slice(0, MAX_ALTERNATIVE);
      this.#long.set(start, [...(this.#long.get(start) ?? []), spelling]);
    }
    const alternatives = [...new Set([...this.#long.keys(), ...whole])].map(escapeRegExp);
    this.#pattern = alternatives.length ? new RegExp(alternatives.join('|'), 'g') : undefined;
    this.#short = this.#long.size && whole.length ? new RegExp(whole.map(escapeRegExp).join('|'), 'y') : undefined;
  }

  /**
   * The config's names (servers, profiles): identifiers, not secrets. A string that is one of them
   * is left as it is: a short secret inside two servers' names ("prod" in "prod-db" and "prod-api")
   * made them the same text, and the app could no longer tell them apart or open either.
   */
  keepNames(names: Iterable<string>): void {
    this.#names = new Set(names);
    this.#longestName = Math.max(0, ...[...this.#names].map((name) => name.length));
  }

  /** How many spellings are known (for tests and diagnostics; never the values). */
  get size(): number {
    return this.#labels.size;
  }

  redact(text: string): string {
    // Length first: hashing a long payload to look it up would cost a pass over it on every message.
    if (text.length <= this.#longestName && this.#names.has(text)) return text;
    let out = text;
    if (this.#pattern && this.#long.size) out = this.#replaceWithLong(out, this.#pattern);
    else if (this.#pattern)
      out = out.replace(this.#pattern, (match) => `[redacted:${this.#labels.get(match) ?? 'secret'}]`);
    return stripUrlCredentials(out);
  }

  /** `redact`'s replacement when some spellings are in the pattern by their start only. */
  #replaceWithLong(text: string, pattern: RegExp): string {
    let out = '';
    let last = 0;
    pattern.lastIndex = 0;
    for (let found = pattern.exec(text); found !== null; found = pattern.exec(text)) {
      const at = found.index;
      let match: string | undefined = found[0];
      const long = this.#long.get(match);
      if (long) {
        const whole = long.find((spelling) => text.startsWith(spelling, at));
        if (whole !== undefined) match = whole;
        else if (!this.#labels.has(match)) {
          // Not that long value here; a shorter one may still start at this place.
          match = undefined;
          if (this.#short) {
            this.#short.lastIndex = at;
            match = this.#short.exec(text)?.[0];
          }
        }
      }
      if (match === undefined) {
        pattern.lastIndex = at + 1;
        continue;
      }
      out += `${text.slice(last, at)}[redacted:${this.#labels.get(match) ?? 'secret'}]`;
      last = at + match.length;
      pattern.lastIndex = last;
    }
    return out + text.slice(last);
  }

  /**
   * For a text cut short (a truncated payload), redacted first: removes what a cut may have left
   * of a secret at its very end — the start of a known value, or a URL cut inside its user:password
   * part — which `redact` cannot recognise, being incomplete.
   */
  dropPartialAtEnd(text: string): string {
    let keep = text.length;
    for (const spelling of this.#labels.keys()) {
      for (let k = Math.min(spelling.length - 1, text.length); k >= MIN_PARTIAL; k--) {
        if (text.endsWith(spelling.slice(0, k))) {
          keep = Math.min(keep, text.length - k);
          break;
        }
      }
    }
    const url = PARTIAL_URL_CREDENTIALS.exec(text);
    if (url) keep = Math.min(keep, url.index + '://'.length);
    return keep === text.length ? text : text.slice(0, keep);
  }

  /** A copy of a JSON-like value with every string redacted; the value itself when nothing changed. */
  redactDeep<T>(value: T): T {
    return this.#deep(value, 0) as T;
  }

  #deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item: unknown, i) => {
        const next = this.#deep(item, depth + 1);
        if (next !== item) (copy ??= [...value])[i] = next;
      });
      return copy ?? value;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const next = this.#deep(item, depth + 1);
      if (next !== item) (copy ??= { ...value })[key] = next;
    }
    return copy ?? value;
  }
}

/** The text with the user:password part of every URL in it replaced (no known values needed). */
export function stripUrlCredentials(text: string): string {
  return text.includes('@') ? text.replace(URL_CREDENTIALS, `://${URL_CREDENTIALS_LABEL}@`) : text;
}

export function createRedactor(values: Iterable<SecretValue> = []): Redactor {
  const redactor = new Redactor();
  redactor.set(values);
  return redactor;
}

/** A line of a multi-line value (a PEM key) this long is a spelling of its own. */
const MIN_LINE_LENGTH = 16;
/**
 * The shortest base64 of a value taken from inside a longer base64 text: 48 bits of the value, which
 * unrelated text does not hold by chance. Values of 7 bytes or more have one at every start.
 */
const MIN_BASE64_PIECE = 8;
/** Characters of base64 that also hold bits of the bytes before a value starting 0, 1 or 2 bytes into a group. */
const BASE64_LEAD = [0, 2, 3];

/**
 * The ways a value commonly shows up in text: as is, URL-encoded (also in lowercase and as a form
 * field), JSON-escaped (also with `\/`, as PHP writes it), base64, also inside a longer base64 text;
 * and, for a value of several lines, each long line, since logs are redacted a line at a time.
 */
function spellings(value: string): string[] {
  const out = new Set([value]);
  const encoded = encodeURIComponent(value);
  out.add(encoded);
  out.add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  out.add(new URLSearchParams({ v: value }).toString().slice(2));
  const json = JSON.stringify(value).slice(1, -1);
  out.add(json);
  out.add(json.replace(/\//g, '\\/'));
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_LINE_LENGTH) out.add(line.trim());
  const base64 = Buffer.from(value).toString('base64');
  out.add(base64);
  // Inside a longer base64 text padding is absent; the unpadded form still matches there.
  out.add(base64.replace(/=+$/, ''));
  out.add(Buffer.from(value).toString('base64url'));
  // Inside a longer base64 text (HTTP Basic's base64 of `user:token`), the value may start 0, 1 or 2
  // bytes into a group of three, and each start encodes it differently. What is looked for is the
  // part that depends on the value alone: without the characters that also hold bits of the bytes
  // before it, nor the last one when it ends inside a group (bits of the byte after it).
  const bytes = Buffer.from(value);
  for (const shift of [0, 1, 2])
    for (const encoding of ['base64', 'base64url'] as const) {
      const text = Buffer.concat([Buffer.alloc(shift), bytes])
        .toString(encoding)
        .replace(/=+$/, '');
      const piece = text.slice(BASE64_LEAD[shift], (shift + bytes.length) % 3 === 0 ? undefined : -1);
      if (piece.length >= MIN_BASE64_PIECE) out.add(piece);
    }
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
