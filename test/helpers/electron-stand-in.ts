/**
 * An in-process stand-in for the slice of Electron the desktop shell uses (app lifecycle, Tray,
 * Menu, BrowserWindow, Notification, ipcMain, protocol, session, shell, clipboard, screen,
 * nativeImage) — the one place a stand-in is acceptable, because the Electron runtime cannot be
 * downloaded here. It keeps what the shell did (windows and their options, the tray's image and
 * menu, notifications shown) so a test can read it as a user would see it, and lets the test act
 * (click a menu item or a notification, navigate a page, quit). Lifecycle semantics that matter
 * are Electron's: 'before-quit' can be cancelled with preventDefault, 'web-contents-created'
 * fires for every new page, whenReady() resolves once.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';

export class StandInEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;

class StandInApp extends EventEmitter {
  isPackaged = false;
  userData = '';
  singleInstanceLockFree = true;
  /** Set once 'quit' was emitted: the process would end here. */
  quitted = false;
  exitCode: number | undefined;
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;

  constructor() {
    super();
    this.readyPromise = new Promise((resolve) => (this.markReady = resolve));
  }

  /** Set by emitReady(): windows can be made from then on. */
  ready = false;

  /** The test says when the app is ready, as Electron would after start-up. */
  emitReady(): void {
    this.ready = true;
    this.markReady();
    this.emit('ready');
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLockFree;
  }

  getVersion(): string {
    return '0.1.0';
  }

  getName(): string {
    return 'Switchboard';
  }

  getPath(name: string): string {
    if (name === 'userData') return this.userData;
    if (name === 'appData') return path.dirname(this.userData);
    throw new Error(`stand-in app.getPath: ${name} is not part of the slice`);
  }

  setPath(name: string, value: string): void {
    if (name !== 'userData') throw new Error(`stand-in app.setPath: ${name} is not part of the slice`);
    this.userData = value;
  }

  setAppUserModelId(): void {}

  getLoginItemSettings(): { openAtLogin: boolean } {
    return { openAtLogin: false };
  }

  setLoginItemSettings(): void {}

  /** Electron's order: 'before-quit' (cancellable), then 'will-quit' (cancellable), then 'quit'. */
  quit(): void {
    const before = new StandInEvent();
    this.emit('before-quit', before);
    if (before.defaultPrevented) return;
    const will = new StandInEvent();
    this.emit('will-quit', will);
    if (will.defaultPrevented) return;
    this.quitted = true;
    this.emit('quit', new StandInEvent(), 0);
  }

  /** What app.relaunch() was asked: Electron starts one copy per call once this one has quit. */
  readonly relaunches: { execPath?: string; args?: string[] }[] = [];

  relaunch(options: { execPath?: string; args?: string[] } = {}): void {
    this.relaunches.push(options);
  }

  exit(code = 0): void {
    this.exitCode = code;
    this.quitted = true;
  }
}

let nextWebContentsId = 1;

export class StandInWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  url = '';
  destroyed = false;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;

  getURL(): string {
    return this.url;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }

  /** Times the page was loaded again (reload()). */
  reloads = 0;

  reload(): void {
    this.reloads++;
  }

  /** The page's process ends, as Electron tells it ('crashed', 'oom', 'clean-exit', ...). */
  processGone(reason: string): void {
    this.emit('render-process-gone', new StandInEvent(), { reason, exitCode: 1 });
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  /** A page (or a link in it) tries to go to `url`; true when the app let it. */
  navigate(url: string): boolean {
    const event = Object.assign(new StandInEvent(), { url });
    this.emit('will-navigate', event);
    if (!event.defaultPrevented) this.url = url;
    return !event.defaultPrevented;
  }
}

export class StandInBrowserWindow extends EventEmitter {
  static readonly all: StandInBrowserWindow[] = [];
  readonly webContents = new StandInWebContents();
  readonly loaded: string[] = [];
  visible = false;
  focused = false;
  minimized = false;
  maximized = false;
  destroyed = false;

  readonly options: Record<string, unknown>;

  constructor(options: Record<string, unknown>) {
    super();
    // Electron's own refusal (thrown in the handler that tried, an error dialog in the installed app).
    if (!app.ready) throw new Error('Cannot create BrowserWindow before app is ready');
    this.options = options;
    StandInBrowserWindow.all.push(this);
    app.emit('web-contents-created', new StandInEvent(), this.webContents);
  }

  async loadURL(url: string): Promise<void> {
    const first = this.loaded.length === 0;
    this.loaded.push(url);
    this.webContents.url = url;
    if (first) setImmediate(() => this.emit('ready-to-show'));
  }

  show(): void {
    this.visible = true;
  }

  focus(): void {
    this.focused = true;
  }

  isFocused(): boolean {
    return this.focused;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  restore(): void {
    this.minimized = false;
  }

  maximize(): void {
    this.maximized = true;
  }

  isMaximized(): boolean {
    return this.maximized;
  }

  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    const { x = 0, y = 0, width = 800, height = 600 } = this.options as Record<string, number | undefined>;
    return { x, y, width, height };
  }

  /** Closed by the app, without a 'close' event (nothing can stop it). */
  destroy(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }

  /** The user closes the window. */
  close(): void {
    this.emit('close', new StandInEvent());
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

/** A built menu keeps its template: the test reads labels and clicks items as a user would. */
export class StandInMenu {
  readonly items: MenuItemConstructorOptions[];

  constructor(items: MenuItemConstructorOptions[]) {
    this.items = items;
  }

  static buildFromTemplate(template: MenuItemConstructorOptions[]): StandInMenu {
    return new StandInMenu(template);
  }

  /** What Menu.setApplicationMenu was given (undefined: never called, Electron's default menu). */
  static application: StandInMenu | null | undefined;

  static setApplicationMenu(menu: StandInMenu | null): void {
    StandInMenu.application = menu;
  }
}

export class StandInTray extends EventEmitter {
  static readonly all: StandInTray[] = [];
  image: { path: string };
  tooltip = '';
  menu: StandInMenu | undefined;
  destroyed = false;

  constructor(image: { path: string }) {
    super();
    this.image = image;
    StandInTray.all.push(this);
  }

  /** The user clicks the icon itself (not an item of its menu). */
  click(): void {
    this.emit('click', new StandInEvent(), { x: 0, y: 0, width: 16, height: 16 });
  }

  setImage(image: { path: string }): void {
    this.image = image;
  }

  setToolTip(text: string): void {
    this.tooltip = text;
  }

  setContextMenu(menu: StandInMenu): void {
    this.menu = menu;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

export class StandInNotification extends EventEmitter {
  static readonly shown: StandInNotification[] = [];
  closed = false;

  readonly options: { title: string; body?: string };

  constructor(options: { title: string; body?: string }) {
    super();
    this.options = options;
  }

  static isSupported(): boolean {
    return true;
  }

  show(): void {
    StandInNotification.shown.push(this);
  }

  close(): void {
    this.closed = true;
    this.emit('close');
  }

  /** The user clicks it. */
  click(): void {
    this.emit('click', new StandInEvent());
  }
}

export const app = new StandInApp();

/** Electron's powerMonitor: the test emits 'shutdown' as the system would before it ends the session. */
export const powerMonitor = new EventEmitter();

const handlers = new Map<string, Handler>();
export const ipcMain = {
  handlers,
  handle(channel: string, handler: Handler): void {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    handlers.delete(channel);
  },
  on(): void {},
};

export const protocol = {
  privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
    protocol.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    protocol.handlers.set(scheme, handler);
  },
};

export const session = {
  defaultSession: {
    permissionRequestHandler: undefined as unknown,
    permissionCheckHandler: undefined as unknown,
    setPermissionRequestHandler(handler: unknown): void {
      this.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: unknown): void {
      this.permissionCheckHandler = handler;
    },
  },
};

export const shell = {
  opened: [] as string[],
  async openExternal(url: string): Promise<void> {
    shell.opened.push(url);
  },
};

export const clipboard = {
  text: '',
  async writeText(text: string): Promise<void> {
    clipboard.text = text;
  },
};

const DISPLAY = { id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1080 } };
export const screen = {
  getPrimaryDisplay: () => DISPLAY,
  getAllDisplays: () => [DISPLAY],
};

/** Electron's nativeTheme: says 'updated' when the theme changes (what the window follows, desktop-window.ts). */
class StandInNativeTheme extends EventEmitter {
  #source: 'system' | 'light' | 'dark' = 'system';
  get themeSource(): 'system' | 'light' | 'dark' {
    return this.#source;
  }
  set themeSource(value: 'system' | 'light' | 'dark') {
    this.#source = value;
    this.emit('updated');
  }
}
export const nativeTheme = new StandInNativeTheme();

export const nativeImage = {
  createFromPath: (path: string) => ({ path, isEmpty: () => !existsSync(path) }),
};

/** The module as `import ... from 'electron'` sees it: these named exports, and this object as the default. */
export {
  StandInBrowserWindow as BrowserWindow,
  StandInMenu as Menu,
  StandInTray as Tray,
  StandInNotification as Notification,
};
export const electron = {
  app,
  ipcMain,
  protocol,
  session,
  shell,
  clipboard,
  screen,
  nativeImage,
  nativeTheme,
  BrowserWindow: StandInBrowserWindow,
  Menu: StandInMenu,
  Tray: StandInTray,
  Notification: StandInNotification,
};

export default electron;
