/**
 * A remote MCP server over Streamable HTTP, or legacy HTTP+SSE for servers that predate it.
 * ManagedUpstream connects (initialize, reconnects) and lifecycle.ts decides the backoff; this
 * module only opens channels, remembering which transport worked so reconnects go straight to it.
 */
import { DEFAULTS } from '../../config/schema.ts';
import { GatewayError } from '../../protocol/errors.ts';
import { openHttpChannel, type HttpTransportMode } from './channel.ts';
import type { WireKind } from './wire.ts';
import type { BackoffPolicy } from '../lifecycle.ts';
import { ManagedUpstream, type Opener } from '../mcp-upstream.ts';
import type { Upstream } from '../types.ts';

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
  /** Largest message accepted from the server (limits.maxResponseBytes); a larger one fails only its request. */
  maxMessageBytes?: number;
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
    ...(deps.log ? { log: deps.log } : {}),
  };
  if (deps.backoff) options.backoff = deps.backoff;
  return new ManagedUpstream(options);
}

/**
 * Opens stateful (Streamable HTTP or legacy SSE) channels to one server, remembering which
 * transport worked. Exported for era.ts, which falls back to it when a server is not stateless.
 */
export function httpChannelOpener(config: HttpUpstreamConfig, log: (line: string) => void): Opener {
  // A bad URL or header does not throw here (one server must not fail a whole config reload):
  // the upstream fails to start instead, with the reason in its status.
  let checked: { url: URL; headers: Record<string, string> } | GatewayError;
  try {
    checked = checkHttpConfig(config);
  } catch (err) {
    checked =
      err instanceof GatewayError
        ? err
        : new GatewayError('config_invalid', `server "${config.name}": invalid configuration`, { cause: err });
  }
  /** The transport that last completed initialize, for 'auto'; forgotten when it stops working. */
  let learned: WireKind | undefined;
  return (handlers) => {
    if (checked instanceof GatewayError) return Promise.reject(checked);
    return openHttpChannel({
      name: config.name,
      url: checked.url,
      headers: checked.headers,
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
 * Validates the URL (http/https only) and the static headers; throws GatewayError('config_invalid')
 * naming the header but never its value. Exported so config validation can report it up front.
 */
export function checkHttpConfig(config: Pick<HttpUpstreamConfig, 'name' | 'url' | 'headers'>): {
  url: URL;
  headers: Record<string, string>;
} {
  return { url: parseUrl(config.name, config.url), headers: checkHeaders(config.name, config.headers) };
}

function parseUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayError('config_invalid', `server "${name}": url is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GatewayError(
      'config_invalid',
      `server "${name}": url must start with http:// or https://, not ${url.protocol}`,
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
