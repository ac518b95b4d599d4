/**
 * The control API over HTTP + SSE under /api, for the headless web UI and end-to-end tests.
 * Plugged into the client listener as `extraRoutes`, so the Host/Origin guard has already run;
 * here every route also needs `Authorization: Bearer <api token>` (never a token in the URL).
 * JSON in and out; POST bodies must be application/json.
 *
 *   GET  /api/status                     GET  /api/prompts
 *   GET  /api/servers                    POST /api/prompts/:id          body: the answer
 *   GET  /api/tools[?server=NAME]        GET  /api/events               SSE: prompt-added,
 *   POST /api/servers/:name/restart                                     prompt-settled, servers
 *   GET  /api/servers/:name/log
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkJsonContentType, readBody } from '../downstream/http-guard.ts';
import { sendJson } from '../downstream/streamable-http.ts';
import type { PromptBroker } from '../elicitation/broker.ts';
import type { PendingPromptDto, PromptSettledDto } from '../elicitation/types.ts';
import { PromptAnswerError } from '../elicitation/validate.ts';
import { GatewayError, errorMessage, type GatewayErrorCode } from '../protocol/errors.ts';
import type { EngineApi } from './gateway-api.ts';

export interface ApiRoutesOptions {
  api: EngineApi;
  /** Source of the prompt events streamed on /api/events. */
  broker: Pick<PromptBroker, 'on' | 'off'>;
  /** The API token (see ensureApiToken). */
  token: string;
  /** Largest POST body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Interval of the SSE keep-alive comment. Default 25 s. */
  keepAliveMs?: number;
  /** Event streams open at once; more get 503. Default 16. */
  maxEventStreams?: number;
  /** Where background failures go (e.g. listing servers for a `servers` event). */
  log?: (message: string) => void;
}

export type ApiRouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface ApiRoutes extends ApiRouteHandler {
  /** Tells every event stream the servers changed: a `servers` event carrying listServers(). Calls in a burst coalesce. */
  notifyServers(): void;
  /** Event streams open now. */
  streamCount(): number;
  /** Stops listening to the broker and ends every event stream. */
  close(): void;
}

export const API_PREFIX = '/api';
const DEFAULT_MAX_BODY = 1024 * 1024;
const DEFAULT_KEEP_ALIVE_MS = 25_000;
const DEFAULT_MAX_STREAMS = 16;
/** A stream whose reader falls this far behind is dropped rather than buffered without bound. */
const MAX_STREAM_BACKLOG = 1024 * 1024;

const JSON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

const HTTP_STATUS: Partial<Record<GatewayErrorCode, number>> = {
  invalid_request: 400,
  not_found: 404,
  unauthorized: 403,
  upstream_unavailable: 409,
  request_timeout: 504,
};

/** An error the client can act on: HTTP status plus `{ error, code, field? }`. */
class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void>;

interface Route {
  pattern: RegExp;
  methods: Partial<Record<'GET' | 'POST', Handler>>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_request', `malformed percent-encoding in the path: ${JSON.stringify(segment)}`);
  }
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message, code: err.code }, { ...JSON_HEADERS, ...err.headers });
  if (err instanceof GatewayError) {
    const body: Record<string, unknown> = { error: err.message, code: err.code };
    if (err instanceof PromptAnswerError && err.field !== undefined) body.field = err.field;
    return sendJson(res, HTTP_STATUS[err.code] ?? 500, body, JSON_HEADERS);
  }
  sendJson(res, 500, { error: `Internal error: ${errorMessage(err)}`, code: 'internal' }, JSON_HEADERS);
}

export function createApiRoutes(options: ApiRoutesOptions): ApiRoutes {
  const { api, broker } = options;
  if (!/^[\x21-\x7e]{16,}$/.test(options.token)) throw new GatewayError('internal', 'createApiRoutes: the API token must be at least 16 visible ASCII characters');
  const expected = digest(options.token);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const maxStreams = options.maxEventStreams ?? DEFAULT_MAX_STREAMS;
  const log = options.log ?? (() => undefined);
  const streams = new Set<ServerResponse>();

  // ---- event stream ---------------------------------------------------------

  function write(res: ServerResponse, chunk: string): void {
    if (res.destroyed || res.writableEnded) return;
    res.write(chunk);
    if (res.writableLength > MAX_STREAM_BACKLOG) res.destroy();
  }

  function broadcast(event: string, data: unknown): void {
    if (streams.size === 0) return;
    // JSON.stringify escapes newlines, so the payload is always one data line.
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of streams) write(res, chunk);
  }

  const onAdded = (prompt: PendingPromptDto) => broadcast('prompt-added', prompt);
  const onSettled = (settled: PromptSettledDto) => broadcast('prompt-settled', settled);
  broker.on('added', onAdded);
  broker.on('settled', onSettled);

  let serversQueued = false;
  function notifyServers(): void {
    if (serversQueued || streams.size === 0) return;
    serversQueued = true;
    setImmediate(() => {
      serversQueued = false;
      if (streams.size === 0) return;
      api.listServers().then(
        (servers) => broadcast('servers', servers),
        (err: unknown) => log(`/api/events: could not list servers: ${errorMessage(err)}`),
      );
    });
  }

  async function openEvents(res: ServerResponse): Promise<void> {
    if (streams.size >= maxStreams) throw new HttpError(503, 'too_many_streams', `too many event streams open (${maxStreams}); close one and retry`, { 'retry-after': '5' });
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no', ...JSON_HEADERS });
    res.write(': connected\n\n');
    streams.add(res);
    const timer = setInterval(() => write(res, ': keep-alive\n\n'), keepAliveMs);
    timer.unref();
    const done = () => {
      clearInterval(timer);
      streams.delete(res);
    };
    // The response's 'close' fires when the client goes away or the listener shuts down.
    res.once('close', done);
  }

  // ---- bodies ---------------------------------------------------------------

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const refusal = checkJsonContentType(req);
    if (refusal) throw new HttpError(refusal.status, 'unsupported_media_type', refusal.message);
    const body = await readBody(req, maxBody);
    if (body === undefined) throw new HttpError(413, 'too_large', `request body over the ${maxBody}-byte limit`);
    const text = body.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new HttpError(400, 'invalid_json', `request body is not valid JSON: ${errorMessage(err)}`);
    }
  }

  const ok = (res: ServerResponse, body: unknown) => sendJson(res, 200, body, JSON_HEADERS);
  const noContent = (res: ServerResponse) => {
    res.writeHead(204, JSON_HEADERS).end();
  };

  // ---- routes ---------------------------------------------------------------

  const routes: Route[] = [
    { pattern: /^\/api\/status$/, methods: { GET: async (_q, res) => ok(res, await api.getStatus()) } },
    { pattern: /^\/api\/servers$/, methods: { GET: async (_q, res) => ok(res, await api.listServers()) } },
    {
      pattern: /^\/api\/tools$/,
      methods: {
        GET: async (_q, res, url) => {
          const server = url.searchParams.get('server');
          if (server === '') throw new HttpError(400, 'invalid_request', '"server" must name a server when given');
          ok(res, await (server === null ? api.listTools() : api.listTools(server)));
        },
      },
    },
    {
      pattern: /^\/api\/servers\/([^/]+)\/restart$/,
      methods: {
        POST: async (req, res, _u, [name]) => {
          const body = await readJson(req);
          if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length > 0)) {
            throw new HttpError(400, 'invalid_request', 'restart takes no parameters: send an empty body or {}');
          }
          await api.restartServer(decodeSegment(name!));
          noContent(res);
        },
      },
    },
    { pattern: /^\/api\/servers\/([^/]+)\/log$/, methods: { GET: async (_q, res, _u, [name]) => ok(res, await api.getServerLog(decodeSegment(name!))) } },
    { pattern: /^\/api\/prompts$/, methods: { GET: async (_q, res) => ok(res, await api.listPrompts()) } },
    {
      pattern: /^\/api\/prompts\/([^/]+)$/,
      methods: {
        POST: async (req, res, _u, [id]) => {
          const body = await readJson(req);
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new HttpError(400, 'invalid_request', 'the body must be the answer, a JSON object such as {"action":"decline"}');
          }
          await api.answerPrompt(decodeSegment(id!), body as Parameters<EngineApi['answerPrompt']>[1]);
          noContent(res);
        },
      },
    },
    { pattern: /^\/api\/events$/, methods: { GET: async (_q, res) => openEvents(res) } },
  ];

  function authorized(req: IncomingMessage): boolean {
    const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    // Compare digests: constant time, and independent of the given token's length.
    return match !== null && timingSafeEqual(digest(match[1]!), expected);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      if (url.searchParams.has('token') || url.searchParams.has('access_token')) {
        throw new HttpError(400, 'invalid_request', 'never put the token in the URL: send it as "Authorization: Bearer <token>"');
      }
      if (!authorized(req)) {
        throw new HttpError(401, 'unauthorized', 'Unauthorized: /api needs "Authorization: Bearer <token>" with the token from the api-token file', { 'www-authenticate': 'Bearer realm="switchboard-api"' });
      }
      const pathname = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
      for (const route of routes) {
        const m = route.pattern.exec(pathname);
        if (!m) continue;
        const handler = route.methods[req.method as 'GET' | 'POST'];
        if (!handler) {
          const allow = Object.keys(route.methods).join(', ');
          throw new HttpError(405, 'method_not_allowed', `${req.method ?? '?'} is not allowed on ${pathname} (allowed: ${allow})`, { allow });
        }
        await handler(req, res, url, m.slice(1));
        return;
      }
      throw new HttpError(404, 'not_found', `Not found: ${pathname} is not a control API route`);
    } catch (err) {
      // Drain an unread body so the connection can be reused.
      if (!req.readableEnded) req.resume();
      sendError(res, err);
    }
  }

  const routesFn = (req: IncomingMessage, res: ServerResponse, url: URL): boolean | Promise<boolean> => {
    if (url.pathname !== API_PREFIX && !url.pathname.startsWith(`${API_PREFIX}/`)) return false;
    return handle(req, res, url).then(() => true);
  };

  return Object.assign(routesFn, {
    notifyServers,
    streamCount: () => streams.size,
    close() {
      broker.off('added', onAdded);
      broker.off('settled', onSettled);
      for (const res of [...streams]) res.end();
      streams.clear();
    },
  });
}
