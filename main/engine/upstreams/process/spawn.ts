/**
 * Starts a stdio server's process: no shell, argv as given, the command found on the
 * child's PATH, and failures turned into messages a user can act on.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { GatewayError } from '../../protocol/errors.ts';
import { envPath } from './env.ts';
import { lookupCommand } from './login-path.ts';

export interface SpawnServerOptions {
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** The child's whole environment (see buildChildEnv); its PATH is used to find `command`. */
  env: Readonly<Record<string, string>>;
}

/**
 * Why `command` cannot be run without `cwd`: a relative path would be found from the gateway's own
 * working directory, which depends on what started it (the app, a client's shim, a terminal).
 */
export function relativeCommandProblem(command: string, cwd: string | undefined): string | undefined {
  if (cwd !== undefined || !/[/\\]/.test(command) || path.isAbsolute(command)) return undefined;
  const tilde = command.startsWith('~') ? ' ("~" is not expanded: there is no shell)' : '';
  return `command "${command}" is a relative path${tilde}: give the absolute path, or "cwd" to find it from`;
}

/**
 * Why a command that cannot be run holds its arguments too (`npx -y @scope/server`, copied from a
 * README as one line): there is no shell to split it, so it names no program. Says what to write.
 */
export function argumentsInCommandProblem(command: string, args: readonly string[] = []): string | undefined {
  const words = command.trim().split(/\s+/);
  if (words.length < 2) return undefined;
  const fix = /["']/.test(command)
    ? `"command" is the program alone, and each of its arguments an item of "args"`
    : `write "command": ${JSON.stringify(words[0])}, "args": ${JSON.stringify([...words.slice(1), ...args])}`;
  return `command "${command}" holds its arguments too, and no shell splits them here: ${fix}`;
}

/** Launchers a server's README starts it with, and what installs each (a user new to them has not got it). */
const LAUNCHERS: Record<string, { from: string; install: string }> = {
  npx: { from: 'Node.js', install: 'https://nodejs.org/en/download' },
  npm: { from: 'Node.js', install: 'https://nodejs.org/en/download' },
  node: { from: 'Node.js', install: 'https://nodejs.org/en/download' },
  uvx: { from: 'uv', install: 'https://docs.astral.sh/uv/getting-started/installation/' },
  uv: { from: 'uv', install: 'https://docs.astral.sh/uv/getting-started/installation/' },
  docker: { from: 'Docker', install: 'https://docs.docker.com/get-started/get-docker/' },
  bunx: { from: 'Bun', install: 'https://bun.sh/docs/installation' },
  bun: { from: 'Bun', install: 'https://bun.sh/docs/installation' },
  deno: { from: 'Deno', install: 'https://docs.deno.com/runtime/getting_started/installation/' },
  pipx: { from: 'pipx', install: 'https://pipx.pypa.io/stable/installation/' },
};

/**
 * What to do about a command that is not found, for the launchers servers are started with
 * (`uvx` when uv is not installed): where to get it, and that an installed one can be named by its
 * absolute path (a desktop app may not see the PATH a terminal has). Empty for other commands.
 */
export function missingCommandHint(command: string): string {
  const name = path
    .basename(command)
    .replace(/\.(exe|cmd)$/i, '')
    .toLowerCase();
  const launcher = Object.hasOwn(LAUNCHERS, name) ? LAUNCHERS[name] : undefined;
  if (!launcher) return '';
  const what = name === launcher.from.toLowerCase() ? launcher.from : `${name} comes with ${launcher.from}`;
  return (
    `: ${what}, which is not installed or not on this PATH; install ${launcher.from} (${launcher.install}) ` +
    `and restart this server, or give the absolute path of ${name} as the command`
  );
}

/**
 * Resolves once the process is running. On POSIX the child leads its own process group
 * (killProcessTree relies on it). The caller must attach an 'error' listener to the
 * returned child: ours are removed once it has started.
 */
export async function spawnServer(options: SpawnServerOptions): Promise<ChildProcess> {
  const { command, args = [], cwd, env } = options;
  const fail = (message: string, cause?: unknown): GatewayError =>
    new GatewayError('spawn_failed', message, cause === undefined ? undefined : { cause });

  // Checked first: spawn reports a missing cwd as ENOENT, indistinguishable from a missing command.
  if (cwd !== undefined) {
    try {
      if (!(await stat(cwd)).isDirectory()) throw fail(`working directory "${cwd}" is not a directory`);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw fail(`working directory "${cwd}" does not exist`, err);
    }
  }

  // This server alone fails, saying what to write.
  // A command line in "command" reads as a relative path or a missing program: said for what it is.
  const relative = relativeCommandProblem(command, cwd);
  if (relative) throw fail(argumentsInCommandProblem(command, args) ?? relative);

  // spawn's own lookup would use the gateway's PATH, not the child's.
  const pathValue = envPath(env) ?? '';
  const found = lookupCommand(command, pathValue, process.platform, cwd);
  if (found.path === undefined) {
    const withArguments = argumentsInCommandProblem(command, args);
    if (withArguments) throw fail(withArguments);
    if (found.problem === 'not-executable') throw fail(`command "${command}" is not executable (${found.candidate})`);
    if (found.problem === 'directory') throw fail(`command "${command}" is a directory (${found.candidate})`);
    if (found.candidate !== undefined) throw fail(`command "${command}" not found (${found.candidate})`);
    throw fail(`command "${command}" not found${missingCommandHint(command)} (PATH=${pathValue})`);
  }
  const file = found.path;

  return new Promise<ChildProcess>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd,
        env,
        // Keep the name the user wrote as argv[0] (multi-call binaries key on it).
        argv0: command,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
        windowsHide: true,
        shell: false,
      });
    } catch (err) {
      reject(translate(err, command, file, pathValue));
      return;
    }
    const onSpawn = (): void => {
      child.off('error', onError);
      resolve(child);
    };
    const onError = (err: Error): void => {
      child.off('spawn', onSpawn);
      reject(translate(err, command, file, pathValue));
    };
    child.once('spawn', onSpawn);
    child.once('error', onError);
  });
}

function translate(err: unknown, command: string, file: string, pathValue: string): GatewayError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  let message: string;
  switch (code) {
    case 'ENOENT':
      // Found a moment ago: gone since, or a script whose interpreter (#!) is missing.
      message = `command "${command}" not found (${file}; PATH=${pathValue})`;
      break;
    case 'EACCES':
    case 'EPERM':
      message = `command "${command}" is not executable (${file})`;
      break;
    case 'EINVAL':
      // Node refuses .cmd/.bat without a shell (CVE-2024-27980), and we never use one.
      message = /\.(cmd|bat)$/i.test(file)
        ? `command "${command}" is a batch script (${file}), which cannot be started without a shell`
        : `command "${command}" could not be started: ${reason}`;
      break;
    default:
      message = `command "${command}" could not be started: ${reason}`;
  }
  return new GatewayError('spawn_failed', message, { cause: err });
}
