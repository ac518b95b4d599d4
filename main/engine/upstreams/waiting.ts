/**
 * Stands in for a server whose secrets are still being read from the keychain (an unlock prompt
 * may be waiting for the user): it shows as starting, with why, and is replaced by the server
 * itself once they are read, or by a failed one saying why they could not be.
 */
import { EventEmitter } from 'node:events';
import { GatewayError } from '../protocol/errors.ts';
import type { Upstream, UpstreamEvents, UpstreamInfo, UpstreamKind, UpstreamStatus } from './types.ts';

export class WaitingUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  readonly name: string;
  readonly kind: UpstreamKind;
  private readonly reason: string;
  private readonly since = Date.now();
  /** Those waiting for it to be ready: told it never will be once it is replaced. */
  private readonly waiters = new Set<(err: GatewayError) => void>();

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
      state: 'starting',
      lastError: this.reason,
      restarts: 0,
      since: this.since,
    };
  }
  info(): UpstreamInfo | undefined {
    return undefined;
  }
  /** Says it is starting, and why it takes a while: a headless gateway logs it. */
  start(): void {
    this.emit('status', this.status());
  }
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
  request(): Promise<Record<string, unknown>> {
    return Promise.reject(this.error());
  }
  notify(): void {}
  setRequestTimeout(): void {}

  private error(): GatewayError {
    return new GatewayError('upstream_unavailable', `server "${this.name}" has not started yet: ${this.reason}`);
  }
}
