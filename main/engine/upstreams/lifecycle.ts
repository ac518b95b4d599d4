/**
 * The lifecycle every upstream kind shares: state (stopped, starting, ready, backoff, failed),
 * since, lastError, restarts, the ready waiters, and retries with exponential backoff under a
 * BackoffPolicy, marked failed after maxAttempts. A kind owns its connections and tells the
 * lifecycle what happened to them; the lifecycle decides what state that means and when to retry.
 */
import type { EventEmitter } from 'node:events';
import { GatewayError } from '../protocol/errors.ts';
import { MAX_RETRY_AFTER_MS, describeWait } from './retry-after.ts';
import type { UpstreamEvents, UpstreamInfo, UpstreamKind, UpstreamState, UpstreamStatus } from './types.ts';

/** A state in a sentence about the server: `server "x" has failed: …` (it read "is failed", "is backoff"). */
const STATE_SAID: Readonly<Record<UpstreamState, string>> = {
  stopped: 'is stopped',
  starting: 'is starting',
  ready: 'is ready',
  backoff: 'is between tries',
  failed: 'has failed',
};

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Consecutive failed attempts before the upstream is marked failed (Infinity: never). */
  maxAttempts: number;
  /** A connection ready for this long resets the attempt count. */
  stableMs: number;
}

/** MCP upstreams: a server that keeps crashing is given up on, visibly, after six attempts. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, maxAttempts: 6, stableMs: 10_000 };

/**
 * JSON handlers: a handler is one request away from working again, so it is retried for as long
 * as it is configured (delays grow to maxMs and stay there). Its readiness is one good discover,
 * so every ready spell counts as stable: the delays start over after each loss.
 */
export function retryForever(policy: BackoffPolicy): BackoffPolicy {
  return { ...policy, maxAttempts: Infinity, stableMs: 0 };
}

/** The delay before attempt `attempt + 1`, after `attempt` consecutive failures (1-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  // The exponent is capped so endless retries never reach Infinity (NaN with initialMs 0).
  return Math.min(policy.initialMs * 2 ** Math.min(attempt - 1, 30), policy.maxMs);
}

/**
 * A caller waits for a server that is starting, or whose next try is at most this far off; one
 * further off is down for now, and its callers hear so at once, not after their whole wait (every
 * call to a remote server that was down stalled its client for the startup timeout, 30 s).
 */
export const WAIT_FOR_RETRY_MS = 5_000;

export interface LifecycleOptions {
  name: string;
  kind: UpstreamKind;
  policy: BackoffPolicy;
  /** Where `status` and `ready` events go: the upstream itself. */
  events: EventEmitter<UpstreamEvents>;
  /** The backend's process id, shown in the status while there is one. */
  pid?: () => number | undefined;
}

interface Waiter {
  resolve(info: UpstreamInfo): void;
  reject(err: GatewayError): void;
  timer: NodeJS.Timeout;
}

export class UpstreamLifecycle {
  private readonly opts: LifecycleOptions;
  private current: UpstreamState = 'stopped';
  private since = Date.now();
  private lastError?: string;
  private restarts = 0;
  private attempts = 0;
  private retryAt?: number;
  private retryTimer?: NodeJS.Timeout;
  private readyInfo?: UpstreamInfo;
  private readyAt = 0;
  private waiters: Waiter[] = [];

  constructor(opts: LifecycleOptions) {
    this.opts = opts;
  }

  get state(): UpstreamState {
    return this.current;
  }

  status(): UpstreamStatus {
    const s: UpstreamStatus = {
      name: this.opts.name,
      kind: this.opts.kind,
      state: this.current,
      restarts: this.restarts,
      since: this.since,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    const pid = this.opts.pid?.();
    if (pid !== undefined) s.pid = pid;
    if (this.retryAt !== undefined && this.current === 'backoff') s.retryAt = this.retryAt;
    return s;
  }

  /** What the backend said about itself, while ready. */
  info(): UpstreamInfo | undefined {
    return this.current === 'ready' ? this.readyInfo : undefined;
  }

  /**
   * Whether start() has anything to do (not while starting, ready or in backoff); if so the attempt count starts over.
   */
  begin(): boolean {
    if (this.current === 'starting' || this.current === 'ready' || this.current === 'backoff') return false;
    this.attempts = 0;
    return true;
  }

  /** An attempt to connect begins. */
  starting(): void {
    this.retryAt = undefined;
    this.setState('starting');
  }

  /** The backend works: waiters get `info`, listeners a `ready` event. Too late once stopped or failed. */
  ready(info: UpstreamInfo): void {
    if (this.current === 'ready' || this.current === 'stopped' || this.current === 'failed') return;
    this.clearRetry();
    this.readyInfo = info;
    this.lastError = undefined;
    this.readyAt = Date.now();
    this.setState('ready');
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(info);
    }
    this.opts.events.emit('ready', info);
  }

  /**
   * A working backend was lost (process exited, connection dropped, discover failed): a restart
   * when it had been ready, and a fresh attempt count when it had been ready for stableMs. Then
   * as retry().
   */
  lost(reason: string, attempt: () => void, notBefore?: number): void {
    if (this.current === 'ready') {
      this.restarts++;
      if (Date.now() - this.readyAt >= this.opts.policy.stableMs) this.attempts = 0;
    }
    this.retry(reason, attempt, notBefore);
  }

  /**
   * An attempt failed: `attempt` runs again after the policy's delay, or the upstream is failed at maxAttempts.
   * `notBefore` (epoch ms): the server asked not to be tried again before then (Retry-After); the delay is at
   * least that long, up to MAX_RETRY_AFTER_MS.
   */
  retry(reason: string, attempt: () => void, notBefore?: number): void {
    // Nothing brings a stopped upstream back but start().
    if (this.current === 'stopped' || this.current === 'failed') return;
    this.lastError = reason;
    this.attempts++;
    if (this.attempts >= this.opts.policy.maxAttempts) {
      // Said, so that a failed server with no restarts (none ever became ready) is not read as never retried.
      this.fail(this.attempts > 1 ? `gave up after ${this.attempts} tries: ${reason}` : reason);
      return;
    }
    const asked = notBefore === undefined ? 0 : Math.min(notBefore - Date.now(), MAX_RETRY_AFTER_MS);
    const delay = Math.max(backoffDelay(this.opts.policy, this.attempts), asked);
    this.clearRetry();
    this.retryAt = Date.now() + delay;
    this.setState('backoff');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      attempt();
    }, delay);
    // Those waiting saw this attempt fail: they wait on only for a try that is near.
    if (delay > WAIT_FOR_RETRY_MS) this.rejectWaiters(this.down());
  }

  /** Given up on (or could never start): waiters are told why. */
  fail(reason: string): void {
    this.lastError = reason;
    this.setState('failed');
    this.rejectWaiters(this.unavailable());
  }

  /** Stopped for good: no more retries, and waiters are told so. */
  stop(): void {
    this.clearRetry();
    this.setState('stopped');
    this.rejectWaiters(new GatewayError('upstream_unavailable', `server "${this.opts.name}" was stopped`));
  }

  /** Resolves when ready; rejects when failed or stopped, or after timeoutMs saying what state it is in. */
  whenReady(timeoutMs: number): Promise<UpstreamInfo> {
    if (this.current === 'ready' && this.readyInfo) return Promise.resolve(this.readyInfo);
    if (this.current === 'failed' || this.current === 'stopped') return Promise.reject(this.unavailable());
    if (this.current === 'backoff' && (this.retryAt ?? 0) - Date.now() > WAIT_FOR_RETRY_MS)
      return Promise.reject(this.down());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new GatewayError(
              'upstream_unavailable',
              `server "${this.opts.name}" is not ready after ${timeoutMs} ms ` +
                `(it ${STATE_SAID[this.current]}${this.detail()})`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Why a request cannot be served now: the state and the last failure. */
  unavailable(): GatewayError {
    return new GatewayError(
      'upstream_unavailable',
      `server "${this.opts.name}" ${STATE_SAID[this.current]}${this.detail()}`,
    );
  }

  /** Why a request cannot be served while the next try is a while off: the last failure, and when that try is. */
  private down(): GatewayError {
    const wait = describeWait((this.retryAt ?? Date.now()) - Date.now());
    return new GatewayError(
      'upstream_unavailable',
      `server "${this.opts.name}" is down${this.detail()}; Switchboard tries it again in ${wait}`,
    );
  }

  private detail(): string {
    return this.lastError ? `: ${this.lastError}` : '';
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = undefined;
  }

  private rejectWaiters(err: GatewayError): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private setState(state: UpstreamState): void {
    this.current = state;
    this.since = Date.now();
    this.opts.events.emit('status', this.status());
  }
}
