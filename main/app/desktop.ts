/**
 * The desktop shell around the engine: single instance, tray, main window, IPC, question
 * notifications, start at login, updates, the client entries the app wrote, and an orderly stop
 * of the gateway on quit. Electron glue only; decisions live in the pure modules next to it.
 */
import { join } from 'node:path';
import { app, clipboard, ipcMain, Menu, nativeTheme, Notification, powerMonitor } from 'electron';
import {
  DESKTOP_METHODS,
  IPC_EVENT_CHANNEL,
  type DesktopApi,
  type GatewayApi,
  type GatewayEvents,
  type Unsubscribe,
} from '../../preload/contract/index.ts';
import {
  AlreadyRunningError,
  createApiDispatcher,
  errorMessage,
  markStopped,
  ownAppImage,
  repairAppEntries,
  runtimePaths,
  type ApiDispatch,
  type PublishedEvent,
} from '../engine/index.ts';
import { installShimFile, SHIM_FILE_NAME, transientLocation } from './client-entry.ts';
import { notifyingClientChanges } from './ipc/client-changes.ts';
import { createIpcHandlers, createSenderCheck } from './ipc/dispatch.ts';
import { answerWhileNotStarted, type StartProblem } from './ipc/not-started.ts';
import { forwardGatewayEvents, registerGatewayIpc } from './ipc/register.ts';
import { launchExecutable } from './login/autostart.ts';
import { createLoginItem, type LoginItem } from './login/login-item.ts';
import { installNotice } from './notifications/install-notice.ts';
import {
  createNativeClientNotifications,
  createNativeLoginNotifications,
  createNativeQuestionNotifications,
} from './notifications/native-notifications.ts';
import { appPaths, type AppPaths } from './paths.ts';
import { secondLaunch } from './second-launch.ts';
import { applyStoredTheme, createDesktopApi } from './settings/desktop-api.ts';
import { createAppSettings } from './settings/store.ts';
import { desktopClientInstalls, type DesktopClientInstalls } from './gateway-options.ts';
import type { TrayAction } from './tray/menu-model.ts';
import { createAppTray, type AppTray } from './tray/tray.ts';
import { startAutoUpdates } from './updates/auto-updater.ts';
import { describeUpdateState, updatePlan } from './updates/update-plan.ts';
import {
  createMainWindow,
  hardenWebContents,
  registerAppScheme,
  restrictPermissions,
  serveAppScheme,
  type MainWindow,
} from './windows/main-window.ts';
import { appMenuTemplate } from './windows/app-menu.ts';
import { isAppUrl } from './windows/options.ts';

/** What the shell needs from the engine (main/engine/index.ts `Gateway` must fit this). */
export interface DesktopGateway {
  /** The control API (engine/api). */
  readonly api: GatewayApi;
  /** Runs one API call for a binding: checks the arguments, answers a Reply. */
  readonly dispatch: ApiDispatch;
  /** The pushed events, for the tray and the windows. */
  readonly events: GatewayEvents & { onAny(listener: (event: PublishedEvent) => void): Unsubscribe };
  /** Loads config, opens listeners, starts servers. Config problems show in getStatus(), not here. */
  start(): Promise<void>;
  /** Stops listeners and servers (kills process trees). */
  stop(): Promise<void>;
}

export interface DesktopOptions {
  /** Called once this process holds the single-instance lock, with where clients' configs live. */
  createGateway(clientInstalls: DesktopClientInstalls): DesktopGateway;
  paths?: AppPaths;
}

/** Give up waiting for a clean gateway stop after this long, and quit anyway. */
const STOP_TIMEOUT_MS = 5_000;
const APP_ID = 'dev.switchboard.app';

const log = (line: string): void => console.error(`switchboard: ${line}`);

async function stopWithin(gateway: DesktopGateway, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log(`gateway did not stop within ${ms} ms; quitting anyway`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([gateway.stop(), timeout]);
  } catch (err) {
    log(`error while stopping the gateway: ${errorMessage(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** A short native notification (install results, failures of tray actions). */
function notify(title: string, body: string): void {
  if (Notification.isSupported()) new Notification({ title, body }).show();
  else log(`${title}: ${body}`);
}

/** Runs what a tray item asked for; failures become a notification, never a crash. */
export function trayActions(deps: {
  api: GatewayApi;
  window: MainWindow;
  tray: () => AppTray | null;
  loginItem: LoginItem;
  setStartAtLogin(enabled: boolean): void;
  /** Starts the gateway again (offered only after a start another gateway stood in the way of). */
  retryStart?: () => Promise<void>;
}): (action: TrayAction) => void {
  const { api, window } = deps;
  const run = (what: string, work: () => Promise<void>): void => {
    work().catch((err: unknown) => notify(`Could not ${what}`, errorMessage(err)));
  };
  return (action): void => {
    switch (action.type) {
      case 'open':
        window.open();
        break;
      case 'questions':
        window.open('questions');
        break;
      case 'restart':
        run(`restart ${action.server}`, () => api.restartServer(action.server));
        break;
      case 'login':
        // The gateway opens the login page in the system browser; the window shows how it goes.
        run(`log in to ${action.server}`, async () => {
          const start = await api.loginServer(action.server);
          if (start.authorizationUrl && !start.opened) window.open('servers');
        });
        break;
      case 'pause':
        run('pause the gateway', () => api.setPaused(true));
        break;
      case 'resume':
        run('resume the gateway', () => api.setPaused(false));
        break;
      case 'install':
        run(`install into ${action.client}`, async () => {
          // Its profile, unless the config lost it (then "default", as the Clients screen does).
          const known = action.profile && (await api.listProfiles()).some((p) => p.name === action.profile);
          const change = await api.installClient(action.client, known ? action.profile : undefined);
          await deps.tray()?.feed.refreshClients();
          const notice = installNotice(change);
          // Also in the log: a notification can be cut short, or not shown at all.
          for (const warning of change.warnings ?? []) log(`install into ${action.client}: ${warning}`);
          notify(notice.title, notice.body);
        });
        break;
      case 'copy-endpoint':
        run('copy the HTTP endpoint', async () => {
          await clipboard.writeText(action.url);
        });
        break;
      case 'start-at-login':
        run(action.enabled ? 'start at login' : 'stop starting at login', async () => {
          try {
            await deps.loginItem.setEnabled(action.enabled);
          } finally {
            // Refused or not, the checkbox shows what is so now (Electron ticked it on the click).
            deps.setStartAtLogin(await deps.loginItem.isEnabled());
          }
        });
        break;
      case 'retry-start':
        run('start the gateway', async () => {
          await deps.retryStart?.();
        });
        break;
      case 'quit':
        // 'before-quit' records that it was quit (every way of quitting goes through it).
        app.quit();
        break;
    }
  };
}

/**
 * Whether the entries in clients' configs may be pointed at this copy: an installed app, not a
 * development build (it would retarget the user's clients to node_modules) nor a copy macOS runs
 * from a temporary translocated folder (it would point them at a path that vanishes).
 */
export function mayRewriteClientEntries(input: {
  isPackaged: boolean;
  execPath: string;
  platform?: NodeJS.Platform;
}): boolean {
  return input.isPackaged && transientLocation(input.execPath, input.platform ?? process.platform) === undefined;
}

export function runDesktopApp(options: DesktopOptions): void {
  registerAppScheme();
  // A development build keeps its own data (settings, the shim copy clients run) apart from the
  // installed app's, and so its own single-instance lock.
  if (!app.isPackaged) app.setPath('userData', join(app.getPath('appData'), 'Switchboard-dev'));
  if (!app.requestSingleInstanceLock()) {
    // Another instance owns the gateway; it opens its window on 'second-instance'.
    app.quit();
    return;
  }
  // Windows shows toasts only for an app with an id (the installer registers the same one).
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  const paths = options.paths ?? appPaths();
  const settings = createAppSettings();
  // The app's theme (set in Settings) decides what the page (prefers-color-scheme) and native menus show.
  applyStoredTheme(settings, nativeTheme);
  // A theme icon name: the desktop reading the autostart entry cannot look inside app.asar.
  const loginItem = createLoginItem(app, { icon: 'switchboard' });
  // A stable copy of the shim that clients start: it survives updates of the app (client-entry.ts).
  const shimDir = join(app.getPath('userData'), 'shim');
  const shimFile = join(shimDir, SHIM_FILE_NAME);
  const clientInstalls = desktopClientInstalls(shimFile);
  const gateway = options.createGateway(clientInstalls);
  const api = gateway.api;
  const mainWindow = createMainWindow(paths.preload, settings);
  let tray: AppTray | null = null;
  const cleanups: (() => void)[] = [];
  let stopping = false;
  let stopped = false;
  let started: Promise<void> = Promise.resolve();

  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  let relaunching = false;
  /** What a launch of the app asks of this copy: the window, nothing, or to start again after the quit. */
  const launched = (argv: readonly string[]): void => {
    const launch = secondLaunch({
      argv,
      quitting: stopping,
      ownArgs: process.argv.slice(1),
      executable: launchExecutable({ execPath: process.execPath, env: process.env, platform: process.platform }),
    });
    if (launch.action === 'open') mainWindow.open();
    else if (launch.action === 'relaunch' && !relaunching) {
      // Each call starts one more copy after the quit.
      relaunching = true;
      app.relaunch({ execPath: launch.execPath, args: launch.args });
    }
  };
  // A shim starts the app with --hidden; two at once find it running and must not open the window.
  app.on('second-instance', (_event, argv) => launched(argv));
  // macOS: a click on the Dock icon (a launch there reopens the running copy rather than starting one).
  // Before 'ready' (a click while it starts) no window can be made yet: it opens once ready.
  let isReady = false;
  let openWhenReady = false;
  app.on('activate', () => {
    if (!isReady) openWhenReady = true;
    else launched([process.execPath]);
  });
  // A tray app keeps running with no windows open; Quit is in the tray menu.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    // Nothing in the tray may start servers again while they are being stopped.
    tray?.destroy();
    for (const cleanup of cleanups) cleanup();
    // A quit during start-up waits for the start to finish (so that what it started is stopped
    // too), but not for ever: the process would hold the single-instance lock with no tray.
    const startedOrLate = Promise.race([started, new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
    void recordQuit()
      .then(() => startedOrLate)
      .then(() => stopWithin(gateway, STOP_TIMEOUT_MS))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
  /**
   * Quit means stopped, however it was quit (the tray, the app menu's Quit, the Dock): clients'
   * shims must not start the app again (stopped-marker.ts). Written before the gateway goes, so a
   * shim that sees it go finds the marker. The system shutting down is not the user quitting.
   */
  const recordQuit = async (): Promise<void> => {
    if (systemEnding) return;
    // Bounded like the stop: a home folder that hangs (a network drive) must not keep the app alive.
    const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), STOP_TIMEOUT_MS).unref());
    try {
      const outcome = await Promise.race([markStopped(runtimePaths().stopped, 'Quit in the Switchboard app'), late]);
      if (outcome === 'late') log('could not record that Switchboard was quit: the runtime directory did not answer');
    } catch (err) {
      log(`could not record that Switchboard was quit: ${errorMessage(err)}`);
    }
  };
  let systemEnding = false;

  const ready = async (): Promise<void> => {
    isReady = true;
    // Usable only once the app is ready. Linux and macOS say so before a shutdown or logout ends us.
    powerMonitor.on('shutdown', () => {
      systemEnding = true;
      // A shutdown that is called off (an app refused it) must not hide a later real Quit.
      setTimeout(() => (systemEnding = false), 60_000).unref();
    });
    restrictPermissions();
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(appMenuTemplate({ platform: process.platform, isPackaged: app.isPackaged })),
    );
    serveAppScheme(paths.renderer);
    const senderCheck = createSenderCheck(isAppUrl, (id) => mainWindow.isAppWindow(id));
    registerGatewayIpc(
      ipcMain,
      createIpcHandlers(
        notifyingClientChanges(
          answerWhileNotStarted(
            gateway.dispatch,
            () => startProblem,
            () => starting || !startEnded,
          ),
          () => void tray?.feed.refreshClients(),
        ),
        senderCheck,
      ),
    );
    // The app's own methods (its theme): answered by the app, whether or not the gateway runs.
    registerGatewayIpc(
      ipcMain,
      createIpcHandlers<DesktopApi>(
        createApiDispatcher({ api: createDesktopApi(settings, nativeTheme), table: DESKTOP_METHODS }),
        senderCheck,
        DESKTOP_METHODS,
      ),
    );
    forwardGatewayEvents(gateway.events, () => mainWindow.appContents());
    const onTrayAction = trayActions({
      api,
      window: mainWindow,
      tray: () => tray,
      loginItem,
      setStartAtLogin: (enabled) => {
        settings.set('startAtLogin', enabled);
        tray?.feed.setStartAtLogin(enabled);
      },
      retryStart: async () => {
        if (tray !== null) await retryStart(tray);
      },
    });
    const appTray = createAppTray({
      api,
      events: gateway.events,
      resourcesDir: paths.resources,
      onAction: onTrayAction,
    });
    tray = appTray;
    cleanups.push(
      createNativeQuestionNotifications(gateway.events, () => mainWindow.open('questions'), {
        quiet: () => mainWindow.isFocused(),
        icon: join(paths.resources, 'icon.png'),
        log,
      }),
      // A server that needs a login: a click opens the login page in the browser, as Log in does;
      // one for several servers opens the Servers screen, where each has its Log in.
      createNativeLoginNotifications(
        gateway.events,
        (server) => (server === undefined ? mainWindow.open('servers') : onTrayAction({ type: 'login', server })),
        {
          quiet: () => mainWindow.isFocused(),
          icon: join(paths.resources, 'icon.png'),
        },
      ),
      // A client rewrote its file without the entry (Claude Desktop on launch): Clients installs it again.
      // Also while the window has focus: it may show another screen, and this is rare (once per client a while).
      createNativeClientNotifications(gateway.events, () => mainWindow.open('clients'), {
        icon: join(paths.resources, 'icon.png'),
        log,
      }),
    );
    // Launched at login: stay in the tray (unless the Dock icon was clicked meanwhile). Otherwise show
    // the window at once; it says Switchboard is starting until the gateway runs.
    if (!loginItem.launchedAtLogin || openWhenReady) mainWindow.open();
    const shimCopied = await installShimFile(paths.shim, shimDir).then(
      () => true,
      (err: unknown) => {
        log(`could not copy the shim for AI clients to ${shimFile}: ${errorMessage(err)}`);
        return false;
      },
    );
    // Quit while the shim was being copied: the gateway stopped already and must not start now.
    if (stopping) return;
    await startGateway(appTray);
    if (stopping) return;
    await appTray.feed.refresh();
    await afterStart(appTray, shimCopied);
  };

  /**
   * Starts the gateway; a failure shows in the tray. Another gateway holding the lock (a `switchboard
   * serve`, or one a client's CLI entry started) stops nothing here: the start may be tried again
   * from the tray once it is gone (the failed start took nothing but the look at the lock).
   */
  const retryStart = async (appTray: AppTray): Promise<void> => {
    if (stopping) return;
    await startGateway(appTray);
    if (!stopping) await appTray.feed.refresh();
  };
  let starting = false;
  /** The first start has ended (well or not): until then the window's calls are answered "starting". */
  let startEnded = false;
  /** Why the gateway is not running, for the window (its calls answer this), while it is not. */
  let startProblem: StartProblem | undefined;
  /** The window fetches everything again: the gateway started, or it failed to. */
  const resyncWindows = (): void => {
    for (const contents of mainWindow.appContents())
      if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, 'resync', {});
  };
  const startGateway = async (appTray: AppTray): Promise<void> => {
    if (starting) return;
    starting = true;
    started = gateway.start().then(
      () => {
        appTray.feed.setError(undefined);
        startProblem = undefined;
      },
      (err: unknown) => {
        log(`the gateway could not start: ${errorMessage(err)}`);
        if (err instanceof AlreadyRunningError) {
          appTray.feed.setError(`another Switchboard is running (pid ${err.holder.pid})`, {
            hint: 'Quit it or run "switchboard stop", then Try again',
            retry: true,
          });
          startProblem = {
            message:
              `another Switchboard gateway is running (pid ${err.holder.pid}), so this app did not start its own. ` +
              'Quit it (or run "switchboard stop"), then Try again.',
            retry: () => retryStart(appTray),
          };
        } else {
          appTray.feed.setError(`failed to start: ${errorMessage(err)}`);
          startProblem = {
            message:
              `it failed to start: ${errorMessage(err)}. ` + 'Once that is fixed, quit Switchboard and open it again.',
          };
        }
      },
    );
    try {
      await started;
    } finally {
      starting = false;
      startEnded = true;
      // The window was told it is starting (or why it is not running): it fetches what is so now.
      resyncWindows();
    }
  };

  /** Work that may wait until the gateway runs: nothing here may stop the app. */
  const afterStart = async (appTray: AppTray, shimCopied: boolean): Promise<void> => {
    const repair = shimCopied && mayRewriteClientEntries({ isPackaged: app.isPackaged, execPath: process.execPath });
    const repaired = repair
      ? await repairAppEntries(clientInstalls.context, clientInstalls.shim).catch((err: unknown) => {
          log(`could not check the client entries Switchboard wrote: ${errorMessage(err)}`);
          return [];
        })
      : [];
    for (const entry of repaired)
      log(
        entry.problem === undefined
          ? `updated the Switchboard entry in ${entry.path} to this app's location`
          : `the Switchboard entry in ${entry.path} points to an old location; updating it failed: ${entry.problem}`,
      );
    if (repaired.length > 0) await appTray.feed.refreshClients();
    // A development build cannot start at login, so the menu leaves the item out.
    if (app.isPackaged)
      appTray.feed.setStartAtLogin(
        await loginItem.isEnabled().catch((err: unknown) => {
          log(`could not read the login item: ${errorMessage(err)}`);
          return settings.get('startAtLogin');
        }),
      );
    await loginItem.refresh().catch((err: unknown) => log(`could not update the login item: ${errorMessage(err)}`));
    const plan = updatePlan({
      isPackaged: app.isPackaged,
      platform: process.platform,
      env: process.env,
      channel: settings.get('updateChannel'),
      feedUrl: undefined,
      isAppImage: ownAppImage(process.env, process.execPath) !== undefined,
    });
    if (!plan.check) log(`updates: ${plan.reason}`);
    cleanups.push(
      startAutoUpdates(plan, (state) => {
        log(`updates: ${describeUpdateState(state)}`);
        // The one state the user must hear of: what happens when they quit.
        if (state.kind === 'ready') notify('Switchboard update ready', describeUpdateState(state));
      }),
    );
  };

  void app
    .whenReady()
    .then(ready)
    .catch(async (err: unknown) => {
      log(`desktop app failed to start: ${errorMessage(err)}`);
      await stopWithin(gateway, STOP_TIMEOUT_MS);
      app.exit(1);
    });
}
