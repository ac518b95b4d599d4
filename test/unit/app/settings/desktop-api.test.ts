/**
 * The desktop app's own methods behind its IPC handlers: the theme goes to the real app-settings.json
 * (electron-store on the Electron stand-in's paths) and to nativeTheme, and only from the app's page.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIpcHandlers, createSenderCheck, type IpcSender } from '../../../../main/app/ipc/dispatch.ts';
import { applyStoredTheme, createDesktopApi, type ThemeTarget } from '../../../../main/app/settings/desktop-api.ts';
import { createAppSettings } from '../../../../main/app/settings/store.ts';
import { createApiDispatcher } from '../../../../main/engine/index.ts';
import { DESKTOP_METHODS, type DesktopApi } from '../../../../preload/contract/index.ts';
import { app } from '../../../helpers/electron-stand-in.ts';

vi.mock('electron', () => import('../../../helpers/electron-stand-in.ts'));

const APP_PAGE: IpcSender = { webContentsId: 1, frameUrl: 'switchboard://app/index.html', isMainFrame: true };

describe("the desktop app's theme", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-theme-'));
    app.userData = dir;
    file = join(dir, 'app-settings.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function handlers() {
    const native: ThemeTarget = { themeSource: 'system' };
    const settings = createAppSettings();
    applyStoredTheme(settings, native);
    const ipc = createIpcHandlers<DesktopApi>(
      createApiDispatcher({ api: createDesktopApi(settings, native), table: DESKTOP_METHODS }),
      createSenderCheck(
        (url) => url.startsWith('switchboard://app/'),
        (id) => id === 1,
      ),
      DESKTOP_METHODS,
    );
    const call = (channel: string, sender: IpcSender, ...args: unknown[]) => ipc.get(channel)!(sender, args);
    return { native, call };
  }
  const stored = async (): Promise<unknown> => (JSON.parse(await readFile(file, 'utf8')) as { theme?: unknown }).theme;

  it('starts from the file, and a choice is saved to it and applied to the menus and window at once', async () => {
    await writeFile(file, JSON.stringify({ theme: 'dark', updateChannel: 'beta' }));
    const { native, call } = handlers();
    expect(native.themeSource).toBe('dark');
    expect(await call('switchboard:get-app-theme', APP_PAGE)).toEqual({ ok: true, result: 'dark' });
    expect(await call('switchboard:set-app-theme', APP_PAGE, 'system')).toEqual({ ok: true, result: undefined });
    expect(native.themeSource).toBe('system');
    expect(await stored()).toBe('system');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ updateChannel: 'beta' });
    // The next start begins where this one left off.
    expect(handlers().native.themeSource).toBe('system');
  });

  it('refuses a theme it does not have, naming the argument, and changes nothing', async () => {
    await writeFile(file, JSON.stringify({ theme: 'light' }));
    const { native, call } = handlers();
    expect(await call('switchboard:set-app-theme', APP_PAGE, 'purple')).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', field: 'theme', message: expect.stringContaining('"system", "light", "dark"') },
    });
    expect(native.themeSource).toBe('light');
    expect(await stored()).toBe('light');
  });

  it('refuses a call from an iframe, another page or another window, and changes nothing', async () => {
    await writeFile(file, JSON.stringify({ theme: 'light' }));
    const { native, call } = handlers();
    for (const sender of [
      { ...APP_PAGE, isMainFrame: false },
      { ...APP_PAGE, frameUrl: 'https://example.com/' },
      { ...APP_PAGE, webContentsId: 2 },
    ]) {
      for (const channel of ['switchboard:get-app-theme', 'switchboard:set-app-theme'])
        expect(await call(channel, sender, 'dark'), channel).toMatchObject({
          ok: false,
          error: { code: 'unauthorized' },
        });
    }
    expect(native.themeSource).toBe('light');
    expect(await stored()).toBe('light');
  });
});
