/** Start at login as the app wires it on Linux: the XDG autostart entry in a temp config folder. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'electron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoginItem } from '../../../../main/app/login/login-item.ts';
import { app } from '../../../helpers/electron-stand-in.ts';

describe('start at login on Linux', () => {
  let dir: string;
  let file: string;
  const item = (execPath: string) =>
    createLoginItem(Object.assign(Object.create(app) as App, { isPackaged: true }), {
      platform: 'linux',
      env: { XDG_CONFIG_HOME: join(dir, 'config') },
      execPath,
      argv: [execPath],
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-login-item-'));
    file = join(dir, 'config', 'autostart', 'switchboard.desktop');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps what the user changed in the entry when the app starts, and follows the app when it moved', async () => {
    await item('/opt/Switchboard/switchboard').setEnabled(true);
    // A delay added in the desktop's startup settings.
    const changed = `${await readFile(file, 'utf8')}X-GNOME-Autostart-Delay=10\n`;
    await writeFile(file, changed);
    await item('/opt/Switchboard/switchboard').refresh();
    expect(await readFile(file, 'utf8')).toBe(changed);
    expect(await item('/opt/Switchboard/switchboard').isEnabled()).toBe(true);

    await item('/usr/lib/switchboard/switchboard').refresh();
    expect(await readFile(file, 'utf8')).toContain('Exec="/usr/lib/switchboard/switchboard" --hidden');
  });
});

describe('start at login on macOS and Windows', () => {
  /** Electron's login items as the OS answers after a change: `after` is what it reports. */
  const appWith = (after: Record<string, unknown>) => {
    const set: unknown[] = [];
    const fake = Object.assign(Object.create(app) as App, {
      isPackaged: true,
      setLoginItemSettings: (settings: unknown) => set.push(settings),
      getLoginItemSettings: () => ({ wasOpenedAtLogin: false, ...after }),
    });
    return { fake, set };
  };

  it('says where to allow it when macOS waits for approval, and when Windows has it turned off', async () => {
    const mac = appWith({ openAtLogin: false, status: 'requires-approval' });
    await expect(createLoginItem(mac.fake, { platform: 'darwin', argv: [] }).setEnabled(true)).rejects.toThrow(
      'macOS waits for you to allow it: in System Settings → General → Login Items, turn Switchboard on',
    );
    expect(mac.set).toEqual([{ openAtLogin: true, args: ['--hidden'] }]);

    const win = appWith({ openAtLogin: true, executableWillLaunchAtLogin: false });
    await expect(createLoginItem(win.fake, { platform: 'win32', argv: [] }).setEnabled(true)).rejects.toThrow(
      'Windows has it turned off: turn Switchboard on in Settings → Apps → Startup (or Task Manager → Startup apps)',
    );
  });

  it('says nothing when the OS will start it, or when it was turned off', async () => {
    const mac = appWith({ openAtLogin: true, status: 'enabled' });
    await createLoginItem(mac.fake, { platform: 'darwin', argv: [] }).setEnabled(true);
    const win = appWith({ openAtLogin: true, executableWillLaunchAtLogin: true });
    await createLoginItem(win.fake, { platform: 'win32', argv: [] }).setEnabled(true);
    const off = appWith({ openAtLogin: false, status: 'not-registered', executableWillLaunchAtLogin: false });
    await createLoginItem(off.fake, { platform: 'darwin', argv: [] }).setEnabled(false);
    await createLoginItem(off.fake, { platform: 'win32', argv: [] }).setEnabled(false);
  });
});
