import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  autostartDesktopEntry,
  autostartEntryEnabled,
  autostartPath,
  autostartProgram,
  isLinuxAutostartEnabled,
  launchExecutable,
  loginItemSettings,
  loginMechanism,
  quoteExecArgument,
  refreshLinuxAutostart,
  setLinuxAutostart,
  startedHidden,
} from '../../../../main/app/login/autostart.ts';

/** The Exec line's value as a desktop environment reads it: string escapes, then quoting (Desktop Entry spec). */
function parseExec(value: string): string[] {
  const unescaped = value.replace(/\\([\\snrt])/g, (_m, c: string) =>
    c === 's' ? ' ' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : '\\',
  );
  const args: string[] = [];
  let i = 0;
  while (i < unescaped.length) {
    if (unescaped[i] === ' ') {
      i++;
      continue;
    }
    let arg = '';
    if (unescaped[i] === '"') {
      i++;
      while (unescaped[i] !== '"') {
        if (i >= unescaped.length) throw new Error('unterminated quote');
        if (unescaped[i] === '\\') i++;
        arg += unescaped[i];
        i++;
      }
      i++;
    } else {
      while (i < unescaped.length && unescaped[i] !== ' ') arg += unescaped[i++];
    }
    args.push(arg.replace(/%%/g, '%'));
  }
  return args;
}

function execOf(entry: string): string {
  const line = entry.split('\n').find((l) => l.startsWith('Exec='));
  if (line === undefined) throw new Error('no Exec line');
  return line.slice('Exec='.length);
}

describe('login mechanism', () => {
  it('uses Electron login items on macOS and Windows, XDG autostart on Linux', () => {
    expect(loginMechanism('darwin')).toBe('login-item');
    expect(loginMechanism('win32')).toBe('login-item');
    expect(loginMechanism('linux')).toBe('xdg-autostart');
    expect(loginMechanism('freebsd')).toBe('xdg-autostart');
    expect(loginMechanism('aix')).toBe('unsupported');
  });

  it('starts hidden in the tray when launched at login', () => {
    expect(loginItemSettings(true)).toEqual({ openAtLogin: true, args: ['--hidden'] });
    expect(loginItemSettings(false)).toEqual({ openAtLogin: false, args: ['--hidden'] });
    expect(startedHidden({ argv: ['/opt/Switchboard/switchboard', '--hidden'] })).toBe(true);
    expect(startedHidden({ argv: ['/Applications/Switchboard.app/Contents/MacOS/Switchboard'] })).toBe(false);
    expect(startedHidden({ argv: ['Switchboard'], wasOpenedAtLogin: true })).toBe(true);
  });
});

describe('launchExecutable', () => {
  it('starts the .AppImage file, not its temporary mount', () => {
    expect(
      launchExecutable({
        execPath: '/tmp/.mount_SwitchXYZ/switchboard',
        env: { APPIMAGE: '/home/ada/Apps/Switchboard-1.2.0.AppImage', APPDIR: '/tmp/.mount_SwitchXYZ' },
        platform: 'linux',
      }),
    ).toBe('/home/ada/Apps/Switchboard-1.2.0.AppImage');
  });

  it("ignores another AppImage's file that Switchboard inherited (started from Cursor's terminal)", () => {
    expect(
      launchExecutable({
        execPath: '/opt/Switchboard/switchboard',
        env: { APPIMAGE: '/home/ada/Apps/Cursor.AppImage', APPDIR: '/tmp/.mount_CursorABC' },
        platform: 'linux',
      }),
    ).toBe('/opt/Switchboard/switchboard');
  });

  it('uses the executable itself otherwise', () => {
    expect(launchExecutable({ execPath: '/opt/Switchboard/switchboard', env: {}, platform: 'linux' })).toBe(
      '/opt/Switchboard/switchboard',
    );
    expect(launchExecutable({ execPath: '/usr/bin/switchboard', env: { APPIMAGE: '' }, platform: 'linux' })).toBe(
      '/usr/bin/switchboard',
    );
    expect(launchExecutable({ execPath: 'C:\\sb.exe', env: { APPIMAGE: '/x.AppImage' }, platform: 'win32' })).toBe(
      'C:\\sb.exe',
    );
  });
});

describe('autostartPath', () => {
  it('follows XDG_CONFIG_HOME, defaulting to ~/.config', () => {
    expect(autostartPath({}, '/home/ada')).toBe('/home/ada/.config/autostart/switchboard.desktop');
    expect(autostartPath({ XDG_CONFIG_HOME: '/data/cfg' }, '/home/ada')).toBe(
      '/data/cfg/autostart/switchboard.desktop',
    );
  });

  it('ignores an empty or relative XDG_CONFIG_HOME, as the XDG spec says', () => {
    expect(autostartPath({ XDG_CONFIG_HOME: '' }, '/home/ada')).toBe('/home/ada/.config/autostart/switchboard.desktop');
    expect(autostartPath({ XDG_CONFIG_HOME: 'cfg' }, '/home/ada')).toBe(
      '/home/ada/.config/autostart/switchboard.desktop',
    );
  });
});

describe('autostartDesktopEntry', () => {
  it('writes a desktop entry that starts the app hidden', () => {
    const entry = autostartDesktopEntry({
      exec: '/opt/Switchboard/switchboard',
      name: 'Switchboard',
      icon: 'switchboard',
    });
    expect(entry.endsWith('\n')).toBe(true);
    const lines = entry.trimEnd().split('\n');
    expect(lines[0]).toBe('[Desktop Entry]');
    expect(lines).toEqual(
      expect.arrayContaining([
        'Type=Application',
        'Name=Switchboard',
        'Exec="/opt/Switchboard/switchboard" --hidden',
        'Icon=switchboard',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
      ]),
    );
    expect(lines.some((l) => l.startsWith('Comment=') && l.length > 'Comment='.length)).toBe(true);
    expect(autostartDesktopEntry({ exec: '/x', name: 'S' })).not.toMatch(/^Icon=/m);
  });

  it.each([
    '/home/ada/My Apps/Switchboard.AppImage',
    '/opt/it\'s "quoted"/switchboard',
    '/opt/$HOME/`cmd`/switchboard',
    '/opt/back\\slash/switchboard',
    '/opt/100%/%f/switchboard',
    '/opt/semi;colon & pipe|~(paren)*?#<>/switchboard',
    '/opt/tab\tand\nnewline/switchboard',
  ])('quotes %j so the desktop runs exactly that file', (exec) => {
    const entry = autostartDesktopEntry({ exec, name: 'Switchboard' });
    // One Exec line: newlines in the path are escaped, never raw.
    expect(entry.split('\n').filter((l) => l.startsWith('Exec='))).toHaveLength(1);
    expect(parseExec(execOf(entry))).toEqual([exec, '--hidden']);
  });

  it('follows the spec for backslashes and dollars inside quotes', () => {
    // The spec's own examples: a literal backslash is four backslashes, a dollar is "\\$".
    expect(execOf(autostartDesktopEntry({ exec: 'a\\b$c', name: 'S' }))).toBe('"a\\\\\\\\b\\\\$c" --hidden');
    expect(quoteExecArgument('100%')).toBe('"100%%"');
  });

  it('escapes names and refuses control characters it cannot write', () => {
    expect(autostartDesktopEntry({ exec: '/x', name: 'Switch\nboard' })).toMatch(/^Name=Switch\\nboard$/m);
    expect(() => autostartDesktopEntry({ exec: '/x\u0001', name: 'S' })).toThrow(TypeError);
  });
});

describe('autostartEntryEnabled', () => {
  it('honours an entry the desktop was told to skip', () => {
    const entry = autostartDesktopEntry({ exec: '/x', name: 'S' });
    expect(autostartEntryEnabled(entry)).toBe(true);
    expect(
      autostartEntryEnabled(entry.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false')),
    ).toBe(false);
    expect(autostartEntryEnabled(`${entry}Hidden=true\n`)).toBe(false);
    // Keys of other groups do not count.
    expect(autostartEntryEnabled(`${entry}[Desktop Action x]\nHidden=true\n`)).toBe(true);
  });
});

describe('Linux autostart file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-autostart-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the autostart folder and the entry, then removes it', async () => {
    const file = autostartPath({ XDG_CONFIG_HOME: join(dir, 'config') }, '/nonexistent');
    expect(await isLinuxAutostartEnabled(file)).toBe(false);

    await setLinuxAutostart(true, { file, exec: '/home/ada/Apps/Switchboard.AppImage' });
    expect(await isLinuxAutostartEnabled(file)).toBe(true);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('Exec="/home/ada/Apps/Switchboard.AppImage" --hidden');
    expect(text).toContain('Name=Switchboard');
    // Nobody but the owner may change what runs at login.
    expect((await stat(file)).mode & 0o777 & ~0o644).toBe(0);
    // Written atomically: no temp file left behind.
    expect(await readdir(join(dir, 'config', 'autostart'))).toEqual(['switchboard.desktop']);

    await setLinuxAutostart(false, { file, exec: '/ignored' });
    expect(await isLinuxAutostartEnabled(file)).toBe(false);
    // Removing twice is fine.
    await setLinuxAutostart(false, { file, exec: '/ignored' });
  });

  it('rewrites an existing entry with the current executable', async () => {
    const file = join(dir, 'autostart', 'switchboard.desktop');
    await setLinuxAutostart(true, { file, exec: '/old/Switchboard.AppImage' });
    await setLinuxAutostart(true, { file, exec: '/new/Switchboard.AppImage', name: 'Switchboard', icon: '/i.png' });
    const text = await readFile(file, 'utf8');
    expect(text).toContain('Exec="/new/Switchboard.AppImage" --hidden');
    expect(text).not.toContain('/old/');
    expect(text).toContain('Icon=/i.png');
  });

  it('at start, leaves an entry that starts this app as the user changed it, and points a moved one here', async () => {
    const file = join(dir, 'autostart', 'switchboard.desktop');
    const exec = '/home/ada/My Apps/Switch"board $1 100%\\.AppImage';
    await setLinuxAutostart(true, { file, exec });
    // A delay and an argument added in the desktop's startup settings.
    const changed = (await readFile(file, 'utf8'))
      .replace(' --hidden', ' --hidden --verbose')
      .concat('X-GNOME-Autostart-Delay=10\n');
    await writeFile(file, changed);
    expect(await refreshLinuxAutostart({ file, exec })).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(changed);

    expect(await refreshLinuxAutostart({ file, exec: '/home/ada/Apps/Switchboard.AppImage' })).toBe(true);
    expect(execOf(await readFile(file, 'utf8'))).toBe('"/home/ada/Apps/Switchboard.AppImage" --hidden');
  });

  it('at start, neither writes an entry that is not there nor turns on one the user turned off', async () => {
    const file = join(dir, 'autostart', 'switchboard.desktop');
    expect(await refreshLinuxAutostart({ file, exec: '/new/Switchboard.AppImage' })).toBe(false);
    await expect(readFile(file, 'utf8')).rejects.toThrow();
    await setLinuxAutostart(true, { file, exec: '/old/Switchboard.AppImage' });
    const off = (await readFile(file, 'utf8')).replace('X-GNOME-Autostart-enabled=true', 'Hidden=true');
    await writeFile(file, off);
    expect(await refreshLinuxAutostart({ file, exec: '/new/Switchboard.AppImage' })).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(off);
  });

  it('reads the program an entry starts, quoted or not', () => {
    for (const exec of ['/opt/Switchboard/switchboard', '/home/ada/My Apps/a"b`c$d\\e 50%.AppImage']) {
      expect(autostartProgram(autostartDesktopEntry({ exec, name: 'Switchboard' }))).toBe(exec);
    }
    expect(autostartProgram('[Desktop Entry]\nExec=/usr/bin/switchboard --hidden\n')).toBe('/usr/bin/switchboard');
    expect(autostartProgram('[Other]\nExec=/x\n[Desktop Entry]\nExec[de]=/y\n')).toBeUndefined();
  });

  it('reads an entry the user disabled in the desktop settings as off', async () => {
    const file = join(dir, 'switchboard.desktop');
    await writeFile(file, '[Desktop Entry]\nType=Application\nExec=switchboard\nX-GNOME-Autostart-enabled=false\n');
    expect(await isLinuxAutostartEnabled(file)).toBe(false);
  });

  it('reports a write it cannot make', async () => {
    const blocker = join(dir, 'not-a-folder');
    await writeFile(blocker, '');
    await expect(setLinuxAutostart(true, { file: join(blocker, 'switchboard.desktop'), exec: '/x' })).rejects.toThrow();
  });
});
