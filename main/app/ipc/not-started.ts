/**
 * The window's calls while the app's gateway is not running (its start failed: another Switchboard
 * gateway holds the lock, or it broke): a gateway that never started answers from an empty config,
 * so every list came back empty and the window looked like a fresh install. Here each call is
 * answered `gateway_not_started` with what is wrong and what to do instead. Where the start may
 * be tried again, the window's getStatus (the first call of every refresh, and its Try again) tries
 * it, as the tray's Try again does; calls made meanwhile wait for that try.
 */
import type { ApiDispatch } from '../../engine/index.ts';

export interface StartProblem {
  /** What is wrong and what to do, in words for the window (it follows "The gateway is not running: "). */
  message: string;
  /** Starts the gateway again; present where a new try can succeed (another gateway held the lock). */
  retry?: () => Promise<void>;
}

export function answerWhileNotStarted(dispatch: ApiDispatch, problem: () => StartProblem | undefined): ApiDispatch {
  let trying: Promise<void> | undefined;
  return async (method, args) => {
    const before = problem();
    if (before !== undefined && trying === undefined && method === 'getStatus' && before.retry !== undefined) {
      trying = before.retry().finally(() => (trying = undefined));
    }
    // Whether that try failed is known by asking problem() again; its fault is the starter's to log.
    if (trying !== undefined) await Promise.allSettled([trying]);
    const now = problem();
    if (now === undefined) return dispatch(method, args);
    return { ok: false, error: { code: 'gateway_not_started', message: now.message } };
  };
}
