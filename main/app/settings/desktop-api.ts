/**
 * The desktop app's own methods (preload/contract/desktop.ts), over its settings. The theme is
 * kept in one place, app-settings.json, and handed to Electron's nativeTheme, which decides what
 * the window shows (its prefers-color-scheme), and the native menus and dialogs: the Settings
 * screen's choice and the file can no longer disagree.
 */
import type { DesktopApi, Theme } from '../../../preload/contract/index.ts';
import type { AppSettingsStore } from './store.ts';

/** Electron's nativeTheme, as far as the theme goes. */
export interface ThemeTarget {
  themeSource: Theme;
}

export function createDesktopApi(settings: Pick<AppSettingsStore, 'get' | 'set'>, native: ThemeTarget): DesktopApi {
  return {
    getAppTheme: async () => settings.get('theme'),
    async setAppTheme(theme) {
      // Applied even when saving fails (the store logs it): the choice holds for this run.
      settings.set('theme', theme);
      native.themeSource = theme;
    },
  };
}

/** The stored theme, applied: at start, before any window opens, so none shows the wrong one first. */
export function applyStoredTheme(settings: Pick<AppSettingsStore, 'get'>, native: ThemeTarget): void {
  native.themeSource = settings.get('theme');
}
