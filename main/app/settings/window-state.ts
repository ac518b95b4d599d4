/**
 * Electron wiring of window placement: where to open the main window (saved bounds kept on a
 * connected display) and saving its bounds and maximized state as it changes. Call after 'ready'
 * (the screen module needs it).
 */
import { screen, type BrowserWindow } from 'electron';
import { visibleBounds, type DisplayArea, type WindowBounds } from './app-settings.ts';
import type { AppSettingsStore } from './store.ts';

/** Moving or resizing fires many events; save once it settles. */
const SAVE_DELAY_MS = 500;

export interface InitialWindowState {
  bounds: WindowBounds;
  maximized: boolean;
}

/** Spread `bounds` into the BrowserWindow options; call win.maximize() before showing when `maximized`. */
export function initialWindowState(settings: AppSettingsStore): InitialWindowState {
  const saved = settings.get('window');
  const primaryId = screen.getPrimaryDisplay().id;
  const displays: DisplayArea[] = screen
    .getAllDisplays()
    .map((d) => ({ workArea: d.workArea, primary: d.id === primaryId }));
  return { bounds: visibleBounds(saved.bounds, displays), maximized: saved.maximized };
}

/** Saves the window's normal bounds and maximized state while it lives; returns a function that stops. */
export function rememberWindowState(win: BrowserWindow, settings: AppSettingsStore): () => void {
  let timer: NodeJS.Timeout | undefined;
  const save = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (win.isDestroyed()) return;
    // Normal bounds, so un-maximizing next time lands where the user had the window.
    settings.set('window', { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  };
  const later = (): void => {
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
    timer.unref();
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('maximize', later);
  win.on('unmaximize', later);
  win.on('close', save);
  return () => {
    clearTimeout(timer);
    if (win.isDestroyed()) return;
    win.off('resize', later);
    win.off('move', later);
    win.off('maximize', later);
    win.off('unmaximize', later);
    win.off('close', save);
  };
}
