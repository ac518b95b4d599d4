/** Callers waiting for an upstream to become ready: each with its own deadline. */
import { GatewayError } from '../protocol/errors.ts';
import type { UpstreamInfo } from './types.ts';

interface Waiter {
  resolve(info: UpstreamInfo): void;
  reject(err: GatewayError): void;
  timer: NodeJS.Timeout;
}

export class ReadyWaiters {
  private waiters: Waiter[] = [];

  /** Waits until resolveAll or rejectAll; after timeoutMs rejects with what `describe` says. */
  wait(timeoutMs: number, describe: () => string): Promise<UpstreamInfo> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new GatewayError('upstream_unavailable', describe()));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  resolveAll(info: UpstreamInfo): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(info);
    }
  }

  rejectAll(err: GatewayError): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}
