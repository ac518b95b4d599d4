/**
 * What the private D-Bus sessions of the keychain tests share: the environment of a temporary HOME
 * (no part of the user's own session), and the bus address the started process prints.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

/** PATH and a HOME of its own, with every XDG folder inside it. */
export function sessionEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_RUNTIME_DIR: home,
  };
}

/**
 * The bus address `child` prints (`pick` finds it in what it printed so far), or why it gave none:
 * it exited, or said nothing usable within 15 s (its stderr is in the message).
 */
export function busAddress(
  child: ChildProcess,
  pick: (stdout: string) => string | undefined,
  what: string,
): Promise<string> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${stderr}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const address = pick(stdout);
      if (address === undefined) return;
      clearTimeout(timer);
      resolve(address);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${stderr}`));
    });
  });
}
