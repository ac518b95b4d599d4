/**
 * `${env:NAME}` and `${secret:NAME}` inside server strings. The config file holds the reference;
 * the value is substituted only when a server starts, so secrets never sit in plaintext files.
 * `$${` is a literal `${`.
 */
import { GatewayError } from '../protocol/errors.ts';
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

export interface ReferenceContext {
  env: NodeJS.ProcessEnv;
  secrets: SecretStore;
}

/** A copy of the server with every reference replaced by its value; the input is not modified. */
export async function resolveServerReferences<S extends ResolvedServer>(
  server: S,
  context: ReferenceContext,
): Promise<S> {
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
  const secretValues = new Map<string, string | undefined>();
  for (const name of secretNames) secretValues.set(name, await readSecret(context.secrets, name));

  const substituted = fields.map((field, index) => {
    let out = '';
    for (const part of templates[index] ?? []) {
      if (typeof part === 'string') out += part;
      else if (part.kind === 'env') out += envValue(server.name, field, part.name, context.env);
      else out += secretValue(server.name, field, part.name, secretValues.get(part.name), context.secrets);
    }
    return out;
  });

  return rebuild(server, fields, substituted);
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
        `not in ${describeSecretStore(store)} (add it with: switchboard secrets set ${name})`,
    );
  }
  return value;
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
