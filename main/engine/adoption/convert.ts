/**
 * A client's server entry -> a Switchboard server entry: `${...}` translated from the client's
 * dialect, secret-looking env vars and headers replaced by `${secret:NAME}` references (the
 * values are returned separately, for the secret store), names made valid for Switchboard.
 */
import { isReference, looksSecret } from '../installers/secret-names.ts';
import { shimProfileOf } from '../installers/shim-entry.ts';
import { maskArgs } from '../secrets/looks-secret.ts';
import type { VariableDialect } from '../installers/clients.ts';
import type { ClientServer } from '../installers/types.ts';
import { AUTH_SCHEME } from '../../../preload/contract/index.ts';

export interface MovedSecret {
  /** The secret's name in the store (before collision handling). */
  name: string;
  value: string;
  /** Where it came from, e.g. `env.GITHUB_TOKEN`, `headers.Authorization` or `url.api_key` (a query parameter). */
  field: string;
}

export interface ConvertedServer {
  /** The name in Switchboard's config. */
  name: string;
  entry: Record<string, unknown>;
  secrets: MovedSecret[];
  warnings: string[];
}

export class ConvertError extends Error {}

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A valid Switchboard server name for a client's name (`My Server` -> `My-Server`). */
export function switchboardServerName(name: string, separator = '__'): string {
  let out = name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  while (out.includes(separator)) out = out.replace(separator, '_');
  if (!SERVER_NAME.test(out)) out = `server-${out}`.slice(0, 64);
  return out.replace(/-+$/, '') || 'server';
}

/** A secret name namespaced by client and server: `claude-desktop.github.GITHUB_TOKEN`. */
export function secretName(client: string, server: string, field: string): string {
  return `${client}.${server}.${field}`
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Rewrites a client value into Switchboard's `${env:X}` / `$${` syntax, or explains why it cannot. */
export function translateVariables(value: string, dialect: VariableDialect, home: string): string {
  if (dialect === 'gemini') {
    // Gemini CLI fills $X and ${X} in from its environment in every string of its settings.
    return value.replace(/\$(?:(\w+)|\{([^}]+)\}|\{)/g, (whole, bare?: string, braced?: string) => {
      const name = bare ?? braced;
      if (name !== undefined && ENV_NAME.test(name)) return `\${env:${name}}`;
      // Not a name it can have (`$1`, `${a b}`): it stays as written there, and so here.
      return whole.startsWith('${') ? `$${whole}` : whole;
    });
  }
  if (dialect === 'continue') {
    const template = /\$\{\{[^}]*\}\}/.exec(value);
    if (template) throw new ConvertError(`uses ${template[0]}, which only Continue can fill in`);
  }
  return value.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (dialect === 'vscode') {
      if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) return whole;
      if (inner === 'userHome') return home;
      throw new ConvertError(`uses ${whole}, which only the client itself can fill in`);
    }
    if (dialect === 'claude-code') {
      if (ENV_NAME.test(inner)) return `\${env:${inner}}`;
      throw new ConvertError(`uses ${whole}, which only Claude Code can fill in`);
    }
    if (dialect === 'windsurf') {
      if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) return whole;
      if (inner.startsWith('file:')) throw new ConvertError(`uses ${whole}, which only Windsurf can fill in`);
    }
    // The client passes `${...}` through literally: so must Switchboard.
    return `$${whole}`;
  });
}

/** Whether the client fills a variable into `value` (its secret then is not in the file). */
function usesVariables(value: string, dialect: VariableDialect): boolean {
  return dialect === 'gemini' ? /\$(?:[A-Za-z_]|\{)/.test(value) : /\$\{/.test(value);
}

/** The `${env:X}` an entry refers to (`$${env:X}` is literal text). */
function envReferences(entry: Record<string, unknown>): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string')
      for (const m of value.matchAll(/(?<!\$)\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(m[1]!);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(entry);
  return [...names];
}

export function convertServer(
  server: ClientServer,
  options: { client: string; dialect: VariableDialect; home: string },
): ConvertedServer {
  if (server.kind === 'unsupported') throw new ConvertError(server.problem ?? 'unsupported entry');
  const profile = server.kind === 'stdio' ? shimProfileOf(server.command ?? '', server.args ?? []) : undefined;
  if (profile !== undefined)
    throw new ConvertError(
      `it starts Switchboard itself (profile "${profile}"), so it stays in the client: moved into Switchboard, ` +
        'it would be a server of Switchboard',
    );
  const name = switchboardServerName(server.name);
  const warnings =
    name === server.name
      ? []
      : [`"${server.name}" is named "${name}" in Switchboard (names there use letters, digits, "_", "." and "-")`];
  if (server.ignored?.length)
    warnings.push(
      `"${server.name}": ${server.ignored.map((key) => `"${key}"`).join(', ')} ` +
        `${server.ignored.length === 1 ? 'is a setting' : 'are settings'} of the client's own, not carried over`,
    );
  const secrets: MovedSecret[] = [];
  const tr = (value: string) => translateVariables(value, options.dialect, options.home);
  const tools = server.tools ? { tools: server.tools } : {};

  const moveMap = (kind: 'env' | 'headers', map: Record<string, string> | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(map ?? {})) {
      const variables = usesVariables(value, options.dialect);
      if (!looksSecret(key) || value === '' || isReference(value) || (variables && !AUTH_SCHEME.test(value))) {
        out[key] = tr(value);
        continue;
      }
      const scheme = kind === 'headers' ? AUTH_SCHEME.exec(value) : null;
      const secret = scheme ? scheme[2]! : value;
      if (usesVariables(secret, options.dialect)) {
        out[key] = tr(value);
        continue;
      }
      const id = secretName(options.client, name, `${kind === 'headers' ? 'header.' : ''}${key}`);
      secrets.push({ name: id, value: secret, field: `${kind}.${key}` });
      out[key] = `${scheme ? `${scheme[1]} ` : ''}\${secret:${id}}`;
    }
    return out;
  };

  const disabled = server.disabled ? { disabled: true } : {};
  if (server.kind === 'stdio') {
    const args = (server.args ?? []).map(tr);
    // As the summaries mask them: after a secret-looking flag, user:password or a key in a URL.
    const masked = maskArgs(args, '\u0000');
    args.forEach((arg, i) => {
      const prev = args[i - 1] ?? '';
      if (
        masked[i] !== arg ||
        /(token|key|secret|password)[=:]/i.test(arg) ||
        (/^--?[\w-]*(token|key|secret|password)/i.test(prev) && !arg.startsWith('-'))
      ) {
        warnings.push(
          `"${server.name}": args[${i}] looks like a secret; Switchboard cannot keep secrets in args (other ` +
            `programs can read a command line). Move it to an env var and run: switchboard secrets set NAME`,
        );
      }
    });
    const env = moveMap('env', server.env);
    // Passed on by name from the client's environment: from Switchboard's own, where it starts.
    const passed = (server.passEnv ?? []).filter((key) => env[key] === undefined);
    for (const key of passed) env[key] = `\${env:${key}}`;
    const entry = {
      command: tr(server.command!),
      ...(args.length ? { args } : {}),
      ...(Object.keys(env).length ? { env } : {}),
      ...(server.cwd ? { cwd: tr(server.cwd) } : {}),
      ...tools,
      ...disabled,
    };
    return { name, entry, secrets, warnings: [...warnings, ...fromEnvironment(server.name, entry)] };
  }
  const headers = moveMap('headers', server.headers);
  // Codex's bearer_token_env_var: the token comes from the environment, as it did for the client.
  if (server.bearerEnv !== undefined) {
    if (!ENV_NAME.test(server.bearerEnv))
      throw new ConvertError(`"bearer_token_env_var" is not a variable name: ${JSON.stringify(server.bearerEnv)}`);
    if (!Object.keys(headers).some((key) => key.toLowerCase() === 'authorization'))
      headers.Authorization = `Bearer \${env:${server.bearerEnv}}`;
  }
  // A key in the query (`?api_key=…`, common for hosted servers) goes to the keychain too: the
  // config takes `${secret:…}` in a URL and percent-encodes the value where it stands.
  // Translated first: the references put in are Switchboard's own.
  const withQuery = moveQuerySecrets(tr(server.url!), (param, value) => {
    const id = secretName(options.client, name, `url.${param}`);
    secrets.push({ name: id, value, field: `url.${param}` });
    return id;
  });
  // user:password in the URL would sit in plain text in our config (which refuses it): as Basic
  // auth from the keychain instead, unless the entry already sends its own Authorization.
  let url = withQuery;
  const credentials = urlCredentials(url);
  if (credentials) {
    url = credentials.url;
    if (Object.keys(headers).some((key) => key.toLowerCase() === 'authorization')) {
      warnings.push(
        `"${server.name}": the user name and password in its URL were left out: it already sends an ` +
          `Authorization header`,
      );
    } else {
      const id = secretName(options.client, name, 'url-credentials');
      secrets.push({ name: id, value: credentials.basic, field: 'headers.Authorization' });
      headers.Authorization = `Basic \${secret:${id}}`;
    }
  }
  const entry = {
    url,
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(server.transport && server.transport !== 'auto' ? { transport: server.transport } : {}),
    ...tools,
    ...disabled,
  };
  return { name, entry, secrets, warnings: [...warnings, ...fromEnvironment(server.name, entry)] };
}

/**
 * The variables an adopted entry takes from the environment: the client had them from its own,
 * Switchboard from the one it starts in (an app started from the desktop has no shell profile's).
 */
function fromEnvironment(server: string, entry: Record<string, unknown>): string[] {
  const names = envReferences(entry);
  if (!names.length) return [];
  const them = names.length === 1 ? 'it' : 'them';
  return [
    `"${server}": takes ${names.join(', ')} from the environment; Switchboard passes ${them} from its own, so ` +
      `set ${them} where Switchboard starts (or keep a secret: switchboard secrets set NAME, then \${secret:NAME})`,
  ];
}

/**
 * `text` with the value of each secret-looking query parameter replaced by `${secret:ID}`, the ID
 * given by `move(name, value)` (values decoded). Edited as text: the URL class would encode the
 * reference's braces. Values that are references already, or hold one, are left as they are.
 */
function moveQuerySecrets(text: string, move: (name: string, value: string) => string): string {
  const start = text.indexOf('?');
  if (start < 0) return text;
  const end = text.indexOf('#', start) < 0 ? text.length : text.indexOf('#', start);
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return part;
    }
  };
  const params = text
    .slice(start + 1, end)
    .split('&')
    .map((param) => {
      const eq = param.indexOf('=');
      if (eq < 0) return param;
      const key = decode(param.slice(0, eq));
      const value = decode(param.slice(eq + 1));
      if (!looksSecret(key) || value === '' || /\$\{/.test(value)) return param;
      return `${param.slice(0, eq)}=\${secret:${move(key, value)}}`;
    });
  return `${text.slice(0, start + 1)}${params.join('&')}${text.slice(end)}`;
}

/** The URL without user:password, and those as the value of a Basic Authorization header. */
function urlCredentials(text: string): { url: string; basic: string } | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!url.username && !url.password) return undefined;
  // A client's own variables in there are for the client to fill in: leave them be.
  if (/\$\{|%24%7B/i.test(`${url.username}:${url.password}`)) return undefined;
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const basic = Buffer.from(`${decode(url.username)}:${decode(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  return { url: url.href, basic };
}
