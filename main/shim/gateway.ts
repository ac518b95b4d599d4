/**
 * Starting the gateway when no one is listening: a detached process, no shell, stdio
 * ignored, unref'd, so it outlives the shim and the client that spawned it.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The argv that starts a background gateway: `SWITCHBOARD_GATEWAY_COMMAND` (a JSON array) or our own CLI. */
export function gatewayCommand(env: NodeJS.ProcessEnv): string[] {
  const custom = env.SWITCHBOARD_GATEWAY_COMMAND;
  if (custom !== undefined && custom.trim() !== '') {
    let argv: unknown;
    try {
      argv = JSON.parse(custom);
    } catch {
      throw new Error(
        'SWITCHBOARD_GATEWAY_COMMAND must be a JSON array of strings, e.g. ' +
          '["/usr/bin/switchboard","serve","--background"]',
      );
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string') || argv[0] === '') {
      throw new Error('SWITCHBOARD_GATEWAY_COMMAND must be a non-empty JSON array of strings');
    }
    return argv as string[];
  }
  return [process.execPath, fileURLToPath(new URL('../cli.ts', import.meta.url)), 'serve', '--background'];
}

/**
 * Spawns the gateway and lets it go. Failures (bad command, spawn error) are reported through
 * `onError`; the caller keeps retrying the socket until its deadline either way.
 */
export function spawnGatewayDetached(env: NodeJS.ProcessEnv, onError: (message: string) => void): void {
  let argv: string[];
  try {
    argv = gatewayCommand(env);
  } catch (err) {
    onError((err as Error).message);
    return;
  }
  const [command, ...args] = argv as [string, ...string[]];
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: 'ignore',
      shell: false,
      windowsHide: true,
      env,
      // A long-lived process should not pin whatever directory the client started us in.
      cwd: os.homedir(),
    });
    child.once('error', (err) => onError(`could not start the gateway (${JSON.stringify(argv)}): ${err.message}`));
    child.unref();
  } catch (err) {
    onError(`could not start the gateway (${JSON.stringify(argv)}): ${(err as Error).message}`);
  }
}
