/**
 * The one table of supported clients: name, file format, where the server map lives, the entry
 * the shim needs, and how to read the entries a client already has.
 */
import { GatewayError } from '../protocol/errors.ts';
import { jsonFormat } from './formats/json.ts';
import { tomlFormat } from './formats/toml.ts';
import type { FormatEditor } from './formats/types.ts';
import { continueFormat, gooseFormat } from './formats/yaml.ts';
import type { ClientId, ClientServer, ShimCommand } from './types.ts';

/**
 * How a client expands variables in its entries (adoption translates them to Switchboard's syntax):
 * VS Code and Cursor `${env:X}`, `${userHome}`, `${input:…}`; Claude Code `${X}`; Gemini CLI `$X`
 * and `${X}`; Windsurf `${env:X}` and `${file:…}`; Continue `${{ secrets.X }}`; the others none.
 */
export type VariableDialect = 'none' | 'vscode' | 'claude-code' | 'gemini' | 'windsurf' | 'continue';

export interface ClientDefinition {
  id: ClientId;
  name: string;
  format: FormatEditor;
  /** Where the server map lives, for messages ("mcpServers", "[mcp_servers]"). */
  section: string;
  /** The entry that starts the shim, in this client's shape. */
  entry(shim: ShimCommand): Record<string, unknown>;
  /** One existing entry in neutral form. */
  read(name: string, raw: unknown): ClientServer;
  variables: VariableDialect;
  /** What the user has to do for the change to take effect. */
  note: string;
  /**
   * What else the client keeps in this file, when it is more than its MCP servers. Restoring such a
   * file whole after the client or the user changed it would take back everything changed since
   * Switchboard's install, so a restore then puts back only the server section (see restoreClient).
   */
  otherState?: string;
  /** A file beside ours that the client stops reading once ours exists: creating ours then warns. */
  supersedes?: { file: string; warning(file: string, sibling: string): string };
}

const plain = (shim: ShimCommand): Record<string, unknown> => ({
  command: shim.command,
  args: shim.args,
  ...(shim.env && Object.keys(shim.env).length > 0 ? { env: shim.env } : {}),
});
const typed = (shim: ShimCommand) => ({ type: 'stdio', ...plain(shim) });

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.every(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
    return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}

const REMOTE_TYPES: Record<string, ClientServer['transport']> = {
  sse: 'sse',
  http: 'streamable-http',
  'streamable-http': 'streamable-http',
  streamable_http: 'streamable-http',
  streamableHttp: 'streamable-http',
};

/** The keys readEntry carries over; any other key of an entry is the client's own and is named as left behind. */
const READ_KEYS = new Set([
  'command',
  'cmd',
  'args',
  'env',
  'envs',
  'cwd',
  'env_vars',
  'httpUrl',
  'serverUrl',
  'url',
  'uri',
  'headers',
  'http_headers',
  'bearer_token_env_var',
  'type',
  'disabled',
  'enabled',
  'includeTools',
  'excludeTools',
]);

/** Where a client keeps a server's environment out of the entry (adopted without it, a server lacks its keys). */
const ENV_ELSEWHERE: Record<string, string> = {
  envFile: 'a file of variables',
  env_file: 'a file of variables',
  env_keys: "the client's own keyring",
};

/**
 * Reads the shapes clients use: `command`/`args`/`env` (most), Zed's older `command: {path,
 * args, env}`, Goose's `cmd`/`envs`, remote `url`/`serverUrl`/`httpUrl`/`uri` with `headers` or
 * `http_headers`, `disabled` or `enabled: false`, Codex's `env_vars` and Gemini CLI's tool lists.
 */
function readEntry(name: string, raw: unknown, options: { urlIsSse?: boolean } = {}): ClientServer {
  const unsupported = (problem: string): ClientServer => ({ name, raw, kind: 'unsupported', problem });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return unsupported('the entry is not an object');
  const read = readServer(name, raw as Record<string, unknown>, options, unsupported);
  if (read.kind === 'unsupported') return read;
  const e = raw as Record<string, unknown>;
  const ignored = Object.keys(e).filter((key) => !READ_KEYS.has(key));
  for (const key of ['includeTools', 'excludeTools'])
    if (e[key] !== undefined && !strings(e[key])) return unsupported(`"${key}" is not a list of tool names`);
  const tools = toolLists(e);
  const passEnv = e.env_vars === undefined ? undefined : strings(e.env_vars);
  if (e.env_vars !== undefined && !passEnv) return unsupported('"env_vars" is not a list of names');
  return {
    ...read,
    ...(ignored.length ? { ignored } : {}),
    ...(tools ? { tools } : {}),
    ...(passEnv?.length ? { passEnv } : {}),
  };
}

/** Gemini CLI's `includeTools` / `excludeTools`, as Switchboard's allow and deny lists. */
function toolLists(e: Record<string, unknown>): ClientServer['tools'] {
  const allow = strings(e.includeTools);
  const deny = strings(e.excludeTools);
  if (!allow?.length && !deny?.length) return undefined;
  return { ...(allow?.length ? { allow } : {}), ...(deny?.length ? { deny } : {}) };
}

function readServer(
  name: string,
  e: Record<string, unknown>,
  options: { urlIsSse?: boolean },
  unsupported: (problem: string) => ClientServer,
): ClientServer {
  const raw = e;
  // Zed's servers from its extensions: the extension says how to start them, from its own settings.
  if (e.source === 'extension')
    return unsupported(
      'it is a Zed extension\'s server ("source": "extension"): the extension starts it, so it stays in Zed',
    );
  for (const [key, what] of Object.entries(ENV_ELSEWHERE)) {
    if (e[key] !== undefined)
      return unsupported(
        `its environment comes from ${what} ("${key}"), which Switchboard cannot read: put the variables in ` +
          `"env" (secrets are moved to the keychain), then adopt it`,
      );
  }
  const disabled = e.disabled === true || e.enabled === false ? { disabled: true } : {};
  const type = typeof e.type === 'string' ? e.type : undefined;
  let command = e.command ?? e.cmd;
  let args = e.args;
  let env = e.env ?? e.envs;
  if (command && typeof command === 'object' && !Array.isArray(command)) {
    const legacy = command as Record<string, unknown>;
    command = legacy.path;
    args = legacy.args ?? args;
    env = legacy.env ?? env;
  }
  if (typeof command === 'string' && command !== '') {
    const argv = args === undefined ? [] : strings(args);
    const vars = env === undefined || env === null ? {} : stringMap(env);
    if (!argv) return unsupported('"args" is not a list of strings');
    if (!vars) return unsupported('"env" is not a map of strings');
    return {
      name,
      raw,
      kind: 'stdio',
      command,
      args: argv,
      env: vars,
      ...(typeof e.cwd === 'string' && e.cwd !== '' ? { cwd: e.cwd } : {}),
      ...disabled,
    };
  }
  const url = [e.httpUrl, e.serverUrl, e.url, e.uri].find((u) => typeof u === 'string' && u !== '') as
    string | undefined;
  if (url) {
    const headers = stringMap(e.headers ?? e.http_headers ?? {});
    if (!headers) return unsupported('"headers" is not a map of strings');
    const transport =
      typeof e.httpUrl === 'string'
        ? 'streamable-http'
        : type && REMOTE_TYPES[type]
          ? REMOTE_TYPES[type]
          : options.urlIsSse && url === e.url
            ? 'sse'
            : 'auto';
    // Not a header value in the client's syntax: conversion adds it in Switchboard's.
    const bearerEnv = typeof e.bearer_token_env_var === 'string' ? { bearerEnv: e.bearer_token_env_var } : {};
    return { name, raw, kind: 'remote', url, headers, transport, ...bearerEnv, ...disabled };
  }
  if (type && !['stdio', ...Object.keys(REMOTE_TYPES)].includes(type))
    return unsupported(`entries of type "${type}" belong to the client itself`);
  return unsupported('the entry has neither a command nor a URL');
}

const json = (root: string[]) => ({ format: jsonFormat(root), section: root.join('.') });
const RESTART = 'restart it';

export const CLIENTS: readonly ClientDefinition[] = [
  {
    id: 'claude-desktop',
    name: 'Claude Desktop',
    ...json(['mcpServers']),
    entry: plain,
    read: (n, r) => readEntry(n, r),
    variables: 'none',
    note: 'quit Claude Desktop completely and start it again',
  },
  {
    id: 'cursor',
    name: 'Cursor',
    ...json(['mcpServers']),
    entry: plain,
    read: (n, r) => readEntry(n, r),
    variables: 'vscode',
    note: 'Cursor picks the change up in Settings > MCP (or restart it)',
  },
  {
    id: 'zed',
    name: 'Zed',
    ...json(['context_servers']),
    entry: (s) => ({ ...plain(s), env: s.env ?? {} }),
    read: (n, r) => readEntry(n, r),
    variables: 'none',
    note: 'Zed reloads its settings by itself',
    otherState: 'it is where Zed keeps all its settings',
  },
  {
    id: 'vscode',
    name: 'VS Code',
    ...json(['servers']),
    entry: typed,
    read: (n, r) => readEntry(n, r),
    variables: 'vscode',
    note: 'VS Code offers to start the server (or run "MCP: List Servers")',
  },
  {
    id: 'vscode-insiders',
    name: 'VS Code Insiders',
    ...json(['servers']),
    entry: typed,
    read: (n, r) => readEntry(n, r),
    variables: 'vscode',
    note: 'VS Code offers to start the server (or run "MCP: List Servers")',
  },
  {
    id: 'windsurf',
    name: 'Windsurf',
    ...json(['mcpServers']),
    entry: plain,
    read: (n, r) => readEntry(n, r),
    variables: 'windsurf',
    note: "press Refresh in Windsurf's MCP panel",
  },
  {
    id: 'claude-code',
    name: 'Claude Code',
    ...json(['mcpServers']),
    entry: typed,
    read: (n, r) => readEntry(n, r),
    variables: 'claude-code',
    note: 'start a new Claude Code session',
    otherState:
      "it is Claude Code's whole state (projects, history, account, settings), which Claude Code rewrites all the time",
  },
  {
    id: 'codex',
    name: 'Codex CLI',
    format: tomlFormat('mcp_servers'),
    section: '[mcp_servers]',
    entry: plain,
    read: (n, r) => readEntry(n, r),
    variables: 'none',
    note: 'start a new Codex session',
    otherState: "it holds Codex's settings (model, approvals, profiles)",
  },
  {
    id: 'gemini-cli',
    name: 'Gemini CLI',
    ...json(['mcpServers']),
    entry: plain,
    read: (n, r) => readEntry(n, r, { urlIsSse: true }),
    variables: 'gemini',
    note: 'start a new Gemini CLI session',
    otherState: "it holds all of Gemini CLI's settings",
  },
  {
    id: 'cline',
    name: 'Cline',
    ...json(['mcpServers']),
    entry: plain,
    read: (n, r) => readEntry(n, r),
    variables: 'none',
    note: RESTART,
  },
  {
    id: 'lm-studio',
    name: 'LM Studio',
    ...json(['mcpServers']),
    entry: plain,
    read: (n, r) => readEntry(n, r),
    variables: 'none',
    note: 'LM Studio reloads mcp.json by itself',
  },
  {
    id: 'continue',
    name: 'Continue',
    format: continueFormat(),
    section: 'mcpServers',
    entry: plain,
    read: (n, r) => readEntry(n, r),
    variables: 'continue',
    note: 'Continue reloads config.yaml by itself (it reads config.yaml instead of config.json when both exist)',
    otherState: "it holds Continue's models, rules and other settings",
    // Continue loads config.yaml instead of config.json as soon as config.yaml exists.
    supersedes: {
      file: 'config.json',
      warning: (file, json) =>
        `${json} exists and ${file} does not: once Switchboard creates ${file}, Continue reads it instead of ` +
        `config.json, so the models and other settings in config.json stop applying until you move them into ` +
        `config.yaml (see Continue's "Migrating Config to YAML"); "switchboard restore continue" deletes ` +
        `config.yaml again`,
    },
  },
  {
    id: 'goose',
    name: 'Goose',
    format: gooseFormat(),
    section: 'extensions',
    entry: (s) => ({
      name: 'switchboard',
      type: 'stdio',
      cmd: s.command,
      args: s.args,
      envs: s.env ?? {},
      enabled: true,
      timeout: 300,
      description: 'Switchboard MCP gateway',
    }),
    read: (n, r) => readEntry(n, r),
    variables: 'none',
    note: 'start a new Goose session',
    otherState: "it holds Goose's provider, model and other settings",
  },
];

export const CLIENT_IDS: readonly ClientId[] = CLIENTS.map((c) => c.id);

export function clientDefinition(id: string): ClientDefinition {
  const def = CLIENTS.find((c) => c.id === id);
  if (!def) throw new GatewayError('not_found', `unknown client "${id}" (known: ${CLIENT_IDS.join(', ')})`);
  return def;
}
