/**
 * PATH lookup for spawning servers. Apps launched from a GUI (Dock, Start menu, desktop
 * file) inherit a minimal PATH without the user's shell setup (nvm, Homebrew, ~/.local/bin),
 * so `npx`/`uvx` would not be found. We ask the user's login shell once and remember its answer;
 * a shell that did not answer (slow at a cold start, or broken) is asked again by the next server
 * that starts, rather than leaving the wrong PATH until the app is restarted.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import nodePath from 'node:path';

export interface LoginShellPathOptions {
  /** The login shell to ask. Defaults to $SHELL. */
  shell?: string;
  timeoutMs?: number;
  platform?: NodeJS.Platform;
}

const cache = new Map<string, Promise<string>>();

/** The login shell's PATH merged with ours (login entries first). Never rejects. */
export function resolveLoginShellPath(options: LoginShellPathOptions = {}): Promise<string> {
  const { shell = process.env.SHELL, timeoutMs = 3000, platform = process.platform } = options;
  const current = process.env.PATH ?? '';
  // Windows GUI apps get the full user PATH already; no login shell to ask.
  if (platform === 'win32' || !shell) return Promise.resolve(current);
  const key = `${platform}\0${shell}`;
  let pending = cache.get(key);
  if (!pending) {
    const asked = askShell(shell, timeoutMs).then(
      (loginPath) => {
        if (loginPath === undefined && cache.get(key) === asked) cache.delete(key);
        return loginPath === undefined ? current : mergePaths(loginPath, current);
      },
      () => {
        if (cache.get(key) === asked) cache.delete(key);
        return current;
      },
    );
    pending = asked;
    cache.set(key, pending);
  }
  return pending;
}

/** For tests, and for a "re-read my shell setup" action. */
export function clearLoginShellPathCache(): void {
  cache.clear();
}

/** Joins PATH lists, first occurrence wins, empty entries dropped. */
export function mergePaths(first: string, second: string, delimiter = ':'): string {
  const seen = new Set<string>();
  for (const entry of [...first.split(delimiter), ...second.split(delimiter)]) {
    if (entry !== '') seen.add(entry);
  }
  return [...seen].join(delimiter);
}

function askShell(shell: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    // Unique markers, so rc-file noise (motd, banners, prompts) around them is ignored.
    const tag = randomBytes(8).toString('hex');
    const start = `__SB_PATH_${tag}_START__`;
    const end = `__SB_PATH_${tag}_END__`;
    // A fresh environment minus our own tokens: the rc files are the user's, the tokens are not.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SWITCHBOARD_')) env[k] = v;

    let child;
    try {
      child = spawn(shell, ['-ilc', `printf '%s%s%s' '${start}' "$PATH" '${end}'`], {
        env,
        // No stdin: an interactive rc file must never wait for input. Detached: own session,
        // no controlling terminal (no SIGTTOU/SIGTTIN stops), and we can kill the whole group.
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true,
        shell: false,
        windowsHide: true,
      });
    } catch {
      resolve(undefined);
      return;
    }

    let out = '';
    let exitCode: number | null | undefined;
    let closed = false;
    let done = false;
    const finish = (value: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // A shell still running (timeout) goes, with whatever its rc files started in its group.
      if (exitCode === undefined && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      child.stdout?.destroy();
      resolve(value);
    };
    const check = (): void => {
      const i = out.indexOf(start);
      const j = i < 0 ? -1 : out.indexOf(end, i + start.length);
      if (exitCode === 0 && j >= 0) finish(out.slice(i + start.length, j).trim());
      else if (exitCode !== undefined && exitCode !== 0) finish(undefined);
      else if (exitCode === 0 && closed) finish(undefined);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => {
      // Bounded: a chatty rc file can't grow this without limit.
      if (out.length < 1_000_000) out += s;
      check();
    });
    child.stdout?.on('error', () => finish(undefined));
    child.on('error', () => finish(undefined));
    // 'exit' can come before stdout is drained, and 'close' may never come if the rc files
    // started a daemon holding stdout: check on both.
    child.on('exit', (code) => {
      exitCode = code;
      check();
    });
    child.on('close', () => {
      closed = true;
      check();
      finish(undefined);
    });
  });
}

type Probe = 'ok' | 'missing' | 'directory' | 'not-executable';

function probe(file: string, win: boolean): Probe {
  try {
    if (!statSync(file).isFile()) return 'directory';
  } catch {
    return 'missing';
  }
  if (win) return 'ok';
  try {
    accessSync(file, constants.X_OK);
    return 'ok';
  } catch {
    return 'not-executable';
  }
}

export interface CommandLookup {
  /** Absolute path of the executable, when found. */
  path?: string;
  /** Why not, when not found: `missing`, or a candidate that exists but cannot be run. */
  problem?: Exclude<Probe, 'ok'>;
  /** The candidate the problem refers to (for a path-like command, or a non-executable match). */
  candidate?: string;
}

/**
 * Looks a command up the way the child's exec would, but against the given PATH (spawn's
 * own lookup uses the gateway's PATH, not the child's). Sync: a handful of stats, once per start.
 */
export function lookupCommand(
  command: string,
  pathValue: string | undefined,
  platform: NodeJS.Platform = process.platform,
  cwd: string = process.cwd(),
): CommandLookup {
  const win = platform === 'win32';
  const p = win ? nodePath.win32 : nodePath.posix;
  if (command === '') return { problem: 'missing' };
  const exts = win ? windowsExtensions(command) : [''];
  if (command.includes('/') || (win && command.includes('\\'))) {
    // Relative to the child's working directory, as exec resolves it after chdir.
    const base = p.resolve(cwd, command);
    let first: CommandLookup | undefined;
    for (const ext of exts) {
      const r = probe(base + ext, win);
      if (r === 'ok') return { path: base + ext };
      if (r !== 'missing') first ??= { problem: r, candidate: base + ext };
    }
    return first ?? { problem: 'missing', candidate: base };
  }
  let nonExec: CommandLookup | undefined;
  for (let dir of (pathValue ?? '').split(p.delimiter)) {
    if (win) dir = dir.replace(/^"(.*)"$/, '$1');
    // An empty entry means the current directory in POSIX PATH; too surprising to honour.
    if (dir === '') continue;
    for (const ext of exts) {
      const file = p.resolve(cwd, dir, command + ext);
      const r = probe(file, win);
      if (r === 'ok') return { path: file };
      if (r === 'not-executable') nonExec ??= { problem: r, candidate: file };
    }
  }
  return nonExec ?? { problem: 'missing' };
}

/** Absolute path of `command` found via `pathValue`, or undefined. */
export function findExecutable(
  command: string,
  pathValue: string | undefined,
  platform: NodeJS.Platform = process.platform,
  cwd?: string,
): string | undefined {
  return lookupCommand(command, pathValue, platform, cwd).path;
}

/** Windows runs "foo" as foo.exe, foo.cmd, ... (PATHEXT); a name with a known extension as-is. */
function windowsExtensions(command: string): string[] {
  const list = (process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '');
  const ext = nodePath.win32.extname(command).toUpperCase();
  return ext !== '' && list.some((e) => e.toUpperCase() === ext) ? [''] : list;
}
