/**
 * The HTTP listener's time and connection limits and their defaults (config
 * `listen.http.limits`). Kept apart so the config schema can name the defaults without
 * importing the listener.
 */
import type { ConnectionLimits } from './http-connections.ts';

export interface HttpLimits extends ConnectionLimits {
  /** Time to receive a request's headers, from the connection's first byte or its last response. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body (408 and close after it). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
}

export const HTTP_LIMIT_DEFAULTS: Readonly<HttpLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
  maxPendingConnections: 64,
  maxConnectionsPerClient: 256,
};

/** Largest header block accepted (431 beyond it). */
export const MAX_HEADER_BYTES = 16 * 1024;
