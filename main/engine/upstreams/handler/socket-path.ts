/**
 * What is at a Unix socket path a connection was refused at. Linux refuses a connection to a
 * regular file or a folder as it does one to a socket nobody listens on ("connection refused"),
 * which sends the user looking for a server that is not the problem.
 */
import { lstatSync } from 'node:fs';
import { userInfo } from 'node:os';

/** Why `path` cannot be a socket (it is a file or a folder), or undefined when it may be one. */
export function notASocket(path: string): string | undefined {
  try {
    const stat = lstatSync(path);
    if (stat.isSocket() || stat.isSymbolicLink()) return undefined;
    const what = stat.isDirectory() ? 'a folder' : stat.isFile() ? 'a regular file' : 'not a socket';
    return `${path} is ${what}, not a socket: the address must be the socket the handler listens on`;
  } catch {
    return undefined;
  }
}

/**
 * Why a connection to the socket at `path` was refused with EACCES, in facts a user can act on: who
 * may connect (its owner, group and mode) and who Switchboard runs as, or that a folder on the way
 * may not be entered (`folder`). Undefined where there is nothing to add (Windows' named pipes).
 */
export function socketPermissionFacts(path: string): { facts: string; folder: boolean } | undefined {
  if (process.platform === 'win32' || !process.getuid) return undefined;
  const me = whoAmI();
  try {
    const stat = lstatSync(path);
    const mode = (stat.mode & 0o777).toString(8);
    return {
      facts: `${path} belongs to uid ${stat.uid} and gid ${stat.gid}, mode ${mode}, and Switchboard runs as ${me}`,
      folder: false,
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') return undefined;
    return { facts: `a folder on the way to ${path} may not be entered by ${me}`, folder: true };
  }
}

function whoAmI(): string {
  const uid = process.getuid?.() ?? -1;
  const groups = process.getgroups?.() ?? [];
  const ids = `uid ${uid}${groups.length ? `, groups ${groups.join(' ')}` : ''}`;
  try {
    return `${userInfo().username} (${ids})`;
  } catch {
    // A uid with no entry in the user database (a container's): the numbers say it.
    return ids;
  }
}
