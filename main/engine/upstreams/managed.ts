/**
 * Lifecycle shared by every MCP upstream kind: open a channel, run the initialize handshake,
 * route messages, and on a crash or lost connection reconnect with exponential backoff up to a
 * cap, then give up visibly ("failed"). Kinds only supply `open` (spawn a process, connect HTTP).
 */
import { EventEmitter } from 'node:events';
import { GatewayError, RpcCode, errorMessage } from '../protocol/errors.ts';
import { isNotification, isRequest, notification, type JsonRpcMessage, type Params } from '../protocol/jsonrpc.ts';
import { OutgoingRequests } from '../protocol/outgoing.ts';
import { LATEST_STATEFUL } from '../protocol/versions.ts';
import type { ReplyFn, RequestOptions, Upstream, UpstreamEvents, UpstreamInfo, UpstreamKind, UpstreamState, UpstreamStatus } from './types.ts';

/** One live connection to a backend. */
export interface Channel {
  send(message: JsonRpcMessage): void;
  close(): Promise<void>;
  readonly pid?: number;
}

export interface ChannelHandlers {
  onMessage(message: JsonRpcMessage): void;
  /** The connection ended on its own (process exited, stream lost). */
  onClose(reason: Error): void;
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Consecutive failed attempts before the upstream is marked failed. */
  maxAttempts: number;
  /** A connection ready for this long resets the attempt count. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, maxAttempts: 6, stableMs: 10_000 };

export interface ManagedUpstreamOptions {
  name: string;
  kind: UpstreamKind;
  open(handlers: ChannelHandlers): Promise<Channel>;
  requestTimeoutMs: number;
  startupTimeoutMs: number;
  backoff?: BackoffPolicy;
  /** What we tell the backend about ourselves in initialize. */
  clientInfo: { name: string; version: string };
  capabilities: Record<string, unknown>;
}

interface Waiter {
  resolve(info: UpstreamInfo): void;
  reject(err: GatewayError): void;
  timer: NodeJS.Timeout;
}

export class ManagedUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  readonly name: string;
  readonly kind: UpstreamKind;
  private readonly opts: ManagedUpstreamOptions;
  private readonly backoff: BackoffPolicy;
  private state: UpstreamState = 'stopped';
  private since = Date.now();
  private lastError?: string;
  private restarts = 0;
  private attempts = 0;
  private retryAt?: number;
  private retryTimer?: NodeJS.Timeout;
  private channel?: Channel;
  private outgoing?: OutgoingRequests;
  private upstreamInfo?: UpstreamInfo;
  private readyAt = 0;
  /** Bumped on every connection so late events from an old one are ignored. */
  private generation = 0;
  private waiters: Waiter[] = [];

  constructor(opts: ManagedUpstreamOptions) {
    super();
    this.name = opts.name;
    this.kind = opts.kind;
    this.opts = opts;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
  }

  status(): UpstreamStatus {
    const s: UpstreamStatus = { name: this.name, kind: this.kind, state: this.state, restarts: this.restarts, since: this.since };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.channel?.pid !== undefined) s.pid = this.channel.pid;
    if (this.retryAt !== undefined && this.state === 'backoff') s.retryAt = this.retryAt;
    return s;
  }

  info(): UpstreamInfo | undefined {
    return this.state === 'ready' ? this.upstreamInfo : undefined;
  }

  start(): void {
    if (this.state === 'starting' || this.state === 'ready' || this.state === 'backoff') return;
    this.attempts = 0;
    void this.connect();
  }

  whenReady(timeoutMs: number): Promise<UpstreamInfo> {
    if (this.state === 'ready' && this.upstreamInfo) return Promise.resolve(this.upstreamInfo);
    if (this.state === 'failed' || this.state === 'stopped') return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new GatewayError('upstream_unavailable', `server "${this.name}" is not ready after ${timeoutMs} ms (${this.state}${this.lastError ? `: ${this.lastError}` : ''})`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const channel = this.channel;
    this.channel = undefined;
    this.outgoing?.failAll(new GatewayError('upstream_closed', `server "${this.name}" was stopped`));
    this.outgoing = undefined;
    this.setState('stopped');
    this.rejectWaiters(new GatewayError('upstream_unavailable', `server "${this.name}" was stopped`));
    if (channel) await channel.close().catch(() => undefined);
  }

  async request(method: string, params: Params | undefined, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    const req: { signal?: AbortSignal; timeoutMs?: number } = { timeoutMs: options.timeoutMs ?? this.opts.requestTimeoutMs };
    if (options.signal) req.signal = options.signal;
    for (let attempt = 0; ; attempt++) {
      if (this.state !== 'ready') await this.whenReady(this.opts.startupTimeoutMs);
      const outgoing = this.outgoing;
      if (!outgoing) throw this.unavailable();
      try {
        return await outgoing.request(method, params, req);
      } catch (err) {
        // The backend went away before the request could be written (it exited and we have not
        // processed that yet): it never left, so one retry on the restarted backend is safe.
        if (attempt === 0 && err instanceof GatewayError && err.notSent) {
          await this.connectionReplaced(outgoing);
          continue;
        }
        throw err;
      }
    }
  }

  /** Waits until the connection that `old` belonged to has been given up (or the wait times out). */
  private async connectionReplaced(old: OutgoingRequests): Promise<void> {
    const deadline = Date.now() + this.opts.startupTimeoutMs;
    while (this.outgoing === old && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.once('status', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  notify(method: string, params?: Params): void {
    if (this.state !== 'ready' || !this.channel) return;
    try {
      this.channel.send(notification(method, params));
    } catch {
      // Lost connection: the close handler restarts it; notifications are best effort.
    }
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.retryAt = undefined;
    this.setState('starting');
    let channel: Channel | undefined;
    try {
      channel = await this.opts.open({
        onMessage: (m) => { if (generation === this.generation) this.onMessage(m); },
        onClose: (reason) => { if (generation === this.generation) this.onLost(reason); },
      });
      if (generation !== this.generation) {
        await channel.close();
        return;
      }
      this.channel = channel;
      const outgoing = new OutgoingRequests((m) => channel!.send(m), `server "${this.name}"`);
      this.outgoing = outgoing;
      const result = await outgoing.request('initialize', {
        protocolVersion: LATEST_STATEFUL,
        capabilities: this.opts.capabilities,
        clientInfo: this.opts.clientInfo,
      }, { timeoutMs: this.opts.startupTimeoutMs, noCancel: true });
      if (generation !== this.generation) return;
      const info = toInfo(result);
      channel.send(notification('notifications/initialized'));
      this.upstreamInfo = info;
      this.lastError = undefined;
      this.readyAt = Date.now();
      this.setState('ready');
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve(info);
      }
      this.emit('ready', info);
    } catch (err) {
      if (generation !== this.generation) return;
      this.channel = undefined;
      this.outgoing?.failAll(new GatewayError('upstream_closed', `server "${this.name}" failed to start`));
      this.outgoing = undefined;
      if (channel) await channel.close().catch(() => undefined);
      if (generation !== this.generation) return;
      this.scheduleRetry(`failed to start: ${errorMessage(err)}`);
    }
  }

  private onLost(reason: Error): void {
    const wasReady = this.state === 'ready';
    this.generation++;
    // Reap what the lost connection left behind (e.g. children of an npx wrapper).
    this.channel?.close().catch(() => undefined);
    this.channel = undefined;
    const err = new GatewayError('upstream_closed', `server "${this.name}" ${reason.message}; the request was lost`);
    this.outgoing?.failAll(err);
    this.outgoing = undefined;
    if (wasReady) {
      this.restarts++;
      if (Date.now() - this.readyAt >= this.backoff.stableMs) this.attempts = 0;
    }
    this.scheduleRetry(reason.message);
  }

  private scheduleRetry(reason: string): void {
    this.lastError = reason;
    this.attempts++;
    if (this.attempts >= this.backoff.maxAttempts) {
      this.setState('failed');
      this.rejectWaiters(this.unavailable());
      return;
    }
    const delay = Math.min(this.backoff.initialMs * 2 ** (this.attempts - 1), this.backoff.maxMs);
    this.retryAt = Date.now() + delay;
    this.setState('backoff');
    const generation = this.generation;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (generation === this.generation) void this.connect();
    }, delay);
  }

  private onMessage(message: JsonRpcMessage): void {
    if (isRequest(message)) {
      const channel = this.channel;
      let replied = false;
      const reply: ReplyFn = (r) => {
        if (replied || !channel || channel !== this.channel) return;
        replied = true;
        try {
          channel.send('error' in r ? { jsonrpc: '2.0', id: message.id, error: r.error } : { jsonrpc: '2.0', id: message.id, result: r.result });
        } catch {
          // Connection lost while the client was answering: nothing to deliver to.
        }
      };
      if (message.method === 'ping') return reply({ result: {} });
      if (this.listenerCount('request') === 0) {
        return reply({ error: { code: RpcCode.MethodNotFound, message: `Switchboard cannot answer ${message.method}` } });
      }
      // Whatever a backend sends must never take the gateway down.
      try {
        this.emit('request', message, reply);
      } catch (err) {
        reply({ error: { code: RpcCode.InternalError, message: `Switchboard failed to route ${message.method}: ${errorMessage(err)}` } });
      }
      return;
    }
    if (isNotification(message)) {
      try {
        this.emit('notification', message);
      } catch {
        // Dropped: a malformed notification affects nobody else.
      }
      return;
    }
    // A response: settles only the request with its id; strays are dropped.
    this.outgoing?.handleResponse(message);
  }

  private setState(state: UpstreamState): void {
    this.state = state;
    this.since = Date.now();
    this.emit('status', this.status());
  }

  private rejectWaiters(err: GatewayError): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private unavailable(): GatewayError {
    const detail = this.lastError ? `: ${this.lastError}` : '';
    return new GatewayError('upstream_unavailable', `server "${this.name}" is ${this.state}${detail}`);
  }
}

function toInfo(result: Record<string, unknown>): UpstreamInfo {
  const protocolVersion = result.protocolVersion;
  const serverInfo = result.serverInfo as UpstreamInfo['serverInfo'] | undefined;
  if (typeof protocolVersion !== 'string') throw new GatewayError('upstream_protocol', 'initialize result has no protocolVersion');
  const info: UpstreamInfo = {
    protocolVersion,
    capabilities: (result.capabilities as Record<string, unknown> | undefined) ?? {},
    serverInfo: serverInfo && typeof serverInfo.name === 'string' ? serverInfo : { name: 'unknown', version: '0' },
  };
  if (typeof result.instructions === 'string') info.instructions = result.instructions;
  return info;
}
