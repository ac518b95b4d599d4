/**
 * What only the desktop app answers: its own settings, which it keeps in app-settings.json (not
 * in the gateway's config file). Reached over IPC only; the browser UI (`switchboard serve`) has
 * no route to these methods and keeps its choices in the browser.
 */
import { z } from 'zod';
import type { GatewayApi } from './api.ts';
import { METHODS, type IpcMethodTable } from './methods.ts';

/** 'system': as the operating system's light or dark setting. */
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export interface DesktopApi {
  /** The app's theme: what its window, menus and dialogs show. */
  getAppTheme(): Promise<Theme>;
  /** Saves the app's theme and applies it at once to the window, menus and dialogs. */
  setAppTheme(theme: Theme): Promise<void>;
}

export const DESKTOP_METHODS = {
  getAppTheme: {
    channel: 'switchboard:get-app-theme',
    params: [],
    args: z.tuple([]),
  },
  setAppTheme: {
    channel: 'switchboard:set-app-theme',
    params: ['theme'],
    args: z.tuple([z.enum(THEMES)]),
  },
} as const satisfies IpcMethodTable<DesktopApi>;

/** Every method the desktop app's window reaches over IPC: the control API and the app's own. */
export const IPC_METHODS = { ...METHODS, ...DESKTOP_METHODS } as const satisfies IpcMethodTable<
  GatewayApi & DesktopApi
>;
