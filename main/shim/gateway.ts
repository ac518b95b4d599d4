/**
 * Starting the gateway when no one is listening: a detached process, no shell, unref'd, so it
 * outlives the shim and the client that spawned it. Its output goes to a log file in the
 * runtime directory (`switchboard doctor` and `status` name it), kept under a few MiB.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownAppImage } from '../shared/app-image.ts';
import { GATEWAY_NODE_FLAGS } from '../shared/node-flags.ts';

/**
 * How to start a background gateway: `SWITCHBOARD_GATEWAY_COMMAND` (a JSON array), else the desktop
 * app itself when the shim runs on the app's runtime (ELECTRON_RUN_AS_NODE=1, as the installed
 * app's client entries do), else our own CLI. The app is started hidden; if it already runs, its
 * single-instance lock sends the new process away. `env` is the environment the gateway gets.
 */
export interface GatewayLaunch {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Where the command came from, when the user chose it (a failure names it). */
  from?: string;
}

export function gatewayLaunch(env: NodeJS.ProcessEnv): GatewayLaunch {
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
    return { argv: argv as string[], env: withoutRunAsNode(env), from: 'SWITCHBOARD_GATEWAY_COMMAND' };
  }
  if (env.ELECTRON_RUN_AS_NODE === '1') {
    // An AppImage runs from a temporary mount that goes away with this process; start the image itself.
    const app = ownAppImage(env, process.execPath) ?? process.execPath;
    return { argv: [app, '--hidden'], env: withoutRunAsNode(env) };
  }
  const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
  // The standalone shim (out/shim/index.mjs, or its copy) has no CLI beside it.
  if (!fs.existsSync(cli))
    throw new Error(
      'no gateway is running, and this copy of the shim cannot start one: start Switchboard (the app, or ' +
        '`switchboard serve`), or set SWITCHBOARD_GATEWAY_COMMAND',
    );
  return { argv: [process.execPath, ...GATEWAY_NODE_FLAGS, cli, 'serve', '--background'], env };
}

/** The shim runs as plain Node inside the app's runtime; the app it starts must run as the app. */
function withoutRunAsNode(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.ELECTRON_RUN_AS_NODE;
  return copy;
}

/** The log is moved to `<log>.1` (replacing the previous one) when it grows past this. */
export const MAX_LOG_BYTES = 5 * 1024 * 1024;

/**
 * Opens the log file for appending (0600), creating the private runtime directory if needed and
 * rotating a log that grew too big. Returns the descriptor, or undefined (output discarded) when
 * that fails; `onError` says why.
 */
function openLog(logFile: string, onError: (message: string) => void): number | undefined {
  try {
    const dir = path.dirname(logFile);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      if (fs.statSync(logFile).size > MAX_LOG_BYTES) fs.renameSync(logFile, `${logFile}.1`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const fd = fs.openSync(logFile, 'a', 0o600);
    fs.writeSync(fd, `--- ${new Date().toISOString()} gateway started by switchboard shim (pid ${process.pid}) ---\n`);
    return fd;
  } catch (err) {
    onError(`cannot open the gateway log ${logFile} (its output is discarded): ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Spawns the gateway `gatewayLaunch` chose and lets it go, its output appended to `logFile`.
 * A gateway that could not be run at all (no such file, not executable) or exited failing is
 * reported through `onFailedExit` (else `onError`): no gateway is coming, not worth waiting for.
 */
export function spawnGatewayDetached(
  launch: GatewayLaunch,
  onError: (message: string) => void,
  logFile?: string,
  onFailedExit?: (why: string) => void,
): void {
  const { argv } = launch;
  const [command, ...args] = argv as [string, ...string[]];
  const fd = logFile === undefined ? undefined : openLog(logFile, onError);
  const cannotRun = (err: Error): void => {
    const command = `${JSON.stringify(argv)}${launch.from === undefined ? '' : `, from ${launch.from}`}`;
    (onFailedExit ?? onError)(`could not start the gateway (${command}): ${err.message}`);
  };
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: fd === undefined ? 'ignore' : ['ignore', fd, fd],
      shell: false,
      windowsHide: true,
      env: launch.env,
      // A long-lived process should not pin whatever directory the client started us in.
      cwd: os.homedir(),
    });
    child.once('error', cannotRun);
    // Exit 0 is a gateway that found another one serving (or an app sent to the one running): not a failure.
    child.once('exit', (code, signal) => {
      if (code === 0) return;
      const how = code !== null ? `exited with code ${code}` : `was ended by ${signal}`;
      const last = logFile === undefined ? undefined : lastLogLine(logFile);
      onFailedExit?.(`the gateway it started ${how}${last === undefined ? '' : ` (its log ends: ${last})`}`);
    });
    child.unref();
  } catch (err) {
    cannotRun(err as Error);
  } finally {
    // The child has its own copy of the descriptor.
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The last line a gateway wrote to its log (what it said as it failed), at most 300 characters. */
function lastLogLine(logFile: string): string | undefined {
  try {
    const size = fs.statSync(logFile).size;
    const fd = fs.openSync(logFile, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size, 4096));
      fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      const line = buffer.toString('utf8').trimEnd().split('\n').pop()?.trim();
      if (!line || line.startsWith('--- ')) return undefined;
      return line.length > 300 ? `${line.slice(0, 297)}...` : line;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
