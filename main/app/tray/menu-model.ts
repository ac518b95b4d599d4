/**
 * The tray menu as data, built from the server list: a status line, one line per server, then
 * Open and Quit. Pure, so it can be unit-tested; tray.ts turns it into an Electron Menu.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { ServerState, ServerView } from '../../../preload/contract/index.ts';

export type TrayHealth = 'idle' | 'ok' | 'warning' | 'error';

export type TrayAction = 'open' | 'quit';

export type TrayMenuItem =
  | { type: 'status'; label: string }
  | { type: 'server'; label: string; name: string; state: ServerState; detail?: string }
  | { type: 'note'; label: string }
  | { type: 'separator' }
  | { type: 'action'; action: TrayAction; label: string };

export interface TrayMenuModel {
  health: TrayHealth;
  tooltip: string;
  items: TrayMenuItem[];
}

export interface TrayMenuInput {
  /** Null when the server list could not be fetched. */
  servers: readonly ServerView[] | null;
  /** Why the gateway is unusable (failed start, unreadable config, failed fetch). */
  error?: string;
  /** Before the first server list arrives. */
  starting?: boolean;
}

/** Servers listed before the rest is summarised as "... and N more". */
export const MAX_SERVER_ITEMS = 12;
const MAX_LABEL = 60;

const STATE_LABEL: Readonly<Record<ServerState, string>> = {
  ready: 'ready',
  starting: 'starting',
  backoff: 'restarting',
  failed: 'failed',
  stopped: 'stopped',
};

const STATE_MARK: Readonly<Record<ServerState, string>> = {
  ready: '●',
  starting: '◐',
  backoff: '◐',
  failed: '✕',
  stopped: '○',
};

/** Keeps menu lines short; names and errors come from config files and backends. */
export function truncate(text: string, max = MAX_LABEL): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

function healthOf(input: TrayMenuInput): TrayHealth {
  if (input.error !== undefined) return 'error';
  if (input.starting === true) return 'idle';
  if (input.servers === null) return 'error';
  if (input.servers.length === 0) return 'idle';
  const states = input.servers.map((s) => s.state);
  if (states.every((s) => s === 'stopped')) return 'idle';
  if (states.some((s) => s === 'failed' || s === 'backoff')) return 'warning';
  return 'ok';
}

function statusLine(input: TrayMenuInput): string {
  if (input.error !== undefined) return truncate(`Gateway problem: ${input.error}`);
  if (input.starting === true) return 'Starting…';
  if (input.servers === null) return 'Gateway unavailable';
  const total = input.servers.length;
  if (total === 0) return 'No servers configured';
  const ready = input.servers.filter((s) => s.state === 'ready').length;
  return `${ready} of ${total} server${total === 1 ? '' : 's'} ready`;
}

export function buildTrayMenuModel(input: TrayMenuInput): TrayMenuModel {
  const status = statusLine(input);
  const items: TrayMenuItem[] = [{ type: 'status', label: status }];
  const servers = input.servers ?? [];
  if (servers.length > 0) {
    items.push({ type: 'separator' });
    for (const server of servers.slice(0, MAX_SERVER_ITEMS)) {
      const item: TrayMenuItem = {
        type: 'server',
        name: server.name,
        state: server.state,
        label: `${STATE_MARK[server.state]} ${truncate(server.name, 40)} — ${STATE_LABEL[server.state]}`,
      };
      if (server.lastError !== undefined && server.state !== 'ready') item.detail = truncate(server.lastError);
      items.push(item);
    }
    const rest = servers.length - MAX_SERVER_ITEMS;
    if (rest > 0) items.push({ type: 'note', label: `… and ${rest} more` });
  }
  items.push({ type: 'separator' });
  items.push({ type: 'action', action: 'open', label: 'Open Switchboard' });
  items.push({ type: 'action', action: 'quit', label: 'Quit Switchboard' });
  return { health: healthOf(input), tooltip: `Switchboard — ${status}`, items };
}

/**
 * Icon file for a health state, relative to resources/ (see resources/README.md). macOS gets
 * monochrome template images that follow the menu bar's appearance.
 */
export function trayIconFile(health: TrayHealth, platform: string): string {
  return platform === 'darwin' ? `tray/${health}Template.png` : `tray/${health}.png`;
}

/** The Electron menu template for a model; `onAction` runs when Open or Quit is clicked. */
export function toMenuTemplate(
  model: TrayMenuModel,
  onAction: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return model.items.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: item.label, click: () => onAction(item.action) };
      case 'server':
        return item.detail === undefined
          ? { label: item.label, enabled: false }
          : { label: item.label, sublabel: item.detail, toolTip: item.detail, enabled: false };
      case 'status':
      case 'note':
        return { label: item.label, enabled: false };
    }
  });
}
