/**
 * A remote MCP server over Streamable HTTP, or legacy HTTP+SSE for servers that predate it.
 * ManagedUpstream connects (initialize, reconnects) and lifecycle.ts decides the backoff; this
 * module only opens channels, remembering which transport worked so reconnects go straight to it.
 */
import type { LookupFunction } from 'node:net';
import { DEFAULT_REMOTE_FORWARD } from '../../config/header-rules.ts';
import { egressFetch } from '../../egress/fetch.ts';
import { DEFAULTS } from '../../config/schema.ts';
import { GatewayError } from '../../protocol/errors.ts';
import { ClientHeaderPolicy } from '../client-headers.ts';
import { openHttpChannel, type HttpTransportMode } from './channel.ts';
import type { WireKind } from './wire.ts';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { BackoffPolicy } from '../lifecycle.ts';
import { ManagedUpstream, type Opener } from '../mcp-upstream.ts';
import type { Upstream } from '../types.ts';
import { withOAuth } from '../../oauth/fetch.ts';
import type { OAuthSession } from '../../oauth/session.ts';

export type { HttpTransportMode } from './channel.ts';

export interface HttpUpstreamConfig {
  name: string;
  url: string;
  /** Sent on every request, the GET stream included. Values are already resolved secrets: never log them. */
  headers: Record<string, string>;
  /** 'auto': Streamable HTTP, falling back to legacy SSE when the server turns out to be one. */
  transport: HttpTransportMode;
  timeoutMs: number;
  startupTimeoutMs: number;
  /** Client header names passed on ("*" for all); default none. */
  forwardHeaders?: readonly string[];
  /** Configured header names a client's value replaces; default none. */
  overridableHeaders?: readonly string[];
  /** Private ranges and plain http:// beyond loopback allowed (egress/policy.ts); default false. */
  allowPrivateNetwork?: boolean;
  /** Resolves host names for the egress check (default: the system resolver; tests inject answers). */
  lookup?: LookupFunction;
  /** Largest message accepted from the server (limits.maxResponseBytes); a larger one fails only its request. */
  maxMessageBytes?: number;
  /** OAuth: every request carries its token, and a 401 is answered by it (oauth/fetch.ts). */
  auth?: OAuthSession;
}

export interface HttpUpstreamDeps {
  clientInfo: { name: string; version: string };
  capabilities: Record<string, unknown>;
  backoff?: BackoffPolicy;
  /** Diagnostics that are not state changes (a dropped invalid message, a notification not delivered). */
  log?: (line: string) => void;
}

export function createHttpUpstream(config: HttpUpstreamConfig, deps: HttpUpstreamDeps): Upstream {
  const options: ConstructorParameters<typeof ManagedUpstream>[0] = {
    name: config.name,
    kind: 'http',
    requestTimeoutMs: config.timeoutMs,
    startupTimeoutMs: config.startupTimeoutMs,
    clientInfo: deps.clientInfo,
    capabilities: deps.capabilities,
    open: httpChannelOpener(config, deps.log ?? (() => undefined)),
    forward: forwardPolicy(config),
    ...(deps.log ? { log: deps.log } : {}),
    ...blockedBy(config.auth),
  };
  if (deps.backoff) options.backoff = deps.backoff;
  return new ManagedUpstream(options);
}

/** A server waiting for a login is not retried until the login (ManagedUpstream's `blocked`). */
export function blockedBy(auth: OAuthSession | undefined): { blocked?: () => string | undefined } {
  return auth ? { blocked: () => auth.loginMessage() } : {};
}

/**
 * Opens stateful (Streamable HTTP or legacy SSE) channels to one server, remembering which
 * transport worked. Exported for era.ts, which falls back to it when a server is not stateless.
 */
export function httpChannelOpener(config: HttpUpstreamConfig, log: (line: string) => void): Opener {
  const checked = checkedHttpConfig(config);
  /** The transport that last completed initialize, for 'auto'; forgotten when it stops working. */
  let learned: WireKind | undefined;
  const fetch = checked instanceof GatewayError ? undefined : serverFetch(config, checked.headers);
  return (handlers) => {
    if (checked instanceof GatewayError) return Promise.reject(checked);
    return openHttpChannel({
      name: config.name,
      url: checked.url,
      headers: checked.headers,
      ...(fetch ? { fetch } : {}),
      mode: config.transport === 'auto' ? (learned ?? 'auto') : config.transport,
      startupTimeoutMs: config.startupTimeoutMs,
      maxMessageBytes: config.maxMessageBytes ?? DEFAULTS.maxResponseBytes,
      handlers,
      onInitialized: (kind) => {
        learned = kind;
      },
      onAbandoned: () => {
        learned = undefined;
      },
      log,
    });
  };
}

/**
 * The fetch a server's requests go out through: the egress check, its headers kept to its origin,
 * and its OAuth token when it has one.
 */
export function serverFetch(
  config: Pick<HttpUpstreamConfig, 'allowPrivateNetwork' | 'lookup' | 'auth'>,
  headers: Record<string, string>,
): FetchLike {
  const base = egressFetch({
    allowPrivateNetwork: config.allowPrivateNetwork ?? false,
    originOnlyHeaders: Object.keys(headers),
    ...(config.lookup ? { lookup: config.lookup } : {}),
  });
  return config.auth ? withOAuth(base, config.auth) : base;
}

/** Which headers of a calling client go to this server (undefined: none, the default). */
export function forwardPolicy(
  config: Pick<HttpUpstreamConfig, 'forwardHeaders' | 'overridableHeaders' | 'headers'>,
): ClientHeaderPolicy | undefined {
  const policy = new ClientHeaderPolicy(
    {
      forwardHeaders: config.forwardHeaders ?? DEFAULT_REMOTE_FORWARD,
      overridableHeaders: config.overridableHeaders ?? [],
    },
    Object.keys(config.headers),
  );
  return policy.none ? undefined : policy;
}

/**
 * checkHttpConfig's answer, or its refusal as a value: a bad URL or header must not throw where an
 * upstream is made (one server must not fail a whole config reload); the upstream fails to start
 * instead, with the reason in its status.
 */
export function checkedHttpConfig(
  config: Pick<HttpUpstreamConfig, 'name' | 'url' | 'headers'>,
): { url: URL; headers: Record<string, string> } | GatewayError {
  try {
    return checkHttpConfig(config);
  } catch (err) {
    return err instanceof GatewayError
      ? err
      : new GatewayError('config_invalid', `server "${config.name}": invalid configuration`, { cause: err });
  }
}

/**
 * Validates the URL (http/https only) and the static headers; throws GatewayError('config_invalid')
 * naming the header but never its value. Credentials in the URL become Basic auth (fetch refuses
 * such URLs, quoting them in its error) unless an Authorization header is configured, and are
 * taken out of the URL. Exported so config validation can report it up front.
 */
export function checkHttpConfig(config: Pick<HttpUpstreamConfig, 'name' | 'url' | 'headers'>): {
  url: URL;
  headers: Record<string, string>;
} {
  const url = parseUrl(config.name, config.url);
  const headers = checkHeaders(config.name, config.headers);
  if (url.username || url.password) {
    if (!Object.keys(headers).some((key) => key.toLowerCase() === 'authorization')) {
      const credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
      headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    url.username = '';
    url.password = '';
  }
  return { url, headers };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayError('config_invalid', `server "${name}": url is not a valid URL`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new GatewayError(
      'config_invalid',
      `server "${name}": url must start with http://, https://, ws:// or wss://, not ${url.protocol}`,
    );
  }
  return url;
}

/** Headers the transport itself sets; a configured one would break sessions or framing. */
const RESERVED = new Set([
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'accept',
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checked here because fetch's own complaint about a bad value quotes the value, which may be a
 * secret; ours names only the header.
 */
function checkHeaders(name: string, headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (!TOKEN.test(key))
      throw new GatewayError('config_invalid', `server "${name}": header name ${JSON.stringify(key)} is not valid`);
    if (RESERVED.has(key.toLowerCase()))
      throw new GatewayError(
        'config_invalid',
        `server "${name}": header ${key} is set by the transport and cannot be configured`,
      );
    if (typeof value !== 'string' || /[\r\n\0]|[^\u0000-\u00ff]/.test(value)) {
      throw new GatewayError(
        'config_invalid',
        `server "${name}": the value of header ${key} contains a line break, NUL or a character HTTP headers ` +
          `cannot carry`,
      );
    }
    out[key] = value;
  }
  return out;
}
