/**
 * The desktop app opened while another Switchboard gateway runs for this user (`switchboard serve`,
 * or one a client's CLI entry started in the background): main/index.ts with the real engine inside
 * the Electron stand-in (test/helpers/electron-stand-in.ts; the Electron runtime cannot be
 * downloaded here), the other gateway a real `switchboard serve` process on the same runtime
 * directory.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StandInTray, app } from '../../helpers/electron-stand-in.ts';
import { startDesktopApp, startOtherGateway, useDesktopDirs } from '../../helpers/desktop-app.ts';
import { ROOT, fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

type Item = MenuItemConstructorOptions;
const tray = (): StandInTray | undefined => StandInTray.all[0];
const items = (): Item[] => tray()?.menu?.items ?? [];
const labels = (): string[] => items().map((i) => i.label ?? `(${i.type})`);
const trayIcon = () => path.relative(path.join(ROOT, 'resources'), tray()!.image.path);

describe('the desktop app while another gateway runs (Electron stand-in)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let other: ChildProcess;

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-other-');
    const config = await writeConfig(dir.dir, { listen: { http: false }, mcpServers: { fx: fixtureServer('fx') } });
    useDesktopDirs(dir.dir, config);
    other = await startOtherGateway('fx');
    await startDesktopApp(dir.dir);
  }, 60_000);

  afterAll(async () => {
    other?.kill('SIGKILL');
    if (tray() !== undefined && !app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    await dir?.cleanup();
  });

  it('says another Switchboard runs, with its pid and what to do, and offers Try again', async () => {
    await waitFor(() => labels().includes('Try again') || undefined, 20_000, 'Try again');
    expect(trayIcon()).toBe(path.join('tray', 'error.png'));
    expect(labels()[0]).toBe(`Gateway problem: another Switchboard is running (pid ${other.pid})`);
    expect(labels()[1]).toBe('Quit it or run "switchboard stop", then Try again');
  });

  it('starts its own gateway with Try again once the other one is gone', async () => {
    other.kill('SIGTERM');
    await new Promise((resolve) => other.once('exit', resolve));
    (items().find((i) => i.label === 'Try again')!.click as () => void)();
    await waitFor(() => labels().includes('1 of 1 server ready') || undefined, 20_000, 'the server');
    expect(labels()).not.toContain('Try again');
    expect(trayIcon()).toBe(path.join('tray', 'ok.png'));
  });
});
