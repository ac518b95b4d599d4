/**
 * The desktop app's main process (main/index.ts) under the Electron stand-in, with its HOME, config
 * and Switchboard's folders in a test's own directory; and a second gateway beside it (`switchboard
 * serve`, as a user or a client's CLI entry would have started one). The test file mocks 'electron'
 * with the stand-in, which this module's imports then get too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { app } from './electron-stand-in.ts';
import { CLI, NODE, waitFor } from './gateway.ts';

/** Points this process's environment at `dir` (as the app and any gateway it spawns read it). */
export function useDesktopDirs(dir: string, config: string): void {
  Object.assign(process.env, {
    HOME: path.join(dir, 'home'),
    XDG_CONFIG_HOME: path.join(dir, 'home', '.config'),
    SWITCHBOARD_CONFIG: config,
    SWITCHBOARD_RUNTIME_DIR: path.join(dir, 'run'),
    SWITCHBOARD_STATE_DIR: path.join(dir, 'state'),
  });
}

/** Starts the app as Electron would once ready, its user data in `dir`. */
export async function startDesktopApp(dir: string): Promise<void> {
  app.userData = path.join(dir, 'user-data');
  await import('../../main/index.ts');
  app.emitReady();
}

/** A `switchboard serve --no-http` on the same directories, once its server `server` is ready. */
export async function startOtherGateway(server: string): Promise<ChildProcess> {
  const other = spawn(NODE, [CLI, 'serve', '--no-http'], { env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  other.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(() => new RegExp(`server "${server}" ready`).test(stderr) || undefined, 20_000, 'the other gateway');
  return other;
}
