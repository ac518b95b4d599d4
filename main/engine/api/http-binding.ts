/**
 * The control API over HTTP + SSE under /api, for the headless web UI and end-to-end tests,
 * generated from the method table: each method is served at its route, its arguments taken from
 * the path, the query string (GET) or the JSON body (POST), checked and run by the same
 * dispatcher as IPC. A failure answers `{ ok: false, error: { code, message, field? } }` with a
 * status code from the error code; a success answers the result (204 when there is none).
 * `GET /api/events` streams the pushed events (server-sent events, Last-Event-ID replay).
 *
 * Plugged into the client listener as `extraRoutes`, so the Host/Origin guard has already run;
 * every route also needs `Authorization: Bearer <api token>` (never a token in the URL).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DEFAULT_KEEP_ALIVE_MS,
  KEEP_ALIVE_HEADER,
  MAX_CALL_BYTES,
  METHODS,
  paramName,
  type ApiError,
  type ErrorCode,
  type MethodSpec,
  type MethodTable,
  type TrafficBatch,
} from '../../../preload/contract/index.ts';
import { checkJsonContentType, readBody } from '../downstream/http-guard.ts';
import { decodeUtf8 } from '../protocol/refusals.ts';
import { sendJson } from '../downstream/streamable-http.ts';
import { GatewayError, errorMessage } from '../protocol/errors.ts';
import type { ApiDispatch } from './dispatch.ts';
import { LOCAL_ONLY, bearerOf, isLocalPeer } from './ui-routes.ts';
import type { EventHub, PublishedEvent } from './events.ts';

export interface ApiRoutesOptions<Api> {
  dispatch: ApiDispatch;
  /** The table the dispatcher serves (default: the contract's). */
  table?: MethodTable<Api>;
  events: EventHub;
  /** The API token (see ensureApiToken), or where to read it: a config reload may change it. */
  token: string | (() => string);
  /**
   * Other proof a request may carry instead of the token (a web UI session's secret): true when it
   * holds, or why it is refused when more can be said than that it is not the token.
   */
  alsoAuthorized?: (req: IncomingMessage) => boolean | string;
  /** Largest POST body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Interval of the SSE keep-alive comment. Default 25 s. */
  keepAliveMs?: number;
  /** Event streams open at once; more get 503. Default 16. */
  maxEventStreams?: number;
}

export type ApiRouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface ApiRoutes extends ApiRouteHandler {
  /** Event streams open now. */
  streamCount(): number;
  /** Whether a request carries the API's bearer token. */
  authorizes(req: IncomingMessage): boolean;
  /**
   * Ends the event streams opened with the bearer token of this SHA-256 digest in hex (a web UI session that
   * ended: logged out, unused too long).
   */
  endStreamsOpenedWith(tokenDigest: string): void;
  /** Ends every event stream. */
  close(): void;
}

export const API_PREFIX = '/api';
export const EVENTS_PATH = `${API_PREFIX}/events`;
const DEFAULT_MAX_BODY = MAX_CALL_BYTES;
const DEFAULT_MAX_STREAMS = 16;
/**
 * A stream whose reader falls this far behind is dropped (it reconnects and replays) rather than buffered without
 * bound.
 */
const MAX_STREAM_BACKLOG = 1024 * 1024;

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const RESUMED: TrafficBatch = { entries: [], skipped: 0, resumed: true };
const RESUMED_TRAFFIC = JSON.stringify(RESUMED);

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_request: 400,
  config_invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_found: 404,
  method_not_allowed: 405,
  upstream_unavailable: 409,
  client_config_conflict: 409,
  already_configured: 409,
  name_taken: 409,
  // A file Switchboard will not write (a link out of its folder, locked, another user's): the user's to fix.
  unsafe_path: 409,
  message_too_large: 413,
  unsupported_media_type: 415,
  upstream_closed: 502,
  upstream_error: 502,
  upstream_protocol: 502,
  too_many_streams: 503,
  secret_store_unavailable: 503,
  request_timeout: 504,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

/** A refusal of the HTTP request itself, before any method runs. */
class HttpRefusal extends GatewayError {
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.headers = headers;
  }
}

interface CompiledRoute {
  method: string;
  spec: MethodSpec;
  pattern: RegExp;
  /** Argument index of each capture group. */
  pathArgs: number[];
  /** Arguments from the query string (GET) or the body (POST): [index, name]. */
  otherArgs: [number, string][];
}

/** Turns a table entry into a matcher; throws when the entry breaks the route rules (a bug in the table). */
function compileRoute(method: string, spec: MethodSpec): CompiledRoute {
  const names = spec.params.map(paramName);
  const pathArgs: number[] = [];
  const source = spec.http.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const index = names.indexOf(segment.slice(1));
      if (index === -1)
        throw new Error(
          `method table: ${method}'s route ${spec.http.path} names "${segment}", which is not one of its params`,
        );
      pathArgs.push(index);
      return '([^/]+)';
    })
    .join('/');
  const otherArgs = names
    .map((name, index) => [index, name] as [number, string])
    .filter(([index]) => !pathArgs.includes(index));
  if (spec.http.method === 'POST' && otherArgs.length > 1)
    throw new Error(
      `method table: ${method} is a POST with more than one argument outside its ` +
        `path (${otherArgs.map(([, n]) => n).join(', ')}); a POST body carries one`,
    );
  return { method, spec, pattern: new RegExp(`^${API_PREFIX}${source}$`), pathArgs, otherArgs };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpRefusal('invalid_request', `malformed percent-encoding in the path: ${JSON.stringify(segment)}`);
  }
}

function sendError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, httpStatusOf(error.code), { ok: false, error }, { ...NO_STORE, ...headers });
}

function eventChunk(event: Pick<PublishedEvent, 'id' | 'name' | 'json'>): string {
  // JSON.stringify escapes line breaks, so the payload is always one data line.
  return `id: ${event.id}\nevent: ${event.name}\ndata: ${event.json}\n\n`;
}

export function createApiRoutes<Api>(options: ApiRoutesOptions<Api>): ApiRoutes {
  const { dispatch, events } = options;
  const currentToken = typeof options.token === 'function' ? options.token : () => options.token as string;
  /** The digest of the token now: checked and hashed once per token, not per request. */
  let known: { token: string; digest: Buffer } | undefined;
  const expected = (): Buffer => {
    const token = currentToken();
    if (known?.token === token) return known.digest;
    if (!/^[\x21-\x7e]{16,}$/.test(token)) {
      throw new GatewayError('internal', 'createApiRoutes: the API token must be at least 16 visible ASCII characters');
    }
    known = { token, digest: digest(token) };
    return known.digest;
  };
  expected();
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const maxStreams = options.maxEventStreams ?? DEFAULT_MAX_STREAMS;
  const table = (options.table ?? METHODS) as Record<string, MethodSpec>;
  const routes = Object.entries(table).map(([method, spec]) => compileRoute(method, spec));
  /** Open event streams, each with the digest of the bearer token it was opened with. */
  const streams = new Map<ServerResponse, Buffer | undefined>();

  // ---- event stream ---------------------------------------------------------

  function write(res: ServerResponse, chunk: string): void {
    if (res.destroyed || res.writableEnded) return;
    // A reader this far behind is dropped before more is queued; one large event still goes out whole.
    if (res.writableLength > MAX_STREAM_BACKLOG) {
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    if (streams.size >= maxStreams)
      throw new HttpRefusal('too_many_streams', `too many event streams open (${maxStreams}); close one and retry`, {
        'retry-after': '5',
      });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      // The reader knows from it when a silent stream has stalled (a frozen gateway, a dead tunnel).
      [KEEP_ALIVE_HEADER]: String(keepAliveMs),
      ...NO_STORE,
    });
    res.write(': connected\n\n');
    // A new stream, or one that cannot be told what it missed, starts with `resync`: whatever
    // happened before it opened is in the state fetched now, and every change after is an event.
    const lastId = req.headers['last-event-id'];
    const missed = typeof lastId === 'string' && lastId !== '' ? events.since(lastId) : 'gone';
    if (missed === 'gone') write(res, eventChunk({ id: events.lastId(), name: 'resync', json: '{}' }));
    else {
      for (const event of missed) write(res, eventChunk(event));
      // Live traffic is never kept for replay: whatever crossed the gateway during the break is listed.
      write(res, eventChunk({ id: events.lastId(), name: 'traffic', json: RESUMED_TRAFFIC }));
    }
    const bearer = bearerOf(req);
    streams.set(res, bearer === undefined ? undefined : digest(bearer));
    const unsubscribe = events.onAny((event) => write(res, eventChunk(event)));
    const timer = setInterval(() => write(res, ': keep-alive\n\n'), keepAliveMs);
    timer.unref();
    // The response's 'close' fires when the client goes away or the listener shuts down.
    res.once('close', () => {
      clearInterval(timer);
      unsubscribe();
      streams.delete(res);
    });
  }

  // ---- calls ----------------------------------------------------------------

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const refusal = checkJsonContentType(req);
    if (refusal) throw new HttpRefusal('unsupported_media_type', refusal.message);
    const body = await readBody(req, maxBody);
    if (body === undefined) throw new HttpRefusal('message_too_large', `request body over the ${maxBody}-byte limit`);
    const text = decodeUtf8(body);
    if (text === undefined) throw new HttpRefusal('invalid_request', 'request body is not valid UTF-8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new HttpRefusal('invalid_request', `request body is not valid JSON: ${errorMessage(err)}`);
    }
  }

  /** The positional arguments of a call, from the path, the query string or the body. */
  async function argsOf(
    route: CompiledRoute,
    match: RegExpExecArray,
    req: IncomingMessage,
    url: URL,
  ): Promise<unknown[]> {
    const args: unknown[] = new Array(route.spec.params.length).fill(undefined);
    route.pathArgs.forEach((index, group) => (args[index] = decodeSegment(match[group + 1]!)));
    // Query parameters: a GET's arguments, each at most once; nothing else (a typo is an error, not ignored).
    const known = new Set(route.spec.http.method === 'GET' ? route.otherArgs.map(([, name]) => name) : []);
    const keys = [...url.searchParams.keys()];
    const unknown = keys.find((key) => !known.has(key));
    if (unknown !== undefined) {
      const takes = known.size ? ` (it takes ${[...known].join(', ')})` : '';
      throw new HttpRefusal(
        'invalid_request',
        `${route.method} takes no query parameter ${JSON.stringify(unknown)}${takes}`,
      );
    }
    const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
    if (repeated !== undefined) {
      throw new HttpRefusal(
        'invalid_request',
        `${route.method}: query parameter ${JSON.stringify(repeated)} given twice`,
      );
    }
    if (route.spec.http.method === 'GET') {
      for (const [index, name] of route.otherArgs) args[index] = url.searchParams.get(name) ?? undefined;
      return args;
    }
    const body = await readJson(req);
    const [bodyArg] = route.otherArgs;
    if (bodyArg) args[bodyArg[0]] = body;
    else if (
      body !== undefined &&
      !(typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)
    ) {
      throw new HttpRefusal('invalid_request', `${route.method} takes no body: send none, or {}`);
    }
    return args;
  }

  async function call(
    route: CompiledRoute,
    match: RegExpExecArray,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    const reply = await dispatch(route.method, await argsOf(route, match, req, url));
    if (!reply.ok) return sendError(res, reply.error);
    if (reply.result === undefined) {
      res.writeHead(204, NO_STORE).end();
      return;
    }
    sendJson(res, 200, reply.result, NO_STORE);
  }

  // ---- requests -------------------------------------------------------------

  function authorized(req: IncomingMessage): boolean {
    const bearer = bearerOf(req);
    // Compare digests: constant time, and independent of the given token's length.
    return bearer !== undefined && timingSafeEqual(digest(bearer), expected());
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      // Whatever token it carries: the control API can start programs, so only this machine asks.
      if (!isLocalPeer(req.socket)) throw new HttpRefusal('forbidden', LOCAL_ONLY);
      if (url.searchParams.has('token') || url.searchParams.has('access_token')) {
        throw new HttpRefusal(
          'invalid_request',
          'never put the token in the URL: send it as "Authorization: Bearer <token>"',
        );
      }
      const other = authorized(req) || (options.alsoAuthorized?.(req) ?? false);
      if (other !== true) {
        throw new HttpRefusal(
          'unauthorized',
          other === false
            ? 'Unauthorized: /api needs "Authorization: Bearer <token>" with the token from the api-token file'
            : `Unauthorized: ${other}`,
          { 'www-authenticate': 'Bearer realm="switchboard-api"' },
        );
      }
      const pathname = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
      if (pathname === EVENTS_PATH) {
        if (req.method !== 'GET')
          throw new HttpRefusal(
            'method_not_allowed',
            `${req.method ?? '?'} is not allowed on ${pathname} (allowed: GET)`,
            { allow: 'GET' },
          );
        return openEvents(req, res);
      }
      const matching = routes
        .map((route) => ({ route, match: route.pattern.exec(pathname) }))
        .filter((m) => m.match !== null);
      const hit = matching.find((m) => m.route.spec.http.method === req.method);
      if (hit) return await call(hit.route, hit.match!, req, res, url);
      if (matching.length) {
        const allow = [...new Set(matching.map((m) => m.route.spec.http.method))].join(', ');
        throw new HttpRefusal(
          'method_not_allowed',
          `${req.method ?? '?'} is not allowed on ${pathname} (allowed: ${allow})`,
          { allow },
        );
      }
      throw new HttpRefusal('not_found', `Not found: ${pathname} is not a control API route`);
    } catch (err) {
      // Drain an unread body so the connection can be reused.
      if (!req.readableEnded) req.resume();
      if (err instanceof HttpRefusal) return sendError(res, { code: err.code, message: err.message }, err.headers);
      sendError(res, { code: 'internal', message: `Internal error: ${errorMessage(err)}` });
    }
  }

  const routesFn = (req: IncomingMessage, res: ServerResponse, url: URL): boolean | Promise<boolean> => {
    if (url.pathname !== API_PREFIX && !url.pathname.startsWith(`${API_PREFIX}/`)) return false;
    return handle(req, res, url).then(() => true);
  };

  return Object.assign(routesFn, {
    streamCount: () => streams.size,
    authorizes: authorized,
    endStreamsOpenedWith(tokenDigest: string) {
      const ended = Buffer.from(tokenDigest, 'hex');
      for (const [res, opener] of [...streams]) if (opener?.equals(ended)) res.end();
    },
    close() {
      for (const res of [...streams.keys()]) res.end();
      streams.clear();
    },
  });
}
