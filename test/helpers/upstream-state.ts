/** Waits for an upstream to reach a state (tests of upstream lifecycles). */
import type { Upstream, UpstreamState } from '../../main/engine/upstreams/types.ts';

export function reach(u: Upstream, state: UpstreamState, timeoutMs = 15_000): Promise<void> {
  if (u.status().state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      u.off('status', onStatus);
      reject(new Error(`never reached ${state}; now ${JSON.stringify(u.status())}`));
    }, timeoutMs);
    const onStatus = (s: { state: UpstreamState }): void => {
      if (s.state !== state) return;
      clearTimeout(timer);
      u.off('status', onStatus);
      resolve();
    };
    u.on('status', onStatus);
  });
}
