/**
 * The app settings kept with electron-store in `<userData>/app-settings.json`. Reads go through
 * sanitize(), so a damaged or hand-edited file never stops the app; a failed write is logged and
 * the value still holds for this run.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app } from 'electron';
import Store from 'electron-store';
import {
  defaultSettings,
  sanitize,
  settingsFileProblem,
  settingValue,
  type AppSettingKey,
  type AppSettings,
} from './app-settings.ts';

export interface AppSettingsStore {
  get<K extends AppSettingKey>(key: K): AppSettings[K];
  /** Throws a TypeError for a value that is not valid for `key`; never for a failed write. */
  set<K extends AppSettingKey>(key: K, value: AppSettings[K]): void;
  /** Every setting, sanitized. */
  all(): AppSettings;
  /** The settings file, or undefined when it could not be opened (settings then last for this run only). */
  readonly path: string | undefined;
}

export interface AppSettingsOptions {
  /** Folder of the settings file; electron-store's default is app.getPath('userData'). */
  cwd?: string;
  log?: (line: string) => void;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The name the store gives the settings file, in its folder. */
const FILE_NAME = 'app-settings.json';

/**
 * A settings file that is not JSON (a hand edit with a stray comma) is cleared by the store: its
 * text is first kept beside it as `app-settings.json.broken`, and the log says where it went wrong.
 */
function setAsideUnreadable(file: string, log: (line: string) => void): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return; // none yet, or unreadable: the store says so
  }
  const problem = settingsFileProblem(text);
  if (problem === undefined) return;
  const kept = `${file}.broken`;
  try {
    copyFileSync(file, kept);
    log(`${file} is not JSON (${problem}); it was kept as ${kept}, and the app uses the defaults`);
  } catch (err) {
    log(`${file} is not JSON (${problem}); the app uses the defaults (keeping a copy failed: ${message(err)})`);
  }
}

/** Main process only; fine before app 'ready' (userData is known by then). */
export function createAppSettings(options: AppSettingsOptions = {}): AppSettingsStore {
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  let store: Store<Record<string, unknown>> | undefined;
  try {
    setAsideUnreadable(join(options.cwd ?? app.getPath('userData'), FILE_NAME), log);
  } catch (err) {
    log(`could not look at the app settings file: ${message(err)}`);
  }
  try {
    store = new Store<Record<string, unknown>>({
      name: FILE_NAME.replace(/\.json$/, ''),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      // No schema: sanitize() repairs a bad value key by key, where a schema violation would
      // drop the whole file. Unparseable JSON is cleared, or no write could ever succeed.
      clearInvalidConfig: true,
    });
  } catch (err) {
    log(`could not open the app settings, using defaults for this run: ${message(err)}`);
  }

  let current: AppSettings;
  try {
    current = sanitize(store?.store);
  } catch (err) {
    log(`could not read the app settings, using defaults: ${message(err)}`);
    current = defaultSettings();
  }

  return {
    get(key) {
      return structuredClone(current[key]);
    },
    set(key, value) {
      const clean = settingValue(key, value);
      if (clean === undefined) throw new TypeError(`invalid value for the app setting "${key}"`);
      current = { ...current, [key]: clean };
      try {
        // Key by key, so keys a newer version wrote stay in the file; inside a setting that is an
        // object (window), what a newer version added beside the keys known here stays too.
        const before: unknown = store?.get(key);
        const value: unknown = clean;
        const kept = isPlainObject(before) && isPlainObject(value) ? { ...before, ...value } : value;
        store?.set(key, kept);
      } catch (err) {
        log(`could not save the app setting "${key}": ${message(err)}`);
      }
    },
    all() {
      return structuredClone(current);
    },
    path: store?.path,
  };
}
