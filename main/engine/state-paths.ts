/** Where the gateway keeps its own files (logs), per platform conventions. */
import { homedir } from 'node:os';
import path from 'node:path';

export function stateDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.SWITCHBOARD_STATE_DIR) return env.SWITCHBOARD_STATE_DIR;
  if (platform === 'darwin') return path.join(home, 'Library', 'Logs', 'Switchboard');
  if (platform === 'win32')
    return path.win32.join(env.LOCALAPPDATA ?? path.win32.join(home, 'AppData', 'Local'), 'Switchboard');
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'switchboard');
}

export function logDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  return platform === 'darwin' ? stateDir(env, platform, home) : path.join(stateDir(env, platform, home), 'logs');
}

/**
 * The traffic history database: application data on macOS, the state directory elsewhere (XDG
 * names history as state); SWITCHBOARD_STATE_DIR overrides it like the logs.
 */
export function trafficHistoryPath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'darwin' && !env.SWITCHBOARD_STATE_DIR)
    return path.join(home, 'Library', 'Application Support', 'Switchboard', 'traffic.db');
  const dir = stateDir(env, platform, home);
  return platform === 'win32' ? path.win32.join(dir, 'traffic.db') : path.join(dir, 'traffic.db');
}
