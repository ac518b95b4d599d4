/**
 * The app launched again, and its Dock icon clicked: main/index.ts with the real engine inside the
 * Electron stand-in (test/helpers/electron-stand-in.ts; the Electron runtime cannot be downloaded
 * here). Electron tells the running copy with 'second-instance' and the second copy quits at once.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StandInBrowserWindow, StandInEvent, StandInTray, app } from '../../helpers/electron-stand-in.ts';
import { useDesktopDirs } from '../../helpers/desktop-app.ts';
import { fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

const labels = (): string[] => (StandInTray.all[0]?.menu?.items ?? []).map((i) => i.label ?? `(${i.type})`);
const launchAgain = (...args: string[]): void => {
  app.emit('second-instance', new StandInEvent(), [process.execPath, ...args], process.cwd(), {});
};

describe('the app launched again (Electron stand-in)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-again-');
    const config = await writeConfig(dir.dir, { listen: { http: false }, mcpServers: { fx: fixtureServer('fx') } });
    useDesktopDirs(dir.dir, config);
    // Launched at login (no window), and the Dock icon clicked before Electron was ready.
    process.argv.push('--hidden');
    try {
      app.userData = path.join(dir.dir, 'user-data');
      await import('../../../main/index.ts');
      app.emit('activate', new StandInEvent(), false);
      app.emitReady();
      await waitFor(() => labels().includes('1 of 1 server ready') || undefined, 20_000, 'the server');
    } finally {
      process.argv.splice(process.argv.indexOf('--hidden'), 1);
    }
  }, 60_000);

  afterAll(async () => {
    if (!app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    await dir?.cleanup();
  });

  it('opens the window once ready for a click on the Dock icon while it started at login', () => {
    expect(StandInBrowserWindow.all).toHaveLength(1);
    expect(StandInBrowserWindow.all[0]!.loaded).toEqual(['switchboard://app/index.html']);
  });

  it('brings the window back; a launch by a client or at login (--hidden) does not', () => {
    StandInBrowserWindow.all.at(-1)!.close();
    const before = StandInBrowserWindow.all.length;
    launchAgain('--hidden');
    expect(StandInBrowserWindow.all).toHaveLength(before);
    launchAgain();
    expect(StandInBrowserWindow.all).toHaveLength(before + 1);
    expect(app.relaunches).toEqual([]);
  });

  it('launched while it quits, starts again once it has quit, with its window', async () => {
    // Closed to the tray, as a user who then quits from the tray has it.
    StandInBrowserWindow.all.at(-1)!.close();
    const windows = StandInBrowserWindow.all.length;
    // Run from an AppImage: its temporary mount is gone once the app has quit.
    const image = '/home/ada/Applications/Switchboard.AppImage';
    Object.assign(process.env, { APPIMAGE: image, APPDIR: path.dirname(process.execPath) });
    app.quit();
    expect(app.quitted).toBe(false); // the gateway is still stopping
    // macOS: a click on the Dock icon (it reopens the running copy).
    app.emit('activate', new StandInEvent(), false);
    expect(app.relaunches).toHaveLength(1);
    launchAgain();
    launchAgain();
    // No window that the quit would take away a moment later.
    expect(StandInBrowserWindow.all).toHaveLength(windows);
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    // Once, and without --hidden: the launch was the user's.
    expect(app.relaunches).toEqual([{ execPath: image, args: process.argv.slice(1).filter((a) => a !== '--hidden') }]);
    delete process.env.APPIMAGE;
    delete process.env.APPDIR;
  });
});
