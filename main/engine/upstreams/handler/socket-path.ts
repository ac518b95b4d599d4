/**
 * What is at a Unix socket path a connection was refused at. Linux refuses a connection to a
 * regular file or a folder as it does one to a socket nobody listens on ("connection refused"),
 * which sends the user looking for a server that is not the problem.
 */
import { lstatSync } from 'node:fs';

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
