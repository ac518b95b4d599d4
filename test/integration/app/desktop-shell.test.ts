/**
 * The desktop shell's wiring: main/index.ts starts the real engine (real config file, real stdio
 * servers, real shim socket and HTTP listener, real client files) inside an in-process stand-in
 * for the slice of Electron the shell uses (test/helpers/electron-stand-in.ts; the Electron runtime
 * cannot be downloaded here). The test reads the tray, windows and notifications as a user would
 * and acts through them: menu clicks, a notification click, Quit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerView } from '../../../preload/contract/index.ts';
import {
  StandInBrowserWindow,
  StandInMenu,
  StandInNotification,
  StandInTray,
  app,
  clipboard,
  ipcMain,
  protocol,
  session,
  shell,
} from '../../helpers/electron-stand-in.ts';
import { NODE, ROOT, fixtureServer, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { useUnreachableKeychain } from '../../helpers/unreachable-keychain.ts';
import { isAlive } from '../../helpers/processes.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

type Item = MenuItemConstructorOptions;

const tray = (): StandInTray => {
  const only = StandInTray.all[0];
  if (only === undefined) throw new Error('no tray');
  return only;
};
const menu = (): Item[] => tray().menu?.items ?? [];
const labels = (items: Item[] = menu()): string[] => items.map((i) => i.label ?? `(${i.type})`);
function item(label: string, items: Item[] = menu()): Item {
  const found = items.find((i) => i.label === label);
  if (found === undefined) throw new Error(`no menu item "${label}" in ${JSON.stringify(labels(items))}`);
  return found;
}
const click = (target: Item): void => (target.click as () => void)();
const trayIcon = () => path.relative(path.join(ROOT, 'resources'), tray().image.path);
const window = (): StandInBrowserWindow => StandInBrowserWindow.all.at(-1)!;

/** Calls the control API as the renderer does: through the preload's channel, from the app window. */
async function invoke(channel: string, ...args: unknown[]): Promise<unknown> {
  const handler = ipcMain.handlers.get(channel);
  if (handler === undefined) throw new Error(`no IPC handler for ${channel}`);
  const contents = window().webContents;
  const reply = (await handler(
    { sender: contents, senderFrame: { url: contents.getURL(), parent: null } },
    ...args,
  )) as {
    ok: boolean;
    result?: unknown;
    error?: { message: string };
  };
  if (!reply.ok) throw new Error(reply.error?.message);
  return reply.result;
}

describe('the desktop shell, wired to the real engine (Electron stand-in)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let home: string;
  let userData: string;
  const cursorFile = () => path.join(home, '.cursor', 'mcp.json');

  beforeAll(async () => {
    dir = await tempDir('sb-desktop-');
    home = path.join(dir.dir, 'home');
    userData = path.join(dir.dir, 'user-data');
    const config = await writeConfig(dir.dir, {
      listen: { http: { port: 0 } },
      mcpServers: {
        fx: fixtureServer('fx'),
        broken: { command: NODE, args: ['-e', 'process.stderr.write("no database\\n"); process.exit(3)'] },
      },
    });
    // Cursor is installed, with an entry an older copy of the app wrote from another place.
    await mkdir(path.dirname(cursorFile()), { recursive: true });
    await writeFile(
      cursorFile(),
      JSON.stringify({
        mcpServers: {
          switchboard: {
            command: '/opt/Switchboard-0.0.9/switchboard',
            args: ['/gone/switchboard-shim.mjs', 'shim', '--profile', 'default'],
            env: { ELECTRON_RUN_AS_NODE: '1' },
          },
        },
      }),
    );
    // Claude Desktop is installed, with a server of its own and without Switchboard.
    await mkdir(path.join(home, '.config', 'Claude'), { recursive: true });
    await writeFile(
      path.join(home, '.config', 'Claude', 'claude_desktop_config.json'),
      JSON.stringify({ mcpServers: { notes: { command: 'notes-mcp' } } }),
    );
    // No keychain here (a session without a Secret Service): the backup of a client's file is not encrypted.
    useUnreachableKeychain(dir.dir);
    Object.assign(process.env, {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    // As installed: a development build would leave the clients' entries alone.
    app.isPackaged = true;
    app.userData = userData;

    await import('../../../main/index.ts');
    app.emitReady();
    await waitFor(() => labels().includes('1 of 2 servers ready') || undefined, 20_000, 'both servers to settle');
  }, 60_000);

  afterAll(async () => {
    if (!app.quitted) app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    await dir?.cleanup();
  });

  it('opens one window with the security settings of the architecture', async () => {
    expect(StandInBrowserWindow.all).toHaveLength(1);
    const prefs = window().options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
    });
    expect(prefs.preload).toBe(path.join(ROOT, 'out', 'preload', 'index.cjs'));
    expect(window().loaded[0]).toBe('switchboard://app/index.html');
    expect(window().visible).toBe(true);

    // The built renderer, served with the CSP.
    const page = await protocol.handlers.get('switchboard')!(new Request('switchboard://app/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<div id="app"');

    // Navigation away and new windows are refused; an https link goes to the system browser.
    expect(window().webContents.navigate('https://attacker.example/')).toBe(false);
    expect(window().webContents.windowOpenHandler!({ url: 'https://modelcontextprotocol.io/' })).toEqual({
      action: 'deny',
    });
    expect(window().webContents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    await waitFor(() => shell.opened.length > 0 || undefined, 2_000);
    expect(shell.opened).toEqual(['https://modelcontextprotocol.io/']);
    const check = session.defaultSession.permissionCheckHandler as (c: unknown, p: string, o: string) => boolean;
    expect(check(null, 'geolocation', 'switchboard://app')).toBe(false);

    // Its own menu, not Electron's default: no reload or developer tools in an installed app.
    const roles = JSON.stringify(StandInMenu.application?.items);
    expect(roles).toContain('editMenu');
    expect(roles).not.toMatch(/reload|toggleDevTools|viewMenu|help/i);
  });

  it('shows server state in the tray: a failing server, its error, Restart, Pause and Resume', async () => {
    // broken starts, fails, and is restarted with backoff: a warning whenever it is not starting.
    await waitFor(() => trayIcon() === path.join('tray', 'warning.png') || undefined, 10_000, 'the warning icon');
    expect(tray().tooltip).toBe('Switchboard — 1 of 2 servers ready');
    const broken = item(labels().find((l) => l.includes('broken'))!);
    expect(labels(broken.submenu as Item[])).toEqual(expect.arrayContaining(['Restart']));
    expect(labels(broken.submenu as Item[]).join(' ')).toMatch(/exit|code 3|no database/);
    expect(existsSync(tray().image.path)).toBe(true);
    // Restart from the tray runs the failing server again: its log shows another attempt.
    const attempts = async () =>
      ((await invoke('switchboard:get-server-log', 'broken')) as string[]).filter((l) => l.includes('no database'))
        .length;
    const before = await attempts();
    click(item('Restart', broken.submenu as Item[]));
    await waitFor(async () => (await attempts()) > before || undefined, 10_000, 'the restart');

    click(item('Pause gateway'));
    await waitFor(() => labels().includes('Paused: servers stopped') || undefined, 10_000, 'the pause');
    expect(trayIcon()).toBe(path.join('tray', 'paused.png'));
    expect(labels()).toContain('Resume gateway');
    expect(labels(item(labels().find((l) => l.includes('fx'))!).submenu as Item[])).toEqual(['Stopped while paused']);
    const servers = (await invoke('switchboard:list-servers')) as ServerView[];
    expect(servers.find((s) => s.name === 'fx')).toMatchObject({ state: 'stopped' });

    click(item('Resume gateway'));
    await waitFor(() => labels().includes('1 of 2 servers ready') || undefined, 20_000, 'the resume');
    await waitFor(() => trayIcon() === path.join('tray', 'warning.png') || undefined, 10_000, 'the warning icon');
  });

  it('repaired the entry an older copy wrote, and installs into a client from the tray', async () => {
    const shimFile = path.join(userData, 'shim', 'switchboard-shim.mjs');
    const expected = {
      command: process.execPath,
      args: [shimFile, 'shim', '--profile', 'default'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    };
    await waitFor(() => readFileSync(cursorFile(), 'utf8').includes(shimFile) || undefined, 10_000, 'the repair');
    expect(JSON.parse(readFileSync(cursorFile(), 'utf8')).mcpServers.switchboard).toEqual(expected);
    expect(readFileSync(shimFile, 'utf8')).toBe(readFileSync(path.join(ROOT, 'out', 'shim', 'index.mjs'), 'utf8'));

    const install = item('Install into').submenu as Item[];
    expect(labels(install)).toEqual(expect.arrayContaining(['Claude Desktop', 'Cursor — installed']));
    click(item('Claude Desktop', install));
    const claudeFile = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    await waitFor(() => readFileSync(claudeFile, 'utf8').includes(shimFile) || undefined, 10_000, 'the install');
    expect(JSON.parse(readFileSync(claudeFile, 'utf8')).mcpServers.switchboard).toEqual(expected);
    // Where it went, what to do next, and what the Clients screen and the CLI would warn of.
    const installed = await waitFor(() =>
      StandInNotification.shown.find((n) => n.options.title?.startsWith('Switchboard installed')),
    );
    expect(installed.options.title).toBe('Switchboard installed, with a warning');
    expect(installed.options.body).toBe(
      `Added to ${claudeFile}. Next: quit Claude Desktop completely and start it again. ` +
        'The backup of the original file is not encrypted (the OS keychain that would hold its key is not ' +
        'available here); it is readable only by you (mode 0600).',
    );
    await waitFor(
      () => labels(item('Install into').submenu as Item[]).includes('Claude Desktop — installed') || undefined,
    );

    // The entry works as the client will run it (Node standing in for the app's runtime).
    const client = new Client({ name: 'claude-ai', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: expected.command,
        args: expected.args,
        env: { ...(process.env as Record<string, string>), ...expected.env },
      }),
    );
    try {
      expect(client.getServerVersion()?.name).toBe('switchboard');
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'via the entry' } }))).toContain(
        'via the entry',
      );
    } finally {
      await client.close();
    }
  }, 30_000);

  it('starts at login through an XDG autostart entry, from the tray', async () => {
    const entry = path.join(home, '.config', 'autostart', 'switchboard.desktop');
    expect(item('Start at login')).toMatchObject({ type: 'checkbox', checked: false });
    click(item('Start at login'));
    await waitFor(() => existsSync(entry) || undefined, 5_000, 'the autostart entry');
    expect(readFileSync(entry, 'utf8')).toContain(`Exec="${process.execPath}" --hidden`);
    await waitFor(() => item('Start at login').checked || undefined, 5_000, 'the menu to show it on');
    click(item('Start at login'));
    await waitFor(() => !existsSync(entry) || undefined, 5_000, 'the entry removed');
  });

  it('shows start at login as it is after a change the system refused (Electron ticked the box)', async () => {
    // A file where the autostart folder should be: the entry cannot be written.
    const folder = path.join(home, '.config', 'autostart');
    await rm(folder, { recursive: true, force: true });
    await writeFile(folder, 'not a folder\n');
    try {
      const before = StandInNotification.shown.length;
      const box = item('Start at login');
      box.checked = true; // what Electron does to the menu item itself
      click(box);
      await waitFor(() => StandInNotification.shown.length > before || undefined, 5_000, 'the failure said');
      // The menu is built again before the failure is told (not at some later change).
      expect(item('Start at login').checked).toBe(false);
    } finally {
      await rm(folder, { force: true });
    }
  });

  it('raises one notification for a question a client cannot show, and a click opens it in the app', async () => {
    click(item('Copy HTTP endpoint'));
    await waitFor(() => clipboard.text || undefined);
    expect(clipboard.text).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    // The user closed the window: the app lives on in the tray.
    window().close();
    expect(app.quitted).toBe(false);
    const before = StandInNotification.shown.length;

    const client = new Client({ name: 'Acme Chat', version: '2.0' }); // no elicitation capability
    await client.connect(new StreamableHTTPClientTransport(new URL(clipboard.text)));
    try {
      const call = client.callTool({ name: 'fx__ask', arguments: {} });
      const notification = await waitFor(() => StandInNotification.shown[before], 10_000, 'a notification');
      expect(`${notification.options.title} ${notification.options.body}`).toMatch(/fx/);
      expect(`${notification.options.title} ${notification.options.body}`).toMatch(/Acme Chat/);
      expect(trayIcon()).toBe(path.join('tray', 'question.png'));
      expect(labels()).toContain('1 question waiting…');

      notification.click();
      expect(StandInBrowserWindow.all).toHaveLength(2);
      expect(window().loaded).toEqual(['switchboard://app/index.html#/questions']);

      // Answered in the app, through the IPC channel the renderer uses.
      const [question] = (await invoke('switchboard:list-questions')) as { id: string }[];
      await invoke('switchboard:answer-question', question!.id, { action: 'accept', content: { name: 'Ada' } });
      expect(textOf(await call)).toBe('hello Ada');
      await waitFor(() => !labels().includes('1 question waiting…') || undefined, 5_000);
      expect(StandInNotification.shown.length).toBe(before + 1);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('opens the window again from a click on the tray icon (Windows, and Linux panels that activate it)', () => {
    window().close();
    const before = StandInBrowserWindow.all.length;
    tray().click();
    expect(StandInBrowserWindow.all).toHaveLength(before + 1);
    expect(window().loaded).toEqual(['switchboard://app/index.html']);
  });

  it("loads the window's page again when its process is gone, and closes a window whose page keeps crashing", () => {
    const shown = window();
    shown.webContents.processGone('crashed');
    expect(shown.webContents.reloads).toBe(1);
    expect(shown.destroyed).toBe(false);
    shown.webContents.processGone('clean-exit');
    expect(shown.webContents.reloads).toBe(1);
    shown.webContents.processGone('oom');
    shown.webContents.processGone('crashed');
    expect(shown.webContents.reloads).toBe(3);
    // A fourth within the minute: not loaded yet again; the window goes, and the tray opens a new one.
    shown.webContents.processGone('crashed');
    expect(shown.webContents.reloads).toBe(3);
    expect(shown.destroyed).toBe(true);
    tray().click();
    expect(window()).not.toBe(shown);
    expect(window().loaded).toEqual(['switchboard://app/index.html']);
  });

  it('quits from the app menu (as ⌘Q and the Dock do): servers stop, and shims are told it was quit', async () => {
    const servers = (await invoke('switchboard:list-servers')) as ServerView[];
    const pids = servers.map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every((pid) => isAlive(pid))).toBe(true);
    const marker = path.join(dir.dir, 'run', 'stopped');
    expect(existsSync(marker)).toBe(false);

    // The tray's Quit is app.quit() too; the app menu's Quit calls it without the tray.
    expect(item('Quit Switchboard').click).toBeDefined();
    app.quit();
    await waitFor(() => app.quitted || undefined, 10_000, 'the app to quit');
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    expect(tray().destroyed).toBe(true);
    expect(readFileSync(marker, 'utf8')).toContain('Quit in the Switchboard app');
  });
});
