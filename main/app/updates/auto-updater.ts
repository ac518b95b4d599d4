/**
 * Electron wiring of auto-update: electron-updater on a generic https feed, downloading in the
 * background and installing when the app quits. Its events become UpdateStates (update-plan.ts);
 * an update failure is a state with a message, never a crash.
 */
import electronUpdater from 'electron-updater';
import type { AppUpdater, ProgressInfo, UpdateDownloadedEvent, UpdateInfo } from 'electron-updater';
import type { AppUpdaterEvents } from 'electron-updater/out/AppUpdater.js';
import {
  INITIAL_UPDATE_STATE,
  nextUpdateState,
  shouldCheckNow,
  type UpdateEvent,
  type UpdatePlan,
  type UpdateState,
} from './update-plan.ts';

/** Leave the first check until startup traffic (servers, clients) has settled. */
const INITIAL_DELAY_MS = 30_000;
/** How often to ask whether a check is due (see shouldCheckNow). */
const TICK_MS = 15 * 60_000;

export interface AutoUpdateOptions {
  initialDelayMs?: number;
  tickMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

function errorEvent(err: unknown): UpdateEvent {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { type: 'error', message, code } : { type: 'error', message };
}

/**
 * Starts checking per `plan` (nothing happens when plan.check is false); `onState` hears every
 * change of what the user should be told. Returns a function that stops the checks.
 */
export function startAutoUpdates(
  plan: UpdatePlan,
  onState: (state: UpdateState) => void,
  options: AutoUpdateOptions = {},
): () => void {
  if (!plan.check) return () => undefined;
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  const now = options.now ?? Date.now;
  let state = INITIAL_UPDATE_STATE;
  let stopped = false;
  let lastCheck: number | undefined;

  const apply = (event: UpdateEvent): void => {
    if (stopped) return;
    const next = nextUpdateState(state, event);
    if (next === state) return;
    state = next;
    try {
      onState(next);
    } catch (err) {
      log(`update state listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const fail = (err: unknown): void => apply(errorEvent(err));

  let updater: AppUpdater;
  try {
    // The getter builds the platform's updater on first use, so a plan that never checks never builds one.
    updater = electronUpdater.autoUpdater;
    updater.setFeedURL({ provider: 'generic', url: plan.feed, channel: plan.feedChannel });
    updater.autoDownload = true;
    updater.autoInstallOnAppQuit = true;
  } catch (err) {
    fail(err);
    return () => undefined;
  }

  // The updater's events, each turned into the state machine's event; removed again on stop.
  const offs: (() => void)[] = [];
  const listen = <E extends keyof AppUpdaterEvents>(event: E, listener: AppUpdaterEvents[E]): void => {
    updater.on(event, listener);
    offs.push(() => updater.off(event, listener));
  };
  listen('checking-for-update', () => apply({ type: 'checking' }));
  listen('update-not-available', () => apply({ type: 'not-available' }));
  listen('update-available', (info: UpdateInfo) => apply({ type: 'available', version: info.version }));
  listen('download-progress', (progress: ProgressInfo) => apply({ type: 'progress', percent: progress.percent }));
  listen('update-downloaded', (event: UpdateDownloadedEvent) => apply({ type: 'downloaded', version: event.version }));
  listen('update-cancelled', () => apply({ type: 'cancelled' }));
  updater.on('error', (err: Error) => fail(err));

  const check = (): void => {
    // A downloaded update waits for quit; checking again would only download it again.
    if (stopped || state.kind === 'ready') return;
    lastCheck = now();
    try {
      updater.checkForUpdates().then(
        // The download runs on its own promise; its failure is also an 'error' event (same state).
        (result) => result?.downloadPromise?.catch(fail),
        fail,
      );
    } catch (err) {
      fail(err);
    }
  };
  const tick = (): void => {
    if (shouldCheckNow(lastCheck, now(), plan.intervalMs)) check();
  };

  const first = setTimeout(tick, options.initialDelayMs ?? INITIAL_DELAY_MS);
  const interval = setInterval(tick, options.tickMs ?? TICK_MS);
  // Update checks never keep the process alive.
  first.unref();
  interval.unref();

  return () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(first);
    clearInterval(interval);
    for (const off of offs) off();
    // The 'error' listener stays (and does nothing now): a check still in flight may emit 'error',
    // which throws without a listener.
  };
}
