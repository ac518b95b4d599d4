/**
 * The app's question notifications as a user meets them, fed by a real gateway whose server asks
 * questions an HTTP client cannot show: main/index.ts with the real engine inside the Electron
 * stand-in (test/helpers/electron-stand-in.ts; the Electron runtime cannot be downloaded here).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  StandInBrowserWindow,
  StandInNotification,
  StandInTray,
  app,
  clipboard,
} from '../../helpers/electron-stand-in.ts';
import { startDesktopApp, useDesktopDirs } from '../../helpers/desktop-app.ts';
import { fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

type Item = MenuItemConstructorOptions;
const items = (): Item[] => StandInTray.all[0]?.menu?.items ?? [];
const labels = (): string[] => items().map((i) => i.label ?? `(${i.type})`);
const click = (label: string): void => (items().find((i) => i.label === label)!.click as () => void)();
/** The notifications still on screen. */
const out = (): string[] => StandInNotification.shown.filter((n) => !n.closed).map((n) => n.options.title);

describe('question notifications from a real gateway (Electron stand-in)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let client: Client;
  const calls: Promise<unknown>[] = [];
  const ask = (): void => {
    calls.push(client.callTool({ name: 'fx__ask', arguments: {} }).catch((err: unknown) => err));
  };

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-questions-');
    const config = await writeConfig(dir.dir, {
      listen: { http: { port: 0 } },
      mcpServers: { fx: fixtureServer('fx') },
    });
    useDesktopDirs(dir.dir, config);
    await startDesktopApp(dir.dir);
    await waitFor(() => labels().includes('1 of 1 server ready') || undefined, 20_000, 'the server');
    // Closed to the tray: notifications are what tells the user.
    StandInBrowserWindow.all.at(-1)!.close();
    click('Copy HTTP endpoint');
    await waitFor(() => clipboard.text || undefined);
    client = new Client({ name: 'Acme Chat', version: '2.0' }); // no elicitation capability
    await client.connect(new StreamableHTTPClientTransport(new URL(clipboard.text)));
  }, 60_000);

  afterAll(async () => {
    if (!app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    await client?.close();
    await dir?.cleanup();
  });

  it('keeps one notification out for questions, counting all that wait, as the tray does', async () => {
    for (let i = 0; i < 3; i++) ask();
    await waitFor(() => out().includes('3 questions waiting') || undefined, 10_000, 'the first notification');
    // Two more, a few seconds later, while the first three still wait.
    for (let i = 0; i < 2; i++) ask();
    await waitFor(() => labels().includes('5 questions waiting…') || undefined, 10_000, 'the tray');
    await waitFor(() => StandInNotification.shown.length > 1 || undefined, 10_000, 'a second notification');
    // It said "2 questions waiting" beside the first, which stayed.
    expect(out()).toEqual(['5 questions waiting']);
    const [shown] = StandInNotification.shown.filter((n) => !n.closed);
    expect(shown!.options.body).toBe('From fx (via Acme Chat)');
    shown!.click();
    expect(StandInBrowserWindow.all.at(-1)!.loaded).toEqual(['switchboard://app/index.html#/questions']);
  }, 30_000);

  it('quit with questions open: the calls end, the app quits, and their notification is taken back', async () => {
    StandInBrowserWindow.all.at(-1)!.close();
    // The one clicked is gone from the screen; one more question brings a new one.
    ask();
    await waitFor(() => labels().includes('6 questions waiting…') || undefined, 10_000, 'the tray');
    await waitFor(() => out().includes('6 questions waiting') || undefined, 10_000, 'the notification');
    const started = Date.now();
    app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    expect(Date.now() - started).toBeLessThan(5_000);
    // Every call was answered (with an error) rather than left waiting.
    const ended = await Promise.all(calls);
    expect(ended.every((result) => result instanceof Error)).toBe(true);
    // A click on it would open, or start, an app whose questions are gone.
    expect(out()).toEqual([]);
  }, 30_000);
});
