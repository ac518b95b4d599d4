/**
 * The bearer token of the control API over HTTP: 64 hex characters in a 0600 file `api-token`
 * inside a private directory (the runtime directory), created on first use and then reused so a
 * browser tab or test harness that read it keeps working across gateway restarts.
 *
 * (The shim's `ensureToken` in downstream/socket-listener.ts does the same for a fixed file name;
 * it is not reused because its file name is not a parameter.)
 */
import { constants as fsConstants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir } from '../downstream/socket-listener.ts';
import { GatewayError, errorMessage } from '../protocol/errors.ts';

export const API_TOKEN_FILE = 'api-token';
const TOKEN_RE = /^[0-9a-f]{64}$/;
const isWindows = process.platform === 'win32';

export function apiTokenPath(dir: string): string {
  return path.join(dir, API_TOKEN_FILE);
}

/** The token in `file` if it is a regular file of ours (not a link), private, holding a valid token. */
async function readValidToken(file: string): Promise<string | undefined> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayError('internal', `cannot inspect ${file}: ${errorMessage(err)}`, { cause: err });
  }
  if (!st.isFile()) return undefined;
  if (!isWindows) {
    if ((st.mode & 0o077) !== 0) return undefined;
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return undefined;
  }
  try {
    const text = await fs.readFile(file, {
      encoding: 'utf8',
      flag: fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0),
    });
    const token = text.trim();
    return TOKEN_RE.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

/** The token a gateway stored in `dir`, without creating one (for the CLI talking to it). */
export function readApiToken(dir: string): Promise<string | undefined> {
  return readValidToken(apiTokenPath(dir));
}

/**
 * Returns the API token stored in `<dir>/api-token`, creating the directory (0700) and the file
 * (0600) when missing. A file that is not private, not ours, a symlink or not a valid token is
 * replaced. Two gateways starting at once agree on one token: the file is created with link(),
 * which fails when the other one got there first, and then its token is read.
 */
export async function ensureApiToken(dir: string): Promise<string> {
  await ensurePrivateDir(dir);
  const file = apiTokenPath(dir);
  const existing = await readValidToken(file);
  if (existing !== undefined) return existing;

  const token = randomBytes(32).toString('hex');
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', 0o600);
    await handle.writeFile(`${token}\n`, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    try {
      await fs.link(tmp, file);
      return token;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Someone else's file: theirs if valid (a concurrent start), otherwise replace it.
    const theirs = await readValidToken(file);
    if (theirs !== undefined) return theirs;
    await fs.rename(tmp, file);
    return token;
  } catch (err) {
    throw new GatewayError('internal', `cannot write the API token file ${file}: ${errorMessage(err)}`, { cause: err });
  } finally {
    // Tidying after success or failure: what matters (the token, or the error) is decided above.
    await Promise.allSettled([handle?.close(), fs.rm(tmp, { force: true })]);
  }
}
