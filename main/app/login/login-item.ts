/**
 * Electron wiring of start at login: Electron's login items on macOS and Windows, the XDG
 * autostart entry on Linux. Decisions and the Linux file live in autostart.ts.
 */
import { homedir } from 'node:os';
import type { App } from 'electron';
import {
  autostartPath,
  isLinuxAutostartEnabled,
  launchExecutable,
  loginItemHeldOff,
  loginItemSettings,
  loginMechanism,
  refreshLinuxAutostart,
  setLinuxAutostart,
  startedHidden,
} from './autostart.ts';

export interface LoginItem {
  /** Whether the OS will start the app at login (the user may have changed it in the OS settings). */
  isEnabled(): Promise<boolean>;
  /**
   * Registers or removes the app; rejects when that fails (an unwritable autostart folder), or when
   * the OS holds a registered app off (macOS awaiting approval, Windows turned off in Startup apps).
   */
  setEnabled(on: boolean): Promise<void>;
  /** Points an existing Linux entry at the current executable if it starts another (an AppImage that moved). */
  refresh(): Promise<void>;
  /** Whether this launch came from the login item (stay in the tray). */
  readonly launchedAtLogin: boolean;
}

export interface LoginItemOptions {
  platform?: NodeJS.Platform;
  env?: Readonly<Record<string, string | undefined>>;
  execPath?: string;
  home?: string;
  argv?: readonly string[];
  /** Absolute path or theme name for the Linux entry's icon. */
  icon?: string;
  /** Register even an unpackaged build (it would start a bare Electron at login); for manual testing. */
  allowUnpackaged?: boolean;
}

export function createLoginItem(app: App, options: LoginItemOptions = {}): LoginItem {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const mechanism = loginMechanism(platform);
  const argv = options.argv ?? process.argv;

  const unavailable = (reason: string): LoginItem => ({
    isEnabled: () => Promise.resolve(false),
    setEnabled: () => Promise.reject(new Error(reason)),
    refresh: () => Promise.resolve(),
    launchedAtLogin: startedHidden({ argv }),
  });

  if (!app.isPackaged && options.allowUnpackaged !== true)
    return unavailable('a development build does not start at login');

  if (mechanism === 'xdg-autostart') {
    const file = autostartPath(env, options.home ?? homedir());
    const exec = launchExecutable({ execPath: options.execPath ?? process.execPath, env, platform });
    const entry = { file, exec, name: app.getName(), ...(options.icon === undefined ? {} : { icon: options.icon }) };
    return {
      isEnabled: () => isLinuxAutostartEnabled(file),
      setEnabled: (on) => setLinuxAutostart(on, entry),
      async refresh() {
        await refreshLinuxAutostart(entry);
      },
      launchedAtLogin: startedHidden({ argv }),
    };
  }

  if (mechanism === 'login-item') {
    const { args } = loginItemSettings(true);
    return {
      // async: a throw from Electron becomes a rejection the caller handles.
      async isEnabled() {
        const settings = app.getLoginItemSettings({ args });
        // Windows: openAtLogin ignores a run key the user turned off in Task Manager; this does not.
        return platform === 'win32' ? settings.executableWillLaunchAtLogin : settings.openAtLogin;
      },
      async setEnabled(on) {
        app.setLoginItemSettings(loginItemSettings(on));
        if (!on) return;
        // Registered, and still not going to start: the user must turn it on where the OS says.
        const heldOff = loginItemHeldOff(platform, app.getLoginItemSettings({ args }));
        if (heldOff !== undefined) throw new Error(heldOff);
      },
      refresh: () => Promise.resolve(),
      launchedAtLogin: startedHidden({
        argv,
        wasOpenedAtLogin: platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin,
      }),
    };
  }

  return unavailable(`start at login is not supported on ${platform}`);
}
