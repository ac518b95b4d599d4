/**
 * The environment a stdio server child gets: a few harmless basics from the gateway's own
 * environment plus what the server's config declares. Never the gateway's whole environment
 * (it may hold tokens and unrelated secrets), never SWITCHBOARD_* (our own tokens).
 */

export interface ChildEnvOptions {
  /** The server's env from config (already resolved); wins over everything else. */
  declared?: Readonly<Record<string, string>>;
  /** Where the basics come from. Defaults to process.env. */
  base?: Readonly<Record<string, string | undefined>>;
  /** Replaces PATH (e.g. the login-shell PATH). */
  path?: string;
  platform?: NodeJS.Platform;
}

const POSIX_KEYS = ['HOME', 'PATH', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'TMPDIR', 'LANG'];
const WINDOWS_KEYS = [
  'APPDATA',
  'LOCALAPPDATA',
  'USERPROFILE',
  'HOMEDRIVE',
  'HOMEPATH',
  'PATHEXT',
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'TEMP',
  'TMP',
  'COMSPEC',
  'WINDIR',
  'PROGRAMFILES',
  'PROGRAMDATA',
  'USERNAME',
];

function allowed(upperKey: string, win: boolean): boolean {
  if (upperKey.startsWith('SWITCHBOARD_')) return false;
  if (upperKey.startsWith('LC_')) return true;
  if (POSIX_KEYS.includes(upperKey)) return true;
  return win && WINDOWS_KEYS.includes(upperKey);
}

/** Windows env keys are case-insensitive: find the key actually used for `name`, if any. */
function findKey(env: Record<string, string>, name: string, win: boolean): string | undefined {
  if (!win) return name in env ? name : undefined;
  const upper = name.toUpperCase();
  return Object.keys(env).find((k) => k.toUpperCase() === upper);
}

/** Sets `name`, replacing any differently-cased twin on Windows so the child sees one value. */
function setVar(env: Record<string, string>, name: string, value: string, win: boolean): void {
  const existing = findKey(env, name, win);
  if (existing !== undefined && existing !== name) delete env[existing];
  env[name] = value;
}

export function buildChildEnv(options: ChildEnvOptions = {}): Record<string, string> {
  const { declared = {}, base = process.env, path, platform = process.platform } = options;
  const win = platform === 'win32';
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (allowed(win ? key.toUpperCase() : key, win)) setVar(env, key, value, win);
  }
  if (path !== undefined) {
    // Keep Windows' usual "Path" spelling if that is what the base used.
    setVar(env, findKey(env, 'PATH', win) ?? 'PATH', path, win);
  }
  for (const [key, value] of Object.entries(declared)) setVar(env, key, value, win);
  return env;
}

/** PATH as seen in an env object (case-insensitive on Windows). */
export function envPath(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (platform !== 'win32') return env.PATH;
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  return key === undefined ? undefined : env[key];
}
