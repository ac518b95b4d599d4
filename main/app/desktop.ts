/**
 * The desktop shell around the engine: single instance, tray, main window, IPC, and an orderly
 * stop of the gateway on quit. Electron glue only; decisions live in the pure modules next to it.
 */
import { app, ipcMain } from 'electron';
import type { GatewayApi, GatewayEvents, Unsubscribe } from '../../preload/contract/index.ts';
import type { ApiDispatch, PublishedEvent } from '../engine/index.ts';
import { createIpcHandlers, createSenderCheck } from './ipc/dispatch.ts';
import { forwardGatewayEvents, registerGatewayIpc } from './ipc/register.ts';
import { appPaths, type AppPaths } from './paths.ts';
import { createAppTray, type AppTray } from './tray/tray.ts';
import {
  createMainWindow,
  hardenWebContents,
  registerAppScheme,
  restrictPermissions,
  serveAppScheme,
} from './windows/main-window.ts';
import { isAppUrl } from './windows/options.ts';

/** What the shell needs from the engine (main/engine/index.ts `Gateway` must fit this). */
export interface DesktopGateway {
  /** The control API (engine/api). */
  readonly api: GatewayApi;
  /** Runs one API call for a binding: checks the arguments, answers a Reply. */
  readonly dispatch: ApiDispatch;
  /** The pushed events, for the tray and the windows. */
  readonly events: GatewayEvents & { onAny(listener: (event: PublishedEvent) => void): Unsubscribe };
  /** Loads config, opens listeners, starts servers. Config problems show in getStatus(), not here. */
  start(): Promise<void>;
  /** Stops listeners and servers (kills process trees). */
  stop(): Promise<void>;
}

export interface DesktopOptions {
  /** Called once this process holds the single-instance lock. */
  createGateway(): DesktopGateway;
  paths?: AppPaths;
}

/** Give up waiting for a clean gateway stop after this long, and quit anyway. */
const STOP_TIMEOUT_MS = 5_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function stopWithin(gateway: DesktopGateway, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error(`switchboard: gateway did not stop within ${ms} ms; quitting anyway`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([gateway.stop(), timeout]);
  } catch (err) {
    console.error('switchboard: error while stopping the gateway:', err);
  } finally {
    clearTimeout(timer);
  }
}

export function runDesktopApp(options: DesktopOptions): void {
  registerAppScheme();
  if (!app.requestSingleInstanceLock()) {
    // Another instance owns the gateway; it opens its window on 'second-instance'.
    app.quit();
    return;
  }
  const paths = options.paths ?? appPaths();
  const gateway = options.createGateway();
  const api = gateway.api;
  const mainWindow = createMainWindow(paths.preload);
  let tray: AppTray | null = null;
  let stopping = false;
  let stopped = false;

  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('second-instance', () => mainWindow.open());
  app.on('activate', () => mainWindow.open());
  // A tray app keeps running with no windows open; Quit is in the tray menu.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    void stopWithin(gateway, STOP_TIMEOUT_MS).finally(() => {
      stopped = true;
      tray?.destroy();
      app.quit();
    });
  });

  const ready = async (): Promise<void> => {
    restrictPermissions();
    serveAppScheme(paths.renderer);
    registerGatewayIpc(
      ipcMain,
      createIpcHandlers(
        gateway.dispatch,
        createSenderCheck(isAppUrl, (id) => mainWindow.isAppWindow(id)),
      ),
    );
    forwardGatewayEvents(gateway.events, () => mainWindow.appContents());
    const appTray = createAppTray({
      api,
      events: gateway.events,
      resourcesDir: paths.resources,
      onAction: (action) => (action === 'open' ? mainWindow.open() : app.quit()),
    });
    tray = appTray;
    // Launched at login with --hidden: stay in the tray. Otherwise show the window right away;
    // it reports progress while servers start.
    if (!process.argv.includes('--hidden')) mainWindow.open();
    try {
      await gateway.start();
    } catch (err) {
      appTray.setError(`failed to start: ${message(err)}`);
    }
    await appTray.refresh();
  };

  void app
    .whenReady()
    .then(ready)
    .catch((err: unknown) => {
      console.error('switchboard: desktop app failed to start:', err);
      app.exit(1);
    });
}
