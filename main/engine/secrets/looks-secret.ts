/**
 * What looks like a secret: env vars, headers and query parameters named like *TOKEN*, *KEY*,
 * *SECRET*, *PASSWORD* or Authorization (any case). Adoption moves such values to the keychain,
 * diffs shown to the user mask them, and the redactor hides their values wherever the gateway
 * stores or shows text.
 */

const SECRET_NAME = /token|key|secret|password|passwd|authorization/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A value that is already a reference (`${secret:x}`, `${env:X}`, VS Code's `${input:x}`) is not a secret itself. */
export function isReference(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value.trim()) || /^Bearer \$\{[^}]+\}$/i.test(value.trim());
}
