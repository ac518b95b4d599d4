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
