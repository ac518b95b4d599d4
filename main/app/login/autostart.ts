/**
 * Start at login without Electron values: which mechanism a platform uses, the options for
 * Electron's login items (macOS, Windows), and the XDG autostart entry used on Linux (written and
 * removed here with node:fs, so tests run it against a temp dir). login-item.ts is the wiring.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { ownAppImage } from '../../engine/index.ts';

/** Launched at login: start in the tray without opening the window. */
export const HIDDEN_ARG = '--hidden';
export const AUTOSTART_FILE_NAME = 'switchboard.desktop';

export type LoginMechanism = 'login-item' | 'xdg-autostart' | 'unsupported';

export function loginMechanism(platform: NodeJS.Platform): LoginMechanism {
  if (platform === 'darwin' || platform === 'win32') return 'login-item';
  // Electron's login items do nothing on Linux and the BSDs; their desktops read XDG autostart.
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd' || platform === 'netbsd') {
    return 'xdg-autostart';
  }
  return 'unsupported';
}

/** For app.setLoginItemSettings() and, on Windows, getLoginItemSettings() (it matches on args). */
export function loginItemSettings(openAtLogin: boolean): { openAtLogin: boolean; args: string[] } {
  return { openAtLogin, args: [HIDDEN_ARG] };
}

/** What Electron's app.getLoginItemSettings() says, as far as the decision below needs. */
export interface LoginItemState {
  openAtLogin: boolean;
  /** macOS 13+: `enabled`, `requires-approval`, `not-registered` or `not-found`. */
  status?: string;
  /** Windows: false while the entry is turned off in Startup apps (Task Manager, Settings). */
  executableWillLaunchAtLogin?: boolean;
}

/**
 * Why the OS will not start the app at login right after it was asked to, saying where to turn it
 * on (macOS waiting for the user to allow it, Windows with it turned off in Startup apps); undefined
 * when it will. Electron reports neither as a failure.
 */
export function loginItemHeldOff(platform: NodeJS.Platform, state: LoginItemState): string | undefined {
  if (platform === 'darwin') {
    if (state.status === 'requires-approval')
      return 'macOS waits for you to allow it: in System Settings → General → Login Items, turn Switchboard on';
    if (!state.openAtLogin)
      return `macOS did not add it to your login items${state.status === undefined ? '' : ` (${state.status})`}`;
  }
  if (platform === 'win32' && state.executableWillLaunchAtLogin === false)
    return (
      'Windows has it turned off: turn Switchboard on in Settings → Apps → Startup ' +
      '(or Task Manager → Startup apps)'
    );
  return undefined;
}

/**
 * Whether this launch came from a login item: `--hidden` on Windows and Linux; macOS drops
 * login-item arguments (macOS 13+), so there Electron's wasOpenedAtLogin says it.
 */
export function startedHidden(input: { argv: readonly string[]; wasOpenedAtLogin?: boolean }): boolean {
  return input.argv.includes(HIDDEN_ARG) || input.wasOpenedAtLogin === true;
}

/**
 * The file to start at login. An AppImage runs from a temporary mount (process.execPath is gone
 * after it quits): the .AppImage file itself, when this is one (ownAppImage).
 */
export function launchExecutable(input: {
  execPath: string;
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
}): string {
  return ownAppImage(input.env, input.execPath, input.platform) ?? input.execPath;
}

/** `$XDG_CONFIG_HOME/autostart/switchboard.desktop`; a relative XDG_CONFIG_HOME is invalid (XDG spec) and ignored. */
export function autostartPath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const configHome = env.XDG_CONFIG_HOME;
  const base = configHome !== undefined && posix.isAbsolute(configHome) ? configHome : posix.join(home, '.config');
  return posix.join(base, 'autostart', AUTOSTART_FILE_NAME);
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Desktop Entry string values: `\\`, `\n`, `\t`, `\r` escapes; other control characters cannot be written. */
function escapeValue(value: string, what: string): string {
  if (CONTROL.test(value)) throw new TypeError(`${what} contains a control character`);
  return value.replace(/[\\\n\t\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\t' ? '\\t' : '\\r'));
}

/**
 * One Exec argument, quoted per the Desktop Entry spec: inside double quotes `"`, `` ` ``, `$` and
 * `\` take a backslash; `%` is doubled (a lone one starts a field code). The string escapes of
 * escapeValue() apply on top, so a literal backslash ends up as four.
 */
export function quoteExecArgument(arg: string): string {
  return `"${arg.replace(/["`$\\]/g, '\\$&').replace(/%/g, '%%')}"`;
}

export interface AutostartEntryInput {
  /** The executable to start: launchExecutable(). */
  exec: string;
  name: string;
  /** An icon name from the theme or an absolute path. */
  icon?: string;
  comment?: string;
}

/** The XDG autostart .desktop file that starts the app in the tray at login. */
export function autostartDesktopEntry(input: AutostartEntryInput): string {
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${escapeValue(input.name, 'name')}`,
    `Comment=${escapeValue(input.comment ?? `Start ${input.name} in the tray when you log in`, 'comment')}`,
    // The executable is always quoted: install paths have spaces ("/opt/My Apps/...").
    `Exec=${escapeValue(`${quoteExecArgument(input.exec)} ${HIDDEN_ARG}`, 'exec')}`,
    ...(input.icon === undefined ? [] : [`Icon=${escapeValue(input.icon, 'icon')}`]),
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
  ];
  return `${lines.join('\n')}\n`;
}

/** False when the desktop was told to skip the entry (Hidden=true, or disabled in GNOME's startup apps). */
export function autostartEntryEnabled(text: string): boolean {
  let inMain = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inMain = line === '[Desktop Entry]';
      continue;
    }
    if (!inMain) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'Hidden' && value === 'true') return false;
    if (key === 'X-GNOME-Autostart-enabled' && value === 'false') return false;
  }
  return true;
}

export interface LinuxAutostartOptions extends Omit<AutostartEntryInput, 'name'> {
  /** autostartPath(). */
  file: string;
  name?: string;
}

/** Writes (atomically) or removes the autostart entry. Removing one that is not there is fine. */
export async function setLinuxAutostart(enabled: boolean, options: LinuxAutostartOptions): Promise<void> {
  if (!enabled) {
    await rm(options.file, { force: true });
    return;
  }
  const { file, name = 'Switchboard', ...entry } = options;
  const text = autostartDesktopEntry({ ...entry, name });
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The [Desktop Entry] group's value of `key` (not a translated `key[de]`), as written in the file. */
function entryValue(text: string, wanted: string): string | undefined {
  let inMain = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inMain = line === '[Desktop Entry]';
      continue;
    }
    const eq = line.indexOf('=');
    if (inMain && eq > 0 && line.slice(0, eq).trim() === wanted) return line.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The program an entry's Exec line starts (its first argument, read as the Desktop Entry spec says:
 * string escapes, then quoting), or undefined when it has none.
 */
export function autostartProgram(text: string): string | undefined {
  const raw = entryValue(text, 'Exec');
  if (raw === undefined) return undefined;
  const value = raw.replace(/\\([\\snrt])/g, (_m, c: string) =>
    c === 's' ? ' ' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : '\\',
  );
  let program = '';
  if (value.startsWith('"')) {
    for (let i = 1; ; i++) {
      if (i >= value.length) return undefined;
      const c = value[i]!;
      if (c === '"') break;
      if (c === '\\' && i + 1 < value.length) program += value[++i];
      else program += c;
    }
  } else {
    program = value.split(/\s/, 1)[0] ?? '';
  }
  program = program.replace(/%%/g, '%');
  return program === '' ? undefined : program;
}

/**
 * Points an enabled entry at the current executable when it starts another (an AppImage that was
 * moved); an entry that starts this one is left as it is, with what the user changed in it (a delay,
 * an argument, a translated name). True when it was rewritten.
 */
export async function refreshLinuxAutostart(options: LinuxAutostartOptions): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
  if (!autostartEntryEnabled(text) || autostartProgram(text) === options.exec) return false;
  await setLinuxAutostart(true, options);
  return true;
}

/** Whether the entry exists and the desktop will run it. */
export async function isLinuxAutostartEnabled(file: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    // No entry: none at all, or no autostart folder (a file in its place holds none either).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
  return autostartEntryEnabled(text);
}
