/**
 * Requests we send to a peer and wait on. Every request gets a fresh id from this table, so
 * ids from different clients can never collide on the peer, and a response only ever
 * settles the request that carries its id.
 */
import { GatewayError } from './errors.ts';
import {
  request as makeRequest,
  notification,
  type JsonRpcMessage,
  type JsonRpcResponse,
  type Params,
  type RequestId,
} from './jsonrpc.ts';

interface Pending {
  method: string;
  resolve: (result: Record<string, unknown>) => void;
  reject: (err: GatewayError) => void;
  timer?: NodeJS.Timeout;
  cleanup?: () => void;
  origin?: object;
}

export interface OutgoingOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Never send notifications/cancelled for it (initialize is never cancelled). */
  noCancel?: boolean;
  /**
   * Asked when timeoutMs runs out: a number of ms keeps waiting that much longer (and asks
   * again then), a string fails the request with that message, undefined times it out.
   */
  extend?: () => number | string | undefined;
  /** Who the request is made for, given back by originOf (see RequestOptions.origin). */
  origin?: object;
}

export class OutgoingRequests {
  private nextId: number;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly send: (message: JsonRpcMessage) => void;
  /** Names the peer in error messages, e.g. `server "github"`. */
  private readonly peerLabel: string;

  /** `firstId`: the id of the first request (default 1). */
  constructor(send: (message: JsonRpcMessage) => void, peerLabel: string, firstId = 1) {
    this.send = send;
    this.peerLabel = peerLabel;
    this.nextId = firstId;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Allocates the id the request will carry; exposed so callers can map progress/cancel before sending. */
  allocateId(): number {
    return this.nextId++;
  }

  request(
    method: string,
    params: Params | undefined,
    options: OutgoingOptions = {},
    id: RequestId = this.allocateId(),
  ): Promise<Record<string, unknown>> {
    if (options.signal?.aborted)
      return Promise.reject(new GatewayError('request_cancelled', `${method} was cancelled before it was sent`));
    return new Promise((resolve, reject) => {
      const entry: Pending = { method, resolve, reject };
      if (options.origin) entry.origin = options.origin;
      const settle = () => {
        if (entry.timer) clearTimeout(entry.timer);
        entry.cleanup?.();
        this.pending.delete(id);
      };
      entry.resolve = (r) => {
        settle();
        resolve(r);
      };
      entry.reject = (e) => {
        settle();
        reject(e);
      };
      if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
        const expire = (): void => {
          const more = options.extend?.();
          if (typeof more === 'number' && more > 0) {
            entry.timer = setTimeout(expire, more);
            return;
          }
          const cancelSent = options.noCancel ? undefined : this.cancelRemote(id, 'timed out');
          entry.reject(
            new GatewayError(
              'request_timeout',
              typeof more === 'string'
                ? more
                : `${method} to ${this.peerLabel} timed out after ${options.timeoutMs} ms`,
              cancelSent && { cancelSent },
            ),
          );
        };
        entry.timer = setTimeout(expire, options.timeoutMs);
      }
      if (options.signal) {
        const signal = options.signal;
        const onAbort = () => {
          const cancelSent = this.cancelRemote(id, reasonText(signal.reason));
          const message = `${method} to ${this.peerLabel} was cancelled`;
          entry.reject(new GatewayError('request_cancelled', message, cancelSent && { cancelSent }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.pending.set(id, entry);
      try {
        this.send(makeRequest(id, method, params));
      } catch (err) {
        entry.reject(
          err instanceof GatewayError
            ? err
            : new GatewayError('upstream_closed', `cannot send to ${this.peerLabel}: ${(err as Error).message}`, {
                cause: err,
              }),
        );
      }
    });
  }

  /** The origin a request still waiting was made with. */
  originOf(id: RequestId): object | undefined {
    return this.pending.get(id)?.origin;
  }

  isPending(id: RequestId): boolean {
    return this.pending.has(id);
  }

  /** Settles the matching request. Returns false for an unknown id (a stray or duplicate response). */
  handleResponse(message: JsonRpcResponse): boolean {
    if (message.id === null) return false;
    const entry = this.pending.get(message.id);
    if (!entry) return false;
    if ('error' in message) {
      const text = message.error.message.startsWith(this.peerLabel)
        ? message.error.message
        : `${this.peerLabel}: ${message.error.message}`;
      entry.reject(new GatewayError('upstream_error', text, { rpc: message.error }));
    } else {
      entry.resolve(message.result);
    }
    return true;
  }

  /** Fails one pending request (it was refused unsent: the caller may send it again). */
  fail(id: RequestId, err: GatewayError): void {
    this.pending.get(id)?.reject(err);
  }

  /** Fails every pending request, e.g. when the connection is lost. */
  failAll(err: GatewayError): void {
    for (const entry of [...this.pending.values()]) entry.reject(err);
  }

  /** Tells the peer a request is given up; returns the notification's params once sent. */
  private cancelRemote(id: RequestId, reason: string): Params | undefined {
    if (!this.pending.has(id)) return undefined;
    const params = { requestId: id, reason };
    try {
      this.send(notification('notifications/cancelled', params));
      return params;
    } catch {
      // The connection is gone; there is nobody left to tell.
      return undefined;
    }
  }
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'cancelled';
}
