/**
 * The tray menu as data: a status line, questions waiting, servers waiting for a login, one
 * submenu per server (its state, Restart, Log in), Open, Pause/Resume, Install into each detected
 * client, Copy HTTP endpoint, Start at login and Quit. Pure, so it can be unit-tested; tray.ts
 * turns it into an Electron Menu.
 */
import type { MenuItemConstructorOptions } from 'electron';
import {
  showUnseen,
  withoutServerName,
  type ClientView,
  type ServerState,
  type ServerView,
} from '../../../preload/contract/index.ts';

/** What the icon shows, most urgent first: error, question, paused, warning, ok, idle. */
export type TrayHealth = 'idle' | 'ok' | 'warning' | 'error' | 'question' | 'paused';

export type TrayAction =
  | { type: 'open' }
  | { type: 'questions' }
  | { type: 'restart'; server: string }
  | { type: 'login'; server: string }
  | { type: 'pause' }
  | { type: 'resume' }
  /** `profile`: the one an outdated entry starts, kept when it is updated. */
  | { type: 'install'; client: string; profile?: string }
  | { type: 'copy-endpoint'; url: string }
  | { type: 'start-at-login'; enabled: boolean }
  /** Start the gateway again after a start that something outside the app stood in the way of. */
  | { type: 'retry-start' }
  | { type: 'quit' };

export type TrayMenuItem =
  | { type: 'status'; label: string }
  | { type: 'note'; label: string }
  | { type: 'separator' }
  | { type: 'action'; action: TrayAction; label: string; enabled?: boolean }
  | { type: 'checkbox'; action: TrayAction; label: string; checked: boolean }
  | { type: 'submenu'; label: string; items: TrayMenuItem[] };

export interface TrayMenuModel {
  health: TrayHealth;
  tooltip: string;
  items: TrayMenuItem[];
}

export type TrayClient = Pick<ClientView, 'id' | 'name' | 'detected' | 'state' | 'profile' | 'entry' | 'installs'>;

export interface TrayMenuInput {
  /** Null when the server list could not be fetched. */
  servers: readonly ServerView[] | null;
  /** Why the gateway is unusable (failed start, unreadable config, failed fetch). */
  error?: string;
  /** What the user can do about `error`, shown under it. */
  errorHint?: string;
  /** The start failed on something that may go away (another gateway): offer Try again. */
  canRetryStart?: boolean;
  /**
   * The config file's (first) problem, e.g. `line 9: traffic.history.days: expected a number`: the gateway
   * runs on as it was (Pause and Resume still work).
   */
  configError?: string;
  /** Why the HTTP listener is not open (its port is taken): HTTP clients cannot connect, shims can. */
  httpProblem?: string;
  /** Before the first server list arrives. */
  starting?: boolean;
  /** The gateway is paused: its servers are stopped until Resume. */
  paused?: boolean;
  /** Questions from servers waiting for the user. */
  questions?: number;
  /** The AI clients found on this machine (Install into). */
  clients?: readonly TrayClient[];
  /** The gateway's Streamable HTTP URL, when it listens on one. */
  endpoint?: string;
  /** Absent when start at login cannot be changed here. */
  startAtLogin?: boolean;
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

/** Keeps menu lines short, with nothing hidden in them; names and errors come from config files and backends. */
export function truncate(text: string, max = MAX_LABEL): string {
  // A server's error with U+202E in it would read backwards in the menu: shown as its code, as everywhere.
  const oneLine = showUnseen(text.replace(/\s+/g, ' ').trim());
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** An isolated server no client is connected to: nothing is wrong, it starts with each client. */
const waitsForClient = (s: ServerView): boolean => s.isolated === true && s.state === 'stopped' && !s.disabled;

function healthOf(input: TrayMenuInput): TrayHealth {
  if (input.error !== undefined) return 'error';
  if ((input.questions ?? 0) > 0) return 'question';
  if (input.paused === true) return 'paused';
  if (input.configError !== undefined || input.httpProblem !== undefined) return 'warning';
  if (input.starting === true) return 'idle';
  if (input.servers === null) return 'error';
  if (input.servers.length === 0) return 'idle';
  if (input.servers.every((s) => s.state === 'stopped' && !waitsForClient(s))) return 'idle';
  // A server starting again after a failure is still failing: no flicker to "ok" on every attempt.
  const failing = (s: ServerView) =>
    s.state === 'failed' || s.state === 'backoff' || (s.state === 'starting' && s.lastError !== undefined);
  if (input.servers.some(failing)) return 'warning';
  // Green means every server that should run is up (docs/desktop.md): one still starting is not yet.
  return input.servers.some((s) => s.state === 'starting' && !s.disabled) ? 'idle' : 'ok';
}

function statusLine(input: TrayMenuInput): string {
  if (input.error !== undefined) return truncate(`Gateway problem: ${input.error}`);
  if (input.paused === true) return 'Paused: servers stopped';
  if (input.starting === true) return 'Starting…';
  if (input.servers === null) return input.configError === undefined ? 'Gateway unavailable' : 'Config file error';
  if (input.servers.length === 0) return 'No servers configured';
  // A server turned off in the config is meant not to run, and an isolated one runs only for a
  // connected client: neither is counted as missing.
  const meant = input.servers.filter((s) => !s.disabled && !waitsForClient(s));
  if (meant.length === 0) {
    const perClient = input.servers.filter(waitsForClient).length;
    if (perClient === 0) return 'Every server is turned off';
    return perClient === 1 ? '1 server starts with each client' : `${perClient} servers start with each client`;
  }
  const ready = meant.filter((s) => s.state === 'ready').length;
  return `${ready} of ${meant.length} server${meant.length === 1 ? '' : 's'} ready`;
}

/** A server the menu's status line counts as not ready for a reason: failed, waiting to start again, or to log in. */
function inTrouble(s: ServerView): boolean {
  if (s.disabled || s.isolated === true) return false;
  return s.state === 'failed' || s.state === 'backoff' || (s.state === 'starting' && s.lastError !== undefined);
}

/**
 * The servers the menu lists, in config order: all of them when they fit; else those in trouble
 * first chosen, so the one the amber icon is about is never among the "N more".
 */
function shownServers(servers: readonly ServerView[]): readonly ServerView[] {
  if (servers.length <= MAX_SERVER_ITEMS) return servers;
  const urgent = servers.filter((s) => inTrouble(s) || needsLogin(s)).slice(0, MAX_SERVER_ITEMS);
  const room = MAX_SERVER_ITEMS - urgent.length;
  const rest = servers.filter((s) => !urgent.includes(s)).slice(0, room);
  return servers.filter((s) => urgent.includes(s) || rest.includes(s));
}

/** A server waiting for the user to log in (OAuth), not merely broken. */
export const needsLogin = (s: ServerView): boolean =>
  s.auth?.state === 'needs-login' && s.state !== 'ready' && !s.disabled;

function serverItem(server: ServerView, paused: boolean): TrayMenuItem {
  // Turned off in the config: nothing to restart (it would be refused); Servers turns it on.
  if (server.disabled) return { type: 'note', label: `○ ${truncate(server.name, 40)} — turned off` };
  // Isolated: a process per client session, which Restart cannot reach (it is refused).
  if (server.isolated === true) {
    const name = truncate(server.name, 40);
    if (paused) return { type: 'note', label: `○ ${name} — stopped while paused` };
    return {
      type: 'note',
      label:
        server.state === 'stopped'
          ? `○ ${name} — starts with each client`
          : `${STATE_MARK[server.state]} ${name} — ${STATE_LABEL[server.state]} (one per client)`,
    };
  }
  // Starting again after a failure is restarting, as the wait before it was: a server that keeps failing
  // must not change the menu at each attempt (a menu set while it is open closes under the pointer).
  const again = server.state === 'starting' && server.lastError !== undefined;
  const waits = again || server.state === 'backoff';
  // Only a local command is started again: a remote server or a handler is tried again.
  const waitLabel = server.kind === 'stdio' ? STATE_LABEL.backoff : 'retrying';
  const stateLabel = needsLogin(server) ? 'needs login' : waits ? waitLabel : STATE_LABEL[server.state];
  const label = `${STATE_MARK[server.state]} ${truncate(server.name, 40)} — ${stateLabel}`;
  // In the server's own submenu its name is said already: the line's few words go to what is wrong.
  const error = server.lastError === undefined ? undefined : withoutServerName(server.lastError, server.name);
  const detail = error !== undefined && server.state !== 'ready' ? truncate(error) : undefined;
  return {
    type: 'submenu',
    label,
    items: [
      ...(detail === undefined ? [] : [{ type: 'note' as const, label: detail }]),
      // Paused, nothing runs until Resume.
      paused
        ? { type: 'note', label: 'Stopped while paused' }
        : { type: 'action', action: { type: 'restart', server: server.name }, label: 'Restart' },
      ...(server.auth && !paused
        ? [
            {
              type: 'action' as const,
              action: { type: 'login' as const, server: server.name },
              label: server.auth.state === 'logged-in' ? 'Log in again…' : 'Log in…',
            },
          ]
        : []),
    ],
  };
}

const INSTALL_LABEL: Partial<Record<ClientView['state'], string>> = {
  installed: 'installed',
  outdated: 'update its entry',
  invalid: 'config file unreadable',
};

const ENTRY_NAME: Record<NonNullable<ClientView['entry']>, string> = {
  app: 'app entry',
  cli: 'command-line entry',
};

/**
 * What the item says. An entry of the other kind (written by `switchboard install`) is installed and
 * works: it says whose it is, and switching it is the Clients screen's, where the change is shown first.
 */
function installState(client: TrayClient): string | undefined {
  const other = client.entry !== undefined && client.installs !== undefined && client.entry !== client.installs;
  if (!other) return INSTALL_LABEL[client.state];
  if (client.state === 'installed') return `installed (${ENTRY_NAME[client.entry!]})`;
  if (client.state === 'outdated') return `replace its outdated ${ENTRY_NAME[client.entry!]}`;
  return INSTALL_LABEL[client.state];
}

function installMenu(clients: NonNullable<TrayMenuInput['clients']>): TrayMenuItem | undefined {
  const detected = clients.filter((c) => c.detected);
  if (detected.length === 0) return undefined;
  return {
    type: 'submenu',
    label: 'Install into',
    items: detected.map((client) => {
      const state = installState(client);
      return {
        type: 'action',
        action: { type: 'install', client: client.id, ...(client.profile ? { profile: client.profile } : {}) },
        label: state === undefined ? client.name : `${client.name} — ${state}`,
        // Installed already: nothing to do; unreadable: the window says why and what to fix.
        enabled: client.state !== 'installed' && client.state !== 'invalid',
      };
    }),
  };
}

export function buildTrayMenuModel(input: TrayMenuInput): TrayMenuModel {
  const status = statusLine(input);
  const items: TrayMenuItem[] = [{ type: 'status', label: status }];
  if (input.error !== undefined && input.errorHint !== undefined)
    items.push({ type: 'note', label: truncate(input.errorHint) });
  if (input.error !== undefined && input.canRetryStart === true)
    items.push({ type: 'action', action: { type: 'retry-start' }, label: 'Try again' });
  // The servers may all be up: the lines under the status say what the amber icon is about.
  if (input.error === undefined && input.configError !== undefined)
    items.push({ type: 'note', label: truncate(`Config file error: ${input.configError}`) });
  if (input.error === undefined && input.httpProblem !== undefined)
    items.push({ type: 'note', label: truncate(`HTTP off: ${input.httpProblem}`) });
  const questions = input.questions ?? 0;
  if (questions > 0)
    items.push({
      type: 'action',
      action: { type: 'questions' },
      label: questions === 1 ? '1 question waiting…' : `${questions} questions waiting…`,
    });
  const servers = input.servers ?? [];
  // A login is the user's to start: the menu asks for it where it is seen first.
  if (input.paused !== true)
    for (const server of servers.filter(needsLogin).slice(0, 3))
      items.push({
        type: 'action',
        action: { type: 'login', server: server.name },
        label: `Log in to ${truncate(server.name, 40)}…`,
      });
  if (servers.length > 0) {
    items.push({ type: 'separator' });
    for (const server of shownServers(servers)) items.push(serverItem(server, input.paused === true));
    const rest = servers.length - MAX_SERVER_ITEMS;
    if (rest > 0) items.push({ type: 'note', label: `… and ${rest} more` });
  }
  items.push({ type: 'separator' });
  items.push({ type: 'action', action: { type: 'open' }, label: 'Open Switchboard' });
  if (input.error === undefined && input.servers !== null)
    items.push(
      input.paused === true
        ? { type: 'action', action: { type: 'resume' }, label: 'Resume gateway' }
        : { type: 'action', action: { type: 'pause' }, label: 'Pause gateway' },
    );
  const install = input.clients && installMenu(input.clients);
  if (install) items.push(install);
  if (input.endpoint !== undefined)
    items.push({ type: 'action', action: { type: 'copy-endpoint', url: input.endpoint }, label: 'Copy HTTP endpoint' });
  if (input.startAtLogin !== undefined)
    items.push({
      type: 'checkbox',
      action: { type: 'start-at-login', enabled: !input.startAtLogin },
      label: 'Start at login',
      checked: input.startAtLogin,
    });
  items.push({ type: 'separator' });
  items.push({ type: 'action', action: { type: 'quit' }, label: 'Quit Switchboard' });
  // What the amber icon is about when the servers are fine: hovering it is how Windows users read it.
  const notes = [
    ...(questions > 0 ? [`${questions} waiting`] : []),
    ...(input.error === undefined && input.configError !== undefined && status !== 'Config file error'
      ? ['config file error']
      : []),
    ...(input.error === undefined && input.httpProblem !== undefined ? ['HTTP off'] : []),
  ];
  const tooltip = [`Switchboard — ${status}`, ...notes].join('; ');
  return { health: healthOf(input), tooltip, items };
}

/**
 * What a click on the icon itself does (the menu is on the right button): Windows leaves a left
 * click to the app, and Linux panels that activate an icon rather than open its menu (KDE) say so
 * with a click; both open the window, as tray apps there do. macOS opens the menu on any click.
 */
export function trayClickAction(platform: string): TrayAction | undefined {
  return platform === 'darwin' ? undefined : { type: 'open' };
}

/**
 * Icon file for a health state, relative to resources/ (see resources/README.md): monochrome
 * template images on macOS (the menu bar tints them), .ico on Windows, PNG for Linux panels.
 */
export function trayIconFile(health: TrayHealth, platform: string): string {
  if (platform === 'darwin') return `tray/${health}Template.png`;
  return platform === 'win32' ? `tray/${health}.ico` : `tray/${health}.png`;
}

/**
 * A label as Electron shows it: on every platform a single `&` marks the next letter as the item's
 * mnemonic and is not shown (`&&` shows one). No label here means one, and errors carry `&`
 * (`…/mcp?team=1&scope=read`).
 */
export function menuLabel(text: string): string {
  return text.replace(/&/g, '&&');
}

/** The Electron menu template for a model; `onAction` runs when an item is clicked. */
export function toMenuTemplate(
  model: Pick<TrayMenuModel, 'items'>,
  onAction: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return model.items.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: menuLabel(item.label), enabled: item.enabled ?? true, click: () => onAction(item.action) };
      case 'checkbox':
        return {
          label: menuLabel(item.label),
          type: 'checkbox',
          checked: item.checked,
          click: () => onAction(item.action),
        };
      case 'submenu':
        return { label: menuLabel(item.label), submenu: toMenuTemplate(item, onAction) };
      case 'status':
      case 'note':
        return { label: menuLabel(item.label), enabled: false };
    }
  });
}
