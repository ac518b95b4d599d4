/**
 * What looks like a secret: env vars and headers named like *TOKEN*, *KEY*, *SECRET*,
 * *PASSWORD* or Authorization (any case). Adoption moves such values to the keychain; diffs
 * shown to the user mask them.
 */

const SECRET_NAME = /token|key|secret|password|passwd|authorization/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A value that is already a reference (`${secret:x}`, `${env:X}`, VS Code's `${input:x}`) is not a secret itself. */
export function isReference(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value.trim()) || /^Bearer \$\{[^}]+\}$/i.test(value.trim());
}

// "NAME": "value" (JSON), NAME = "value" (TOML), NAME: value (YAML).
const KEY_VALUE = /(["']?)([A-Za-z0-9_.-]+)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,}#]+)/g;

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
