/**
 * Auto-update decisions without Electron values: whether this install checks for updates and
 * where (updatePlan), when the next check is due, and what the user is told (a small state
 * machine fed by the updater's events). auto-updater.ts wires electron-updater to it.
 */
import type { UpdateChannel } from '../settings/app-settings.ts';

/** How often an installed app looks for a new version. */
export const UPDATE_INTERVAL_MS = 6 * 60 * 60 * 1000;

export type UpdatePlan =
  | { check: false; reason: string }
  | {
      check: true;
      channel: Exclude<UpdateChannel, 'off'>;
      /** electron-updater's channel: the feed file it reads (`latest.yml`, `beta.yml`, ...). */
      feedChannel: 'latest' | 'beta';
      /** Base URL of the generic feed, https only. */
      feed: string;
      intervalMs: number;
    };

export interface UpdatePlanInput {
  /** Electron's app.isPackaged. */
  isPackaged: boolean;
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  /** The user's choice in the app settings. */
  channel: UpdateChannel;
  /** The feed the build ships with, if any; SWITCHBOARD_UPDATE_FEED overrides it. */
  feedUrl?: string | undefined;
  /** Running from an AppImage (the APPIMAGE variable is set). */
  isAppImage: boolean;
  /** macOS: whether the app is code-signed (Squirrel.Mac refuses unsigned updates). Assumed when absent. */
  signed?: boolean;
}

function feedFrom(raw: string): { feed: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'the update feed is not a valid URL' };
  }
  if (url.protocol !== 'https:') return { problem: `the update feed must use https (it uses ${url.protocol})` };
  // The feed URL ends up in logs and error messages.
  if (url.username !== '' || url.password !== '') return { problem: 'the update feed must not contain credentials' };
  return { feed: url.href };
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}

/** Whether and where this install checks for updates; a reason the user can read when it does not. */
export function updatePlan(input: UpdatePlanInput): UpdatePlan {
  if (!input.isPackaged) return { check: false, reason: 'a development build does not update itself' };
  if (envFlag(input.env.SWITCHBOARD_DISABLE_UPDATES)) {
    return { check: false, reason: 'updates are turned off by SWITCHBOARD_DISABLE_UPDATES' };
  }
  // The window has no setting for it: the file is where it was turned off (docs/desktop.md).
  if (input.channel === 'off')
    return { check: false, reason: 'updates are turned off in app-settings.json ("updateChannel": "off")' };
  if (input.platform === 'linux') {
    if (!input.isAppImage) {
      return { check: false, reason: 'installed from a package (deb/rpm): your package manager updates Switchboard' };
    }
  } else if (input.platform === 'darwin') {
    if (input.signed === false) return { check: false, reason: 'an unsigned macOS build cannot update itself' };
  } else if (input.platform !== 'win32') {
    return { check: false, reason: `updates are not supported on ${input.platform}` };
  }
  const fromEnv = input.env.SWITCHBOARD_UPDATE_FEED?.trim();
  const raw = fromEnv !== undefined && fromEnv !== '' ? fromEnv : input.feedUrl?.trim();
  if (raw === undefined || raw === '') return { check: false, reason: 'no update feed is configured' };
  const feed = feedFrom(raw);
  if ('problem' in feed) return { check: false, reason: feed.problem };
  return {
    check: true,
    channel: input.channel,
    feedChannel: input.channel === 'beta' ? 'beta' : 'latest',
    feed: feed.feed,
    intervalMs: UPDATE_INTERVAL_MS,
  };
}

/**
 * Whether a check is due. Compares wall-clock times rather than trusting one long timer, which
 * a sleeping laptop stretches; a clock that moved backwards also counts as due.
 */
export function shouldCheckNow(lastCheck: number | undefined, now: number, intervalMs: number): boolean {
  return lastCheck === undefined || now < lastCheck || now - lastCheck >= intervalMs;
}

// ---- what the user is told -----------------------------------------------------------------

export type UpdateState =
  /** Nothing to report; `upToDate` once a check found no newer version. */
  | { kind: 'idle'; upToDate?: true }
  | { kind: 'checking' }
  | { kind: 'available'; version: string }
  | { kind: 'downloading'; version?: string; percent: number }
  /** Downloaded; installs when the app quits. */
  | { kind: 'ready'; version: string }
  | { kind: 'error'; message: string };

/** The updater's events, as plain data. */
export type UpdateEvent =
  | { type: 'checking' }
  | { type: 'not-available' }
  | { type: 'available'; version: string }
  | { type: 'progress'; percent: number }
  | { type: 'downloaded'; version: string }
  | { type: 'cancelled' }
  | { type: 'error'; message: string; code?: string };

export const INITIAL_UPDATE_STATE: UpdateState = { kind: 'idle' };

const MAX_ERROR_LENGTH = 200;

/**
 * A short, single-line error for the user. electron-updater's messages carry stack traces and
 * sometimes the whole feed response; the first line is what matters.
 */
export function updateErrorMessage(message: string, code?: string): string {
  if (code === 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND') return 'the update feed has no release for this channel';
  if (code === 'ERR_UPDATER_INVALID_UPDATE_INFO') return 'the update feed sent information that could not be read';
  if (/\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH)\b|net::ERR_/.test(message)) {
    return 'could not reach the update server';
  }
  const first = (message.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
  if (first === '') return 'the update failed';
  return first.length <= MAX_ERROR_LENGTH ? first : `${first.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}

function clampPercent(percent: number): number {
  return Number.isFinite(percent) ? Math.min(100, Math.max(0, Math.floor(percent))) : 0;
}

/**
 * The next state. Returns `state` itself when nothing the user sees changes (so a listener can
 * skip it). A downloaded update stays `ready` whatever follows: it still installs on quit.
 */
export function nextUpdateState(state: UpdateState, event: UpdateEvent): UpdateState {
  if (state.kind === 'ready') return state;
  switch (event.type) {
    case 'checking':
      // A check started while a download runs does not hide the download.
      return state.kind === 'checking' || state.kind === 'available' || state.kind === 'downloading'
        ? state
        : { kind: 'checking' };
    case 'not-available':
      return state.kind === 'checking' ? { kind: 'idle', upToDate: true } : state;
    case 'available':
      if (state.kind === 'downloading') return state;
      return state.kind === 'available' && state.version === event.version
        ? state
        : { kind: 'available', version: event.version };
    case 'progress': {
      const percent = clampPercent(event.percent);
      if (state.kind === 'downloading') return percent === state.percent ? state : { ...state, percent };
      return state.kind === 'available'
        ? { kind: 'downloading', version: state.version, percent }
        : { kind: 'downloading', percent };
    }
    case 'downloaded':
      return { kind: 'ready', version: event.version };
    case 'cancelled':
      return INITIAL_UPDATE_STATE;
    case 'error': {
      const message = updateErrorMessage(event.message, event.code);
      return state.kind === 'error' && state.message === message ? state : { kind: 'error', message };
    }
  }
}

/** One line for the tray or the Settings screen. */
export function describeUpdateState(state: UpdateState): string {
  switch (state.kind) {
    case 'idle':
      return state.upToDate === true ? 'Switchboard is up to date' : 'Switchboard checks for updates automatically';
    case 'checking':
      return 'Checking for updates…';
    case 'available':
      return `Version ${state.version} is available; downloading…`;
    case 'downloading':
      return state.version === undefined
        ? `Downloading an update: ${state.percent}%`
        : `Downloading version ${state.version}: ${state.percent}%`;
    case 'ready':
      return `Version ${state.version} is ready: it installs when you quit Switchboard`;
    case 'error':
      return `Could not update: ${state.message}`;
  }
}
