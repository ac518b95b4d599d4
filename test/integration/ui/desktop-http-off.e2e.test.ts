/**
 * The desktop app's window when the HTTP port is held by another program: the app runs without its
 * HTTP listener (GatewayStatus.httpProblem), and the window says so where a user looks for where
 * clients connect. main/index.ts with the real engine inside the Electron stand-in; the window is
 * the app's page in real Chromium over the app's IPC handlers (test/helpers/desktop-window.ts).
 */
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { startDesktopApp, useDesktopDirs } from '../../helpers/desktop-app.ts';
import { openDesktopWindow } from '../../helpers/desktop-window.ts';
import { StandInTray, app } from '../../helpers/electron-stand-in.ts';
import { freePort } from '../../fixtures/servers/http-everything.ts';
import { fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

const labels = (): string[] =>
  (StandInTray.all[0]?.menu?.items ?? []).map((i: MenuItemConstructorOptions) => i.label ?? `(${i.type})`);

describe('the desktop window when the HTTP port is taken (Electron stand-in, Chromium)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let squatter: Server;
  let port: number;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-http-off-');
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as { port: number }).port;
    const config = await writeConfig(dir.dir, { listen: { http: { port } }, mcpServers: { fx: fixtureServer('fx') } });
    useDesktopDirs(dir.dir, config);
    await startDesktopApp(dir.dir);
    await waitFor(() => labels().includes('1 of 1 server ready') || undefined, 20_000, 'the server to be ready');
    browser = await openDesktopWindow();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (StandInTray.all[0] !== undefined && !app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    squatter?.close();
    await dir?.cleanup();
  });

  it('says on the Overview, where clients connect, that HTTP clients cannot and shim clients can', async () => {
    const { page } = browser;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const connectAt = page.locator('dt:has-text("Clients connect at") + dd');
    await connectAt.getByText('HTTP clients cannot connect').waitFor();
    const text = await connectAt.innerText();
    expect(text).toContain(`127.0.0.1:${port} is already in use`);
    // In the app's words: there is no command line to pass --port to.
    expect(text).toContain('choose another HTTP port in Settings');
    expect(text).not.toContain('--port');
    expect(text).toContain('Clients started through the shim (the ones Install sets up) still connect');
    expect(text).not.toContain('/mcp');
    await page.screenshot({ path: path.join(await screenshotDir(), 'desktop-overview-http-off.png') });
  });

  it('says it in Settings next to the port, and a free port saved there opens the endpoint', async () => {
    const { page } = browser;
    await connectLink(page, 'Settings').click();
    const portBox = page.getByLabel('HTTP port');
    await page.getByText('Not listening on this port').waitFor();
    // Read with the field: its description names the problem.
    expect(
      await page.locator(`#${(await portBox.getAttribute('aria-describedby'))!.split(' ')[0]}`).innerText(),
    ).toContain(`127.0.0.1:${port} is already in use`);
    await page.screenshot({ path: path.join(await screenshotDir(), 'desktop-settings-http-off.png') });
    const free = await freePort();
    await portBox.fill(String(free));
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved to the config file and applied.').waitFor();
    await page.getByText('Not listening on this port').waitFor({ state: 'detached' });
    await connectLink(page, 'Overview').click();
    await page.getByText(`http://127.0.0.1:${free}/mcp`).waitFor();
    expect(await page.getByText('HTTP clients cannot connect').count()).toBe(0);
  });
});

const connectLink = (page: TestBrowser['page'], name: string) =>
  page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name });
