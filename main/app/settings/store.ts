/**
 * The app settings kept with electron-store in `<userData>/app-settings.json`. Reads go through
 * sanitize(), so a damaged or hand-edited file never stops the app; a failed write is logged and
 * the value still holds for this run.
 */
import Store from 'electron-store';
import { defaultSettings, sanitize, settingValue, type AppSettingKey, type AppSettings } from './app-settings.ts';

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

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Main process only; fine before app 'ready' (userData is known by then). */
export function createAppSettings(options: AppSettingsOptions = {}): AppSettingsStore {
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  let store: Store<Record<string, unknown>> | undefined;
  try {
    store = new Store<Record<string, unknown>>({
      name: 'app-settings',
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
        // Key by key, so keys a newer version wrote stay in the file.
        store?.set(key, clean);
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
