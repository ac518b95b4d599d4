/**
 * The desktop app's own settings (window placement, theme, start at login, update channel), as
 * data: defaults, a sanitizer for whatever the settings file holds, and the rule that keeps a
 * restored window on a connected display. Pure; store.ts keeps them in electron-store.
 * Gateway settings (ports, traffic) live in the config file, not here.
 */

import { THEMES, type Theme } from '../../../preload/contract/index.ts';

export { THEMES, type Theme };

/** `off`: never check; `beta`: the beta feed (pre-releases) as well as releases. */
export const UPDATE_CHANNELS = ['stable', 'beta', 'off'] as const;
export type UpdateChannel = (typeof UPDATE_CHANNELS)[number];

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type WindowBounds = Rect;

export interface WindowState {
  /** The window's normal (not maximized) bounds when it last closed; null until then. */
  bounds: WindowBounds | null;
  maximized: boolean;
}

export interface AppSettings {
  window: WindowState;
  theme: Theme;
  startAtLogin: boolean;
  updateChannel: UpdateChannel;
}

export type AppSettingKey = keyof AppSettings;

/** Mirrors mainWindowOptions() in windows/options.ts. */
export const DEFAULT_WINDOW_SIZE = { width: 1100, height: 720 } as const;
export const MIN_WINDOW_SIZE = { width: 720, height: 480 } as const;

/** Coordinates beyond this are garbage, not a very large desktop. */
const MAX_COORDINATE = 100_000;

export function defaultSettings(): AppSettings {
  return {
    window: { bounds: null, maximized: false },
    theme: 'system',
    // Registering a login item is the user's decision, never a default.
    startAtLogin: false,
    updateChannel: 'stable',
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a hand-edited file may hold `__proto__` or `constructor` keys. */
function field(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown): T | undefined {
  if (typeof value !== 'string') return undefined;
  const wanted = value.trim().toLowerCase();
  return allowed.find((a) => a === wanted);
}

function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  // Hand edits write "true" as often as true.
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  return undefined;
}

function coordinate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_COORDINATE
    ? Math.round(value)
    : undefined;
}

function windowBounds(value: unknown): WindowBounds | null {
  if (!isRecord(value)) return null;
  const x = coordinate(field(value, 'x'));
  const y = coordinate(field(value, 'y'));
  const width = coordinate(field(value, 'width'));
  const height = coordinate(field(value, 'height'));
  if (x === undefined || y === undefined || width === undefined || height === undefined) return null;
  if (width <= 0 || height <= 0) return null;
  return {
    x,
    y,
    width: Math.max(width, MIN_WINDOW_SIZE.width),
    height: Math.max(height, MIN_WINDOW_SIZE.height),
  };
}

function windowState(value: unknown): WindowState {
  if (!isRecord(value)) return defaultSettings().window;
  return { bounds: windowBounds(field(value, 'bounds')), maximized: bool(field(value, 'maximized')) ?? false };
}

/**
 * One setting checked on its own: the clean value, or undefined when it cannot be one (for set(),
 * which refuses what sanitize() would quietly replace).
 */
export function settingValue<K extends AppSettingKey>(key: K, value: unknown): AppSettings[K] | undefined {
  let result: AppSettings[AppSettingKey] | undefined;
  switch (key) {
    case 'window':
      result = isRecord(value) ? windowState(value) : undefined;
      break;
    case 'theme':
      result = oneOf(THEMES, value);
      break;
    case 'startAtLogin':
      result = bool(value);
      break;
    case 'updateChannel':
      result = oneOf(UPDATE_CHANNELS, value);
      break;
  }
  return result as AppSettings[K] | undefined;
}

/**
 * Whatever the settings file holds (an older version's, a hand edit, garbage) as valid settings:
 * each known key is kept when it makes sense and replaced by its default when not; unknown keys
 * are ignored. Never throws.
 */
export function sanitize(raw: unknown): AppSettings {
  const defaults = defaultSettings();
  if (!isRecord(raw)) return defaults;
  return {
    window: windowState(field(raw, 'window')),
    theme: settingValue('theme', field(raw, 'theme')) ?? defaults.theme,
    startAtLogin: settingValue('startAtLogin', field(raw, 'startAtLogin')) ?? defaults.startAtLogin,
    updateChannel: settingValue('updateChannel', field(raw, 'updateChannel')) ?? defaults.updateChannel,
  };
}

/**
 * Why the settings file's text is not JSON, with where ("line 3, column 1: ..."); undefined when it
 * is JSON, or empty (a file never written). A BOM is allowed, as the store allows it.
 */
export function settingsFileProblem(text: string): string | undefined {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return undefined;
  try {
    JSON.parse(body);
    return undefined;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\(line \d+ column \d+\)$/, '');
    const at = /at position (\d+)/.exec(message);
    const what = message.replace(/\s*in JSON at position \d+$/, '');
    if (at === null) return what;
    const before = body.slice(0, Number(at[1])).split('\n');
    return `line ${before.length}, column ${before.at(-1)!.length + 1}: ${what}`;
  }
}

/** A display as far as window placement cares (Electron's Display fits). */
export interface DisplayArea {
  /** The display minus task bars, docks and menu bars. */
  workArea: Rect;
  /** The primary display; the first one when none says so. */
  primary?: boolean;
}

/** How much of a window's top strip (where its title bar is) must be on a display to grab it. */
const TITLE_STRIP_HEIGHT = 32;
const MIN_GRAB_WIDTH = 100;
const MIN_GRAB_HEIGHT = 16;

function intersection(a: Rect, b: Rect): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { width: Math.max(0, width), height: Math.max(0, height) };
}

function centred(area: Rect, size: { width: number; height: number }): WindowBounds {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return {
    x: Math.round(area.x + (area.width - width) / 2),
    y: Math.round(area.y + (area.height - height) / 2),
    width,
    height,
  };
}

/** Shrinks `bounds` to fit `area` on each axis where it is too big, moving it in along that axis. */
function fitted(bounds: WindowBounds, area: Rect): WindowBounds {
  const fit = (pos: number, size: number, start: number, extent: number): [number, number] =>
    size <= extent ? [pos, size] : [start, extent];
  const [x, width] = fit(bounds.x, bounds.width, area.x, area.width);
  const [y, height] = fit(bounds.y, bounds.height, area.y, area.height);
  return { x, y, width, height };
}

/**
 * Where to open the main window: its saved bounds while the user can still grab its title bar on
 * a connected display (shrunk to that display if it is now too small), otherwise the default size
 * centred on the primary display — a monitor that was unplugged must not keep the window out of
 * reach.
 */
export function visibleBounds(saved: WindowBounds | null | undefined, displays: readonly DisplayArea[]): WindowBounds {
  const primary = displays.find((d) => d.primary === true) ?? displays[0];
  if (primary === undefined) return saved ?? { x: 0, y: 0, ...DEFAULT_WINDOW_SIZE };
  if (saved !== null && saved !== undefined) {
    const strip = { ...saved, height: Math.min(TITLE_STRIP_HEIGHT, saved.height) };
    const grabWidth = Math.min(MIN_GRAB_WIDTH, saved.width);
    const grabHeight = Math.min(MIN_GRAB_HEIGHT, strip.height);
    let best: { display: DisplayArea; area: number } | undefined;
    for (const display of displays) {
      const overlap = intersection(strip, display.workArea);
      if (overlap.width < grabWidth || overlap.height < grabHeight) continue;
      const area = overlap.width * overlap.height;
      if (best === undefined || area > best.area) best = { display, area };
    }
    if (best !== undefined) return fitted(saved, best.display.workArea);
  }
  return centred(primary.workArea, DEFAULT_WINDOW_SIZE);
}
