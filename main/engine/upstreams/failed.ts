/**
 * Stands in for a server that cannot even be started (a secret it needs is missing, a bad
 * reference): it shows as failed with the reason, and every request to it says why.
 */
import { EventEmitter } from 'node:events';
import { GatewayError } from '../protocol/errors.ts';
import type { Upstream, UpstreamEvents, UpstreamInfo, UpstreamKind, UpstreamStatus } from './types.ts';

export class FailedUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  readonly name: string;
  readonly kind: UpstreamKind;
  private readonly reason: string;
  private readonly since = Date.now();

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
      state: 'failed',
      lastError: this.reason,
      restarts: 0,
      since: this.since,
    };
  }
  info(): UpstreamInfo | undefined {
    return undefined;
  }
  /** Says it failed, once, as a server that could not start does: a headless gateway logs it. */
  start(): void {
    this.emit('status', this.status());
  }
  whenReady(): Promise<UpstreamInfo> {
    return Promise.reject(this.error());
  }
  async stop(): Promise<void> {}
  request(): Promise<Record<string, unknown>> {
    return Promise.reject(this.error());
  }
  notify(): void {}
  setRequestTimeout(): void {}

  private error(): GatewayError {
    return new GatewayError('upstream_unavailable', `server "${this.name}" cannot start: ${this.reason}`);
  }
}
