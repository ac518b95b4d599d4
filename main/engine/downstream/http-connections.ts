/**
 * Connection limits for the HTTP listener, so that no local process (or, on a network address,
 * no remote host) can starve it by opening connections and sending nothing, half a request, or
 * a body that never ends. Node's own timeouts (headers, whole request, keep-alive) close such
 * connections after a while; this module bounds how many can exist meanwhile:
 *
 * - at most `maxConnections` in all;
 * - at most `maxPendingConnections` that are *waiting*: no complete request yet (nothing sent,
 *   headers or body still arriving) or idle between keep-alive requests. When a new connection
 *   goes over, the one that has waited longest is closed: a staller can never keep a newcomer
 *   out, since a real client sends its request right after connecting. A kept-alive connection
 *   that finished a request within the last second is in use, not waiting: a busy client's next
 *   request is on its way (closing it failed 1.4% of calls with 200 clients, 50 of them busy,
 *   in the scale benchmark), so it is never closed for room;
 * - at most `maxConnectionsPerClient` from one remote address that is not loopback. On loopback
 *   every local process is 127.0.0.1, so an address names no client there: local connections
 *   are bounded by the two caps above, not per address.
 *
 * A connection with a complete request whose answer is still going out (a tool call, an SSE
 * stream) is busy and never closed for room; when every connection is busy, a new one is refused.
 */
import type { HttpLimits } from '../config/http-limits.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isLoopbackHost } from '../egress/user-url.ts';

export type ConnectionLimits = Pick<HttpLimits, 'maxConnections' | 'maxPendingConnections' | 'maxConnectionsPerClient'>;

interface Tracked {
  /** When it started waiting: connected, or finished its last response. */
  since: number;
  /** It has had a complete answer: kept alive since. */
  served?: boolean;
  request?: IncomingMessage;
  /** Remote address, when it counts against a per-client limit. */
  client?: string;
}

export interface ConnectionStats {
  open: number;
  /** Closed to make room for newer connections. */
  shed: number;
  /** Refused at once (per-client limit, or every connection busy). */
  refused: number;
}

const LOG_EVERY_MS = 60_000;
/** A kept-alive connection whose last answer went out this recently is in use. */
const IN_USE_MS = 1000;

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return true; // a socket already gone: nothing to count
  return isLoopbackHost(address);
}

/**
 * Applies the limits to `server`'s connections. `log` hears about closed or refused connections
 * at most once a minute (a flood must not flood the log too).
 */
export function limitConnections(
  server: Server,
  limits: ConnectionLimits,
  log?: (text: string) => void,
): { stats(): ConnectionStats } {
  const connections = new Map<Socket, Tracked>();
  const perClient = new Map<string, number>();
  let shed = 0;
  let refused = 0;
  let reported = { shed: 0, refused: 0 };
  let logTimer: NodeJS.Timeout | undefined;

  const report = (): void => {
    if (!log) return;
    const newShed = shed - reported.shed;
    const newRefused = refused - reported.refused;
    if (newShed === 0 && newRefused === 0) return;
    reported = { shed, refused };
    log(
      `HTTP listener under connection pressure: closed ${newShed} waiting connection(s) to make room and ` +
        `refused ${newRefused} (limits: ${limits.maxConnections} connections, ${limits.maxPendingConnections} ` +
        `waiting for a request, ${limits.maxConnectionsPerClient} per remote address)`,
    );
  };
  const noteTrouble = (): void => {
    if (logTimer !== undefined) return;
    report();
    logTimer = setTimeout(() => {
      logTimer = undefined;
      report();
    }, LOG_EVERY_MS).unref();
  };

  const waiting = (t: Tracked): boolean => t.request === undefined || !t.request.complete;
  /** Waiting, and fair to close for room: it never sent a request, or has been idle a while. */
  const sheddable = (t: Tracked, now: number): boolean =>
    waiting(t) && (!t.served || t.request !== undefined || now - t.since >= IN_USE_MS);

  /** Closes the connection that has waited longest (never `except`); false when none is waiting. */
  const shedOldest = (except?: Socket): boolean => {
    let oldest: Socket | undefined;
    let since = Infinity;
    const now = Date.now();
    for (const [socket, t] of connections) {
      if (socket !== except && sheddable(t, now) && t.since < since) {
        oldest = socket;
        since = t.since;
      }
    }
    if (oldest === undefined) return false;
    release(connections.get(oldest)?.client);
    connections.delete(oldest);
    shed++;
    oldest.destroy();
    return true;
  };

  const release = (client: string | undefined): void => {
    if (client === undefined) return;
    const n = (perClient.get(client) ?? 1) - 1;
    if (n <= 0) perClient.delete(client);
    else perClient.set(client, n);
  };

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    const client = isLoopbackAddress(address) ? undefined : address;
    if (client !== undefined && (perClient.get(client) ?? 0) >= limits.maxConnectionsPerClient) {
      refused++;
      noteTrouble();
      socket.destroy();
      return;
    }
    if (connections.size >= limits.maxConnections && !shedOldest()) {
      refused++;
      noteTrouble();
      socket.destroy();
      return;
    }
    const tracked: Tracked = { since: Date.now(), ...(client === undefined ? {} : { client }) };
    connections.set(socket, tracked);
    if (client !== undefined) perClient.set(client, (perClient.get(client) ?? 0) + 1);
    socket.once('close', () => {
      // Already forgotten when it was shed.
      if (connections.get(socket) !== tracked) return;
      connections.delete(socket);
      release(client);
    });
    if (connections.size > limits.maxPendingConnections) {
      // Connections in use (just answered, kept alive) are not waiting: they neither count nor go.
      let pending = 0;
      const now = Date.now();
      for (const t of connections.values()) if (sheddable(t, now)) pending++;
      if (pending > limits.maxPendingConnections && shedOldest(socket)) noteTrouble();
    }
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const tracked = connections.get(req.socket);
    if (tracked === undefined) return;
    tracked.request = req;
    res.once('close', () => {
      if (tracked.request !== req) return;
      tracked.request = undefined;
      tracked.served = true;
      tracked.since = Date.now();
    });
  });

  server.once('close', () => clearTimeout(logTimer));

  return { stats: () => ({ open: connections.size, shed, refused }) };
}
