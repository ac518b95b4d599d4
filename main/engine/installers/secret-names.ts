/**
 * Masking secret-looking values in client config files for diffs shown to the user. What looks
 * secret is decided in secrets/looks-secret.ts (re-exported here for the installers' callers).
 */
import { isReference, looksSecret } from '../secrets/looks-secret.ts';

export { isReference, looksSecret };

// "NAME": "value" (JSON), NAME = "value" (TOML), NAME: value (YAML). A bare value never starts
// an object or list: in a compact line (`"env": {"TOKEN": "x"}`) it would swallow the next key.
const KEY_VALUE = /(["']?)([A-Za-z0-9_.-]+)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,{}[\]#"'][^\s,}\]#]*)/g;

/** One line of a file with the values of secret-looking keys replaced by ***. */
export function redactLine(line: string): string {
  return line.replace(KEY_VALUE, (whole, quote: string, key: string, sep: string, value: string) => {
    if (!looksSecret(key)) return whole;
    const inner = /^["']/.test(value) ? value.slice(1, -1) : value;
    if (inner === '' || isReference(inner) || inner === '{' || inner === '[') return whole;
    const q = /^["']/.test(value) ? value[0] : '';
    return `${quote}${key}${quote}${sep}${q}***${q}`;
  });
}
