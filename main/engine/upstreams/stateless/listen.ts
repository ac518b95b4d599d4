/**
 * The `subscriptions/listen` stream a stateless upstream keeps open while it is ready: it replaces
 * the stateful era's unsolicited list_changed notifications and `resources/subscribe`. One stream
 * carries everything we want; a new filter opens a replacement and closes the old stream once the
 * new one is acknowledged, so nothing is missed in between. A stream that drops is reopened with
 * backoff, and list changes are then announced once, since some may have been missed.
 */
import { GatewayError, RpcCode, errorMessage } from '../../protocol/errors.ts';
import { notification, type JsonRpcNotification, type Params, type RequestId } from '../../protocol/jsonrpc.ts';

export interface SubscriptionFilter {
  toolsListChanged?: true;
  promptsListChanged?: true;
  resourcesListChanged?: true;
  resourceSubscriptions?: string[];
}

export interface ListenOptions {
  label: string;
  /** What to listen for now; undefined when there is nothing to listen for. */
  filter(): SubscriptionFilter | undefined;
  allocateId(): number;
  /** Sends `subscriptions/listen` with this id; settles when the stream ends. */
  request(id: RequestId, params: Params, signal: AbortSignal): Promise<Record<string, unknown>>;
  emit(message: JsonRpcNotification): void;
  log(line: string): void;
  ackTimeoutMs: number;
  retry?: { initialMs: number; maxMs: number };
}

interface Stream {
  id: RequestId;
  key: string;
  filter: SubscriptionFilter;
  ac: AbortController;
  ackTimer?: NodeJS.Timeout;
  ackedAt?: number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

const DEFAULT_RETRY = { initialMs: 500, maxMs: 30_000 };
/** A stream that lasted this long resets the reopening delay (one that keeps dropping backs off). */
const STABLE_MS = 10_000;

export class ListenStream {
  private readonly opts: ListenOptions;
  private readonly retry: { initialMs: number; maxMs: number };
  /** The acknowledged stream whose notifications we pass on. */
  private active?: Stream;
  /** A stream sent but not acknowledged yet. */
  private opening?: Stream;
  private waiters: Waiter[] = [];
  private retryTimer?: NodeJS.Timeout;
  private retryMs: number;
  /** A stream dropped: announce list changes after the next acknowledgement. */
  private gap = false;
  private ended = false;
  /** The server answered -32601: it has no listen streams (kept so subscribe can say so). */
  private unsupported?: GatewayError;

  constructor(opts: ListenOptions) {
    this.opts = opts;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.retryMs = this.retry.initialMs;
  }

  /**
   * Makes the open stream match the current filter: opens one (or a replacement) when needed and
   * resolves once the server acknowledged it; rejects when it fails.
   */
  sync(): Promise<void> {
    if (this.ended)
      return Promise.reject(new GatewayError('upstream_closed', `${this.opts.label}: the connection ended`));
    if (this.unsupported) return Promise.reject(this.unsupported);
    const filter = this.opts.filter();
    const key = filter ? JSON.stringify(filter) : '';
    if (this.opening?.key === key) return this.wait();
    if (!this.opening && (this.active?.key ?? '') === key) return Promise.resolve();
    this.cancelRetry();
    if (this.opening) this.abort(this.opening, 'superseded');
    this.opening = undefined;
    if (this.active?.key === key) {
      // Changed back before the replacement was acknowledged: the open stream already fits.
      this.settle();
      return Promise.resolve();
    }
    if (!filter) {
      if (this.active) this.abort(this.active, 'nothing to listen for');
      this.active = undefined;
      this.settle();
      return Promise.resolve();
    }
    this.open(filter, key);
    return this.wait();
  }

  /** `notifications/subscriptions/acknowledged` for `id`. */
  acknowledged(id: unknown): void {
    const stream = this.opening;
    if (!stream || !sameId(stream.id, id)) return;
    clearTimeout(stream.ackTimer);
    this.opening = undefined;
    stream.ackedAt = Date.now();
    const old = this.active;
    this.active = stream;
    if (old) this.abort(old, 'replaced');
    this.settle();
    if (this.gap) {
      this.gap = false;
      // Changes during the gap went nowhere: let the catalog look again (it ignores non-changes).
      if (stream.filter.toolsListChanged) this.opts.emit(notification('notifications/tools/list_changed'));
      if (stream.filter.promptsListChanged) this.opts.emit(notification('notifications/prompts/list_changed'));
      if (stream.filter.resourcesListChanged) this.opts.emit(notification('notifications/resources/list_changed'));
    }
  }

  /** Whether a notification tagged with this subscription id should be passed on. */
  accepts(id: unknown): boolean {
    return this.active !== undefined && sameId(this.active.id, id);
  }

  /** Whether `id` is one of our listen requests (the server may end one with notifications/cancelled). */
  owns(id: unknown): id is RequestId {
    return (
      (this.active !== undefined && sameId(this.active.id, id)) ||
      (this.opening !== undefined && sameId(this.opening.id, id))
    );
  }

  /** The connection is gone: no more reopening. Its streams end with it. */
  end(): void {
    this.ended = true;
    this.cancelRetry();
    if (this.opening) clearTimeout(this.opening.ackTimer);
    this.active = undefined;
    this.opening = undefined;
    this.settle(new GatewayError('upstream_closed', `${this.opts.label}: the connection ended`));
  }

  private open(filter: SubscriptionFilter, key: string): void {
    const stream: Stream = { id: this.opts.allocateId(), key, filter, ac: new AbortController() };
    this.opening = stream;
    stream.ackTimer = setTimeout(() => {
      this.closed(
        stream,
        new GatewayError(
          'request_timeout',
          `${this.opts.label}: subscriptions/listen was not acknowledged within ${this.opts.ackTimeoutMs} ms`,
        ),
      );
      this.abort(stream, 'not acknowledged');
    }, this.opts.ackTimeoutMs);
    stream.ackTimer.unref();
    this.opts.request(stream.id, { notifications: filter }, stream.ac.signal).then(
      () => this.closed(stream, new GatewayError('upstream_closed', `${this.opts.label} ended the subscription`)),
      (err: unknown) => this.closed(stream, err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** A stream ended, by the server, the connection, or a failure (not by us). */
  private closed(stream: Stream, err: Error): void {
    if (stream.ac.signal.aborted) return;
    clearTimeout(stream.ackTimer);
    if (stream === this.opening) {
      this.opening = undefined;
      this.settle(err);
    } else if (stream === this.active) {
      this.active = undefined;
      this.gap = true;
      if (Date.now() - (stream.ackedAt ?? 0) >= STABLE_MS) this.retryMs = this.retry.initialMs;
    } else {
      return;
    }
    if (this.ended) return;
    if (err instanceof GatewayError && err.rpc?.code === RpcCode.MethodNotFound) {
      this.unsupported = err;
      this.opts.log(
        `${this.opts.label} does not support subscriptions/listen: list changes and resource updates will not arrive`,
      );
      return;
    }
    this.opts.log(
      `${this.opts.label}: subscription stream ended (${errorMessage(err)}); reopening in ${this.retryMs} ms`,
    );
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // A failure ends up here again (logged, retried later).
      void Promise.allSettled([this.sync()]);
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, this.retry.maxMs);
  }

  private abort(stream: Stream, reason: string): void {
    clearTimeout(stream.ackTimer);
    // Cancels the request: notifications/cancelled on stdio, the response stream closed on HTTP.
    stream.ac.abort(new Error(reason));
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private wait(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private settle(err?: Error): void {
    for (const w of this.waiters.splice(0)) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }
}

/** Subscription ids are the listen request's id; compared leniently in case a server re-types them. */
function sameId(a: RequestId, b: unknown): boolean {
  return a === b || ((typeof b === 'string' || typeof b === 'number') && String(a) === String(b));
}
