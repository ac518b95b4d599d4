/**
 * The config file's shape (zod 4) and the normalized form the engine uses. The file accepts the
 * `mcpServers` block Claude Desktop / Cursor users already have, plus Switchboard's own keys.
 * Only per-field rules live here; rules that span fields live in validate.ts.
 */
import { isAbsolute as isPosixAbsolute } from 'node:path/posix';
import { isAbsolute as isWin32Absolute } from 'node:path/win32';
import { z } from 'zod';
import { HISTORY_DAYS_MAX } from '../../../preload/contract/index.ts';
import { fetchPortRefusal } from '../egress/bad-ports.ts';
import { portOutOfRange, type HandlerFastcgiTarget, type HandlerHttpTarget } from './handler-address.ts';
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from './http-limits.ts';

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  socket: true,
  namespaceSeparator: '__',
  requestMs: 60_000,
  /** The longest a request may run while its server reports progress (each report restarts its timeout). */
  maxRequestMs: 3_600_000,
  startupMs: 30_000,
  /** A first `npx` / `uvx` run downloads the server: it may take this long while it shows activity. */
  installMs: 300_000,
  maxRequestBytes: 8 * 1024 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
  maxSessionBufferBytes: 8 * 1024 * 1024,
  /** Requests one client session may have unanswered (each holds ~9 KB across the gateway). */
  maxRequestsInFlight: 1000,
  /** Processes of isolated servers at once, gateway-wide (one per client session and isolated server). */
  maxIsolatedProcesses: 100,
  /** JSON handlers: the contract's default timeout, connection pool and discover cache. */
  handlerTimeoutMs: 30_000,
  handlerPool: 16,
  handlerDiscoverTtlMs: 0,
  /** The traffic record (traffic/): what is kept in memory for the live view, and the history on disk. */
  traffic: {
    enabled: true,
    maxEntries: 5000,
    maxMemoryBytes: 64 * 1024 * 1024,
    maxPayloadBytes: 64 * 1024,
    historyDays: 3,
    historyMaxBytes: 256 * 1024 * 1024,
  },
} as const;

export const NAMESPACE_SEPARATOR_PATTERN = /^[a-zA-Z0-9_-]{1,4}$/;
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
const ENV_KEY_PATTERN = /^[^=\0]+$/;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const nonEmptyString = (description?: string) => {
  const schema = z.string({ error: 'expected a non-empty string' }).min(1, { error: 'expected a non-empty string' });
  return description ? schema.describe(description) : schema;
};

const positiveInt = (description: string) => z.number().int().positive().describe(description);

/** The longest a timer waits (2^31 - 1 ms): Node fires a longer one at once, so every request timed out. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A time in milliseconds that a timer waits for. */
const timerMs = (description: string) =>
  z
    .number()
    .int()
    .positive()
    .max(MAX_TIMER_MS, { error: `at most ${MAX_TIMER_MS} ms (about 24 days), the longest a timer can wait` })
    .describe(description);

/**
 * Server names become part of tool names (`github__create_issue`), which clients limit to this
 * alphabet and length; profile names take the same.
 */
const MAX_CONFIG_NAME_LENGTH = 64;
const NAME_CHARACTERS = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * A server's or a profile's name: one too long is told its length (the rule alone left a person
 * counting), one with other characters the characters a name takes.
 */
const configName = (what: 'server' | 'profile', why: string) =>
  z
    .string()
    .max(MAX_CONFIG_NAME_LENGTH, {
      error: (issue) =>
        `${what} names are at most ${MAX_CONFIG_NAME_LENGTH} characters ` +
        `(this one has ${String(issue.input).length})${why}`,
      abort: true,
    })
    .regex(NAME_CHARACTERS, {
      error:
        `${what} names use letters, digits, "_", "." and "-" (starting with a letter or digit, at most ` +
        `${MAX_CONFIG_NAME_LENGTH} characters)${why}`,
    });

const serverName = configName('server', ': they become part of tool names');
const profileName = configName('profile', '');

function isHttpsPathUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.pathname !== '/';
  } catch {
    return false;
  }
}

const REMOTE_URL = 'expected an http://, https://, ws:// or wss:// URL';

/** What is wrong with a remote server's URL, said for what it is (its port, a missing scheme); undefined if nothing. */
function remoteUrlProblem(value: string): string | undefined {
  const port = portOutOfRange(value);
  if (port) return port;
  // `${env:HOST}` in a URL makes it unparseable until resolved, so only the scheme is checked then.
  if (value.includes('${')) return /^(https?|wss?):\/\//i.test(value) ? undefined : REMOTE_URL;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value.trim()))
    return `${REMOTE_URL}: it has no scheme (write https://… or http://…)`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return /^(https?|wss?):\/\//i.test(value)
      ? 'not a valid URL (a space or another character a URL cannot have, in its host or port?)'
      : REMOTE_URL;
  }
  return ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) ? fetchPortRefusal(url) : REMOTE_URL;
}

/** A WebSocket URL (the remote server speaks MCP over WebSocket). */
export function isWebSocketUrl(value: string): boolean {
  return /^wss?:\/\//i.test(value);
}

/** The same rules, as JSON Schema patterns for editors (which cannot run the functions). */
const ABSOLUTE_PATH = '^([/\\\\]|[A-Za-z]:[/\\\\])';
const ABSOLUTE_PATH_OR_REFERENCE = '^([/\\\\]|[A-Za-z]:[/\\\\]|\\$\\{)';

function isAbsolutePathOrReference(value: string): boolean {
  return value.startsWith('${') || isPosixAbsolute(value) || isWin32Absolute(value);
}

/** Why `value` is not an origin as a browser sends it in `Origin` (what to write instead, when known). */
function originProblem(value: string): string | undefined {
  // A URL may hold "*" in its host, and a browser never sends one: taken, it would match nothing.
  if (value.includes('*'))
    return (
      `${JSON.stringify(value)} is a pattern, and an Origin is matched exactly: ` +
      'list each origin (such as "https://app.example.com")'
    );
  const expected = 'expected an origin such as "http://localhost:5173" (scheme, host and port; no path)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return expected;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return expected;
  if (url.origin === value) return undefined;
  // The address of a page there (a path, a slash at the end, capitals): its origin is what to write.
  return url.username || url.password ? expected : `${expected}: ${JSON.stringify(url.origin)}`;
}

const nameFilterSchema = (what: 'tools' | 'prompts') =>
  z
    .strictObject({
      allow: z
        .array(nonEmptyString())
        .min(1, {
          error:
            `an empty allow list would hide every ${what.slice(0, -1)}: remove "allow" to expose them ` +
            `all, or set "disabled": true on the server`,
        })
        .optional()
        .describe(`Only these ${what} are exposed. "*" matches any run of characters, e.g. "read_*".`),
      deny: z
        .array(nonEmptyString())
        .optional()
        .describe(`These ${what} are hidden (applied after allow). "*" globs allowed.`),
      aliases: z
        .record(
          nonEmptyString(),
          z.string().regex(TOOL_NAME_PATTERN, {
            error: 'aliases use letters, digits, "_", "." and "-" (at most 128 characters)',
          }),
        )
        .optional()
        .describe(
          `Rename ${what}: {"original_name": "new_name"}. Clients see new_name as it is, without the ` +
            `server's prefix; one with a "." or over 64 characters, or one another ${what.slice(0, -1)} ` +
            `already has, gets a short hash.`,
        ),
    })
    .describe(`Which ${what} of this server clients see, and under what names.`);

/** Keys every server entry accepts, whatever its kind. */
const commonServerShape = {
  disabled: z.boolean().default(false).describe('Keep the entry but do not start the server.'),
  description: z.string().optional().describe('A note for yourself; shown in the app.'),
  tools: nameFilterSchema('tools').optional(),
  prompts: nameFilterSchema('prompts').optional(),
  timeoutMs: timerMs('Request timeout for this server in milliseconds (default: timeouts.requestMs).').optional(),
  startupTimeoutMs: timerMs(
    'How long this server may take to start and initialize, in milliseconds (default: timeouts.startupMs).',
  ).optional(),
  // Cline / Roo Code write these into every entry; accepted so pasted configs load.
  autoApprove: z
    .array(z.string())
    .optional()
    .describe('Ignored (Cline / Roo Code setting, accepted so pasted entries load).'),
  alwaysAllow: z
    .array(z.string())
    .optional()
    .describe('Ignored (Cline / Roo Code setting, accepted so pasted entries load).'),
};

const protocolSchema = z
  .enum(['auto', 'stateful', 'stateless'], { error: 'expected "auto", "stateful" or "stateless"' })
  .default('auto')
  .describe(
    'Which MCP protocol era the server speaks. "auto" (default) asks with server/discover first; ' +
      '"stateful" skips that probe (for servers that ignore it) and uses initialize; "stateless" speaks only ' +
      '2026-07-28.',
  );

const headersSchema = z.record(
  z.string().regex(HEADER_NAME_PATTERN, { error: 'not a valid HTTP header name' }),
  z.string(),
);

const headerNameList = (allowStar: boolean) =>
  z.array(
    z
      .string()
      .refine((name) => (allowStar && name === '*') || HEADER_NAME_PATTERN.test(name), {
        error: allowStar ? 'expected a header name, or "*" for every header' : 'not a valid HTTP header name',
      })
      .meta({ pattern: allowStar ? `^(\\*|${HEADER_NAME_PATTERN.source.slice(1, -1)})$` : HEADER_NAME_PATTERN.source }),
  );

/** Keys for servers reached over HTTP: which client headers go on, and where the URL may lead. */
const forwardingShape = (defaultText: string) => ({
  forwardHeaders: headerNameList(true)
    .optional()
    .describe(
      `Headers of the MCP client (when it came over HTTP) passed on to this server, e.g. ["X-Tenant"]; "*" for ` +
        `all. Never Cookie, Authorization, hop-by-hop or Mcp-* headers. Default: ${defaultText}.`,
    ),
  overridableHeaders: headerNameList(false)
    .optional()
    .describe(
      'Names set in "headers" whose value a client\'s header of the same name replaces (and is passed on). ' +
        'Default none: a configured header always wins.',
    ),
  allowPrivateNetwork: z
    .boolean()
    .default(false)
    .describe(
      'Allow private network addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) and plain http:// to ' +
        'hosts other than loopback. Off by default, so a URL, a DNS answer or a redirect cannot turn this server ' +
        'into a way into your network. Link-local and cloud metadata addresses are refused regardless.',
    ),
});

const SECRET_REFERENCE = /^\$\{secret:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\}$/;

/** OAuth for a remote server (docs/remote-servers.md): off, on demand (default), or configured. */
const oauthSchema = z
  .union([
    z.literal(false),
    z.strictObject({
      grant: z
        .enum(['authorization_code', 'client_credentials'])
        .default('authorization_code')
        .describe(
          '"authorization_code" (default): you log in through your browser. "client_credentials": machine to ' +
            'machine, with "clientId" and "clientSecret".',
        ),
      clientId: z
        .string()
        .min(1)
        .optional()
        .describe(
          'A client registered with the authorization server beforehand. Without it Switchboard registers itself.',
        ),
      clientSecret: z
        .string()
        .regex(SECRET_REFERENCE, {
          error: 'must be a ${secret:NAME} reference: a client secret never goes in the file',
        })
        .optional()
        .describe('The client secret of "clientId", as ${secret:NAME} (kept in the OS keychain).'),
      scopes: z
        .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'not a valid OAuth scope' }))
        .optional()
        .describe("Scopes to ask for when neither the server's challenge nor its metadata names them."),
      clientMetadataUrl: z
        .string()
        .refine(isHttpsPathUrl, { error: 'expected an https:// URL with a path' })
        .meta({ pattern: '^https://[^/?#]+/[^?#]' })
        .optional()
        .describe(
          "An https URL where this client's metadata document is published (used as the client ID where supported).",
        ),
      redirectPort: z
        .number()
        .int()
        .min(1024)
        .max(65535)
        .optional()
        .describe('The loopback port of the login redirect (default: one the system picks, then kept).'),
    }),
  ])
  .optional()
  .describe(
    'OAuth login. Left out: used when the server asks for it (a 401 with a Bearer challenge) and no ' +
      'Authorization header is configured. false: never. An object: always, with these settings.',
  )
  .superRefine((value, ctx) => {
    if (value && value.grant === 'client_credentials' && (!value.clientId || !value.clientSecret))
      ctx.addIssue({ code: 'custom', message: 'client_credentials needs "clientId" and "clientSecret"' });
    if (value && value.clientSecret && !value.clientId)
      ctx.addIssue({ code: 'custom', message: '"clientSecret" needs "clientId"' });
  });

export const stdioServerSchema = z
  .strictObject({
    type: z
      .literal('stdio', {
        error: 'an entry with "command" is a stdio server: "type" may only be "stdio" (or left out)',
      })
      .optional()
      .describe('Optional; "stdio" for an entry with "command".'),
    command: nonEmptyString('The program to run, e.g. "npx", "uvx", "/usr/local/bin/server". Started without a shell.'),
    args: z.array(z.string()).optional().describe('Arguments, one per item. ${env:NAME} references allowed.'),
    env: z
      .record(
        z
          .string()
          .regex(ENV_KEY_PATTERN, { error: 'environment variable names must be non-empty and cannot contain "="' }),
        z.string(),
      )
      .optional()
      .describe('Extra environment for the server. Values may use ${env:NAME} and ${secret:NAME}.'),
    cwd: z
      .string()
      .refine(isAbsolutePathOrReference, { error: 'expected an absolute path' })
      .meta({ pattern: ABSOLUTE_PATH_OR_REFERENCE })
      .optional()
      .describe('Working directory (absolute path).'),
    isolated: z.boolean().default(false).describe('Start one process per client session instead of sharing one.'),
    headersToEnv: z
      .record(
        z.string().regex(HEADER_NAME_PATTERN, { error: 'not a valid HTTP header name' }),
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'not a valid environment variable name' }),
      )
      .optional()
      .describe(
        'Isolated servers only: client HTTP headers that become environment variables of the process started for ' +
          'that client, e.g. {"X-User-Token": "USER_TOKEN"}. One gateway can so serve several users\' tokens.',
      ),
    protocol: protocolSchema,
    installTimeoutMs: timerMs(
      'How long a start may take while the server is visibly busy (npx / uvx downloading it: output or ' +
        'CPU), in milliseconds (default: timeouts.installMs).',
    ).optional(),
    ...commonServerShape,
  })
  .superRefine((entry, ctx) => {
    if (entry.headersToEnv && !entry.isolated)
      ctx.addIssue({
        code: 'custom',
        path: ['headersToEnv'],
        message:
          'needs "isolated": true: a process shared by every client cannot hold one client\'s headers in its ' +
          'environment',
      });
  })
  .describe('A local MCP server Switchboard starts and talks to over stdio.');

export const remoteServerSchema = z
  .strictObject({
    type: z
      .enum(['http', 'sse', 'streamable-http'], {
        error: 'an entry with "url" is a remote server: "type" may be "http", "streamable-http" or "sse" (or left out)',
      })
      .optional()
      .describe('Optional. "sse" means the legacy SSE transport; "http" tries Streamable HTTP, then SSE.'),
    url: z
      .string({ error: REMOTE_URL })
      .superRefine((value, ctx) => {
        const problem = remoteUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .meta({ pattern: '^([Hh][Tt][Tt][Pp][Ss]?|[Ww][Ss][Ss]?)://' })
      .describe(
        'The remote MCP endpoint: http(s):// (Streamable HTTP or legacy SSE) or ws(s):// (WebSocket). ' +
          '${env:NAME} and ${secret:NAME} references allowed.',
      ),
    headers: headersSchema
      .optional()
      .describe('Extra request headers, e.g. {"Authorization": "Bearer ${secret:my-token}"}.'),
    transport: z
      .enum(['auto', 'streamable-http', 'sse'])
      .optional()
      .describe('"auto" (default) tries Streamable HTTP and falls back to legacy SSE.'),
    ...forwardingShape('none'),
    oauth: oauthSchema,
    protocol: protocolSchema,
    ...commonServerShape,
  })
  .superRefine((entry, ctx) => {
    const chosen = entry.transport ?? (entry.type === 'http' ? undefined : entry.type);
    if (isWebSocketUrl(entry.url) && chosen !== undefined && chosen !== 'auto')
      ctx.addIssue({
        code: 'custom',
        path: [entry.transport ? 'transport' : 'type'],
        message: `a ws:// or wss:// URL is a WebSocket server: leave out "${entry.transport ? 'transport' : 'type'}"`,
      });
  })
  .describe('A remote MCP server reached over Streamable HTTP, legacy SSE or WebSocket.');

export const handlerServerSchema = z
  .strictObject({
    handler: nonEmptyString(
      'Where the handler is: an http(s):// URL (HTTP), host:port (FastCGI over TCP, e.g. php-fpm on ' +
        '127.0.0.1:9000) or an absolute Unix socket path (FastCGI).',
    ),
    kind: z
      .enum(['handler-http', 'handler-fastcgi'], {
        error: 'expected "handler-http" or "handler-fastcgi" (or leave "kind" out to detect it from "handler")',
      })
      .optional()
      .describe('Optional; detected from "handler". "handler-http" with host:port or a socket path speaks HTTP there.'),
    entrypoint: z
      .string({ error: 'expected an absolute path' })
      .refine((value) => isPosixAbsolute(value) || isWin32Absolute(value), { error: 'expected an absolute path' })
      .meta({ pattern: ABSOLUTE_PATH })
      .optional()
      .describe(
        'FastCGI only, and required there: the script the FastCGI server runs (SCRIPT_FILENAME), e.g. ' +
          '"/srv/app/mcp.php".',
      ),
    headers: headersSchema
      .optional()
      .describe(
        'Static request headers (FastCGI: HTTP_* params). Values may use ${env:NAME} and ${secret:NAME}. A ' +
          'client cannot replace them unless they are listed in "overridableHeaders".',
      ),
    insecure: z
      .boolean()
      .default(false)
      .describe(
        'HTTPS without certificate checks (self-signed development servers). Off by default; never for real backends.',
      ),
    pool: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(DEFAULTS.handlerPool)
      .describe('Connections kept to the handler (FastCGI pool; for HTTP, keep-alive connections).'),
    ...forwardingShape('["Accept-Language", "User-Agent", "traceparent", "tracestate"]'),
    discoverTtlMs: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.handlerDiscoverTtlMs)
      .describe(
        'How long a discover answer is reused, in milliseconds. 0 (default): ask the handler on every list request.',
      ),
    ...commonServerShape,
    timeoutMs: timerMs('How long one exchange with the handler may take, in milliseconds (default 30000).').optional(),
  })
  .describe('A JSON handler ("JSON in, JSON out") reached over HTTP(S) or FastCGI; Switchboard speaks MCP for it.');

export const serverEntrySchema = z.union([stdioServerSchema, remoteServerSchema, handlerServerSchema], {
  error:
    'expected a server entry: an object with "command" (a local program), "url" (a remote server) or ' +
    '"handler" (a JSON handler)',
});

const httpListenSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default(DEFAULTS.host)
      .describe('Address to listen on. Anything but loopback exposes the gateway to the network and requires "token".'),
    port: z.number().int().min(0).max(65535).default(DEFAULTS.port).describe('TCP port; 0 picks any free port.'),
    token: z
      .string()
      .refine((token) => token.includes('${') || token.length >= 16, {
        error:
          'a token must be at least 16 characters; keep it in the keychain: "token": "${secret:NAME}" after ' +
          'running: openssl rand -hex 32 | switchboard secrets set NAME',
      })
      .refine((token) => token.includes('${') || /^[\x21-\x7e]+$/.test(token), {
        error: 'a token may hold only visible ASCII characters (no spaces): clients send it after "Bearer "',
      })
      .meta({ pattern: '^(.*\\$\\{.*|[\\x21-\\x7e]{16,})$' })
      .optional()
      .describe(
        'Bearer token HTTP clients must send, as a reference: "${secret:NAME}" (the keychain) or "${env:NAME}". ' +
          'Required when host is not a loopback address.',
      ),
    allowedOrigins: z
      .array(
        z
          .string()
          .superRefine((value, ctx) => {
            const problem = originProblem(value);
            if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
          })
          .meta({ pattern: '^https?://[^/?#@*]+$' }),
      )
      .optional()
      .describe('Browser origins allowed to call the gateway, exactly as sent in the Origin header.'),
    limits: z
      .strictObject({
        headersTimeoutMs: timerMs(
          'Time a client has to send its request headers (from connecting, or from the last answer on a ' +
            'kept-alive connection); then 408 and the connection is closed.',
        ).default(HTTP_LIMIT_DEFAULTS.headersTimeoutMs),
        requestTimeoutMs: timerMs(
          'Time a client has to send a whole request, headers and body; then 408 and the connection is closed.',
        ).default(HTTP_LIMIT_DEFAULTS.requestTimeoutMs),
        keepAliveTimeoutMs: timerMs('How long an idle kept-alive connection stays open.').default(
          HTTP_LIMIT_DEFAULTS.keepAliveTimeoutMs,
        ),
        maxConnections: positiveInt('Open connections in all.').default(HTTP_LIMIT_DEFAULTS.maxConnections),
        maxPendingConnections: positiveInt(
          'Connections waiting to send a complete request (or idle); beyond it the one waiting longest is closed.',
        ).default(HTTP_LIMIT_DEFAULTS.maxPendingConnections),
        maxConnectionsPerClient: positiveInt(
          'Connections from one remote address that is not loopback (all local processes share 127.0.0.1).',
        ).default(HTTP_LIMIT_DEFAULTS.maxConnectionsPerClient),
      })
      .optional()
      .describe('Time and connection limits that keep the listener answering when clients misbehave.'),
  })
  .describe('Streamable HTTP (+ legacy SSE) listener for MCP clients.');

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path or URL of this file's JSON Schema, for editor completion."),
    mcpServers: z
      .record(serverName, serverEntrySchema)
      .default({})
      .describe(
        'The backends, by name. The same shape Claude Desktop and Cursor use, so existing entries can be pasted.',
      ),
    profiles: z
      .record(
        profileName,
        z.strictObject({
          servers: z.array(nonEmptyString()).describe('Server names from mcpServers.'),
          description: z.string().optional(),
        }),
      )
      .optional()
      .describe(
        'Named subsets of servers a client can connect to. "default" (every enabled server) exists without ' +
          'being listed.',
      ),
    listen: z
      .strictObject({
        http: z
          .union([z.boolean(), httpListenSchema], { error: 'expected false (off), true (defaults) or an object' })
          .optional()
          .describe('false turns the HTTP listener off. Default: 127.0.0.1:8787.'),
        socket: z
          .boolean()
          .default(DEFAULTS.socket)
          .describe('Local socket (named pipe on Windows) the client shim connects to.'),
      })
      .optional()
      .describe('Where clients reach Switchboard.'),
    namespaceSeparator: z
      .string()
      .regex(NAMESPACE_SEPARATOR_PATTERN, { error: 'expected 1-4 characters from letters, digits, "_" and "-"' })
      .default(DEFAULTS.namespaceSeparator)
      .describe('Joins server and tool names when tools are namespaced, e.g. github__create_issue.'),
    timeouts: z
      .strictObject({
        requestMs: timerMs('Default request timeout in milliseconds.').default(DEFAULTS.requestMs),
        maxRequestMs: timerMs(
          'The longest a request may run while its server reports progress, in milliseconds: each progress ' +
            "notification restarts the request's timeout, up to this in all.",
        ).default(DEFAULTS.maxRequestMs),
        startupMs: timerMs('Default time a server may take to start and initialize, in milliseconds.').default(
          DEFAULTS.startupMs,
        ),
        installMs: timerMs(
          'Default time a stdio server may take to start while it is visibly busy installing (npx / uvx ' +
            'downloading the package), in milliseconds.',
        ).default(DEFAULTS.installMs),
      })
      .optional()
      .describe('Defaults for servers that do not set timeoutMs / startupTimeoutMs.'),
    limits: z
      .strictObject({
        maxRequestBytes: positiveInt('Largest message accepted from a client, in bytes.').default(
          DEFAULTS.maxRequestBytes,
        ),
        maxResponseBytes: positiveInt('Largest message accepted from a server, in bytes.').default(
          DEFAULTS.maxResponseBytes,
        ),
        maxSessionBufferBytes: positiveInt(
          'What the gateway holds for one client session that is not reading (messages waiting for its ' +
            'connection, events kept to resume a stream), in bytes. Past it the oldest are dropped, ' +
            'notifications first, and the drop is logged.',
        ).default(DEFAULTS.maxSessionBufferBytes),
        maxRequestsInFlight: positiveInt(
          'Requests one client session may have unanswered at once; more are refused with an error ' +
            '(-32004) until some are answered.',
        ).default(DEFAULTS.maxRequestsInFlight),
        maxIsolatedProcesses: positiveInt(
          'Processes of isolated servers running at once, all servers and client sessions together. A ' +
            'session over it is refused that server (its requests say why) until one of them stops.',
        ).default(DEFAULTS.maxIsolatedProcesses),
      })
      .optional()
      .describe('Message size limits and per-session buffers; larger messages are refused with an error.'),
    traffic: z
      .strictObject({
        enabled: z
          .boolean()
          .default(DEFAULTS.traffic.enabled)
          .describe('Record every message at both edges of the gateway (see docs/traffic.md).'),
        maxEntries: positiveInt('Exchanges kept in memory for the live view.').default(DEFAULTS.traffic.maxEntries),
        maxMemoryBytes: positiveInt('Bytes of recorded payloads kept in memory.').default(
          DEFAULTS.traffic.maxMemoryBytes,
        ),
        maxPayloadBytes: positiveInt(
          'A recorded message longer than this is kept cut, marked as such, with its whole size.',
        ).default(DEFAULTS.traffic.maxPayloadBytes),
        history: z
          .strictObject({
            days: z
              .number()
              .min(0)
              .max(HISTORY_DAYS_MAX)
              .default(DEFAULTS.traffic.historyDays)
              .describe('How long history is kept on disk, in days (fractions allowed). 0 keeps no history.'),
            maxBytes: z
              .number()
              .int()
              .min(0)
              .default(DEFAULTS.traffic.historyMaxBytes)
              .describe('Largest size of the history on disk, in bytes; the oldest go first. 0 keeps no history.'),
          })
          .optional()
          .describe('Traffic history that survives a restart, in the state directory (traffic.db).'),
        redactFields: z
          .array(nonEmptyString())
          .default([])
          .describe(
            'Names of fields whose values are never recorded, besides the well-known credential names ' +
              '(password, token, api_key, authorization, ...) and the fields servers mark sensitive.',
          ),
      })
      .optional()
      .describe('The traffic record: every message, redacted, live and kept.'),
  })
  .meta({
    title: 'Switchboard configuration',
    description:
      "Switchboard gateway config: MCP servers (same shape as Claude Desktop's mcpServers), profiles, " +
      'listeners and limits.',
  });

/** What a user writes (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
export type ServerEntryInput = z.input<typeof serverEntrySchema>;
export type StdioServerEntryInput = z.input<typeof stdioServerSchema>;
export type RemoteServerEntryInput = z.input<typeof remoteServerSchema>;
export type HandlerServerEntryInput = z.input<typeof handlerServerSchema>;
/** After zod: field defaults applied, still in file shape. */
export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedServerEntry = z.output<typeof serverEntrySchema>;

/** JSON Schema for editors (input side, so keys with defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
}

// ---- The normalized config the engine runs on ----

/** Empty lists mean "no rule": allow [] exposes everything, deny [] hides nothing. */
export interface NameFilter {
  allow: string[];
  deny: string[];
  /** original name -> name shown to clients */
  aliases: Record<string, string>;
}

interface ServerBase {
  name: string;
  description?: string;
  disabled: boolean;
  tools: NameFilter;
  prompts: NameFilter;
  timeoutMs: number;
  startupTimeoutMs: number;
}

/** Which protocol era a server speaks; "auto" probes with server/discover. */
export type ServerProtocol = 'auto' | 'stateful' | 'stateless';

export interface StdioServerConfig extends ServerBase {
  kind: 'stdio';
  protocol: ServerProtocol;
  /** How long a start may take while the process is visibly busy (an installer at work). */
  installTimeoutMs: number;

  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** One process per client session. */
  isolated: boolean;
  /** Isolated only: client header name → environment variable of the process started for that client. */
  headersToEnv?: Record<string, string>;
}

export type RemoteTransport = 'auto' | 'streamable-http' | 'sse' | 'websocket';

/** Which client headers a server reached over HTTP gets (config/header-rules.ts). */
interface ForwardingConfig {
  /** Client header names passed on; "*" for all (never the ones header-rules.ts rules out). */
  forwardHeaders: string[];
  /** Configured header names a client's value replaces. */
  overridableHeaders: string[];
}

/** OAuth as configured (`oauth`; docs/remote-servers.md). */
export interface OAuthConfig {
  /** authorization_code: a login through the browser; client_credentials: machine to machine. */
  grant: 'authorization_code' | 'client_credentials';
  /** A pre-registered client; without it the client registers itself (metadata document or dynamic). */
  clientId?: string;
  /** A `${secret:}` reference until resolved. */
  clientSecret?: string;
  /** Asked for when neither the server's challenge nor its metadata say which. */
  scopes?: string[];
  /** An https URL of this client's metadata document (client ID metadata documents). */
  clientMetadataUrl?: string;
  /** The loopback port of the redirect URI (default: one the system picks, then kept). */
  redirectPort?: number;
}

export interface HttpServerConfig extends ServerBase, ForwardingConfig {
  kind: 'http';
  protocol: ServerProtocol;
  url: string;
  headers: Record<string, string>;
  transport: RemoteTransport;
  /** false: never; 'on-demand' (not configured): when the server asks and no Authorization header is set. */
  oauth: OAuthConfig | false | 'on-demand';
  /** Private ranges and plain http:// beyond loopback allowed (egress/policy.ts). */
  allowPrivateNetwork: boolean;
}

interface HandlerServerBase extends ServerBase, ForwardingConfig {
  /** The address as written in the file. */
  handler: string;
  /** Static headers; resolved values are secrets: never log them. */
  headers: Record<string, string>;
  pool: number;
  discoverTtlMs: number;
}

export interface HandlerHttpServerConfig extends HandlerServerBase {
  kind: 'handler-http';
  target: HandlerHttpTarget;
  insecure: boolean;
  /** Private ranges and plain http:// beyond loopback allowed (egress/policy.ts). */
  allowPrivateNetwork: boolean;
}

export interface HandlerFastcgiServerConfig extends HandlerServerBase {
  kind: 'handler-fastcgi';
  target: HandlerFastcgiTarget;
  /** SCRIPT_FILENAME. */
  entrypoint: string;
}

export type HandlerServerConfig = HandlerHttpServerConfig | HandlerFastcgiServerConfig;

/** Discriminated on `kind`. */
export type ResolvedServer = StdioServerConfig | HttpServerConfig | HandlerServerConfig;
export type ServerKind = ResolvedServer['kind'];

export interface ResolvedProfile {
  name: string;
  servers: string[];
  description?: string;
  /** True for the built-in "default" profile (every enabled server). */
  implicit: boolean;
}

export interface HttpListenConfig {
  host: string;
  port: number;
  token?: string;
  allowedOrigins: string[];
  limits: HttpLimits;
}

export interface ResolvedConfig {
  servers: Record<string, ResolvedServer>;
  /** Always contains "default". */
  profiles: Record<string, ResolvedProfile>;
  listen: { http: HttpListenConfig | false; socket: boolean };
  namespaceSeparator: string;
  timeouts: { requestMs: number; maxRequestMs: number; startupMs: number; installMs: number };
  limits: {
    maxRequestBytes: number;
    maxResponseBytes: number;
    maxSessionBufferBytes: number;
    maxRequestsInFlight: number;
    maxIsolatedProcesses: number;
  };
  traffic: TrafficSettings;
}

export interface TrafficSettings {
  enabled: boolean;
  maxEntries: number;
  maxMemoryBytes: number;
  maxPayloadBytes: number;
  /** 0: no history on disk. */
  historyDays: number;
  /** 0: no history on disk. */
  historyMaxBytes: number;
  redactFields: string[];
}

/** The exact text of resources/switchboard.schema.json (the script writes it, a test compares it). */
export function configSchemaFileText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
