/**
 * The FastCGI transport of a JSON handler (php-fpm and friends): the envelope goes on stdin of a
 * responder request for the configured entrypoint, the CGI reply comes back. CGI params that
 * control execution (SCRIPT_FILENAME, DOCUMENT_ROOT, ...) come only from config; headers only
 * ever become HTTP_* params.
 */
import path from 'node:path';
import type { GatewayErrorCode } from '../../protocol/errors.ts';
import {
  FastcgiError,
  sharedFastcgiClient,
  describeTarget,
  type FastcgiErrorKind,
  type FastcgiTarget,
} from './fastcgi/index.ts';
import { shownLocation, transportError } from './errors.ts';
import type { ForwardRule } from '../client-headers.ts';
import { fastcgiHeaderParams, handlerHeaderPolicy } from './headers.ts';
import type { HandlerExchange, HandlerReply, HandlerTransport } from './transport.ts';
import { parseRetryAfter } from '../retry-after.ts';

export interface FastcgiTransportOptions {
  name: string;
  target: FastcgiTarget;
  /** SCRIPT_FILENAME: the script the FastCGI server runs. */
  entrypoint: string;
  /** Static headers (resolved values: never log them), sent as HTTP_* params. */
  headers: Record<string, string>;
  pool: number;
  maxReplyBytes: number;
  /** Idle keep-alive connections are closed after this long (default 2000 ms). */
  idleMs?: number;
  /** Which client headers go on (default: handler-headers' safe set). */
  forward?: ForwardRule;
}

const ERROR_CODE: Record<FastcgiErrorKind, GatewayErrorCode> = {
  connect: 'upstream_unavailable',
  closed: 'upstream_closed',
  protocol: 'upstream_protocol',
  too_large: 'message_too_large',
  app_status: 'upstream_error',
  timeout: 'request_timeout',
  busy: 'upstream_unavailable',
  cancelled: 'request_cancelled',
};

/** The CGI environment of every request, before the HTTP_* headers. */
export function cgiParams(entrypoint: string, contentLength: number): [string, string][] {
  // php-fpm only needs SCRIPT_FILENAME; the rest keeps frameworks that read them happy.
  const scriptName = `/${path.posix.basename(entrypoint.replaceAll('\\', '/'))}`;
  return [
    ['GATEWAY_INTERFACE', 'CGI/1.1'],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['SERVER_SOFTWARE', 'Switchboard'],
    ['SERVER_NAME', 'localhost'],
    ['REQUEST_METHOD', 'POST'],
    ['SCRIPT_FILENAME', entrypoint],
    ['SCRIPT_NAME', scriptName],
    ['DOCUMENT_URI', scriptName],
    ['REQUEST_URI', scriptName],
    ['DOCUMENT_ROOT', path.dirname(entrypoint)],
    ['QUERY_STRING', ''],
    ['CONTENT_TYPE', 'application/json'],
    ['CONTENT_LENGTH', String(contentLength)],
  ];
}

export function createFastcgiTransport(opts: FastcgiTransportOptions): HandlerTransport {
  // Shared with every other entry on this FastCGI server (shared.ts: idle connections pin workers).
  const { client, release } = sharedFastcgiClient(opts.target, opts.pool, opts.idleMs);
  const where = `FastCGI ${describeTarget(opts.target)} (${opts.entrypoint})`;
  const staticHeaders = { Accept: 'application/json', ...opts.headers };
  const policy = handlerHeaderPolicy(staticHeaders, opts.forward);

  async function send(exchange: HandlerExchange): Promise<HandlerReply> {
    const params = [
      ...cgiParams(opts.entrypoint, exchange.body.length),
      ...fastcgiHeaderParams(staticHeaders, exchange.clientHeaders, policy),
    ];
    try {
      const response = await client.request({
        params,
        body: exchange.body,
        timeoutMs: exchange.timeoutMs,
        maxBytes: opts.maxReplyBytes,
        retryStale: exchange.idempotent,
        ...(exchange.signal ? { signal: exchange.signal } : {}),
      });
      const reply: HandlerReply = { status: response.status, body: response.body };
      if (response.headers['content-type'] !== undefined) reply.contentType = response.headers['content-type'];
      // As the script wrote it (often a path): without query or fragment, which can carry tokens.
      const location = response.headers.location;
      if (location) reply.location = shownLocation(location);
      if (response.status >= 400) reply.retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      if (response.stderr) reply.stderr = response.stderr;
      return reply;
    } catch (err) {
      if (!(err instanceof FastcgiError)) throw err;
      const details = {
        cause: err,
        ...(err.partial ? { raw: err.partial } : {}),
        ...(err.stderr ? { stderr: err.stderr } : {}),
        ...(err.kind === 'timeout' || err.kind === 'busy' ? { busy: true } : {}),
      };
      const message =
        err.kind === 'app_status'
          ? `${where}: ${err.message}`
          : err.kind === 'cancelled'
            ? `the request to ${where} was cancelled`
            : err.message;
      throw transportError(opts.name, ERROR_CODE[err.kind], message, details);
    }
  }

  return { where, send, close: release };
}
