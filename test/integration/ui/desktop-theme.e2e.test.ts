/**
 * The desktop app's theme has one home, app-settings.json: the window starts with it, and the
 * Settings screen's choice is saved there and applied to nativeTheme (which colours the window, its
 * menus and dialogs). main/index.ts with the real engine and the real settings store inside the
 * Electron stand-in; the window is the app's page in real Chromium over the app's IPC handlers,
 * its prefers-color-scheme following nativeTheme as Electron makes it (test/helpers/desktop-window.ts),
 * on a system set to light.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { startDesktopApp, useDesktopDirs } from '../../helpers/desktop-app.ts';
import { openDesktopWindow } from '../../helpers/desktop-window.ts';
import { StandInBrowserWindow, StandInTray, app, ipcMain, nativeTheme } from '../../helpers/electron-stand-in.ts';
import { fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

const labels = (): string[] =>
  (StandInTray.all[0]?.menu?.items ?? []).map((i: MenuItemConstructorOptions) => i.label ?? `(${i.type})`);

/** What the user sees: the page's background colour. */
const background = (page: Page): Promise<string> =>
  page.locator('body').evaluate((body) => body.ownerDocument.defaultView!.getComputedStyle(body).backgroundColor);
const LIGHT = 'rgb(255, 255, 255)';
const DARK = 'rgb(22, 24, 28)';

describe('the desktop window’s theme (Electron stand-in, Chromium)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let settingsFile: string;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-theme-');
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    useDesktopDirs(dir.dir, config);
    // A development build keeps its settings apart from the installed app's (desktop.ts).
    settingsFile = path.join(dir.dir, 'Switchboard-dev', 'app-settings.json');
    await mkdir(path.dirname(settingsFile), { recursive: true });
    await writeFile(settingsFile, JSON.stringify({ theme: 'dark' }));
    await startDesktopApp(dir.dir);
    await waitFor(() => labels().includes('1 of 1 server ready') || undefined, 20_000, 'the server to be ready');
    browser = await openDesktopWindow('#/settings');
    page = browser.page;
    // A choice an older version kept in the page's storage must not win over the app's.
    await page.evaluate(() => localStorage.setItem('switchboard.theme', 'light'));
    await page.reload();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (StandInTray.all[0] !== undefined && !app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    await dir?.cleanup();
  });

  const themes = () => page.getByRole('radiogroup', { name: 'Theme' });
  const storedTheme = async (): Promise<unknown> =>
    (JSON.parse(await readFile(settingsFile, 'utf8')) as { theme?: unknown }).theme;

  it("opens with the app's stored theme, and Settings shows it as the choice, kept by the app", async () => {
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    expect(nativeTheme.themeSource).toBe('dark');
    expect(await background(page)).toBe(DARK);
    await expect.poll(() => themes().getByRole('radio', { name: 'Dark' }).isChecked()).toBe(true);
    const described = await themes().getAttribute('aria-describedby');
    expect(await page.locator(`#${described}`).innerText()).toBe('Kept by the app, for its window, menus and dialogs');
    await page.screenshot({ path: path.join(await screenshotDir(), 'desktop-settings-theme-dark.png') });
  });

  it('"As the system" on a light system gives a light window, its menus told, and the file says so', async () => {
    await themes().getByRole('radio', { name: 'As the system' }).check();
    await expect.poll(() => background(page)).toBe(LIGHT);
    expect(nativeTheme.themeSource).toBe('system');
    await expect.poll(storedTheme).toBe('system');
    expect(await page.locator('html').getAttribute('data-theme')).toBeNull();
  });

  it('keeps a choice for the next window: Dark is saved, and a new window starts dark', async () => {
    await themes().getByRole('radio', { name: 'Dark' }).check();
    await expect.poll(() => background(page)).toBe(DARK);
    await expect.poll(storedTheme).toBe('dark');
    await page.reload();
    await expect.poll(() => themes().getByRole('radio', { name: 'Dark' }).isChecked()).toBe(true);
    expect(await background(page)).toBe(DARK);
  });

  it('refuses a theme the app does not have, and a call from a page that is not the app', async () => {
    const handler = ipcMain.handlers.get('switchboard:set-app-theme')!;
    const contents = StandInBrowserWindow.all.at(-1)!.webContents;
    expect(
      await handler({ sender: contents, senderFrame: { url: contents.getURL(), parent: null } }, 'purple'),
    ).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'theme' } });
    expect(
      await handler({ sender: contents, senderFrame: { url: 'https://example.com/', parent: null } }, 'light'),
    ).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(nativeTheme.themeSource).toBe('dark');
    expect(await storedTheme()).toBe('dark');
  });
});
