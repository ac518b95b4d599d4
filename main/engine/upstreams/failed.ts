/**
 * Stand-ins for a server that is not started: one that cannot even be started (a secret it needs
 * is missing, a bad reference), shown as failed, and one whose secrets are still being read from
 * the keychain (an unlock prompt may be waiting for the user), shown as starting. Each shows why,
 * and every request to it says so.
 */
import { EventEmitter } from 'node:events';
import { GatewayError } from '../protocol/errors.ts';
import type { Upstream, UpstreamEvents, UpstreamInfo, UpstreamKind, UpstreamStatus } from './types.ts';

abstract class StandInUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  readonly name: string;
  readonly kind: UpstreamKind;
  protected readonly reason: string;
  private readonly since = Date.now();
  protected abstract readonly state: UpstreamStatus['state'];

  constructor(name: string, kind: UpstreamKind, reason: string) {
    super();
    this.name = name;
    this.kind = kind;
    this.reason = reason;
  }

  status(): UpstreamStatus {
    return {
      name: this.name,
      kind: this.kind,
      state: this.state,
      lastError: this.reason,
      restarts: 0,
      since: this.since,
    };
  }
  info(): UpstreamInfo | undefined {
    return undefined;
  }
  /** Says what it is, once, as a server starting or failing does: a headless gateway logs it. */
  start(): void {
    this.emit('status', this.status());
  }
  abstract whenReady(timeoutMs: number): Promise<UpstreamInfo>;
  abstract stop(): Promise<void>;
  request(): Promise<Record<string, unknown>> {
    return Promise.reject(this.error());
  }
  notify(): void {}
  setRequestTimeout(): void {}

  protected abstract error(): GatewayError;
}

export class FailedUpstream extends StandInUpstream {
  protected readonly state = 'failed';

  whenReady(): Promise<UpstreamInfo> {
    return Promise.reject(this.error());
  }
  async stop(): Promise<void> {}

  protected error(): GatewayError {
    return new GatewayError('upstream_unavailable', `server "${this.name}" cannot start: ${this.reason}`);
  }
}

/** Replaced by the server itself once its secrets are read, or by a FailedUpstream saying why they could not be. */
export class WaitingUpstream extends StandInUpstream {
  protected readonly state = 'starting';
  /** Those waiting for it to be ready: told it never will be once it is replaced. */
  private readonly waiters = new Set<(err: GatewayError) => void>();

  /** As a server slow to start: not ready within `timeoutMs`, or never once replaced. */
  whenReady(timeoutMs: number): Promise<UpstreamInfo> {
    return new Promise((_resolve, reject) => {
      const done = (err: GatewayError) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        reject(err);
      };
      const timer = setTimeout(() => done(this.error()), timeoutMs);
      this.waiters.add(done);
    });
  }
  async stop(): Promise<void> {
    for (const done of [...this.waiters]) done(this.error());
  }

  protected error(): GatewayError {
    return new GatewayError('upstream_unavailable', `server "${this.name}" has not started yet: ${this.reason}`);
  }
}
