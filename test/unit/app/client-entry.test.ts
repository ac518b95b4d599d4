import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appShimCommand, installShimFile, transientLocation, unpackedPath } from '../../../main/app/client-entry.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

describe('the client entry of the installed app', () => {
  it("runs the shim on the app's own runtime, with no system Node", () => {
    const runtime = { execPath: '/opt/Switchboard/switchboard', env: {}, platform: 'linux' as const };
    expect(appShimCommand(runtime, '/home/u/.config/Switchboard/shim/switchboard-shim.mjs', 'work')).toEqual({
      command: '/opt/Switchboard/switchboard',
      args: ['/home/u/.config/Switchboard/shim/switchboard-shim.mjs', 'shim', '--profile', 'work'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
  });

  it('names the .AppImage file, which outlives the temporary mount the app runs from', () => {
    const runtime = {
      execPath: '/tmp/.mount_SwitchXYZ/switchboard',
      env: { APPIMAGE: '/home/u/Apps/Switchboard.AppImage', APPDIR: '/tmp/.mount_SwitchXYZ' },
      platform: 'linux' as const,
    };
    expect(appShimCommand(runtime, '/home/u/shim.mjs', 'default').command).toBe('/home/u/Apps/Switchboard.AppImage');
  });

  it('refuses to write an app that will be gone: a translocated copy, or one opened from its disk image', () => {
    const mac = (execPath: string) => ({ execPath, env: {}, platform: 'darwin' as const });
    const translocated = '/private/var/folders/x/T/AppTranslocation/ABC/d/Switchboard.app/Contents/MacOS/Switchboard';
    expect(() => appShimCommand(mac(translocated), '/u/shim.mjs', 'default')).toThrow(
      /runs from a temporary copy macOS runs it from until it is moved.*move Switchboard to Applications/,
    );
    const dmg = '/Volumes/Switchboard 1.0.0/Switchboard.app/Contents/MacOS/Switchboard';
    expect(() => appShimCommand(mac(dmg), '/u/shim.mjs', 'default')).toThrow(/runs from its disk image/);
    // Installed, or on another drive's Applications folder: fine.
    const installed = '/Applications/Switchboard.app/Contents/MacOS/Switchboard';
    expect(appShimCommand(mac(installed), '/u/shim.mjs', 'default').command).toBe(installed);
    const external = '/Volumes/Data/Applications/Switchboard.app/Contents/MacOS/Switchboard';
    expect(transientLocation(external, 'darwin')).toBeUndefined();
  });

  it('refuses a relative path (clients start it without a shell or PATH)', () => {
    const runtime = { execPath: 'switchboard', env: {}, platform: 'linux' as const };
    expect(() => appShimCommand(runtime, '/home/u/shim.mjs', 'default')).toThrow(/absolute paths/);
  });

  it('finds unpacked files beside app.asar on every platform', () => {
    expect(unpackedPath('/opt/Switchboard/resources/app.asar/out/shim/index.mjs')).toBe(
      '/opt/Switchboard/resources/app.asar.unpacked/out/shim/index.mjs',
    );
    expect(unpackedPath('C:\\Program Files\\Switchboard\\resources\\app.asar\\out\\shim\\index.mjs')).toBe(
      'C:\\Program Files\\Switchboard\\resources\\app.asar.unpacked\\out\\shim\\index.mjs',
    );
    expect(unpackedPath('/work/switchboard/out/shim/index.mjs')).toBe('/work/switchboard/out/shim/index.mjs');
  });

  it('copies the shim to a stable place, again only when it changed', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sb-shim-file-'));
    const source = path.join(dir, 'index.mjs');
    await writeFile(source, 'console.log("v1")\n');
    const target = await installShimFile(source, path.join(dir, 'data', 'shim'));
    expect(target).toBe(path.join(dir, 'data', 'shim', 'switchboard-shim.mjs'));
    expect(await readFile(target, 'utf8')).toBe('console.log("v1")\n');
    const first = (await stat(target)).mtimeMs;

    await new Promise((resolve) => setTimeout(resolve, 20));
    await installShimFile(source, path.join(dir, 'data', 'shim'));
    expect((await stat(target)).mtimeMs).toBe(first);

    await writeFile(source, 'console.log("v2")\n');
    await installShimFile(source, path.join(dir, 'data', 'shim'));
    expect(await readFile(target, 'utf8')).toBe('console.log("v2")\n');
  });
});
