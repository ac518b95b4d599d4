/**
 * What looks like a secret, by the name it is given: env vars, headers and query parameters named
 * like *TOKEN*, *KEY*, *SECRET*, *PASSWORD* or Authorization (any case). Declared here so the engine
 * (adoption, masking, redaction) and the UI (the Add server form's offer to keep such values in the
 * keychain) decide alike.
 */

const SECRET_NAME = /token|key|secret|password|passwd|authorization/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * The longest value a secret may have (characters): far more than a PEM key, and within what one
 * environment variable can hold on Linux (128 KiB).
 */
export const MAX_SECRET_VALUE_LENGTH = 65_536;

/** An Authorization value's scheme and credential: `Bearer ghp_…` keeps `Bearer ` in the file. */
export const AUTH_SCHEME = /^(Bearer|Basic|Token)\s+(\S.*)$/i;
