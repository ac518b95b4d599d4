/**
 * The HTTP(S) transport of a JSON handler: one POST per envelope over a keep-alive undici pool
 * (TCP, or a Unix socket), static and forwarded headers, one deadline per exchange, and HTTPS
 * certificate checks unless the server is explicitly `insecure`.
 */
import type { Dispatcher, Pool } from 'undici';
import type { HandlerHttpTarget } from '../../config/handler-address.ts';
import { EGRESS_REFUSED, egressConnector, type EgressOptions } from '../../egress/connector.ts';
import { loadUndici } from '../../egress/undici.ts';
import type { ForwardRule } from '../client-headers.ts';
import { describeTlsFailure, displayUrl, isCertificateCode, isTlsCode } from '../../egress/network-errors.ts';
import { partialReply, shownLocation, transportError } from './errors.ts';
import { handlerHeaderPolicy, httpHandlerHeaders } from './headers.ts';
import { notASocket, socketPermissionFacts } from './socket-path.ts';
import type { HandlerExchange, HandlerReply, HandlerTransport } from './transport.ts';
import { parseRetryAfter } from '../retry-after.ts';

export interface HttpTransportOptions {
  name: string;
  target: HandlerHttpTarget;
  insecure: boolean;
  /** Static headers (resolved values: never log them). */
  headers: Record<string, string>;
  /** Keep-alive connections at most. */
  connections: number;
  maxReplyBytes: number;
  /** Which client headers go on (default: handler-headers' safe set). */
  forward?: ForwardRule;
  /** Where the handler may be (egress/policy.ts); default: no private network. Not applied over a Unix socket. */
  egress?: EgressOptions;
}

const abortReason = (signal: AbortSignal): unknown => signal.reason;

/** The most a reply's status line and headers may take (undici's default, made ours so messages can say it). */
const MAX_HEADER_BYTES = 16 * 1024;

class Timeout extends Error {}

export function createHttpTransport(opts: HttpTransportOptions): HandlerTransport {
  const url = new URL(opts.target.url);
  const where = opts.target.socketPath ? `${displayUrl(url)} (via ${opts.target.socketPath})` : displayUrl(url);
  // Credentials in the URL become Basic auth (undici only uses the origin); a header from config wins.
  const staticHeaders: Record<string, string> = { Accept: 'application/json' };
  if (url.username || url.password) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    staticHeaders.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  Object.assign(staticHeaders, opts.headers);
  const policy = handlerHeaderPolicy(staticHeaders, opts.forward);
  const path = `${url.pathname}${url.search}`;
  const tls = { rejectUnauthorized: !opts.insecure };
  const openPool = async (): Promise<Pool> => {
    const undici = await loadUndici();
    // A Unix socket is local by nature; anything reached by address goes through the egress check.
    const connect = opts.target.socketPath
      ? { ...tls, socketPath: opts.target.socketPath }
      : await egressConnector(opts.egress ?? { allowPrivateNetwork: false }, tls);
    const opened = new undici.Pool(url.origin, {
      connections: opts.connections,
      // Our own deadline covers the exchange; the pool's timers would only race with it.
      headersTimeout: 0,
      bodyTimeout: 0,
      maxHeaderSize: MAX_HEADER_BYTES,
      allowH2: false,
      connect,
    });
    // An exchange after close() fails as it would on a pool that close() destroyed.
    if (closed) await opened.destroy();
    return opened;
  };
  // Opened by the first exchange (undici loads then: see egress/undici.ts).
  let pool: Promise<Pool> | undefined;
  let closed = false;
  // Our own count of exchanges on the pool's connections, so one that never got a connection is
  // told apart from one the handler was slow to answer (undici queues them alike, unseen).
  let busy = 0;
  const waiting: (() => void)[] = [];
  const slot = (signal: AbortSignal): Promise<boolean> => {
    if (busy < opts.connections) {
      busy++;
      return Promise.resolve(true);
    }
    // Cancelled already: its abort event has fired, and would never end the wait.
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const granted = (): void => {
        signal.removeEventListener('abort', gaveUp);
        busy++;
        resolve(true);
      };
      const gaveUp = (): void => {
        waiting.splice(waiting.indexOf(granted), 1);
        resolve(false);
      };
      waiting.push(granted);
      signal.addEventListener('abort', gaveUp, { once: true });
    });
  };
  const release = (): void => {
    busy--;
    waiting.shift()?.();
  };

  async function send(exchange: HandlerExchange): Promise<HandlerReply> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Timeout()), exchange.timeoutMs);
    const onAbort = (): void => controller.abort(exchange.signal ? abortReason(exchange.signal) : undefined);
    if (exchange.signal?.aborted) onAbort();
    exchange.signal?.addEventListener('abort', onAbort, { once: true });
    let received = 0;
    let status: number | undefined;
    // Neither Content-Length nor chunked: the body ends only when the handler closes the connection.
    let unframed = false;
    const chunks: Buffer[] = [];
    const asked = performance.now();
    const got = await slot(controller.signal);
    const queuedMs = Math.round(performance.now() - asked);
    try {
      if (!got) throw controller.signal.reason;
      const headers: Record<string, string> = {
        ...httpHandlerHeaders(staticHeaders, exchange.clientHeaders, policy),
        'content-type': 'application/json',
      };
      const opened = await (pool ??= openPool());
      const response: Dispatcher.ResponseData = await opened.request({
        path,
        method: 'POST',
        headers,
        body: exchange.body,
        signal: controller.signal,
        // Never retry a POST on our own: a tool call may have side effects.
        idempotent: false,
      });
      status = response.statusCode;
      unframed =
        response.headers['content-length'] === undefined && response.headers['transfer-encoding'] === undefined;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > opts.maxReplyBytes) {
          response.body.destroy();
          throw transportError(
            opts.name,
            'message_too_large',
            `the reply from ${where} is larger than ${opts.maxReplyBytes} bytes (limits.maxResponseBytes)`,
            { raw: partialReply(chunks), status },
          );
        }
        chunks.push(chunk);
      }
      const contentType = response.headers['content-type'];
      const reply: HandlerReply = { status, body: Buffer.concat(chunks) };
      if (typeof contentType === 'string') reply.contentType = contentType;
      const location = response.headers.location;
      if (typeof location === 'string') reply.location = shownLocation(location, url);
      const retryAfter = response.headers['retry-after'];
      if (status >= 400 && typeof retryAfter === 'string') reply.retryAfterMs = parseRetryAfter(retryAfter);
      return reply;
    } catch (err) {
      if (err instanceof Error && err.name === 'HandlerError') throw err;
      const partial = partialReply(chunks);
      const details = {
        cause: err,
        ...(partial.length ? { raw: partial } : {}),
        ...(status !== undefined ? { status } : {}),
      };
      if (controller.signal.aborted) {
        if (!got && controller.signal.reason instanceof Timeout)
          throw transportError(
            opts.name,
            'upstream_unavailable',
            `all ${opts.connections} connections to ${where} stayed busy for the ${exchange.timeoutMs} ms this ` +
              'request could wait (raise "pool", or what the handler can serve at once)',
            { ...details, busy: true },
          );
        if (controller.signal.reason instanceof Timeout) {
          const notes = [
            ...(received ? [`${received} bytes received`] : []),
            ...(unframed
              ? [
                  'the reply has no Content-Length, so it ends only when the handler closes the connection, ' +
                    'which it kept open: send a Content-Length header',
                ]
              : []),
            ...(queuedMs >= 10
              ? [`${queuedMs} ms of it spent waiting for one of the ${opts.connections} connections (raise "pool")`]
              : []),
          ];
          throw transportError(
            opts.name,
            'request_timeout',
            `no complete reply from ${where} within ${exchange.timeoutMs} ms` +
              (notes.length ? ` (${notes.join('; ')})` : ''),
            { ...details, busy: true },
          );
        }
        throw transportError(opts.name, 'request_cancelled', `the request to ${where} was cancelled`, details);
      }
      const broken = notHttp(err, status);
      if (broken) throw transportError(opts.name, 'upstream_protocol', `${where} answered ${broken}`, details);
      const code = errorCode(err);
      const neverConnected =
        status === undefined &&
        code !== undefined &&
        code !== 'UND_ERR_SOCKET' &&
        code !== 'ECONNRESET' &&
        code !== 'EPIPE';
      throw transportError(
        opts.name,
        neverConnected ? 'upstream_unavailable' : 'upstream_closed',
        describeFailure(err, where, status, received, opts.insecure, opts.target.socketPath),
        details,
      );
    } finally {
      if (got) release();
      clearTimeout(timer);
      exchange.signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    where,
    send,
    close: async () => {
      closed = true;
      await (await pool)?.destroy();
    },
  };
}

const NETWORK_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the handler running?)',
  ENOENT: 'no socket at that path (is the handler running?)',
  EACCES: 'permission denied',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '' && code !== 'UND_ERR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What a reply that undici could not read as HTTP/1.1 was, said as that: the handler closed nothing,
 * and a message saying it did (or that it could not be reached) sent people looking in the wrong place.
 */
function notHttp(err: unknown, status: number | undefined): string | undefined {
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_OVERFLOW')
    return `headers larger than ${MAX_HEADER_BYTES} bytes, more than Switchboard reads`;
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
    return `${status === undefined ? 'a reply' : `HTTP ${status}`} with a body that does not match its Content-Length`;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name !== 'HTTPParserError') continue;
    const why = /\((.+)\)$/.exec(e.message)?.[1] ?? e.message;
    return `${status === undefined ? '' : `HTTP ${status} with `}bytes that are not HTTP/1.1 (${why})`;
  }
  return undefined;
}

function describeFailure(
  err: unknown,
  where: string,
  status: number | undefined,
  received: number,
  insecure: boolean,
  socketPath: string | undefined,
): string {
  const code = errorCode(err);
  const notSocket = code === 'ECONNREFUSED' && socketPath !== undefined ? notASocket(socketPath) : undefined;
  if (notSocket) return `cannot connect to ${where} (${notSocket})`;
  const denied = code === 'EACCES' && socketPath !== undefined ? socketPermissionFacts(socketPath) : undefined;
  if (denied) return `cannot connect to ${where} (permission denied: ${denied.facts})`;
  if (status !== undefined) return `${where} closed the connection mid-reply (HTTP ${status}, after ${received} bytes)`;
  if (code === EGRESS_REFUSED) return `refused to connect to ${where}: ${err instanceof Error ? err.message : ''}`;
  if (code && isTlsCode(code)) {
    const hint =
      insecure || !isCertificateCode(code)
        ? ''
        : '; for a development server with a self-signed certificate, set "insecure": true on this server';
    return `cannot connect to ${where} (${describeTlsFailure(code)})${hint}`;
  }
  if (code && NETWORK_TEXT[code]) return `cannot connect to ${where} (${NETWORK_TEXT[code]})`;
  // "other side closed" before any response: the handler dropped the request.
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE')
    return `${where} closed the connection before replying`;
  return `request to ${where} failed: ${err instanceof Error ? err.message : String(err)}${code ? ` (${code})` : ''}`;
}
