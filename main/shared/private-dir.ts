/**
 * The check that the runtime directory is private: a real directory (not a symlink), owned by
 * this user, mode exactly 0700. The gateway refuses to listen in anything else, and the shim
 * refuses to send its token or the client's traffic into anything else (someone else's
 * directory could hold an impostor's socket). On Windows the directory only holds the token.
 */
import { lstat } from 'node:fs/promises';

export type PrivateDirCheck =
  | { ok: true }
  | { ok: false; missing: true; message: string }
  | { ok: false; missing: false; security: boolean; message: string };

export async function checkPrivateDir(
  dir: string,
  platform: NodeJS.Platform = process.platform,
): Promise<PrivateDirCheck> {
  let st;
  try {
    st = await lstat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, message: `the runtime directory ${dir} does not exist` };
    return {
      ok: false,
      missing: false,
      security: false,
      message: `cannot inspect the runtime directory ${dir}: ${(err as Error).message}`,
    };
  }
  if (st.isSymbolicLink()) {
    return {
      ok: false,
      missing: false,
      security: true,
      message:
        `the runtime directory ${dir} is a symbolic link; refusing to use it (remove it and ` +
        `Switchboard will create a private one)`,
    };
  }
  if (!st.isDirectory())
    return {
      ok: false,
      missing: false,
      security: false,
      message: `the runtime directory ${dir} exists but is not a directory`,
    };
  if (platform === 'win32') return { ok: true };
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    return {
      ok: false,
      missing: false,
      security: true,
      message:
        `the runtime directory ${dir} is owned by uid ${st.uid}, ` +
        `not by this user (uid ${uid}); refusing to use it`,
    };
  }
  if ((st.mode & 0o777) !== 0o700) {
    const mode = '0' + (st.mode & 0o777).toString(8).padStart(3, '0');
    return {
      ok: false,
      missing: false,
      security: true,
      message: `the runtime directory ${dir} has mode ${mode}, it must be 0700 (fix with: chmod 700 '${dir}')`,
    };
  }
  return { ok: true };
}
