/**
 * The one interface every backend kind implements (stdio MCP, remote MCP, JSON handlers).
 * The router only ever talks to this.
 */
import type { EventEmitter } from 'node:events';
import type { JsonRpcNotification, JsonRpcRequest, Params } from '../protocol/jsonrpc.ts';
import type { JsonRpcErrorObject } from '../protocol/errors.ts';

export type UpstreamKind = 'stdio' | 'http' | 'handler-http' | 'handler-fastcgi';
export type UpstreamState = 'stopped' | 'starting' | 'ready' | 'backoff' | 'failed';

export interface UpstreamStatus {
  name: string;
  kind: UpstreamKind;
  state: UpstreamState;
  /** Last failure, in words a user can act on. */
  lastError?: string;
  pid?: number;
  /** Times the backend was restarted after a crash or lost connection. */
  restarts: number;
  /** When the current state began (ms since epoch). */
  since: number;
  /** When the next restart attempt is due, while in backoff. */
  retryAt?: number;
}

/** What the backend told us in its initialize result. */
export interface UpstreamInfo {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: { name: string; version: string; [k: string]: unknown };
  instructions?: string;
}

/**
 * What a server did during one request that gives it more time. The questions it asked (elicitation,
 * sampling): while one waits for its answer the request's timeout is held, and it runs again in full
 * from the last answer. Its progress: each report restarts the timeout, up to RequestOptions.maxMs.
 */
export interface QuestionClock {
  /** Questions waiting for their answer now. */
  readonly waiting: number;
  /** Date.now() when the last one was answered. */
  readonly answeredAt?: number;
  /** Date.now() when the server last reported progress on the request. */
  readonly progressAt?: number;
}

/** Who a request is made for (RequestOptions.origin): opaque to an upstream but for its traffic record. */
export interface RequestOrigin {
  /** The request's exchange in the traffic record, when it is recorded. */
  readonly exchangeId?: string;
}

/**
 * The origin of what came on the answer stream of a request no longer waited for (answered,
 * cancelled, timed out): it belongs to a call that has ended, and to nobody else.
 */
export const ENDED_REQUEST: RequestOrigin = Object.freeze({});

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the server's configured request timeout. */
  timeoutMs?: number;
  /** Holds the timeout while a question waits for its answer, or starts it again on progress (QuestionClock). */
  questions?: QuestionClock;
  /** The longest the request may run while its server reports progress (timeouts.maxRequestMs). */
  maxMs?: number;
  /**
   * The calling client's HTTP request headers, [name, value] per line (JSON handlers forward some; see
   * handler-headers.ts).
   */
  clientHeaders?: ReadonlyArray<readonly [name: string, value: string]>;
  /** The calling client's MCP session id (JSON handlers send it as session_id). */
  sessionId?: string;
  /**
   * Who made this request, as the caller knows it: given back with a question the server asks
   * during it (the `request` event), so the question goes to that caller and no other. Used where
   * a kind knows which call a question belongs to (JSON handlers; remote servers that ask on the
   * answer stream of the call).
   */
  origin?: RequestOrigin;
  /**
   * For the traffic record: this request's exchange id (made beforehand), the exchange that caused
   * it, and the client session it is made for (so a server's calls can be told apart by client).
   */
  traffic?: {
    id?: string;
    parentId?: string;
    session?: {
      readonly id: string;
      readonly transport: string;
      readonly profile: string;
      readonly clientInfo?: { name: string; version: string };
      readonly protocolVersion?: string;
    };
  };
}

/** Reply to a server-to-client request: exactly one of result / error. */
export type ReplyFn = (reply: { result: Record<string, unknown> } | { error: JsonRpcErrorObject }) => void;

export interface UpstreamEvents {
  /**
   * A notification from the backend (progress, message, list_changed, resources/updated, ...);
   * `origin` as with `request`: the request it came during, when the kind knows.
   */
  notification: [message: JsonRpcNotification, origin?: RequestOrigin];
  /** A server-to-client request (elicitation, sampling, roots, ping). `reply` must be called once. */
  request: [message: JsonRpcRequest, reply: ReplyFn, origin?: RequestOrigin];
  /** State changed. */
  status: [status: UpstreamStatus];
  /** The backend (re)initialised: catalogs must be refreshed. */
  ready: [info: UpstreamInfo];
}

export interface Upstream extends EventEmitter<UpstreamEvents> {
  readonly name: string;
  readonly kind: UpstreamKind;
  status(): UpstreamStatus;
  /** Initialize result, once ready. */
  info(): UpstreamInfo | undefined;
  /** Begins connecting (and keeps reconnecting with backoff). Does not wait for ready. */
  start(): void;
  /** Resolves when ready; rejects with a GatewayError when failed, stopped, or after timeoutMs. */
  whenReady(timeoutMs: number): Promise<UpstreamInfo>;
  /** Stops for good; pending requests fail with upstream_closed. */
  stop(): Promise<void>;
  /**
   * Sends a request with a fresh upstream id. Resolves with the result; rejects with GatewayError (rpc set for a
   * backend error).
   */
  request(method: string, params: Params | undefined, options?: RequestOptions): Promise<Record<string, unknown>>;
  notify(method: string, params?: Params): void;
  /**
   * How long requests made from now on wait for their answer (a reload's new `timeoutMs`, taken
   * without a restart); requests already under way keep the limit they started with.
   */
  setRequestTimeout(timeoutMs: number): void;
}

/**
 * `_meta` key of a JSON handler's list result: what of its discover answer could not be used (a
 * list that is not one, an entry without its name), one line each. The catalog shows them with
 * the items it leaves out itself (`switchboard list`, the Servers screen); clients never see them.
 */
export const HANDLER_SKIPPED_META = 'switchboard/skipped';
