/**
 * Checks every HTTP request passes before anything else runs (security.md "Listeners"):
 * Host must name this listener (DNS rebinding), Origin must be allowed when present (browser
 * pages) and present on a browser's request from another site, a bearer token when one is
 * configured, and JSON bodies only (a CORS-simple text/plain or form POST from a web page is
 * refused before parsing).
 *
 * The token a request presents names its principal: sessions are bound to the principal that
 * created them (a session id presented with another credential is unknown). Today the listener
 * has one token (`listen.http.token`); the list form lets per-client tokens be added later.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { isLoopbackHost } from '../egress/user-url.ts';

export interface GuardOptions {
  /** Address the listener is bound to. */
  host: string;
  port: number;
  allowedOrigins: string[];
  /** Bearer tokens accepted, each naming a principal. None: no token is required. */
  principals?: readonly Principal[];
  /**
   * Requests that authenticate on their own (the web UI's pages and login, /api with its own token
   * or a UI session's): no listener token is asked of them. Host and Origin are checked all the same.
   */
  ownAuth?: (req: IncomingMessage) => boolean;
}

export interface Principal {
  /** Stable name, e.g. "listen.http.token". */
  name: string;
  token: string;
}

/** The principal of requests on a listener that requires no token (anyone who can reach it). */
export const ANONYMOUS = '';

/** A request that passed: who sent it. */
export interface Admitted {
  principal: string;
}

export interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export function allowedHostHeaders(host: string, port: number): Set<string> {
  // Every loopback name of this machine, wherever it listens: a browser here or at the end of an
  // `ssh -L` tunnel to another address names it so (DNS rebinding never brings a loopback name). And
  // always the address as given (IPv6 in brackets).
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  // Bound to every interface: reached at any of their addresses (a browser here at 127.0.0.1 too).
  if (isAnyAddress(host))
    for (const a of Object.values(networkInterfaces()).flat())
      if (a) names.add(a.family === 'IPv6' ? `[${a.address}]` : a.address);
  names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  // On port 80, HTTP's default, browsers and clients name the host alone (`Host: 127.0.0.1`).
  return new Set([...names].flatMap((n) => (port === 80 ? [n, `${n}:80`] : [`${n}:${port}`])));
}

/**
 * For a refused Host: the names the gateway answers to, and for one on a network address, that
 * the names a team reaches it by (a DNS name) are taken only when it listens on every interface.
 */
function whereItAnswers(host: string, port: number): string {
  const at = (name: string) => (port === 80 ? name : `${name}:${port}`);
  const own = at(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  const local = [at('127.0.0.1'), at('localhost')].filter((name) => name !== own).join(', ');
  if (isLoopbackHost(host)) return `it answers as ${own} (or ${local})`;
  return (
    `it answers as ${own} (or ${local} on this machine); to be reached by other names, listen on every ` +
    'interface ("listen.http.host": "0.0.0.0")'
  );
}

/** 0.0.0.0 or ::, which listen on every interface. */
export function isAnyAddress(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

export function allowedOrigins(opts: GuardOptions): Set<string> {
  const own = [...allowedHostHeaders(opts.host, opts.port)].map((h) => `http://${h}`);
  return new Set([...own, ...opts.allowedOrigins.map((o) => o.replace(/\/$/, ''))]);
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export function createGuard(opts: GuardOptions): (req: IncomingMessage) => Refusal | Admitted {
  const hosts = allowedHostHeaders(opts.host, opts.port);
  const origins = allowedOrigins(opts);
  // Every interface: the names it is reached by (a DNS name for a team) are not known here. Origins
  // still are: this machine's addresses and those in listen.http.allowedOrigins.
  const anyHost = isAnyAddress(opts.host);
  // Compared as digests: constant time whatever the lengths.
  const tokens = (opts.principals ?? []).map((p) => ({ name: p.name, digest: digest(`Bearer ${p.token}`) }));
  return (req) => {
    const host = req.headers.host?.toLowerCase();
    if (!host || (!anyHost && !hosts.has(host))) {
      return {
        status: 403,
        message:
          `Forbidden: Host header ${JSON.stringify(req.headers.host ?? '')} is not this gateway's address` +
          (anyHost ? '' : `: ${whereItAnswers(opts.host, opts.port)}`),
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin)) {
      return {
        status: 403,
        message: `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (listen.http.allowedOrigins)`,
      };
    }
    if (origin === undefined && fromAnotherSite(req)) {
      return {
        status: 403,
        message:
          `Forbidden: a request from a page on another site (Sec-Fetch-Site: ${req.headers['sec-fetch-site']}) ` +
          'without an Origin header; a browser client must call with CORS from an origin in ' +
          'listen.http.allowedOrigins',
      };
    }
    // A CORS preflight carries no credentials by design; it is answered with headers only.
    if (tokens.length === 0 || opts.ownAuth?.(req) || isPreflight(req)) return { principal: ANONYMOUS };
    const got = digest(req.headers.authorization ?? '');
    let principal: string | undefined;
    // Every token is compared, so the time taken does not tell which one matched.
    for (const t of tokens) if (timingSafeEqual(got, t.digest)) principal ??= t.name;
    if (principal !== undefined) return { principal };
    return {
      status: 401,
      message: 'Unauthorized: a valid bearer token is required',
      headers: { 'www-authenticate': 'Bearer realm="switchboard"' },
    };
  };
}

/**
 * A browser's request made by a page on another site without CORS: a browser omits Origin on a simple
 * GET (a no-cors fetch, an image, a frame), which could otherwise open event streams here, but it
 * says where the request comes from. `same-site` counts too: another port of this machine is another
 * program. The user opening a page from a link elsewhere (a top-level navigation) is not refused.
 * Clients that are not browsers send no Sec-Fetch-Site (Node's fetch sends Sec-Fetch-Mode only).
 */
function fromAnotherSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== 'cross-site' && site !== 'same-site') return false;
  return !(req.headers['sec-fetch-mode'] === 'navigate' && req.headers['sec-fetch-dest'] === 'document');
}

/** A browser asking whether it may send a cross-origin request (nothing is done for it but headers). */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && 'access-control-request-method' in req.headers;
}

/** Request headers an MCP client in a browser page sends (Streamable HTTP, and the 2026-07-28 ones). */
const CORS_REQUEST_HEADERS =
  'content-type, accept, authorization, mcp-session-id, mcp-protocol-version, last-event-id, mcp-method, mcp-name';
/** Response headers such a client must read: its session id, the revision, and why a token was refused. */
const CORS_EXPOSED_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate';

/**
 * CORS headers for a request from a page on one of the configured `allowedOrigins` (never a
 * wildcard, never credentials: no page elsewhere may read an answer sent with its user's credentials), or undefined.
 */
export function corsHeaders(req: IncomingMessage, configured: ReadonlySet<string>): Record<string, string> | undefined {
  const origin = req.headers.origin;
  if (origin === undefined || !configured.has(origin)) return undefined;
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-expose-headers': CORS_EXPOSED_HEADERS,
  };
  if (!isPreflight(req)) return headers;
  return {
    ...headers,
    'access-control-allow-methods': 'GET, POST, DELETE',
    'access-control-allow-headers': CORS_REQUEST_HEADERS,
    'access-control-max-age': '600',
  };
}

/** POST bodies must be JSON; anything else (text/plain, forms) is refused before parsing. */
export function checkJsonContentType(req: IncomingMessage): Refusal | undefined {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return undefined;
  return {
    status: 415,
    message:
      `Unsupported Media Type: Content-Type must be application/json ` +
      `(got ${JSON.stringify(req.headers['content-type'] ?? '')})`,
  };
}

/**
 * Reads a body up to `limit` bytes. Resolves undefined when over the limit (the caller answers 413);
 * rejects when the connection ends before the body is complete (a stalled body is ended by the
 * listener's request timeout with a 408, and this settles then).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the connection closed before the request body was complete'));
    });
  });
}
