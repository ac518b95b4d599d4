/**
 * Servers' stderr as live `log` events, at most `perSecond` lines per server: a server printing
 * without end must not flood every window and event stream. What is held back is counted and
 * said in one line; the lines themselves stay in the server's log (getServerLog, its file).
 */
import type { LogLine } from '../../../preload/contract/index.ts';

export interface StderrFeedOptions {
  /** Lines per server per second shown live. Default 200. */
  perSecond?: number;
}

export type StderrFeed = (server: string, text: string) => void;

export function createStderrFeed(publish: (line: LogLine) => void, options: StderrFeedOptions = {}): StderrFeed {
  const perSecond = options.perSecond ?? 200;
  const windows = new Map<string, { endsAt: number; sent: number; held: number }>();
  return (server, text) => {
    const at = Date.now();
    // Windows on the monotonic clock: a wall clock set back must not mute a server for that long.
    const now = performance.now();
    let window = windows.get(server);
    if (!window || now >= window.endsAt) windows.set(server, (window = { endsAt: now + 1000, sent: 0, held: 0 }));
    if (window.sent < perSecond) {
      window.sent++;
      publish({ at, level: 'info', server, source: 'stderr', text });
      return;
    }
    if (window.held++ === 0) {
      const counted = window;
      setTimeout(() => {
        publish({
          at: Date.now(),
          level: 'warn',
          server,
          source: 'gateway',
          text:
            `${counted.held} more stderr lines of "${server}" were not shown ` +
            `live (over ${perSecond} a second); the server's log has them`,
        });
      }, counted.endsAt - now).unref();
    }
  };
}
