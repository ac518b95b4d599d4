/**
 * Masking secret-looking values in client config files for diffs shown to the user. What looks
 * secret is decided in secrets/looks-secret.ts (re-exported here for the installers' callers).
 */
import { isReference, looksSecret, maskUrl } from '../secrets/looks-secret.ts';

export { isReference, looksSecret };

// "NAME": "value" (JSON), NAME = "value" (TOML), NAME: value (YAML). A bare value never starts
// an object or list: in a compact line (`"env": {"TOKEN": "x"}`) it would swallow the next key.
// An unquoted value ends at a quote: `"--token=x"` in a list of arguments keeps its closing quote.
const KEY_VALUE = /(["']?)([A-Za-z0-9_.-]+)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,{}[\]#"'][^\s,}\]#"']*)/g;

/** A URL inside a line: up to a quote, a space or the end of a JSON/TOML/YAML value. */
const URL_IN_LINE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`,]+/gi;
/** `"--token=x"`: a secret-looking flag with its value in one argument. */
const FLAG_EQUALS = /(["'])(--?[A-Za-z0-9_.-]+)=([^"'\\]*)\1/g;
/** A quoted string of a line (JSON, TOML, YAML). */
const QUOTED = /"((?:[^"\\]|\\.)*)"|'([^']*)'/g;

/**
 * One line of a file with the values of secret-looking keys replaced by ***, and, as the adoption
 * summaries mask them, a URL's password and secret-looking query parameters, and the value after a
 * secret-looking flag in a list of arguments (`"--api-key", "x"`, `"--token=x"`).
 */
export function redactLine(line: string): string {
  return maskFlagValues(redactUrlsAndKeys(line), false).text;
}

/**
 * redactLine for the lines of a file in order (a diff's): also masks a value on the line after its
 * flag, as a pretty-printed list of arguments has them (`"--api-key",` then `"x"`).
 */
export function createLineRedactor(): (line: string) => string {
  let flagBefore = false;
  return (line) => {
    const masked = maskFlagValues(redactUrlsAndKeys(line), flagBefore);
    flagBefore = masked.endsWithFlag;
    return masked.text;
  };
}

function redactUrlsAndKeys(line: string): string {
  return redactKeys(line)
    .replace(URL_IN_LINE, (url) => maskUrl(url, '***'))
    .replace(FLAG_EQUALS, (whole, q: string, flag: string, value: string) =>
      looksSecret(flag.replace(/^--?/, '')) && value !== '' && !isReference(value) ? `${q}${flag}=***${q}` : whole,
    );
}

function isSecretFlag(text: string): boolean {
  return /^--?[A-Za-z0-9_.-]+$/.test(text) && looksSecret(text.replace(/^--?/, ''));
}

/** The quoted value after a quoted secret-looking flag (on this line, or first on it after a line ending in one). */
function maskFlagValues(line: string, flagBefore: boolean): { text: string; endsWithFlag: boolean } {
  let out = '';
  let kept = 0;
  let flag = false;
  let prevEnd = -1;
  for (const token of line.matchAll(QUOTED)) {
    const at = token.index;
    const value = token[1] ?? token[2] ?? '';
    const between = line.slice(prevEnd < 0 ? 0 : prevEnd, at);
    const afterFlag = prevEnd < 0 ? flagBefore && /^\s*$/.test(between) : flag && /^\s*,\s*$/.test(between);
    if (afterFlag && value !== '' && !value.startsWith('-') && !isReference(value)) {
      const q = token[0][0]!;
      out += `${line.slice(kept, at)}${q}***${q}`;
      kept = at + token[0].length;
      flag = false;
    } else flag = isSecretFlag(value);
    prevEnd = at + token[0].length;
  }
  return { text: out + line.slice(kept), endsWithFlag: prevEnd >= 0 && flag && /^\s*,\s*$/.test(line.slice(prevEnd)) };
}

function redactKeys(line: string): string {
  return line.replace(KEY_VALUE, (whole, quote: string, key: string, sep: string, value: string) => {
    if (!looksSecret(key)) return whole;
    const inner = /^["']/.test(value) ? value.slice(1, -1) : value;
    if (inner === '' || isReference(inner) || inner === '{' || inner === '[') return whole;
    const q = /^["']/.test(value) ? value[0] : '';
    return `${quote}${key}${quote}${sep}${q}***${q}`;
  });
}
