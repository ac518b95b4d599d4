import { describe, expect, it } from 'vitest';
import { buildChildEnv, envPath } from '../../../../../main/engine/upstreams/process/env.ts';

describe('buildChildEnv', () => {
  const base = {
    HOME: '/home/u',
    PATH: '/usr/bin',
    USER: 'u',
    LANG: 'en_US.UTF-8',
    LC_ALL: 'C',
    TERM: 'xterm',
    SWITCHBOARD_TOKEN: 'secret-token',
    SWITCHBOARD_API_TOKEN: 'other',
    AWS_SECRET_ACCESS_KEY: 'nope',
    NODE_OPTIONS: '--inspect',
    UNDEF: undefined,
  };

  it('keeps only the safe basics and never our tokens', () => {
    const env = buildChildEnv({ base, platform: 'linux' });
    expect(env).toEqual({
      HOME: '/home/u',
      PATH: '/usr/bin',
      USER: 'u',
      LANG: 'en_US.UTF-8',
      LC_ALL: 'C',
      TERM: 'xterm',
    });
  });

  it('replaces PATH and lets declared env win', () => {
    const env = buildChildEnv({
      base,
      path: '/opt/bin:/usr/bin',
      declared: { HOME: '/srv', API_KEY: 'k' },
      platform: 'linux',
    });
    expect(env.PATH).toBe('/opt/bin:/usr/bin');
    expect(env.HOME).toBe('/srv');
    expect(env.API_KEY).toBe('k');
    expect(env.SWITCHBOARD_TOKEN).toBeUndefined();
  });

  it('uses process.env by default and drops SWITCHBOARD_* from it', () => {
    process.env.SWITCHBOARD_TOKEN_TEST = 'x';
    try {
      const env = buildChildEnv({ platform: 'linux' });
      expect(Object.keys(env).some((k) => k.startsWith('SWITCHBOARD_'))).toBe(false);
      expect(env.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.SWITCHBOARD_TOKEN_TEST;
    }
  });

  it('is case-insensitive on Windows', () => {
    const winBase = {
      Path: 'C:\\Windows',
      SystemRoot: 'C:\\Windows',
      windir: 'C:\\Windows',
      ComSpec: 'C:\\Windows\\cmd.exe',
      UserProfile: 'C:\\Users\\u',
      Switchboard_Token: 't',
      GITHUB_TOKEN: 'g',
    };
    const env = buildChildEnv({
      base: winBase,
      path: 'C:\\tools;C:\\Windows',
      declared: { PATH_EXTRA: '1', systemroot: 'D:\\W' },
      platform: 'win32',
    });
    expect(env).toEqual({
      Path: 'C:\\tools;C:\\Windows',
      systemroot: 'D:\\W',
      windir: 'C:\\Windows',
      ComSpec: 'C:\\Windows\\cmd.exe',
      UserProfile: 'C:\\Users\\u',
      PATH_EXTRA: '1',
    });
    expect(envPath(env, 'win32')).toBe('C:\\tools;C:\\Windows');
  });

  it('does not pass Windows names on POSIX', () => {
    expect(buildChildEnv({ base: { APPDATA: 'x', PATH: '/bin' }, platform: 'darwin' })).toEqual({ PATH: '/bin' });
  });
});
