/**
 * The desktop app's window when its gateway did not start (another Switchboard gateway runs for
 * this user: a real `switchboard serve` on the same runtime directory). main/index.ts with the real
 * engine inside the Electron stand-in; the window is the app's page in real Chromium over the app's
 * IPC handlers (test/helpers/desktop-window.ts).
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { startDesktopApp, startOtherGateway, useDesktopDirs } from '../../helpers/desktop-app.ts';
import { openDesktopWindow } from '../../helpers/desktop-window.ts';
import { StandInBrowserWindow, StandInTray, app } from '../../helpers/electron-stand-in.ts';
import { fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

const labels = (): string[] =>
  (StandInTray.all[0]?.menu?.items ?? []).map((i: MenuItemConstructorOptions) => i.label ?? `(${i.type})`);

describe('the desktop window while another gateway runs (Electron stand-in, Chromium)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let other: ChildProcess;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-not-started-');
    const config = await writeConfig(dir.dir, { listen: { http: false }, mcpServers: { fx: fixtureServer('fx') } });
    useDesktopDirs(dir.dir, config);
    other = await startOtherGateway('fx');
    await startDesktopApp(dir.dir);
    await waitFor(() => labels().includes('Try again') || undefined, 20_000, "the tray's Try again");
    browser = await openDesktopWindow();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    other?.kill('SIGKILL');
    if (StandInTray.all[0] !== undefined && !app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    await dir?.cleanup();
  });

  it('tells a window already open, once the start failed, to fetch again', () => {
    // The window opens before the gateway starts (it shows servers starting), so it had fetched.
    const sent = StandInBrowserWindow.all[0]!.webContents.sent;
    expect(sent.some((m) => m.channel === 'switchboard:event' && m.args[0] === 'resync')).toBe(true);
  });

  it('says the gateway is not running, why and what to do, instead of empty screens', async () => {
    const { page } = browser;
    const alert = page.getByRole('alert');
    await alert.getByText('The gateway is not running').waitFor();
    expect(await alert.innerText()).toContain(
      `another Switchboard gateway is running (pid ${other.pid}), so this app did not start its own. ` +
        'Quit it (or run "switchboard stop"), then Try again.',
    );
    // No screen pretends to know: no "No servers are configured yet", no empty Servers table.
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(0);
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.waitForURL(/#\/servers$/);
    expect(await page.getByRole('table').count()).toBe(0);
    expect(await page.getByText('No servers').count()).toBe(0);
    await page.screenshot({ path: path.join(await screenshotDir(), 'desktop-not-started.png') });
    // Tried again while the other one still runs: still said, once that start has failed (the window is
    // told to fetch again). Not waited for, it could fail after the next test has stopped the other one.
    const resyncs = () =>
      StandInBrowserWindow.all[0]!.webContents.sent.filter(
        (m) => m.channel === 'switchboard:event' && m.args[0] === 'resync',
      ).length;
    const before = resyncs();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await waitFor(() => resyncs() > before, 10_000, 'the start tried again to end');
    await alert.getByText(`pid ${other.pid}`).waitFor();
  });

  it("starts the app's gateway with the window's Try again once the other one is gone", async () => {
    const { page } = browser;
    other.kill('SIGTERM');
    await new Promise((resolve) => other.once('exit', resolve));
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    await page.getByRole('cell', { name: 'fx' }).waitFor();
    await page.getByRole('cell', { name: 'ready' }).waitFor({ timeout: 20_000 });
    expect(await page.getByText('The gateway is not running').count()).toBe(0);
    // The keyboard is on the screen that came.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Servers');
    // The tray follows: the same start as its own Try again.
    await waitFor(() => labels().includes('1 of 1 server ready') || undefined, 20_000, 'the tray');
    expect(labels()).not.toContain('Try again');
  });
});
