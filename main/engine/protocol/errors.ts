/**
 * One error type for the whole engine. `code` is stable (tests, UI and logs key on it);
 * the message is for people. Mapped to JSON-RPC only at the client-facing edge.
 */
import type { ErrorCode } from '../../../preload/contract/index.ts';

/** The codes are the control API's (declared once, in the contract): the UI sees them as they are. */
export type GatewayErrorCode = ErrorCode;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  /** Set when the error came from a peer as a JSON-RPC error: forwarded verbatim to the client. */
  readonly rpc?: JsonRpcErrorObject;
  /** The request provably never reached the peer, so retrying it is safe. */
  readonly notSent?: boolean;
  /** The argument or form field at fault, when one was (shown next to it in the UI). */
  readonly field?: string;
  /**
   * A request given up (cancelled, timed out): the params of the notifications/cancelled its peer
   * was sent, which the traffic record shows under the request.
   */
  readonly cancelSent?: Readonly<Record<string, unknown>>;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      rpc?: JsonRpcErrorObject;
      notSent?: boolean;
      field?: string;
      cancelSent?: Readonly<Record<string, unknown>>;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    if (options?.rpc) this.rpc = options.rpc;
    if (options?.notSent) this.notSent = true;
    if (options?.field !== undefined) this.field = options.field;
    if (options?.cancelSent) this.cancelSent = options.cancelSent;
  }

  /**
   * What the traffic record shows with the error besides its message, in the answer of the request
   * the gateway sent the peer that failed: what that peer actually said (a handler's status, reply and
   * stderr). For the user of the gateway only: never sent to the client. Redacted and cut with the
   * payload it goes in, like any other.
   */
  recordDetail(): Readonly<Record<string, unknown>> | undefined {
    return undefined;
  }
}

export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Implementation-defined server errors live in -32000..-32099. */
  RequestTimeout: -32001,
  UpstreamUnavailable: -32002,
  MessageTooLarge: -32003,
  /** A client has limits.maxRequestsInFlight requests unanswered: this one is refused. */
  TooManyRequests: -32004,
  RequestCancelled: -32800,
  /** 2026-07-28: Mcp-* header does not match the body. */
  HeaderMismatch: -32020,
} as const;

const codeMap: Partial<Record<GatewayErrorCode, number>> = {
  invalid_request: RpcCode.InvalidRequest,
  method_not_found: RpcCode.MethodNotFound,
  not_found: RpcCode.InvalidParams,
  request_timeout: RpcCode.RequestTimeout,
  request_cancelled: RpcCode.RequestCancelled,
  upstream_unavailable: RpcCode.UpstreamUnavailable,
  upstream_closed: RpcCode.UpstreamUnavailable,
  spawn_failed: RpcCode.UpstreamUnavailable,
  message_too_large: RpcCode.MessageTooLarge,
};

/** The JSON-RPC error a client sees for any thrown value. */
export function toRpcError(err: unknown): JsonRpcErrorObject {
  if (err instanceof GatewayError) {
    if (err.rpc) return err.rpc;
    return { code: codeMap[err.code] ?? RpcCode.InternalError, message: err.message, data: { code: err.code } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: RpcCode.InternalError, message: `Internal error: ${message}` };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
