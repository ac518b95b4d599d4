/**
 * A server's state as a line of its log (the Servers screen's log, `switchboard serve`'s output, the
 * live `log` events), in the words the Servers screen uses, not the engine's state names: a line read
 * "backoff: exited with code 1: …", which a user had to decode.
 */
import { describeWait } from './retry-after.ts';
import type { UpstreamStatus } from './types.ts';

/** How long until the next try: "500 ms" for the short waits of the first retries, then "2 s", "5 min". */
function waitText(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : describeWait(ms);
}

/**
 * "ready", "starting", "exited with code 1: …; restarting in 2 s" (a remote server or a handler is
 * "retrying": it has no process to start), "failed: gave up after 6 tries: …", "stopped".
 * `saidBefore`: the last error the line before told; a start or a stop does not repeat it (it read
 * "starting: exited with code 1: …", as if the start had ended so).
 */
export function statusText(s: UpstreamStatus, saidBefore?: string): string {
  const error = s.lastError;
  switch (s.state) {
    case 'backoff': {
      const again = s.kind === 'stdio' ? 'restarting' : 'retrying';
      const when = s.retryAt === undefined ? 'soon' : `in ${waitText(s.retryAt - s.since)}`;
      return error ? `${error}; ${again} ${when}` : `${again} ${when}`;
    }
    case 'ready':
      return 'ready';
    case 'failed':
      return error ? `failed: ${error}` : 'failed';
    default:
      // A stand-in still reading its secrets is starting for that reason: a reason not told before.
      return error && error !== saidBefore ? `${s.state}: ${error}` : s.state;
  }
}

/** statusText over one gateway's status changes: a server's error is told once, not again at its next start. */
export class StatusLines {
  private readonly errorSaid = new Map<string, string | undefined>();

  line(s: UpstreamStatus): string {
    const text = statusText(s, this.errorSaid.get(s.name));
    this.errorSaid.set(s.name, s.lastError);
    return text;
  }
}
