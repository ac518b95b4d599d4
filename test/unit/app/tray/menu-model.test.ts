import { describe, expect, it, vi } from 'vitest';
import {
  buildTrayMenuModel,
  MAX_SERVER_ITEMS,
  toMenuTemplate,
  trayIconFile,
  truncate,
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

const labels = (servers: ServerView[] | null, error?: string) =>
  buildTrayMenuModel(error === undefined ? { servers } : { servers, error }).items.map((i) =>
    i.type === 'separator' ? '---' : i.label,
  );

describe('tray menu model', () => {
  it('lists a status line, each server with its state, then Open and Quit', () => {
    const model = buildTrayMenuModel({
      servers: [
        server('github', 'ready', { toolCount: 12 }),
        server('files', 'backoff', { lastError: 'exited with code 1' }),
        server('db', 'stopped'),
      ],
    });
    expect(model.items).toEqual([
      { type: 'status', label: '1 of 3 servers ready' },
      { type: 'separator' },
      { type: 'server', name: 'github', state: 'ready', label: '● github — ready' },
      { type: 'server', name: 'files', state: 'backoff', label: '◐ files — restarting', detail: 'exited with code 1' },
      { type: 'server', name: 'db', state: 'stopped', label: '○ db — stopped' },
      { type: 'separator' },
      { type: 'action', action: 'open', label: 'Open Switchboard' },
      { type: 'action', action: 'quit', label: 'Quit Switchboard' },
    ]);
    expect(model.health).toBe('warning');
    expect(model.tooltip).toBe('Switchboard — 1 of 3 servers ready');
  });

  it('says so when nothing is configured', () => {
    expect(labels([])).toEqual(['No servers configured', '---', 'Open Switchboard', 'Quit Switchboard']);
    expect(buildTrayMenuModel({ servers: [] }).health).toBe('idle');
  });

  it('shows a gateway problem and stays usable', () => {
    expect(labels(null, 'config file is not valid JSON')).toEqual([
      'Gateway problem: config file is not valid JSON',
      '---',
      'Open Switchboard',
      'Quit Switchboard',
    ]);
    expect(labels(null)[0]).toBe('Gateway unavailable');
    expect(buildTrayMenuModel({ servers: null }).health).toBe('error');
  });

  it('says it is starting before the first server list arrives', () => {
    expect(labels(null).length).toBe(4);
    const model = buildTrayMenuModel({ servers: null, starting: true });
    expect(model.items[0]).toEqual({ type: 'status', label: 'Starting…' });
    expect(model.health).toBe('idle');
    expect(buildTrayMenuModel({ servers: null, starting: true, error: 'boom' }).health).toBe('error');
  });

  it('derives health from server states', () => {
    expect(buildTrayMenuModel({ servers: [server('a', 'ready'), server('b', 'starting')] }).health).toBe('ok');
    expect(buildTrayMenuModel({ servers: [server('a', 'ready'), server('b', 'failed')] }).health).toBe('warning');
    expect(buildTrayMenuModel({ servers: [server('a', 'stopped')] }).health).toBe('idle');
    expect(buildTrayMenuModel({ servers: [server('a', 'ready')], error: 'x' }).health).toBe('error');
  });

  it('uses singular for one server and hides the last error of a ready server', () => {
    const model = buildTrayMenuModel({ servers: [server('a', 'ready', { lastError: 'old' })] });
    expect(model.items[0]).toEqual({ type: 'status', label: '1 of 1 server ready' });
    expect(model.items[2]).not.toHaveProperty('detail');
  });

  it('caps the server list and truncates long names and errors to one line', () => {
    const many = Array.from({ length: MAX_SERVER_ITEMS + 3 }, (_, i) => server(`s${i}`, 'ready'));
    const items = labels(many);
    expect(items.filter((l) => l.startsWith('●'))).toHaveLength(MAX_SERVER_ITEMS);
    expect(items).toContain('… and 3 more');

    const long = buildTrayMenuModel({
      servers: [server('n'.repeat(100), 'failed', { lastError: `line one\nline two ${'x'.repeat(100)}` })],
    });
    const item = long.items[2]!;
    expect(item.type === 'server' && item.label).toBe(`✕ ${'n'.repeat(39)}… — failed`);
    expect(item.type === 'server' && item.detail).toMatch(/^line one line two x+…$/);
    expect(truncate('  a \n b  ')).toBe('a b');
  });

  it('turns into an Electron menu template whose actions call back', () => {
    const onAction = vi.fn();
    const template = toMenuTemplate(
      buildTrayMenuModel({ servers: [server('files', 'failed', { lastError: 'boom' })] }),
      onAction,
    );
    expect(template.map((t) => t.type ?? t.label)).toEqual([
      '0 of 1 server ready',
      'separator',
      '✕ files — failed',
      'separator',
      'Open Switchboard',
      'Quit Switchboard',
    ]);
    expect(template[0]).toMatchObject({ enabled: false });
    expect(template[2]).toMatchObject({ enabled: false, sublabel: 'boom' });
    const click = (i: number) => (template[i]!.click as () => void)();
    click(4);
    click(5);
    expect(onAction.mock.calls).toEqual([['open'], ['quit']]);
  });

  it('picks template icons on macOS and colour icons elsewhere', () => {
    expect(trayIconFile('ok', 'darwin')).toBe('tray/okTemplate.png');
    expect(trayIconFile('error', 'linux')).toBe('tray/error.png');
    expect(trayIconFile('warning', 'win32')).toBe('tray/warning.png');
  });
});
