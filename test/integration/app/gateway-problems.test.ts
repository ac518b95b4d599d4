/**
 * The desktop shell when its HTTP port is held by another program: main/index.ts with the real
 * engine (real config file, stdio server, shim socket) inside the Electron stand-in
 * (test/helpers/electron-stand-in.ts; the Electron runtime cannot be downloaded here), read
 * through the tray as a user would.
 */
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StandInTray, app } from '../../helpers/electron-stand-in.ts';
import { startDesktopApp, useDesktopDirs } from '../../helpers/desktop-app.ts';
import { ROOT, fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

type Item = MenuItemConstructorOptions;
const tray = (): StandInTray | undefined => StandInTray.all[0];
const labels = (): string[] => (tray()?.menu?.items ?? []).map((i: Item) => i.label ?? `(${i.type})`);
const trayIcon = () => path.relative(path.join(ROOT, 'resources'), tray()!.image.path);

describe('the desktop shell when its HTTP port is taken (Electron stand-in)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let squatter: Server;
  let port: number;
  let config: string;

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-port-');
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as { port: number }).port;
    config = await writeConfig(dir.dir, { listen: { http: { port } }, mcpServers: { fx: fixtureServer('fx') } });
    useDesktopDirs(dir.dir, config);
    await startDesktopApp(dir.dir);
  }, 60_000);

  afterAll(async () => {
    if (tray() !== undefined && !app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    squatter?.close();
    await dir?.cleanup();
  });

  it('runs without the HTTP endpoint and says so, instead of a failed gateway', async () => {
    await waitFor(() => labels().includes('1 of 1 server ready') || undefined, 20_000, 'the server to be ready');
    // Amber, not the red "could not start": the servers run and shims reach them over the socket.
    expect(trayIcon()).toBe(path.join('tray', 'warning.png'));
    const note = labels()[1]!;
    expect(note).toMatch(/^HTTP off: /);
    expect(note).toContain(String(port));
    expect(labels()).toContain('Pause gateway');
    expect(labels()).not.toContain('Copy HTTP endpoint');
    // Hovering the amber icon (what Windows users do) says why, not only that every server is ready.
    expect(tray()!.tooltip).toBe('Switchboard — 1 of 1 server ready; HTTP off');
  });

  it('still applies edits of the config file', async () => {
    await writeConfig(path.dirname(config), {
      listen: { http: { port } },
      mcpServers: { fx: fixtureServer('fx'), more: fixtureServer('more') },
    });
    await waitFor(() => labels().includes('2 of 2 servers ready') || undefined, 20_000, 'the new server');
  });

  it('opens the endpoint once the port is changed to a free one', async () => {
    await writeConfig(path.dirname(config), {
      listen: { http: { port: 0 } },
      mcpServers: { fx: fixtureServer('fx'), more: fixtureServer('more') },
    });
    await waitFor(() => labels().includes('Copy HTTP endpoint') || undefined, 20_000, 'the endpoint');
    expect(labels().some((l) => l.startsWith('HTTP off'))).toBe(false);
    await waitFor(() => trayIcon() === path.join('tray', 'ok.png') || undefined, 10_000, 'the green icon');
    expect(tray()!.tooltip).toBe('Switchboard — 2 of 2 servers ready');
  });
});
