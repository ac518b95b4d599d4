/**
 * What the window does when its page's process is gone (crashed, killed, out of memory): it loads
 * the page again, as a blank window helps nobody; a page that keeps going is not loaded over and
 * over: after three in a minute the window closes, and the tray opens a fresh one. The gateway runs
 * on either way. Free of Electron values, so it can be unit-tested.
 */

/** Crashes counted together. */
const CRASH_WINDOW_MS = 60_000;
/** Loads again within CRASH_WINDOW_MS before the window is closed instead. */
const MAX_RELOADS = 3;

export type PageCrashAction = 'reload' | 'close' | 'none';

/** Keeps a window's recent crashes and says what to do about the next one. */
export function pageCrashPolicy(): (reason: string, now: number) => PageCrashAction {
  let recent: number[] = [];
  return (reason, now) => {
    // The page ended as asked (the window closing): nothing to mend.
    if (reason === 'clean-exit') return 'none';
    recent = [...recent.filter((at) => now - at < CRASH_WINDOW_MS), now];
    if (recent.length <= MAX_RELOADS) return 'reload';
    recent = [];
    return 'close';
  };
}
