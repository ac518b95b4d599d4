/**
 * The HTTP listener's time and connection limits and their defaults (config `listen.http.limits`).
 * Owned by the config, which names the defaults; the listener (downstream/) reads them.
 */

export interface HttpLimits {
  /** Time to receive a request's headers, from the connection's first byte or its last response. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body (408 and close after it). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Open connections in all. */
  maxConnections: number;
  /** Connections that have not sent a complete request yet (or are idle). */
  maxPendingConnections: number;
  /** Connections from one remote address that is not loopback. */
  maxConnectionsPerClient: number;
}

export const HTTP_LIMIT_DEFAULTS: Readonly<HttpLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
  maxPendingConnections: 64,
  maxConnectionsPerClient: 256,
};
