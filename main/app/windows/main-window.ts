/**
 * Electron wiring of app windows: the `switchboard://app` scheme that serves the built renderer
 * with our CSP, hardening applied to every webContents, and the single main window.
 */
import { readFile } from 'node:fs/promises';
import { BrowserWindow, protocol, session, shell, type WebContents } from 'electron';
import { resolveAppAsset } from './assets.ts';
import { initialWindowState, rememberWindowState } from '../settings/window-state.ts';
import { pageCrashPolicy } from './page-crash.ts';
import type { AppSettingsStore } from '../settings/store.ts';
import {
  APP_SCHEME,
  appScreenUrl,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  mainWindowOptions,
  navigationPolicy,
  permissionPolicy,
  windowOpenPolicy,
} from './options.ts';

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
}

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/** Serves the built renderer; every response carries the CSP. Call after 'ready'. */
export function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const asset = request.method === 'GET' ? resolveAppAsset(rendererDir, request.url) : null;
    if (asset === null) return notFound();
    let body: Buffer;
    try {
      body = await readFile(asset.file);
    } catch {
      return notFound();
    }
    return new Response(new Uint8Array(body), {
      headers: {
        'content-type': asset.contentType,
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
    });
  });
}

/** Refuses browser permissions app pages do not need. Call after 'ready'. */
export function restrictPermissions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permissionPolicy(permission, details.requestingUrl)),
  );
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    permissionPolicy(permission, requestingOrigin),
  );
}

/** Applied to every webContents the app creates ('web-contents-created'). */
export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (navigationPolicy(event.url) === 'deny') event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (navigationPolicy(event.url) === 'deny') event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (navigationPolicy(event.url) === 'deny') event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenPolicy(url);
    if (decision.openExternally !== undefined) {
      shell
        .openExternal(decision.openExternally)
        .catch((err: unknown) => console.error('switchboard: could not open link:', err));
    }
    return { action: 'deny' };
  });
}

export interface MainWindow {
  /** Creates the window, or shows and focuses it if it exists; `screen` picks a screen (`questions`). */
  open(screen?: string): void;
  /** Whether the window is in front (question notifications stay quiet then). */
  isFocused(): boolean;
  /** Whether `webContentsId` belongs to the main window (IPC sender check). */
  isAppWindow(webContentsId: number): boolean;
  /** The window's contents while it shows the app page (where pushed events go). */
  appContents(): WebContents[];
}

function load(win: BrowserWindow, screen?: string): void {
  // Only the fragment changes for a page already loaded: the renderer switches screens, no reload.
  win
    .loadURL(appScreenUrl(screen))
    .catch((err: unknown) => console.error('switchboard: could not load the app page:', err));
}

/** The main window, placed where the user left it (settings) and kept on a connected display. */
export function createMainWindow(preloadPath: string, settings?: AppSettingsStore): MainWindow {
  let win: BrowserWindow | null = null;
  return {
    open(screen) {
      if (win !== null && !win.isDestroyed()) {
        if (win.isMinimized()) win.restore();
        win.show();
        win.focus();
        if (screen !== undefined) load(win, screen);
        return;
      }
      const placement = settings === undefined ? undefined : initialWindowState(settings);
      const created = new BrowserWindow(mainWindowOptions(preloadPath, placement?.bounds));
      win = created;
      const forget = settings === undefined ? () => undefined : rememberWindowState(created, settings);
      created.once('ready-to-show', () => {
        if (placement?.maximized === true) created.maximize();
        created.show();
      });
      created.on('closed', () => {
        forget();
        if (win === created) win = null;
      });
      const afterCrash = pageCrashPolicy();
      created.webContents.on('render-process-gone', (_event, details) => {
        const action = afterCrash(details.reason, Date.now());
        if (action === 'none') return;
        const next = action === 'reload' ? 'loading it again' : 'closing the window (the tray opens a new one)';
        console.error(`switchboard: the window's page stopped (${details.reason}); ${next}`);
        if (action === 'reload') created.webContents.reload();
        else created.destroy();
      });
      load(created, screen);
    },
    isFocused() {
      return win !== null && !win.isDestroyed() && win.isFocused();
    },
    isAppWindow(webContentsId) {
      return win !== null && !win.isDestroyed() && win.webContents.id === webContentsId;
    },
    appContents() {
      return win !== null && !win.isDestroyed() && isAppUrl(win.webContents.getURL()) ? [win.webContents] : [];
    },
  };
}
