/**
 * How the control API fails: one error shape for every binding. IPC answers a `Reply` envelope,
 * HTTP answers the same `error` object with a status code, and the client of either rebuilds a
 * `GatewayApiError` with the same `code`, `message` and `field`.
 */

/** Stable error codes: tests, the UI and logs key on them; messages are for people. */
export type ErrorCode =
  | 'config_unreadable'
  | 'config_invalid'
  | 'env_missing'
  | 'secret_missing'
  | 'secret_store_unavailable'
  | 'spawn_failed'
  | 'upstream_unavailable'
  | 'upstream_closed'
  | 'upstream_protocol'
  | 'upstream_error'
  | 'request_timeout'
  | 'request_cancelled'
  | 'message_too_large'
  | 'invalid_request'
  /** A server of this name is configured already, with the very entry given: nothing was written. */
  | 'already_configured'
  /** A server of this name is configured already, with a different entry: nothing was written. */
  | 'name_taken'
  | 'method_not_found'
  | 'not_found'
  | 'unauthorized'
  /** HTTP binding: the control API answers on this machine only. */
  | 'forbidden'
  /** A client config file kept changing while Switchboard tried to write it. */
  | 'client_config_conflict'
  /** A write through a symlink leaving the expected folder, or to a read-only file. */
  | 'unsafe_path'
  /** HTTP binding: the body is not JSON, or the route does not take this HTTP method. */
  | 'unsupported_media_type'
  | 'method_not_allowed'
  /** HTTP binding: too many event streams open at once. */
  | 'too_many_streams'
  /** The client could not reach the gateway at all (it is not running, or the connection broke). */
  | 'gateway_unreachable'
  /**
   * Desktop app: its own gateway is not running (its start failed, e.g. another Switchboard gateway
   * runs for this user); the message says why and what to do.
   */
  | 'gateway_not_started'
  /**
   * Desktop app: its own gateway is still starting (the window opens before it runs); the window
   * is sent `resync` once the start has ended.
   */
  | 'gateway_starting'
  | 'internal';

export interface ApiError {
  code: ErrorCode;
  message: string;
  /**
   * What was wrong, when one thing was: an argument (`name`, `answer.action`) or, in the answer
   * to a question, the form field at fault (`email`).
   */
  field?: string;
}

/** What a binding answers for one call. */
export type Reply<T> = { ok: true; result: T } | { ok: false; error: ApiError };

/** A failed API call, as the caller sees it on either binding. */
export class GatewayApiError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;

  constructor(error: ApiError) {
    super(error.message);
    this.name = 'GatewayApiError';
    this.code = error.code;
    if (error.field !== undefined) this.field = error.field;
  }

  toJSON(): ApiError {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

/** Whether a value received from a binding is a well-formed reply (anything else is a transport fault). */
export function isReply(value: unknown): value is Reply<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const reply = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (reply.ok === true) return true;
  return reply.ok === false && typeof reply.error?.code === 'string' && typeof reply.error.message === 'string';
}
