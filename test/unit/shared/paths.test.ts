import { describe, expect, it } from 'vitest';
import {
  compileCacheDir,
  MAX_SOCKET_PATH_BYTES,
  runtimeDir,
  runtimePaths,
  socketPath,
  tokenPath,
} from '../../../main/shared/paths.ts';

describe('runtimeDir', () => {
  it('depends on the home directory only, not on variables a client may drop', () => {
    const full = { XDG_RUNTIME_DIR: '/run/user/1000', TMPDIR: '/var/folders/x/T', LOCALAPPDATA: 'D:\\Data' };
    expect(runtimeDir(full, 'linux', '/home/ada')).toBe('/home/ada/.local/state/switchboard/run');
    expect(runtimeDir({}, 'linux', '/home/ada')).toBe('/home/ada/.local/state/switchboard/run');
    expect(runtimeDir(full, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/Switchboard/run');
    expect(runtimeDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/Switchboard/run');
    expect(runtimeDir(full, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Local\\Switchboard\\run');
  });

  it('lets SWITCHBOARD_RUNTIME_DIR override everything', () => {
    expect(runtimeDir({ SWITCHBOARD_RUNTIME_DIR: '/tmp/sb-test' }, 'linux', '/home/ada')).toBe('/tmp/sb-test');
  });
});

describe('socketPath and tokenPath', () => {
  it('puts the socket and token in the runtime dir on POSIX', () => {
    expect(socketPath('/run/user/1000/switchboard', 'linux')).toBe('/run/user/1000/switchboard/gateway.sock');
    expect(tokenPath('/run/user/1000/switchboard', 'linux')).toBe('/run/user/1000/switchboard/token');
  });

  it('falls back to a short hashed path when sun_path would overflow', () => {
    const long = '/tmp/' + 'd'.repeat(120);
    const path = socketPath(long, 'darwin');
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
    expect(path).toMatch(/^\/tmp\/switchboard-[0-9a-f]{16}\/gateway\.sock$/);
    expect(socketPath(long, 'darwin')).toBe(path); // stable
    expect(socketPath(long + 'x', 'darwin')).not.toBe(path);
    // Multibyte characters count in bytes.
    const multibyte = '/tmp/' + 'é'.repeat(50);
    expect(Buffer.byteLength(socketPath(multibyte, 'linux'))).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
  });

  it('uses a hashed named pipe on Windows', () => {
    const a = socketPath('C:\\Users\\ada\\AppData\\Local\\Switchboard\\run', 'win32');
    expect(a).toMatch(/^\\\\\.\\pipe\\switchboard-[0-9a-f]{32}$/);
    expect(socketPath('C:\\other', 'win32')).not.toBe(a);
    expect(tokenPath('C:\\x', 'win32')).toBe('C:\\x\\token');
  });

  it('runtimePaths bundles them', () => {
    expect(runtimePaths({ SWITCHBOARD_RUNTIME_DIR: '/tmp/sb' }, 'linux', '/home/ada')).toEqual({
      dir: '/tmp/sb',
      socket: '/tmp/sb/gateway.sock',
      token: '/tmp/sb/token',
      lock: '/tmp/sb/gateway.lock',
      log: '/tmp/sb/gateway.log',
      stopped: '/tmp/sb/stopped',
      servers: '/tmp/sb/servers.json',
    });
  });
});

describe('compileCacheDir', () => {
  it('is the user’s own cache directory on each platform, never a shared temporary one', () => {
    expect(compileCacheDir({ TMPDIR: '/tmp' }, 'linux', '/home/ada')).toBe(
      '/home/ada/.cache/switchboard/compile-cache',
    );
    expect(compileCacheDir({ XDG_CACHE_HOME: '/data/cache' }, 'linux', '/home/ada')).toBe(
      '/data/cache/switchboard/compile-cache',
    );
    // The XDG spec: a relative path is invalid and ignored.
    expect(compileCacheDir({ XDG_CACHE_HOME: 'cache' }, 'linux', '/home/ada')).toBe(
      '/home/ada/.cache/switchboard/compile-cache',
    );
    expect(compileCacheDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Caches/Switchboard/compile-cache');
    expect(compileCacheDir({ LOCALAPPDATA: 'D:\\Data' }, 'win32', 'C:\\Users\\ada')).toBe(
      'D:\\Data\\Switchboard\\Cache\\compile-cache',
    );
    expect(compileCacheDir({}, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Local\\Switchboard\\Cache\\compile-cache',
    );
  });
});
