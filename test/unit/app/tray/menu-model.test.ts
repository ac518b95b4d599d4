import { describe, expect, it, vi } from 'vitest';
import {
  buildTrayMenuModel,
  MAX_SERVER_ITEMS,
  toMenuTemplate,
  trayClickAction,
  trayIconFile,
  truncate,
  type TrayMenuInput,
  type TrayMenuItem,
} from '../../../../main/app/tray/menu-model.ts';
import type { ServerView } from '../../../../preload/contract/index.ts';

const server = (name: string, state: ServerView['state'], extra: Partial<ServerView> = {}): ServerView => ({
  name,
  kind: 'stdio',
  state,
  restarts: 0,
  toolCount: 0,
  ...extra,
});

/** The menu as a user reads it: labels, submenus indented, separators as ---. */
function read(items: TrayMenuItem[], indent = ''): string[] {
  return items.flatMap((item) => {
    if (item.type === 'separator') return [`${indent}---`];
    if (item.type === 'submenu') return [`${indent}${item.label} ▸`, ...read(item.items, `${indent}  `)];
    if (item.type === 'checkbox') return [`${indent}[${item.checked ? 'x' : ' '}] ${item.label}`];
    return [`${indent}${item.label}`];
  });
}

const menu = (input: TrayMenuInput) => read(buildTrayMenuModel(input).items);

describe('tray menu model', () => {
  it('lists a status line, each server with its state and Restart, then the app actions', () => {
    const model = buildTrayMenuModel({
      servers: [
        server('github', 'ready', { toolCount: 12 }),
        server('files', 'backoff', { lastError: 'exited with code 1' }),
        server('db', 'stopped'),
        // Nothing of Switchboard's to restart: it is tried again.
        server('billing', 'backoff', { kind: 'handler-http', lastError: 'connection refused' }),
      ],
      endpoint: 'http://127.0.0.1:8931/mcp',
      startAtLogin: false,
    });
    expect(read(model.items)).toEqual([
      '1 of 4 servers ready',
      '---',
      '● github — ready ▸',
      '  Restart',
      '◐ files — restarting ▸',
      '  exited with code 1',
      '  Restart',
      '○ db — stopped ▸',
      '  Restart',
      '◐ billing — retrying ▸',
      '  connection refused',
      '  Restart',
      '---',
      'Open Switchboard',
      'Pause gateway',
      'Copy HTTP endpoint',
      '[ ] Start at login',
      '---',
      'Quit Switchboard',
    ]);
    expect(model.health).toBe('warning');
    expect(model.tooltip).toBe('Switchboard — 1 of 4 servers ready');
  });

  it('shows a server turned off in the config as such: nothing to restart, and not counted as missing', () => {
    const items = read(
      buildTrayMenuModel({
        servers: [server('fx', 'ready'), server('old', 'stopped', { disabled: true })],
      }).items,
    );
    expect(items).toContain('1 of 1 server ready');
    expect(items).toContain('○ old — turned off');
    expect(items.join('\n')).not.toMatch(/old — turned off ▸/);
    expect(read(buildTrayMenuModel({ servers: [server('old', 'stopped', { disabled: true })] }).items)).toContain(
      'Every server is turned off',
    );
  });

  it('asks for a login where one is needed, and offers Log in on every server that uses OAuth', () => {
    const model = buildTrayMenuModel({
      servers: [
        server('linear', 'failed', {
          kind: 'http',
          lastError: 'server "linear" needs you to log in',
          auth: { state: 'needs-login', reason: 'the server requires a login' },
        }),
        server('notion', 'ready', { kind: 'http', auth: { state: 'logged-in' } }),
      ],
    });
    expect(read(model.items)).toEqual([
      '1 of 2 servers ready',
      'Log in to linear…',
      '---',
      '✕ linear — needs login ▸',
      '  server "linear" needs you to log in',
      '  Restart',
      '  Log in…',
      '● notion — ready ▸',
      '  Restart',
      '  Log in again…',
      '---',
      'Open Switchboard',
      'Pause gateway',
      '---',
      'Quit Switchboard',
    ]);
    const login = model.items[1];
    expect(login).toMatchObject({ type: 'action', action: { type: 'login', server: 'linear' } });
    // Paused: nothing to log in to until Resume.
    expect(
      menu({ servers: [server('linear', 'stopped', { auth: { state: 'needs-login' } })], paused: true }),
    ).not.toContain('Log in to linear…');
  });

  it('says so when nothing is configured', () => {
    expect(menu({ servers: [] })).toEqual([
      'No servers configured',
      '---',
      'Open Switchboard',
      'Pause gateway',
      '---',
      'Quit Switchboard',
    ]);
    expect(buildTrayMenuModel({ servers: [] }).health).toBe('idle');
  });

  it('shows a gateway problem and stays usable', () => {
    expect(menu({ servers: null, error: 'config file is not valid JSON' })).toEqual([
      'Gateway problem: config file is not valid JSON',
      '---',
      'Open Switchboard',
      '---',
      'Quit Switchboard',
    ]);
    expect(menu({ servers: null })[0]).toBe('Gateway unavailable');
    expect(buildTrayMenuModel({ servers: null }).health).toBe('error');
  });

  it('says under a failed start what to do, and offers Try again when asked to', () => {
    const input = {
      servers: null,
      error: 'another Switchboard is running (pid 7)',
      errorHint: 'Stop it',
      canRetryStart: true,
    };
    expect(menu(input).slice(0, 3)).toEqual([
      'Gateway problem: another Switchboard is running (pid 7)',
      'Stop it',
      'Try again',
    ]);
    expect(buildTrayMenuModel(input).items[2]).toMatchObject({ type: 'action', action: { type: 'retry-start' } });
    // Nothing to retry once the problem is gone.
    expect(menu({ ...input, error: undefined, servers: [] })).not.toContain('Try again');
  });

  it('says it is starting before the first server list arrives', () => {
    const model = buildTrayMenuModel({ servers: null, starting: true });
    expect(model.items[0]).toEqual({ type: 'status', label: 'Starting…' });
    expect(model.health).toBe('idle');
    expect(buildTrayMenuModel({ servers: null, starting: true, error: 'boom' }).health).toBe('error');
  });

  it('derives health from server states, questions waiting and pause, the most urgent first', () => {
    const ready = [server('a', 'ready')];
    const failing = [server('a', 'ready'), server('b', 'failed')];
    // Green only once every server that should run is up; one still starting shows the ring.
    expect(buildTrayMenuModel({ servers: [server('a', 'ready'), server('b', 'starting')] }).health).toBe('idle');
    expect(buildTrayMenuModel({ servers: [server('a', 'ready'), server('b', 'ready')] }).health).toBe('ok');
    expect(buildTrayMenuModel({ servers: failing }).health).toBe('warning');
    const retrying = [server('a', 'ready'), server('b', 'starting', { lastError: 'exited with code 3' })];
    expect(buildTrayMenuModel({ servers: retrying }).health).toBe('warning');
    expect(buildTrayMenuModel({ servers: [server('a', 'stopped')] }).health).toBe('idle');
    expect(buildTrayMenuModel({ servers: ready, paused: true }).health).toBe('paused');
    expect(buildTrayMenuModel({ servers: failing, questions: 1 }).health).toBe('question');
    expect(buildTrayMenuModel({ servers: ready, paused: true, questions: 2 }).health).toBe('question');
    expect(buildTrayMenuModel({ servers: ready, questions: 2, error: 'x' }).health).toBe('error');
  });

  it('puts questions waiting right under the status line and in the tooltip', () => {
    const model = buildTrayMenuModel({ servers: [server('a', 'ready')], questions: 2 });
    expect(read(model.items).slice(0, 2)).toEqual(['1 of 1 server ready', '2 questions waiting…']);
    expect(model.items[1]).toMatchObject({ action: { type: 'questions' } });
    expect(model.tooltip).toBe('Switchboard — 1 of 1 server ready; 2 waiting');
    expect(menu({ servers: [], questions: 1 })[1]).toBe('1 question waiting…');
  });

  it('offers Resume when paused, and no Restart for servers that are stopped on purpose', () => {
    const model = buildTrayMenuModel({ servers: [server('a', 'stopped')], paused: true });
    expect(read(model.items)).toContain('Resume gateway');
    expect(read(model.items)).toContain('  Stopped while paused');
    expect(read(model.items)).not.toContain('  Restart');
    expect(read(model.items)).not.toContain('Pause gateway');
    expect(model.items[0]).toEqual({ type: 'status', label: 'Paused: servers stopped' });
  });

  it('offers Install into for detected clients only, saying which already have Switchboard', () => {
    const lines = menu({
      servers: [],
      clients: [
        { id: 'claude-desktop', name: 'Claude Desktop', detected: true, state: 'not-installed' },
        { id: 'cursor', name: 'Cursor', detected: true, state: 'installed' },
        { id: 'zed', name: 'Zed', detected: true, state: 'outdated' },
        { id: 'goose', name: 'Goose', detected: false, state: 'not-detected' },
      ],
    });
    expect(lines.slice(lines.indexOf('Install into ▸'), lines.indexOf('Install into ▸') + 4)).toEqual([
      'Install into ▸',
      '  Claude Desktop',
      '  Cursor — installed',
      '  Zed — update its entry',
    ]);
    expect(lines.join('\n')).not.toContain('Goose');
    expect(menu({ servers: [], clients: [] })).not.toContain('Install into ▸');
  });

  it("shows an entry `switchboard install` wrote as installed, saying whose it is, and offers no 'update'", () => {
    const model = buildTrayMenuModel({
      servers: [],
      clients: [
        {
          id: 'claude-desktop',
          name: 'Claude Desktop',
          detected: true,
          state: 'installed',
          entry: 'cli',
          installs: 'app',
        },
        { id: 'cursor', name: 'Cursor', detected: true, state: 'outdated', entry: 'cli', installs: 'app' },
        { id: 'zed', name: 'Zed', detected: true, state: 'installed', entry: 'app', installs: 'app' },
      ],
    });
    const install = model.items.find((i) => i.type === 'submenu' && i.label === 'Install into');
    expect(install).toMatchObject({
      items: [
        // It works: nothing to do from the tray (switching is the Clients screen's, with the change shown).
        { label: 'Claude Desktop — installed (command-line entry)', enabled: false },
        // Its program or script is gone: the app's entry replaces it.
        { label: 'Cursor — replace its outdated command-line entry', enabled: true },
        { label: 'Zed — installed', enabled: false },
      ],
    });
  });

  it('keeps Resume while the config file has an error: the gateway runs on as it was', () => {
    const configError = 'line 3: x';
    const paused = { servers: [server('a', 'stopped')], paused: true, configError };
    expect(menu(paused).slice(0, 2)).toEqual(['Paused: servers stopped', 'Config file error: line 3: x']);
    expect(menu(paused)).toContain('Resume gateway');
    // Paused ranks above a warning (docs/desktop.md); running, the config's error is the warning.
    expect(buildTrayMenuModel(paused).health).toBe('paused');
    const running = { servers: [server('a', 'ready')], configError };
    // The servers run on: their count stays the status line, and the problem goes under it.
    expect(menu(running).slice(0, 2)).toEqual(['1 of 1 server ready', 'Config file error: line 3: x']);
    expect(menu(running)).toContain('Pause gateway');
    expect(buildTrayMenuModel(running).health).toBe('warning');
    // The tooltip says what the amber icon is about, once.
    expect(buildTrayMenuModel(running).tooltip).toBe('Switchboard — 1 of 1 server ready; config file error');
    expect(buildTrayMenuModel({ servers: null, configError }).tooltip).toBe('Switchboard — Config file error');
  });

  it('says under the status line that the HTTP endpoint is off, with the warning icon', () => {
    const httpProblem = 'HTTP port 127.0.0.1:8787 is already in use';
    const input = { servers: [server('a', 'ready')], httpProblem };
    expect(menu(input).slice(0, 2)).toEqual(['1 of 1 server ready', `HTTP off: ${httpProblem}`]);
    expect(menu(input)).toContain('Pause gateway');
    expect(buildTrayMenuModel(input).health).toBe('warning');
    // Questions and a pause still rank above it.
    expect(buildTrayMenuModel({ ...input, questions: 1 }).health).toBe('question');
  });

  it('updates an outdated entry with the profile it starts (it became "default")', () => {
    const onAction = vi.fn();
    const template = toMenuTemplate(
      buildTrayMenuModel({
        servers: [],
        clients: [{ id: 'zed', name: 'Zed', detected: true, state: 'outdated', profile: 'work' }],
      }),
      onAction,
    );
    const install = template.find((t) => t.label === 'Install into')!.submenu as typeof template;
    (install[0]!.click as () => void)();
    expect(onAction).toHaveBeenCalledWith({ type: 'install', client: 'zed', profile: 'work' });
  });

  it('shows an isolated server as starting with each client: not missing, no Restart, green', () => {
    const only = buildTrayMenuModel({ servers: [server('mine', 'stopped', { isolated: true })] });
    expect(read(only.items).slice(0, 3)).toEqual([
      '1 server starts with each client',
      '---',
      '○ mine — starts with each client',
    ]);
    expect(only.health).toBe('ok');
    const mixed = { servers: [server('a', 'ready'), server('b', 'stopped', { isolated: true })] };
    expect(menu(mixed)[0]).toBe('1 of 1 server ready');
    expect(menu({ ...mixed, paused: true })).toContain('○ b — stopped while paused');
    // Turned off wins: it does not start with anything.
    expect(menu({ servers: [server('c', 'stopped', { isolated: true, disabled: true })] })[0]).toBe(
      'Every server is turned off',
    );
    expect(buildTrayMenuModel({ servers: [server('c', 'stopped', { isolated: true, disabled: true })] }).health).toBe(
      'idle',
    );
  });

  it('uses singular for one server and hides the last error of a ready server', () => {
    const lines = menu({ servers: [server('a', 'ready', { lastError: 'old' })] });
    expect(lines[0]).toBe('1 of 1 server ready');
    expect(lines).not.toContain('  old');
  });

  it("shows a control character or bidi override in a server's error as \\u202e, not reversing the line", () => {
    const lines = menu({
      servers: [server('pay', 'failed', { lastError: 'cannot start \u202egro.live \u001b[2K \u200fx' })],
    });
    expect(lines).toContain('  cannot start \\u202egro.live \\u001b[2K \\u200fx');
    expect(lines.join('\n')).not.toMatch(/[\u001b\u202e\u200f]/);
  });

  it('caps the server list and truncates long names and errors to one line', () => {
    const many = Array.from({ length: MAX_SERVER_ITEMS + 3 }, (_, i) => server(`s${i}`, 'ready'));
    const lines = menu({ servers: many });
    expect(lines.filter((l) => l.startsWith('●'))).toHaveLength(MAX_SERVER_ITEMS);
    expect(lines).toContain('… and 3 more');
    // The ones in trouble are never among the rest: the menu shows what the icon is about.
    const troubled = [...many];
    troubled[13] = server('s13', 'failed', { lastError: 'exited with code 1' });
    troubled[14] = server('s14', 'backoff');
    const shown = menu({ servers: troubled }).filter((l) => /^[●✕◐]/.test(l));
    expect(shown).toEqual([
      ...Array.from({ length: MAX_SERVER_ITEMS - 2 }, (_, i) => `● s${i} — ready ▸`),
      '✕ s13 — failed ▸',
      '◐ s14 — restarting ▸',
    ]);

    const long = menu({
      servers: [server('n'.repeat(100), 'failed', { lastError: `line one\nline two ${'x'.repeat(100)}` })],
    });
    expect(long[2]).toBe(`✕ ${'n'.repeat(39)}… — failed ▸`);
    expect(long[3]).toMatch(/^ {2}line one line two x+…$/);
    expect(truncate('  a \n b  ')).toBe('a b');
  });

  it('turns into an Electron menu template whose items call back with their action', () => {
    const onAction = vi.fn();
    const template = toMenuTemplate(
      buildTrayMenuModel({
        servers: [server('files', 'failed', { lastError: 'boom' })],
        questions: 1,
        endpoint: 'http://127.0.0.1:8931/mcp',
        startAtLogin: true,
        clients: [{ id: 'cursor', name: 'Cursor', detected: true, state: 'not-installed' }],
      }),
      onAction,
    );
    const byLabel = (label: string, items = template) => items.find((t) => t.label === label)!;
    const click = (item: { click?: unknown }) => (item.click as () => void)();
    expect(template[0]).toMatchObject({ label: '0 of 1 server ready', enabled: false });
    const files = byLabel('✕ files — failed');
    const submenu = files.submenu as typeof template;
    expect(submenu[0]).toMatchObject({ label: 'boom', enabled: false });
    click(byLabel('Restart', submenu));
    click(byLabel('1 question waiting…'));
    click(byLabel('Cursor', byLabel('Install into').submenu as typeof template));
    click(byLabel('Copy HTTP endpoint'));
    expect(byLabel('Start at login')).toMatchObject({ type: 'checkbox', checked: true });
    click(byLabel('Start at login'));
    click(byLabel('Pause gateway'));
    click(byLabel('Quit Switchboard'));
    expect(onAction.mock.calls.map(([action]: unknown[]) => action)).toEqual([
      { type: 'restart', server: 'files' },
      { type: 'questions' },
      { type: 'install', client: 'cursor' },
      { type: 'copy-endpoint', url: 'http://127.0.0.1:8931/mcp' },
      { type: 'start-at-login', enabled: false },
      { type: 'pause' },
      { type: 'quit' },
    ]);
  });

  it('shows an & in an error as it is (a single & would mark a mnemonic and vanish)', () => {
    const template = toMenuTemplate(
      buildTrayMenuModel({
        servers: [server('linear', 'failed', { lastError: 'HTTP 502 from https://mcp.example/?team=1&scope=read' })],
        error: 'another Switchboard is running (R&D build)',
      }),
      () => undefined,
    );
    expect(template[0]!.label).toBe('Gateway problem: another Switchboard is running (R&&D build)');
    const linear = template.find((t) => t.label?.startsWith('✕ linear'))!;
    expect((linear.submenu as typeof template)[0]!.label).toBe('HTTP 502 from https://mcp.example/?team=1&&scope=read');
  });

  it('opens the window on a click of the icon, except on macOS where a click opens the menu', () => {
    expect(trayClickAction('win32')).toEqual({ type: 'open' });
    expect(trayClickAction('linux')).toEqual({ type: 'open' });
    expect(trayClickAction('darwin')).toBeUndefined();
  });

  it('picks template images on macOS, .ico on Windows and PNG on Linux', () => {
    expect(trayIconFile('ok', 'darwin')).toBe('tray/okTemplate.png');
    expect(trayIconFile('error', 'linux')).toBe('tray/error.png');
    expect(trayIconFile('question', 'win32')).toBe('tray/question.ico');
    expect(trayIconFile('paused', 'linux')).toBe('tray/paused.png');
  });
});
