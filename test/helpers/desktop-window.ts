/**
 * The desktop app's window in real Chromium: the app page as the app serves it (its
 * `switchboard://` scheme handler, reached from Chromium under a stand-in http origin), with
 * `window.switchboard` being the real preload bridge (preload/ipc-bridge.ts) over the app's own IPC
 * handlers and pushed events, as main/index.ts registered them inside the Electron stand-in
 * (test/helpers/electron-stand-in.ts; the Electron runtime cannot be downloaded here). What crosses
 * between the page and the bridge is copied, as Electron's contextBridge copies it.
 */
import type { IpcRendererSlice } from '../../preload/ipc-bridge.ts';
import { createIpcBridge } from '../../preload/ipc-bridge.ts';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { StandInBrowserWindow, ipcMain, nativeTheme, protocol } from './electron-stand-in.ts';

const ORIGIN = 'http://switchboard-app.test';

type IpcListener = (event: { sender: unknown }, ...args: unknown[]) => void;

/**
 * Opens the app's main window (the newest stand-in window) in Chromium, at `screen` (`#/servers`);
 * in `launched`, a browser started beforehand (to catch the window while the app is still starting).
 * The page's prefers-color-scheme follows nativeTheme.themeSource, as Electron makes it, on a system
 * whose own setting is `systemScheme`.
 */
export async function openDesktopWindow(
  screen = '',
  launched?: TestBrowser,
  systemScheme: 'light' | 'dark' = 'light',
): Promise<TestBrowser> {
  const win = StandInBrowserWindow.all.at(-1);
  if (win === undefined) throw new Error('the app has opened no window');
  const contents = win.webContents;
  const listeners = new Map<string, Set<IpcListener>>();
  const ipcRenderer: IpcRendererSlice = {
    invoke: async (channel: string, ...args: unknown[]) => {
      const handler = ipcMain.handlers.get(channel);
      if (handler === undefined) throw new Error(`Error invoking remote method '${channel}': no handler`);
      const frame = { url: contents.getURL(), parent: null };
      return structuredClone(await handler({ sender: contents, senderFrame: frame }, ...structuredClone(args)));
    },
    on(channel: string, listener: IpcListener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return ipcRenderer;
    },
    removeListener(channel: string, listener: IpcListener) {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  } as IpcRendererSlice;
  // What main sends the window reaches the preload's listeners (and is still recorded by the stand-in).
  const send = contents.send.bind(contents);
  contents.send = (channel: string, ...args: unknown[]) => {
    send(channel, ...args);
    for (const listener of [...(listeners.get(channel) ?? [])]) listener({ sender: null }, ...structuredClone(args));
  };
  const bridge = createIpcBridge(ipcRenderer);

  const browser = launched ?? (await launchBrowser());
  const { page, context } = browser;
  page.setDefaultTimeout(10_000);
  const serve = protocol.handlers.get('switchboard');
  if (serve === undefined) throw new Error('the app serves no switchboard:// scheme');
  await context.route(`${ORIGIN}/**`, async (route) => {
    const url = route.request().url().replace(ORIGIN, 'switchboard://app');
    const res = await serve(new Request(url, { method: route.request().method() }));
    await route.fulfill({
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: Buffer.from(await res.arrayBuffer()),
    });
  });
  await page.exposeBinding('__switchboardCall', (_source, method: string, args: unknown[]) =>
    bridge.call(method, args),
  );
  const subscribed = new Set<string>();
  await page.exposeBinding('__switchboardSubscribe', (_source, event: string) => {
    if (subscribed.has(event)) return;
    subscribed.add(event);
    bridge.on(event, (payload) => {
      page
        .evaluate(
          ([name, value]) =>
            (globalThis as unknown as Record<string, (n: unknown, v: unknown) => void>).__switchboardEvent!(
              name,
              value,
            ),
          [event, payload] as const,
        )
        .catch(() => undefined);
    });
  });
  // The page's side of the contextBridge: window.switchboard, an ApiBridge.
  await page.addInitScript(() => {
    const w = globalThis as unknown as Record<string, unknown>;
    const listeners = new Map<string, Set<(payload: unknown) => void>>();
    w.__switchboardEvent = (name: string, payload: unknown) => {
      for (const listener of [...(listeners.get(name) ?? [])]) listener(payload);
    };
    const call = (method: string, args: unknown[]) =>
      (w.__switchboardCall as (method: string, args: unknown[]) => Promise<unknown>)(method, args);
    const subscribe = (event: string) => (w.__switchboardSubscribe as (event: string) => Promise<void>)(event);
    w.switchboard = Object.freeze({
      call: (method: string, args: unknown[]) => call(method, args),
      on(event: string, listener: (payload: unknown) => void) {
        let set = listeners.get(event);
        if (!set) listeners.set(event, (set = new Set()));
        set.add(listener);
        void subscribe(event);
        return () => set.delete(listener);
      },
    });
  });
  const followTheme = (): Promise<void> =>
    page.emulateMedia({ colorScheme: nativeTheme.themeSource === 'system' ? systemScheme : nativeTheme.themeSource });
  await followTheme();
  nativeTheme.on('updated', () => void followTheme().catch(() => undefined));
  await page.goto(`${ORIGIN}/index.html${screen}`);
  return browser;
}
