/**
 * A client's server entry -> a Switchboard server entry: `${...}` translated from the client's
 * dialect, secret-looking env vars and headers replaced by `${secret:NAME}` references (the
 * values are returned separately, for the secret store), names made valid for Switchboard.
 */
import { isReference, looksSecret } from '../installers/secret-names.ts';
import { maskArgs } from '../secrets/looks-secret.ts';
import type { VariableDialect } from '../installers/clients.ts';
import type { ClientServer } from '../installers/types.ts';

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

/** Rewrites a client value into Switchboard's `${env:X}` / `$${` syntax, or explains why it cannot. */
export function translateVariables(value: string, dialect: VariableDialect, home: string): string {
  return value.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (dialect === 'vscode') {
      if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) return whole;
      if (inner === 'userHome') return home;
      throw new ConvertError(`uses ${whole}, which only the client itself can fill in`);
    }
    if (dialect === 'claude-code') {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) return `\${env:${inner}}`;
      throw new ConvertError(`uses ${whole}, which only Claude Code can fill in`);
    }
    // The client passes `${...}` through literally: so must Switchboard.
    return `$${whole}`;
  });
}

const AUTH_SCHEME = /^(Bearer|Basic|Token)\s+(\S.*)$/i;

export function convertServer(
  server: ClientServer,
  options: { client: string; dialect: VariableDialect; home: string },
): ConvertedServer {
  if (server.kind === 'unsupported') throw new ConvertError(server.problem ?? 'unsupported entry');
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
      if (!looksSecret(key) || value === '' || isReference(value) || (/\$\{/.test(value) && !AUTH_SCHEME.test(value))) {
        out[key] = tr(value);
        continue;
      }
      const scheme = kind === 'headers' ? AUTH_SCHEME.exec(value) : null;
      const secret = scheme ? scheme[2]! : value;
      if (/\$\{/.test(secret)) {
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
    if (passed.length)
      warnings.push(
        `"${server.name}": takes ${passed.join(', ')} from the environment; Switchboard passes ` +
          `${passed.length === 1 ? 'it' : 'them'} from its own, so set ${passed.length === 1 ? 'it' : 'them'} ` +
          `where Switchboard starts (or keep a secret: switchboard secrets set NAME, then \${secret:NAME})`,
      );
    return {
      name,
      entry: {
        command: tr(server.command!),
        ...(args.length ? { args } : {}),
        ...(Object.keys(env).length ? { env } : {}),
        ...(server.cwd ? { cwd: tr(server.cwd) } : {}),
        ...tools,
        ...disabled,
      },
      secrets,
      warnings,
    };
  }
  const headers = moveMap('headers', server.headers);
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
  return {
    name,
    entry: {
      url,
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(server.transport && server.transport !== 'auto' ? { transport: server.transport } : {}),
      ...tools,
      ...disabled,
    },
    secrets,
    warnings,
  };
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
