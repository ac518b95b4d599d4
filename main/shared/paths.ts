/**
 * Where the gateway's local socket and token live. Shared by the shim and the engine so both
 * always agree; node built-ins only.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/** sun_path is 104 bytes on macOS/BSD (108 on Linux), including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 103;

const SOCKET_NAME = 'gateway.sock';
const TOKEN_NAME = 'token';
const LOCK_NAME = 'gateway.lock';
const STOPPED_NAME = 'stopped';
const LOG_NAME = 'gateway.log';
const SERVERS_NAME = 'servers.json';

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function userName(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username;
  } catch {
    return env.USERNAME ?? env.USER ?? 'user';
  }
}

/**
 * The private runtime directory: the socket, the install token, the lock naming the running
 * gateway, and the log of a gateway the shim started. It must come out the same in every process
 * of the user, including a shim that a client (Claude Desktop, ...) spawned with a minimal
 * environment, so it depends only on the user's home directory (os.homedir(): $HOME, or the
 * password database when HOME is missing), never on XDG_RUNTIME_DIR, TMPDIR or LOCALAPPDATA:
 *
 * - macOS: `~/Library/Application Support/Switchboard/run`
 * - Linux and other POSIX: `~/.local/state/switchboard/run`
 * - Windows: `%USERPROFILE%\AppData\Local\Switchboard\run` (only the token, lock and log live
 *   there; the socket is a named pipe)
 *
 * `SWITCHBOARD_RUNTIME_DIR` overrides it (tests use it); a process that does not have it set looks
 * in the default place, so set it for the clients too, or not at all.
 */
export function runtimeDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const override = env.SWITCHBOARD_RUNTIME_DIR;
  if (override !== undefined && override !== '') return p.resolve(override);
  if (platform === 'win32') return p.join(home, 'AppData', 'Local', 'Switchboard', 'run');
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'Switchboard', 'run');
  return p.join(home, '.local', 'state', 'switchboard', 'run');
}

/**
 * The socket the gateway listens on. POSIX: `<dir>/gateway.sock`, or, when that would not fit
 * in sun_path, `/tmp/switchboard-<hash of dir>/gateway.sock` (the listener makes that directory
 * private too). Windows: a per-user, per-directory named pipe.
 */
export function socketPath(
  dir: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32') {
    return `\\\\.\\pipe\\switchboard-${shortHash(`${userName(env).toLowerCase()}\0${dir.toLowerCase()}`, 32)}`;
  }
  const preferred = path.posix.join(dir, SOCKET_NAME);
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH_BYTES) return preferred;
  return path.posix.join('/tmp', `switchboard-${shortHash(dir, 16)}`, SOCKET_NAME);
}

/** The per-install token file (mode 0600) inside the runtime directory. */
export function tokenPath(dir: string, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(dir, TOKEN_NAME);
}

export interface RuntimePaths {
  dir: string;
  socket: string;
  token: string;
  /** Names the running gateway (pid, config, addresses, log); at most one gateway holds it. */
  lock: string;
  /** Where a gateway started by the shim writes its output. */
  log: string;
  /** There while the gateway was stopped on purpose: shims start none (stopped-marker.ts). */
  stopped: string;
  /** The server processes the gateway runs, for the next one to stop if it was killed (leftovers.ts). */
  servers: string;
}

/** The lock file (see main/engine/gateway-lock.ts) inside the runtime directory. */
export function lockPath(dir: string, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(dir, LOCK_NAME);
}

/** The log of a gateway the shim starts, inside the runtime directory. */
export function gatewayLogPath(dir: string, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(dir, LOG_NAME);
}

/** The "stopped on purpose" marker (see main/shared/stopped-marker.ts) inside the runtime directory. */
export function stoppedPath(dir: string, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(dir, STOPPED_NAME);
}

/** The running gateway's server processes (main/engine/upstreams/process/leftovers.ts), in the runtime directory. */
export function serversPath(dir: string, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(dir, SERVERS_NAME);
}

/** Every path for the current process (or the given environment and home). */
export function runtimePaths(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): RuntimePaths {
  const dir = runtimeDir(env, platform, home);
  return {
    dir,
    socket: socketPath(dir, platform, env),
    token: tokenPath(dir, platform),
    lock: lockPath(dir, platform),
    log: gatewayLogPath(dir, platform),
    stopped: stoppedPath(dir, platform),
    servers: serversPath(dir, platform),
  };
}

/**
 * Where Node keeps the compiled code of Switchboard's own modules between runs (module.enableCompileCache):
 * the user's cache directory, private to them, never a shared temporary one, whose files another user
 * could plant. Only a cache: deleting it costs the next start its compiling again.
 *
 * - macOS: `~/Library/Caches/Switchboard/compile-cache`
 * - Linux and other POSIX: `$XDG_CACHE_HOME/switchboard/compile-cache` (`~/.cache` by default)
 * - Windows: `%LOCALAPPDATA%\Switchboard\Cache\compile-cache`
 */
export function compileCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32')
    return path.win32.join(
      env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local'),
      'Switchboard',
      'Cache',
      'compile-cache',
    );
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Caches', 'Switchboard', 'compile-cache');
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.cache');
  return path.posix.join(base, 'switchboard', 'compile-cache');
}
