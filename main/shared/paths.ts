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
 * The private runtime directory. `SWITCHBOARD_RUNTIME_DIR` overrides everything (tests use it).
 * POSIX: `$XDG_RUNTIME_DIR/switchboard` when XDG_RUNTIME_DIR is an absolute path, else
 * `<tmpdir>/switchboard-<uid>`. Windows: `%LOCALAPPDATA%\Switchboard\run` (only the token lives
 * there; the socket is a named pipe).
 */
export function runtimeDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  uid: number | undefined = process.getuid?.(),
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const override = env.SWITCHBOARD_RUNTIME_DIR;
  if (override !== undefined && override !== '') return p.resolve(override);
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA;
    if (base !== undefined && p.isAbsolute(base)) return p.join(base, 'Switchboard', 'run');
    return p.join(os.tmpdir(), `switchboard-${userName(env)}`);
  }
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && p.isAbsolute(xdg)) return p.join(xdg, 'switchboard');
  return p.join(os.tmpdir(), `switchboard-${uid ?? userName(env)}`);
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
}

/** All three paths for the current process (or the given environment). */
export function runtimePaths(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  uid: number | undefined = process.getuid?.(),
): RuntimePaths {
  const dir = runtimeDir(env, platform, uid);
  return { dir, socket: socketPath(dir, platform, env), token: tokenPath(dir, platform) };
}
