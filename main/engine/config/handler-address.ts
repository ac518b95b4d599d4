/**
 * Where a JSON handler lives, read from the address the way roxy reads it: `http(s)://…` is an
 * HTTP handler, `host:port` FastCGI over TCP, `/path/to/socket` FastCGI over a Unix socket.
 * An explicit kind can say otherwise where that still makes sense (HTTP on `host:port` or over a
 * Unix socket); where it cannot, the reason is returned for the config error.
 */

export type HandlerKind = 'handler-http' | 'handler-fastcgi';

/** Where an HTTP handler is reached: a URL, over TCP or (with socketPath) over a Unix socket. */
export interface HandlerHttpTarget {
  url: string;
  socketPath?: string;
}

export type HandlerFastcgiTarget = { host: string; port: number } | { socketPath: string };

export type HandlerAddress =
  { kind: 'handler-http'; target: HandlerHttpTarget } | { kind: 'handler-fastcgi'; target: HandlerFastcgiTarget };

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/;

function hostPort(address: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(address);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port };
}

function httpUrl(address: string): URL | undefined {
  if (!/^https?:\/\//i.test(address)) return undefined;
  try {
    const url = new URL(address);
    return url.hostname === '' ? undefined : url;
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with the port `address` gives (a URL's, or host:port's), when it is one no server
 * listens on (0, or over 65535); undefined when there is none or it is fine. Said as such: a URL
 * with such a port is otherwise refused as if it were no URL at all.
 */
export function portOutOfRange(address: string): string | undefined {
  // [scheme://][user:password@]host:port, where the host may be [IPv6]; then the end, a path, query or fragment.
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:[\]]*):(\d+)(?=$|[/?#])/i.exec(
    address.trim(),
  );
  if (!m) return undefined;
  const port = Number(m[1]);
  return port >= 1 && port <= 65535 ? undefined : `port ${m[1]} is out of range: a port is 1 to 65535`;
}

const EXPECTED =
  'expected an http:// or https:// URL (a handler over HTTP), host:port (FastCGI over TCP, e.g. ' +
  '"127.0.0.1:9000") or an absolute Unix socket path (FastCGI, e.g. "/run/php/php8.2-fpm.sock")';

/** The handler's kind and target, or a message saying what is wrong with the address. */
export function parseHandlerAddress(address: string, kind?: HandlerKind): HandlerAddress | { error: string } {
  const trimmed = address.trim();
  const url = httpUrl(trimmed);
  const tcp = url ? undefined : hostPort(trimmed);
  const socket = trimmed.startsWith('/') ? trimmed : undefined;
  const badPort = socket ? undefined : portOutOfRange(trimmed);
  if (badPort) return { error: badPort };
  if (!url && !tcp && !socket) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return { error: `unsupported scheme in "${trimmed}": ${EXPECTED}` };
    return { error: EXPECTED };
  }
  if (kind === 'handler-fastcgi' && url) {
    return {
      error:
        `"kind": "handler-fastcgi" needs host:port or a Unix ` +
        `socket path, not a URL (a URL means a handler over HTTP)`,
    };
  }
  if (url) return { kind: 'handler-http', target: { url: url.href } };
  if (kind === 'handler-http') {
    // HTTP without a scheme: plain http on that port, or HTTP over the socket.
    if (tcp)
      return {
        kind: 'handler-http',
        target: { url: `http://${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}/` },
      };
    return { kind: 'handler-http', target: { url: 'http://localhost/', socketPath: socket! } };
  }
  if (tcp) return { kind: 'handler-fastcgi', target: tcp };
  return { kind: 'handler-fastcgi', target: { socketPath: socket! } };
}
