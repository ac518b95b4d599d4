/**
 * `${env:NAME}` and `${secret:NAME}` inside server strings. The config file holds the reference;
 * the value is substituted only when a server starts, so secrets never sit in plaintext files.
 * `$${` is a literal `${`.
 */
import { GatewayError } from '../protocol/errors.ts';
import { looksSecret } from '../secrets/looks-secret.ts';
import type { SecretValue } from '../secrets/redactor.ts';
import { describeSecretStore, isValidSecretName, type SecretStore } from '../secrets/store.ts';
import { formatPath, type PathSegment } from './paths.ts';
import type { ResolvedConfig, ResolvedServer } from './schema.ts';

/** What a secret name may hold, for messages. */
const SECRET_NAME_RULE = '(letters, digits, "_", "." and "-")';

export type ReferenceKind = 'env' | 'secret';

export type TemplatePart = string | { kind: ReferenceKind; name: string };

export type TemplateParse = { ok: true; parts: TemplatePart[] } | { ok: false; index: number; message: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits a string into literal text and references, or says what is wrong and where. */
export function parseTemplate(text: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close === -1) {
      return { ok: false, index: i, message: 'unterminated "${" (write "$${" for a literal "${")' };
    }
    const body = text.slice(i + 2, close);
    const colon = body.indexOf(':');
    if (colon === -1) {
      return {
        ok: false,
        index: i,
        message:
          `"\${${body}}" has no kind: write "\${env:${body}}" for an environment variable, ` +
          `"\${secret:${body}}" for a secret, or "$\${${body}}" for the literal text`,
      };
    }
    const kind = body.slice(0, colon);
    const name = body.slice(colon + 1);
    if (kind === 'input') {
      const secretName = isValidSecretName(name) ? name : 'NAME';
      return {
        ok: false,
        index: i,
        message:
          `"\${${body}}" is VS Code's prompt for a value; Switchboard keeps it in the keychain: store it with ` +
          `"switchboard secrets set ${secretName}" and write "\${secret:${secretName}}"`,
      };
    }
    if (kind !== 'env' && kind !== 'secret') {
      return {
        ok: false,
        index: i,
        message: `unknown reference kind "${kind}" in "\${${body}}" (use \${env:NAME} or \${secret:NAME})`,
      };
    }
    if (kind === 'env' && !ENV_NAME.test(name)) {
      return {
        ok: false,
        index: i,
        message: `"\${${body}}": ${JSON.stringify(name)} is not a valid environment variable name`,
      };
    }
    if (kind === 'secret' && !isValidSecretName(name)) {
      return {
        ok: false,
        index: i,
        message: `"\${${body}}": ${JSON.stringify(name)} is not a valid secret name ${SECRET_NAME_RULE}`,
      };
    }
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ kind, name });
    i = close + 1;
  }
  if (literal) parts.push(literal);
  return { ok: true, parts };
}

/** The server fields that may hold references, with the shapes both raw and resolved entries share. */
interface ReferenceCarrier {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  oauth?: unknown;
}

export interface ReferenceField {
  /** Path inside the server entry, e.g. ['env', 'GITHUB_TOKEN']. */
  path: PathSegment[];
  value: string;
  /**
   * Secrets are refused here: argv is readable by other local processes (security.md), and a
   * secret has no business in a command or working directory.
   */
  secretsAllowed: boolean;
}

export function referenceFields(server: ReferenceCarrier): ReferenceField[] {
  const fields: ReferenceField[] = [];
  if (server.command !== undefined) fields.push({ path: ['command'], value: server.command, secretsAllowed: false });
  server.args?.forEach((value, index) => fields.push({ path: ['args', index], value, secretsAllowed: false }));
  for (const [key, value] of Object.entries(server.env ?? {}))
    fields.push({ path: ['env', key], value, secretsAllowed: true });
  if (server.cwd !== undefined) fields.push({ path: ['cwd'], value: server.cwd, secretsAllowed: false });
  if (server.url !== undefined) fields.push({ path: ['url'], value: server.url, secretsAllowed: true });
  for (const [key, value] of Object.entries(server.headers ?? {}))
    fields.push({ path: ['headers', key], value, secretsAllowed: true });
  const secret = (server.oauth as { clientSecret?: unknown } | undefined)?.clientSecret;
  if (typeof secret === 'string') fields.push({ path: ['oauth', 'clientSecret'], value: secret, secretsAllowed: true });
  return fields;
}

/** Load-time problems in one server entry's references, with paths relative to the entry. */
export function checkServerReferences(server: ReferenceCarrier): { path: PathSegment[]; message: string }[] {
  const problems: { path: PathSegment[]; message: string }[] = [];
  for (const field of referenceFields(server)) {
    const parsed = parseTemplate(field.value);
    if (!parsed.ok) {
      problems.push({ path: field.path, message: parsed.message });
      continue;
    }
    const secret = parsed.parts.find((p) => typeof p !== 'string' && p.kind === 'secret');
    if (secret && typeof secret !== 'string' && !field.secretsAllowed) {
      problems.push({
        path: field.path,
        message:
          `secrets cannot go in command, args or cwd, where other processes can read them; pass ` +
          `\${secret:${secret.name}} through env instead, e.g. "env": {"TOKEN": "\${secret:${secret.name}}"}`,
      });
    }
  }
  return problems;
}

/**
 * Whether a URL (template) has credentials written literally in it: a password that is not a
 * reference, or a user name alone that is not (a bare token). `https://user:${secret:pw}@host/`
 * is fine: the file holds only the reference.
 */
export function literalUrlCredentials(text: string): boolean {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text)?.[1] ?? '';
  const at = authority.lastIndexOf('@');
  if (at === -1) return false;
  const parsed = parseTemplate(authority.slice(0, at));
  if (!parsed.ok) return false; // the template error is reported on its own
  let colon = false;
  let literalUser = false;
  let literalPassword = false;
  for (const part of parsed.parts) {
    if (typeof part !== 'string') continue;
    if (colon) {
      literalPassword ||= part !== '';
      continue;
    }
    const at = part.indexOf(':');
    if (at === -1) {
      literalUser ||= part !== '';
      continue;
    }
    colon = true;
    literalUser ||= at > 0;
    literalPassword ||= at < part.length - 1;
  }
  return literalPassword || (!colon && literalUser);
}

export interface ConfigReference {
  server: string;
  /** Field inside the server entry, e.g. `env.GITHUB_TOKEN`, `args[2]`, `url`. */
  field: string;
  kind: ReferenceKind;
  name: string;
}

export function findServerReferences(server: ResolvedServer): ConfigReference[] {
  const refs: ConfigReference[] = [];
  for (const field of referenceFields(server)) {
    const parsed = parseTemplate(field.value);
    // Validation at load time already rejected malformed templates.
    if (!parsed.ok) continue;
    for (const part of parsed.parts) {
      if (typeof part !== 'string')
        refs.push({ server: server.name, field: formatPath(field.path), kind: part.kind, name: part.name });
    }
  }
  return refs;
}

/** Every reference in the config, for `switchboard doctor` and the UI. */
export function findReferences(config: ResolvedConfig): ConfigReference[] {
  return Object.values(config.servers).flatMap(findServerReferences);
}

/** A reference in one of Switchboard's own settings rather than in a server's entry. */
export interface SettingReference {
  /** The setting's path, e.g. `listen.http.token`. */
  setting: string;
  kind: ReferenceKind;
  name: string;
}

/**
 * The references in Switchboard's own settings (`listen.http.token`), of a config as the file says
 * it (once resolved, the setting holds the value). Without one of them the file cannot be applied.
 */
export function findSettingReferences(config: ResolvedConfig): SettingReference[] {
  const http = config.listen.http;
  if (http === false || http.token === undefined) return [];
  const parsed = parseTemplate(http.token);
  if (!parsed.ok) return [];
  return parsed.parts.flatMap((part) =>
    typeof part === 'string' ? [] : [{ setting: 'listen.http.token', kind: part.kind, name: part.name }],
  );
}

export interface ReferenceContext {
  env: NodeJS.ProcessEnv;
  secrets: SecretStore;
}

/** A copy of the server with every reference replaced by its value; the input is not modified. */
export async function resolveServerReferences<S extends ResolvedServer>(
  server: S,
  context: ReferenceContext,
): Promise<S> {
  return (await resolveServer(server, context)).server;
}

/**
 * Like resolveServerReferences, plus the values the redactor must hide from then on (see
 * secretValuesOf): every `${secret:}` value, `${env:}` values of secret-looking variables, values
 * of secret-looking env vars and headers, and credentials in the URL.
 */
export async function resolveServer<S extends ResolvedServer>(
  server: S,
  context: ReferenceContext,
): Promise<{ server: S; secrets: SecretValue[] }> {
  const fields = referenceFields(server);
  const templates = fields.map((field) => {
    const parsed = parseTemplate(field.value);
    if (!parsed.ok)
      throw new GatewayError('config_invalid', `server "${server.name}": ${formatPath(field.path)}: ${parsed.message}`);
    return parsed.parts;
  });

  // Look each secret up once, even when several fields use it.
  const secretNames = new Set<string>();
  for (const parts of templates)
    for (const p of parts) if (typeof p !== 'string' && p.kind === 'secret') secretNames.add(p.name);
  // Every reference that cannot be resolved is said at once, not the first alone (one fix, one more
  // error, one more fix). A store that cannot be read is said once, for all the secrets in it.
  const problems: GatewayError[] = [];
  const secretValues = new Map<string, string | undefined>();
  let storeDown = false;
  for (const name of secretNames) {
    try {
      secretValues.set(name, await readSecret(context.secrets, name));
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      problems.push(err);
      storeDown = true;
      break;
    }
  }

  const secrets: SecretValue[] = [];
  const substituted = fields.map((field, index) => {
    let out = '';
    for (const part of templates[index] ?? []) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      if (part.kind === 'secret' && storeDown) continue;
      let value: string;
      try {
        value =
          part.kind === 'env'
            ? envValue(server.name, field, part.name, context.env)
            : secretValue(server.name, field, part.name, secretValues.get(part.name), context.secrets);
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        problems.push(err);
        continue;
      }
      if (part.kind === 'secret') secrets.push({ label: part.name, value });
      else if (looksSecret(part.name)) secrets.push({ label: part.name, value });
      // A secret inside a URL is a credential, not URL syntax: percent-encoded, so a password with
      // "@" or "/" stays a password instead of turning into a host and a path that messages show.
      // (A URL that is one secret as a whole goes in as is.)
      const inUrl = field.path[0] === 'url' && (templates[index]?.length ?? 0) > 1;
      out += part.kind === 'secret' && inUrl ? encodeURIComponent(value) : value;
    }
    return out;
  });
  if (problems.length > 0) throw allOf(server.name, problems);

  const resolved = rebuild(server, fields, substituted);
  return { server: resolved, secrets: [...secrets, ...secretValuesOf(resolved)] };
}

/** Values that look secret by where they sit, even when written literally; shorter ones are left alone. */
const MIN_GUESSED_LENGTH = 8;
const AUTH_SCHEME = /^(?:Bearer|Basic|Token|Bot|ApiKey)\s+(\S.*)$/i;

/**
 * The secret-looking values of a resolved server: env vars and headers named like secrets (and the
 * credential after an auth scheme), secret-looking query parameters and the user:password of its
 * URL (the password alone, and user:password, whose base64 is the Basic auth header).
 */
export function secretValuesOf(server: ResolvedServer): SecretValue[] {
  const out: SecretValue[] = [];
  const guessed = (label: string, value: string): void => {
    if (value.length >= MIN_GUESSED_LENGTH) out.push({ label, value });
  };
  if (server.kind === 'stdio') {
    for (const [key, value] of Object.entries(server.env)) if (looksSecret(key)) guessed(key, value);
  } else {
    for (const [key, value] of Object.entries(server.headers)) {
      if (!looksSecret(key)) continue;
      guessed(key, value);
      const credential = AUTH_SCHEME.exec(value)?.[1];
      if (credential) guessed(key, credential);
    }
  }
  const url = server.kind === 'http' ? server.url : server.kind === 'handler-http' ? server.target.url : undefined;
  if (url !== undefined) out.push(...urlSecrets(url));
  return out;
}

/** Credentials and secret-looking query parameters of a URL. */
export function urlSecrets(text: string): SecretValue[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const out: SecretValue[] = [];
  const label = 'url-credentials';
  if (url.username || url.password) {
    const user = safeDecode(url.username);
    const password = safeDecode(url.password);
    if (password) out.push({ label, value: password }, { label, value: url.password });
    else out.push({ label, value: user }, { label, value: url.username });
    out.push({ label, value: `${user}:${password}` });
  }
  for (const [key, value] of url.searchParams)
    if (looksSecret(key) && value.length >= 4) out.push({ label: key, value });
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A setting outside the server entries that may hold references (listen.http.token), resolved;
 * errors name `where` (e.g. "listen.http.token") and never a value.
 */
export async function resolveSetting(
  text: string,
  where: string,
  context: ReferenceContext,
): Promise<{ value: string; secrets: SecretValue[] }> {
  const parsed = parseTemplate(text);
  if (!parsed.ok) throw new GatewayError('config_invalid', `${where}: ${parsed.message}`);
  let value = '';
  const secrets: SecretValue[] = [];
  for (const part of parsed.parts) {
    if (typeof part === 'string') {
      value += part;
      continue;
    }
    let resolved: string | undefined;
    if (part.kind === 'env') {
      resolved = context.env[part.name];
      if (resolved === undefined)
        throw new GatewayError(
          'config_invalid',
          `${where} refers to \${env:${part.name}}, which is not set in Switchboard's environment`,
        );
    } else {
      resolved = await readSecret(context.secrets, part.name);
      if (resolved === undefined)
        throw new GatewayError(
          'config_invalid',
          `${where} refers to \${secret:${part.name}}, which is not in ${describeSecretStore(context.secrets)} ` +
            `(add it on the Secrets screen, or with: switchboard secrets set ${part.name})`,
        );
    }
    secrets.push({ label: part.kind === 'secret' ? part.name : where, value: resolved });
    value += resolved;
  }
  return { value, secrets };
}

function envValue(server: string, field: ReferenceField, name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name];
  if (value === undefined) {
    throw new GatewayError(
      'env_missing',
      `server "${server}": ${formatPath(field.path)} refers to \${env:${name}}, which is not set in ` +
        `Switchboard's environment`,
    );
  }
  return value;
}

function secretValue(
  server: string,
  field: ReferenceField,
  name: string,
  value: string | undefined,
  store: SecretStore,
): string {
  if (value === undefined) {
    throw new GatewayError(
      'secret_missing',
      `server "${server}": ${formatPath(field.path)} refers to \${secret:${name}}, which is ` +
        `not in ${describeSecretStore(store)} (add it on the Secrets screen, or with: switchboard secrets set ${name})`,
    );
  }
  return value;
}

/** Several references' problems as one error: the first one's code, every message, the server named once. */
function allOf(server: string, problems: GatewayError[]): GatewayError {
  if (problems.length === 1) return problems[0]!;
  const prefix = `server "${server}": `;
  const said = [
    ...new Set(problems.map((p) => (p.message.startsWith(prefix) ? p.message.slice(prefix.length) : p.message))),
  ];
  return new GatewayError(problems[0]!.code, `${prefix}${said.join('; ')}`, { cause: problems[0] });
}

async function readSecret(store: SecretStore, name: string): Promise<string | undefined> {
  try {
    return await store.get(name);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(
      'secret_store_unavailable',
      `cannot read secret "${name}" from ${describeSecretStore(store)}`,
      { cause: err },
    );
  }
}

/** Writes substituted values back into a structural copy of the server. */
function rebuild<S extends ResolvedServer>(server: S, fields: ReferenceField[], values: string[]): S {
  const copy = structuredClone(server);
  fields.forEach((field, index) => {
    const value = values[index] ?? field.value;
    let target: Record<string | number, unknown> = copy as unknown as Record<string | number, unknown>;
    for (const segment of field.path.slice(0, -1)) target = target[segment] as Record<string | number, unknown>;
    const last = field.path[field.path.length - 1];
    if (last !== undefined) target[last] = value;
  });
  return copy;
}
