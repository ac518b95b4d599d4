/** The app settings kept in a real app-settings.json (electron-store on the Electron stand-in's paths). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settingsFileProblem } from '../../../../main/app/settings/app-settings.ts';
import { createAppSettings } from '../../../../main/app/settings/store.ts';
import { app } from '../../../helpers/electron-stand-in.ts';

vi.mock('electron', () => import('../../../helpers/electron-stand-in.ts'));

describe('the app settings file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-settings-'));
    app.userData = dir;
    file = join(dir, 'app-settings.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves a setting and reads it back, leaving keys it does not know in the file', async () => {
    await writeFile(file, JSON.stringify({ theme: 'dark', fromANewerVersion: { a: 1 } }));
    createAppSettings().set('updateChannel', 'off');
    const again = createAppSettings();
    expect(again.all()).toMatchObject({ theme: 'dark', updateChannel: 'off' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ fromANewerVersion: { a: 1 } });
  });

  it("keeps what a newer version wrote inside the window's setting when this one saves the window", async () => {
    const window = { bounds: { x: 10, y: 20, width: 900, height: 700 }, maximized: false, display: 'DELL U2720Q' };
    await writeFile(file, JSON.stringify({ window }));
    const settings = createAppSettings();
    expect(settings.get('window')).toEqual({ bounds: window.bounds, maximized: false });
    settings.set('window', { bounds: { x: 30, y: 40, width: 1000, height: 800 }, maximized: true });
    expect(JSON.parse(await readFile(file, 'utf8')).window).toEqual({
      bounds: { x: 30, y: 40, width: 1000, height: 800 },
      maximized: true,
      display: 'DELL U2720Q',
    });
  });

  it('keeps a hand edit that is not JSON beside it, says where it is wrong, and uses the defaults', async () => {
    const edit = '{\n  "updateChannel": "off",\n  "theme": "dark",\n}\n';
    await writeFile(file, edit);
    const lines: string[] = [];
    const settings = createAppSettings({ log: (line) => lines.push(line) });
    expect(settings.all()).toMatchObject({ theme: 'system', updateChannel: 'stable' });
    expect(await readFile(`${file}.broken`, 'utf8')).toBe(edit);
    expect(lines).toEqual([
      `${file} is not JSON (line 4, column 1: Expected double-quoted property name); ` +
        `it was kept as ${file}.broken, and the app uses the defaults`,
    ]);
    // The file works again for what the app saves.
    settings.set('startAtLogin', true);
    expect(createAppSettings().get('startAtLogin')).toBe(true);
  });

  it('says nothing of a file that is JSON, empty, or not there', async () => {
    const lines: string[] = [];
    createAppSettings({ log: (line) => lines.push(line) });
    await writeFile(file, '');
    createAppSettings({ log: (line) => lines.push(line) });
    await writeFile(file, '\uFEFF{"theme":"light"}');
    expect(createAppSettings({ log: (line) => lines.push(line) }).get('theme')).toBe('light');
    expect(lines).toEqual([]);
    expect(settingsFileProblem('[1, 2')).toMatch(/^line 1, column 6: /);
  });
});
