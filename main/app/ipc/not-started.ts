/**
 * The window's calls while the app's gateway is not running. The window opens before the gateway
 * has started, and a gateway that has not started (or never did: another Switchboard gateway holds
 * the lock, or it broke) answers from an empty config, so every list came back empty and the window
 * said "No servers are configured" until the start was done, or for good: a fresh install to look
 * at. Here a call made while the gateway is starting is answered `gateway_starting`, and one made
 * after a failed start `gateway_not_started` with what is wrong and what to do instead; the window
 * is told to fetch again once the start has ended (desktop.ts). Where the start may be tried again,
 * the window's getStatus (the first call of every refresh, and its Try again) tries it, as the
 * tray's Try again does; calls made meanwhile wait for that try.
 */
import type { ApiDispatch } from '../../engine/index.ts';

export interface StartProblem {
  /** What is wrong and what to do, in words for the window (it follows "The gateway is not running: "). */
  message: string;
  /** Starts the gateway again; present where a new try can succeed (another gateway held the lock). */
  retry?: () => Promise<void>;
}

/** What the window's calls are answered while the gateway is starting (the window says it is, with this). */
export const STARTING_MESSAGE =
  'your servers show here once it runs. If your system asks whether Switchboard may use the keychain, ' +
  'answer it: the start waits for that.';

export function answerWhileNotStarted(
  dispatch: ApiDispatch,
  problem: () => StartProblem | undefined,
  starting: () => boolean = () => false,
): ApiDispatch {
  let trying: Promise<void> | undefined;
  return async (method, args) => {
    const before = problem();
    if (
      before !== undefined &&
      trying === undefined &&
      !starting() &&
      method === 'getStatus' &&
      before.retry !== undefined
    ) {
      trying = before.retry().finally(() => (trying = undefined));
    }
    // Whether that try failed is known by asking problem() again; its fault is the starter's to log.
    if (trying !== undefined) await Promise.allSettled([trying]);
    // A start the window did not ask for (the first one, or the tray's Try again): not waited for,
    // as it can take long (a keychain prompt); the window hears once it has ended.
    else if (starting()) return { ok: false, error: { code: 'gateway_starting', message: STARTING_MESSAGE } };
    const now = problem();
    if (now === undefined) return dispatch(method, args);
    return { ok: false, error: { code: 'gateway_not_started', message: now.message } };
  };
}
