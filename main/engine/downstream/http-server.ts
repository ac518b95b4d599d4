/**
 * The HTTP listener clients reach on localhost: Streamable HTTP at /mcp (or /mcp/PROFILE) and
 * the legacy SSE endpoints at /sse and /messages. Every request first passes the guard (Host,
 * Origin, token); bodies must be JSON and within the size limit.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../egress/user-url.ts';
import { GatewayError, RpcCode } from '../protocol/errors.ts';
import {
  checkJsonContentType,
  corsHeaders,
  isPreflight,
  createGuard,
  isAnyAddress,
  readBody,
  type Admitted,
  type Principal,
  type Refusal,
} from './http-guard.ts';
import { limitConnections, type ConnectionStats } from './http-connections.ts';
import { HTTP_LIMIT_DEFAULTS, MAX_HEADER_BYTES, type HttpLimits } from './http-limits.ts';
import { LegacySseEndpoint } from './legacy-sse.ts';
import type { StatelessDispatcher } from './stateless.ts';
import { StreamableHttpEndpoint, sendJson, sendRpcError, type SessionFactory } from './streamable-http.ts';

/**
 * node:http as its CommonJS object, not an ES import: an ES import of node:http reads every
 * export, and the lazy WebSocket/CloseEvent/MessageEvent ones load Node's bundled undici
 * (~14 MB of RSS) that the listener never uses.
 */
const { createServer } = process.getBuiltinModule('node:http');

export interface HttpListenerOptions {
  host: string;
  port: number;
  /** The bearer token clients must send (principal "listen.http.token"). */
  token?: string;
  /** More tokens, each a principal of its own (sessions are bound to the one that created them). */
  principals?: readonly Principal[];
  allowedOrigins: string[];
  maxRequestBytes: number;
  /** Time and connection limits (config `listen.http.limits`); defaults for what is left out. */
  limits?: Partial<HttpLimits>;
  /** What a stateless call's stream may hold for a client that is not reading (limits.maxSessionBufferBytes). */
  maxBufferedBytes?: number;
  /** The gateway log: connections closed or refused under pressure (once a minute), drops on a stateless stream. */
  log?: (text: string) => void;
  createSession: SessionFactory;
  profileExists(profile: string): boolean;
  /** The config's profiles, named to a client that asked for another. */
  profileNames?(): string[];
  /** Serves stateless 2026-07-28 clients. */
  stateless?: StatelessDispatcher;
  /** How long a Streamable HTTP session may sit idle before it is ended (default 2 hours; tests). */
  sessionIdleMs?: number;
  /** See GuardOptions.ownAuth. */
  ownAuth?: (req: IncomingMessage) => boolean;
  /** Extra routes (e.g. /api) tried before the MCP ones; return true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
}

export interface HttpListener {
  readonly url: string;
  readonly port: number;
  sessionCount(): number;
  connectionStats(): ConnectionStats;
  /**
   * Takes a new listen.http.token (a rotated one, or one stored in the keychain) without reopening:
   * connections, streams and sessions stay, and requests from now on must carry the new token.
   * Throws, changing nothing, where the listener would then need no token on a network address.
   */
  setToken(token: string | undefined): void;
  /** `why`: what the calls still in flight are recorded as cancelled for. */
  close(why?: string): Promise<void>;
}

const MCP_PATH = /^\/mcp(?:\/([^/]+))?\/?$/;
const SSE_PATH = /^\/sse(?:\/([^/]+))?\/?$/;
const MESSAGES_PATH = /^\/messages(?:\/([^/]+))?\/?$/;

/** A profile's name from its URL part; undefined for a malformed escape (`%E0`), which no name has. */
function decodedName(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Who may call: the listener's token and any other principals; none on a network address is refused. */
function principalsOf(opts: Pick<HttpListenerOptions, 'host' | 'principals'>, token: string | undefined): Principal[] {
  const principals: Principal[] = [
    ...(token === undefined ? [] : [{ name: 'listen.http.token', token }]),
    ...(opts.principals ?? []),
  ];
  if (!isLoopbackHost(opts.host) && principals.length === 0) {
    throw new GatewayError(
      'unauthorized',
      `refusing to listen on ${opts.host}: an address other than loopback needs listen.http.token in the config, ` +
        'the bearer token every MCP client must then send (e.g. "token": "${secret:switchboard-token}", stored ' +
        'with: openssl rand -hex 32 | switchboard secrets set switchboard-token)',
    );
  }
  return principals;
}

export async function listenHttp(opts: HttpListenerOptions): Promise<HttpListener> {
  const principals = principalsOf(opts, opts.token);
  const streamable = new StreamableHttpEndpoint({
    createSession: opts.createSession,
    idleTimeoutMs: opts.sessionIdleMs ?? 2 * 60 * 60_000,
    maxSessions: 1000,
    ...(opts.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: opts.maxBufferedBytes }),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.stateless ? { stateless: opts.stateless } : {}),
    openStream: (res) => openStream(res),
  });
  const legacy = new LegacySseEndpoint(opts.createSession);
  const corsOrigins = new Set(opts.allowedOrigins.map((o) => o.replace(/\/$/, '')));
  // Set once the port is known (port 0 picks one); requests cannot arrive before that.
  const guard: { check?: (req: IncomingMessage) => Refusal | Admitted } = {};

  const limits: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...opts.limits };
  // Event streams (GET /sse, GET /mcp, a stateless POST subscriptions/listen) stay open, and are never
  // shed as stalled connections: they may take all but a quarter (at most 128) of maxConnections, which
  // is kept for requests (a new client, the app's control API), so a process holding streams open
  // cannot lock everyone out.
  const maxStreams = limits.maxConnections - Math.min(128, Math.floor(limits.maxConnections / 4));
  let streams = 0;
  const openStream = (res: ServerResponse): boolean => {
    if (streams >= maxStreams) {
      // Closed after the answer: a refused connection kept alive would hold a slot all the same.
      res.setHeader('connection', 'close');
      sendRpcError(
        res,
        503,
        RpcCode.InternalError,
        `Too many event streams open (${maxStreams}; listen.http.limits.maxConnections less what requests keep)`,
      );
      return false;
    }
    streams++;
    res.once('close', () => streams--);
    return true;
  };
  // Node answers 408 and closes a connection whose headers (or whole request) are late, and 431 a
  // header block over the size; it checks the clocks every `connectionsCheckingInterval`.
  const requestTimeout = limits.requestTimeoutMs;
  const headersTimeout = Math.min(limits.headersTimeoutMs, requestTimeout);
  const server: Server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      void handle(req, res).catch((err: unknown) => {
        // A connection closed mid-request (timed out, shed, or gone) has nobody left to answer.
        if (res.destroyed) return;
        if (!res.headersSent)
          sendRpcError(res, 500, RpcCode.InternalError, `Internal error: ${(err as Error).message}`);
        else res.destroy();
      });
    },
  );
  const connections = limitConnections(server, limits, opts.log);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const mcp = MCP_PATH.exec(url.pathname);
    const sse = mcp ? null : SSE_PATH.exec(url.pathname);
    const messages = mcp || sse ? null : MESSAGES_PATH.exec(url.pathname);
    const match = mcp ?? sse ?? messages;
    // A page on a configured origin may call the MCP endpoints (not the UI or the control API),
    // and read their answers, refusals included.
    const cors = match ? corsHeaders(req, corsOrigins) : undefined;
    if (cors) for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    const admitted = guard.check!(req);
    if ('status' in admitted) return refuse(res, admitted);
    const { principal } = admitted;
    if (isPreflight(req)) {
      if (!cors) return void res.writeHead(403).end();
      return void res.writeHead(204).end();
    }
    if (opts.extraRoutes && (await opts.extraRoutes(req, res, url))) return;

    if (!match)
      return sendJson(res, 404, {
        error: `Not found: ${url.pathname}. MCP clients connect to /mcp (Streamable HTTP) or /sse (legacy).`,
      });
    const known = () => {
      const names = opts.profileNames?.();
      return names ? ` (known: ${names.join(', ') || 'none'})` : '';
    };
    const profile = match[1] === undefined ? 'default' : decodedName(match[1]);
    if (profile === undefined) {
      const error = `The profile in ${url.pathname} is not valid percent-encoding${known()}`;
      return sendJson(res, 400, { error });
    }
    if (!opts.profileExists(profile)) return sendJson(res, 404, { error: `Unknown profile "${profile}"${known()}` });

    if (req.method === 'POST') {
      const type = checkJsonContentType(req);
      if (type) return refuse(res, type);
      const body = await readBody(req, opts.maxRequestBytes);
      if (!body)
        return sendRpcError(
          res,
          413,
          RpcCode.MessageTooLarge,
          `Request body over the ${opts.maxRequestBytes}-byte limit (limits.maxRequestBytes)`,
        );
      if (mcp) return streamable.post(req, res, profile, body, principal);
      if (messages) return legacy.post(req, res, body, principal);
    } else if (req.method === 'GET') {
      if ((mcp || sse) && !openStream(res)) return;
      if (mcp) return streamable.get(req, res, profile, principal);
      if (sse)
        return legacy.open(req, res, profile, `/messages${match[1] === undefined ? '' : `/${match[1]}`}`, principal);
    } else if (req.method === 'DELETE' && mcp) {
      return streamable.delete(req, res, profile, principal);
    }
    res.writeHead(405, { allow: mcp ? 'GET, POST, DELETE' : sse ? 'GET' : 'POST' }).end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const guardFor = (principals: readonly Principal[]) =>
    createGuard({
      host: opts.host,
      port,
      allowedOrigins: opts.allowedOrigins,
      principals,
      ...(opts.ownAuth ? { ownAuth: opts.ownAuth } : {}),
    });
  guard.check = guardFor(principals);
  // Bound to every interface, this machine reaches it at loopback: a link to 0.0.0.0 opens nothing on Windows.
  const shownHost = isAnyAddress(opts.host) ? (opts.host === '0.0.0.0' ? '127.0.0.1' : '::1') : opts.host;
  const hostForUrl = shownHost.includes(':') ? `[${shownHost}]` : shownHost;

  return {
    url: `http://${hostForUrl}:${port}/mcp`,
    port,
    sessionCount: () => streamable.size + legacy.size,
    connectionStats: () => connections.stats(),
    setToken(token) {
      guard.check = guardFor(principalsOf(opts, token));
    },
    async close(why = 'the HTTP listener closed') {
      streamable.closeAll(why);
      legacy.closeAll(why);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function refuse(res: ServerResponse, refusal: Refusal): void {
  sendJson(res, refusal.status, { error: refusal.message }, refusal.headers);
}
