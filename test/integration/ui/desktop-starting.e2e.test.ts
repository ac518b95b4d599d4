/**
 * The desktop window while the app's gateway is still starting: the window opens first, and the
 * start waits, for real, for what slows it down: a server process the last run left behind (it
 * crashed) that does not stop when asked, and the keychain (a real Secret Service over a private
 * D-Bus session that takes a while to answer, as while the system asks the user for access)
 * for a server's secret. main/index.ts with the real
 * engine inside the Electron stand-in; the window is the app's page in real Chromium over the app's
 * IPC handlers (test/helpers/desktop-window.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { startDesktopApp, useDesktopDirs } from '../../helpers/desktop-app.ts';
import { openDesktopWindow } from '../../helpers/desktop-window.ts';
import { StandInTray, app } from '../../helpers/electron-stand-in.ts';
import { fixtureServer, NODE, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { processStartTime } from '../../../main/engine/upstreams/process/leftovers.ts';
import { serversPath } from '../../../main/shared/paths.ts';
import { startSlowKeychain, type SlowKeychain } from '../../helpers/slow-keychain.ts';
import { keyringMissing } from '../keychain/keyring-session.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

const missing = keyringMissing();
if (missing && process.env.CI) throw new Error(`this test needs a Secret Service in CI: ${missing}`);

describe.skipIf(missing !== undefined)(
  'the desktop window while the gateway starts (Electron stand-in, Chromium)',
  () => {
    let dir: { dir: string; cleanup(): Promise<void> };
    let keychain: SlowKeychain;
    let browser: TestBrowser;
    let startedAt: number;
    let leftover: ChildProcess | undefined;

    beforeAll(async () => {
      dir = await tempDir('sb-desktop-starting-');
      // The keychain answers the start's first secret lookup after this long.
      keychain = await startSlowKeychain(1800);
      // Before the first keychain call in this process: libdbus reads the address once.
      process.env.DBUS_SESSION_BUS_ADDRESS = keychain.address;
      const config = await writeConfig(dir.dir, {
        listen: { http: false },
        mcpServers: { fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:fx-token}' }), plain: fixtureServer('plain') },
      });
      useDesktopDirs(dir.dir, config);
      // A server the last run left running (it was killed), which ignores SIGTERM: the start stops it,
      // waiting its grace before SIGKILL.
      leftover = spawn(NODE, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], {
        detached: true,
        stdio: 'ignore',
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const runtimeDir = path.join(dir.dir, 'run');
      await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
      const entry = { pid: leftover.pid, start: processStartTime(leftover.pid!), server: 'fx' };
      await writeFile(serversPath(runtimeDir), JSON.stringify([entry]), { mode: 0o600 });
      // Up before the app, so the window is looked at while the start still waits for the keychain.
      const launched = await launchBrowser();
      startedAt = Date.now();
      await startDesktopApp(dir.dir);
      browser = await openDesktopWindow('#/servers', launched);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      if (StandInTray.all[0] !== undefined && !app.quitted) app.quit();
      await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
      await keychain?.close();
      if (leftover?.exitCode === null && leftover.signalCode === null) leftover.kill('SIGKILL');
      await dir?.cleanup();
    });

    it('says Switchboard is starting, not that no server is configured, then shows the servers', async () => {
      const { page } = browser;
      const starting = page.getByRole('status').filter({ hasText: 'Switchboard is starting' });
      await starting.waitFor({ timeout: 1500 });
      expect(await starting.innerText()).toContain('your servers show here once it runs');
      // No screen pretends to know: no "No servers are configured yet", no empty Servers table.
      expect(await page.getByText('No servers').count()).toBe(0);
      expect(await page.getByRole('heading', { level: 1 }).count()).toBe(0);
      await page.screenshot({ path: path.join(await screenshotDir(), 'desktop-starting.png') });
      // The window is told once the start has ended, and shows what the config has.
      await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor({ timeout: 20_000 });
      expect(Date.now() - startedAt).toBeGreaterThan(3000);
      // What held it up was stopped.
      expect(leftover!.signalCode).toBe('SIGKILL');
      await page.getByRole('cell', { name: 'plain', exact: true }).waitFor();
      await page.getByRole('cell', { name: 'fx', exact: true }).waitFor();
      expect(await starting.count()).toBe(0);
    });
  },
);
