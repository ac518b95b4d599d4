import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShimArgs } from '../../../main/shim/index.ts';
import { gatewayLaunch } from '../../../main/shim/gateway.ts';

describe('parseShimArgs', () => {
  it('defaults to the default profile', () => {
    expect(parseShimArgs([], {})).toEqual({ profile: 'default' });
    expect(parseShimArgs([], { SWITCHBOARD_PROFILE: 'work' })).toEqual({ profile: 'work' });
  });

  it('reads --profile and --connect-timeout in both forms', () => {
    expect(parseShimArgs(['--profile', 'work'], {})).toEqual({ profile: 'work' });
    expect(parseShimArgs(['--profile=home', '--connect-timeout=500'], {})).toEqual({
      profile: 'home',
      connectTimeoutMs: 500,
    });
    expect(parseShimArgs(['-p', 'x'], { SWITCHBOARD_CONNECT_TIMEOUT_MS: '250' })).toEqual({
      profile: 'x',
      connectTimeoutMs: 250,
    });
  });

  it('rejects bad arguments', () => {
    expect(parseShimArgs(['--profile'], {})).toHaveProperty('error');
    expect(parseShimArgs(['--bogus'], {})).toHaveProperty('error');
    expect(parseShimArgs(['--connect-timeout', 'soon'], {})).toHaveProperty('error');
    expect(parseShimArgs(['--help'], {})).toBe('help');
  });

  it('says which value is missing, rather than take the next option for it or an empty one for none', () => {
    expect(parseShimArgs(['--profile', '--connect-timeout', '5000'], {})).toEqual({
      error: '--profile needs a profile name, not the option "--connect-timeout"',
    });
    expect(parseShimArgs(['-p', '-h'], {})).toEqual({ error: '-p needs a profile name, not the option "-h"' });
    expect(parseShimArgs(['--connect-timeout='], {})).toEqual({
      error: '--connect-timeout needs a number of milliseconds',
    });
    // An empty variable is no setting (a client's config may carry one).
    expect(parseShimArgs([], { SWITCHBOARD_CONNECT_TIMEOUT_MS: '' })).toEqual({ profile: 'default' });
  });

  it('refuses a connect timeout longer than a timer can wait (it was cut to 1 ms, with a Node warning)', () => {
    expect(parseShimArgs(['--connect-timeout', '2147483647'], {})).toEqual({
      profile: 'default',
      connectTimeoutMs: 2147483647,
    });
    expect(parseShimArgs(['--connect-timeout', '99999999999'], {})).toEqual({
      error: 'the connect timeout must be a positive number of milliseconds up to 2147483647, not "99999999999"',
    });
  });
});

describe('gatewayLaunch', () => {
  it('defaults to our own CLI with serve --background', () => {
    const { argv } = gatewayLaunch({});
    expect(argv[0]).toBe(process.execPath);
    expect(argv[1]).toBe('--max-semi-space-size=1');
    expect(argv[2]).toMatch(/main[/\\]cli\.ts$/);
    expect(argv.slice(3)).toEqual(['serve', '--background']);
  });

  it('takes SWITCHBOARD_GATEWAY_COMMAND as a JSON argv', () => {
    const launch = (command: string) => gatewayLaunch({ SWITCHBOARD_GATEWAY_COMMAND: command }).argv;
    expect(launch('["/opt/sb","serve"]')).toEqual(['/opt/sb', 'serve']);
    expect(() => launch('/opt/sb serve')).toThrow(/JSON array/);
    expect(() => launch('[]')).toThrow(/non-empty/);
    expect(() => launch('["a",1]')).toThrow(/strings/);
  });

  it("on the app's runtime starts the app itself, hidden, as the app and not as Node", () => {
    const launch = gatewayLaunch({ ELECTRON_RUN_AS_NODE: '1', HOME: '/home/u' });
    expect(launch.argv).toEqual([process.execPath, '--hidden']);
    expect(launch.env).toEqual({ HOME: '/home/u' });
  });

  it('starts an AppImage by its image file, not the temporary mount it runs from', () => {
    // The runtime this test runs in stands for the app's, mounted at its folder's parent.
    const mount = path.dirname(path.dirname(process.execPath));
    const image = '/home/u/Apps/Switchboard.AppImage';
    const launch = gatewayLaunch({ ELECTRON_RUN_AS_NODE: '1', APPIMAGE: image, APPDIR: mount });
    expect(launch.argv).toEqual(process.platform === 'linux' ? [image, '--hidden'] : [process.execPath, '--hidden']);
    expect(launch.env.ELECTRON_RUN_AS_NODE).toBeUndefined();
    // Another AppImage's variables, inherited: this shim starts its own app, not that one.
    const other = gatewayLaunch({ ELECTRON_RUN_AS_NODE: '1', APPIMAGE: '/a/Cursor.AppImage', APPDIR: '/tmp/.mount_C' });
    expect(other.argv).toEqual([process.execPath, '--hidden']);
  });
});
