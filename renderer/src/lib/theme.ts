/**
 * Light, dark, or as the system says. The desktop app keeps the choice itself (app-settings.json)
 * and applies it to the window as the system's colour scheme, and to its menus and dialogs, so
 * the page sets nothing there. In a browser it is kept in that browser only, and set on the page.
 */
import type { DesktopApi, Theme } from '../../../preload/contract/index.ts';

export type { Theme };

export interface ThemeKeeper {
  /** Where the choice is kept, as the Settings screen says it. */
  readonly keptIn: string;
  load(): Promise<Theme>;
  /** Saves and applies it; rejects (nothing changed) when the app could not take it. */
  save(theme: Theme): Promise<void>;
}

const KEY = 'switchboard.theme';

function savedTheme(): Theme {
  const value = localStorage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

function applyTheme(theme: Theme): void {
  if (theme === 'system') {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(KEY, theme);
  }
}

/** At page start in a browser: the theme this browser keeps (before anything is shown). */
export function applyBrowserTheme(): void {
  applyTheme(savedTheme());
}

export function browserThemes(): ThemeKeeper {
  return {
    keptIn: 'Kept in this browser only',
    load: async () => savedTheme(),
    save: async (theme) => applyTheme(theme),
  };
}

export function appThemes(desktop: DesktopApi): ThemeKeeper {
  return {
    keptIn: 'Kept by the app, for its window, menus and dialogs',
    load: () => desktop.getAppTheme(),
    save: (theme) => desktop.setAppTheme(theme),
  };
}
