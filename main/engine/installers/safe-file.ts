/**
 * Reading and writing a client's file safely: symlinks are followed only to a target inside the
 * folder the client uses; writes are atomic (temp file in the same folder, fsync, rename) and
 * keep the file's mode; a write is refused if the file changed since it was read.
 */
import { randomBytes } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { chown, lstat, mkdir, open, readFile, realpath, rename, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../protocol/errors.ts';
import { sha256 } from './text.ts';

export interface FileTarget {
  /** The path the client uses. */
  path: string;
  /** The file actually read and written (the symlink's target, when it is one). */
  target: string;
}

export interface FileSnapshot {
  /** null when the file does not exist. */
  bytes: Buffer | null;
  text: string;
  hash: string | null;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realOrResolved(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The file to read for `file`, wherever a symlink leads (a dotfiles repository, say): reading the
 * user's own file is harmless, and only writes are kept inside the client's folder.
 */
export async function resolveForReading(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Missing, or a link to nothing: read as missing here; a write says what is wrong with it.
    return file;
  }
}

/**
 * Resolves the file a client uses, for writing. A symlink is followed only when its target lies
 * inside the client's folder (`expectedDir`); anything else is refused with 'unsafe_path'.
 */
export async function resolveTarget(file: string, expectedDir: string = path.dirname(file)): Promise<FileTarget> {
  const base = await realOrResolved(expectedDir);
  let info;
  try {
    info = await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const dir = await realOrResolved(path.dirname(file));
      const target = path.join(dir, path.basename(file));
      if (!isInside(target, base))
        throw new GatewayError(
          'unsafe_path',
          `${file}: its folder resolves to ${dir}, outside ${base}; Switchboard does not write there`,
        );
      return { path: file, target };
    }
    throw new GatewayError('config_unreadable', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let target = file;
  if (info.isSymbolicLink()) {
    try {
      target = await realpath(file);
    } catch (err) {
      throw new GatewayError(
        'unsafe_path',
        `${file} is a symbolic link to a file that does not exist; fix or remove the link`,
        { cause: err },
      );
    }
    if (!isInside(target, base)) {
      throw new GatewayError(
        'unsafe_path',
        `${file} is a symbolic link to ${target}, outside ${base}; Switchboard does not write through it ` +
          `(edit the file by hand, or replace the link with a file)`,
      );
    }
  } else {
    target = path.join(await realOrResolved(path.dirname(file)), path.basename(file));
    if (!isInside(target, base))
      throw new GatewayError(
        'unsafe_path',
        `${file} resolves to ${target}, outside ${base}; Switchboard does not write there`,
      );
  }
  const real = await stat(target);
  if (!real.isFile()) throw new GatewayError('unsafe_path', `${file} is not a regular file`);
  return { path: file, target };
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The file's bytes, null when it does not exist. */
export async function readBytes(target: string): Promise<Buffer | null> {
  try {
    return await readFile(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new GatewayError('config_unreadable', `cannot read ${target}: ${(err as Error).message}`, { cause: err });
  }
}

/** The file's bytes and text, without its hash: for a read that only looks (hashing 20 MB is not free). */
export async function readText(target: string): Promise<Omit<FileSnapshot, 'hash'>> {
  const bytes = await readBytes(target);
  if (bytes === null) return { bytes: null, text: '' };
  try {
    return { bytes, text: decoder.decode(bytes) };
  } catch {
    throw new GatewayError('config_invalid', `${target}: not UTF-8 text (the file was not changed)`);
  }
}

export async function readSnapshot(target: string): Promise<FileSnapshot> {
  const { bytes, text } = await readText(target);
  return { bytes, text, hash: bytes === null ? null : sha256(bytes) };
}

/** The hash of the file's bytes (null: no file), to tell whether someone changed it; not decoded. */
async function currentHash(target: string): Promise<string | null> {
  const bytes = await readBytes(target);
  return bytes === null ? null : sha256(bytes);
}

/** Refuses files the user made read-only (the mode bits, so it holds for root too). */
export async function assertWritable(target: string): Promise<void> {
  try {
    const info = await stat(target);
    if ((info.mode & 0o200) === 0) {
      throw new GatewayError(
        'unsafe_path',
        `${target} is read-only; make it writable (chmod u+w) if Switchboard should change it`,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export type WriteOutcome = 'written' | 'conflict';

/**
 * Atomically replaces `target` with `data` if its current content still hashes to `expectHash`
 * (null: it must still not exist). Creates missing parent folders. Returns 'conflict' when the
 * file changed in the meantime; nothing is written then.
 */
export async function writeAtomic(
  target: string,
  data: string | Buffer,
  expectHash: string | null,
  newFileMode = 0o600,
): Promise<WriteOutcome> {
  return (await replaceExplained(target, data, expectHash, newFileMode)).outcome;
}

/** Up to this size a written file is read back to be checked; larger ones by their status (below). */
const READ_BACK_MAX_BYTES = 1 << 20;

/**
 * writeAtomic, then 'overwritten' when the file at `target` right after is not the one written.
 * Read back up to READ_BACK_MAX_BYTES; a larger file (Claude Code's can be tens of megabytes) is told
 * from its status: another program replaced it (a new inode) or wrote into it (another size or
 * modification time; a rewrite of the same size within the file system's time resolution passes).
 */
export async function writeAtomicChecked(
  target: string,
  data: string | Buffer,
  expectHash: string | null,
  newFileMode = 0o600,
): Promise<WriteOutcome | 'overwritten'> {
  const result = await replaceExplained(target, data, expectHash, newFileMode);
  if (result.outcome === 'conflict') return 'conflict';
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length <= READ_BACK_MAX_BYTES) return (await readBytes(target))?.equals(bytes) ? 'written' : 'overwritten';
  let now: BigIntStats;
  try {
    now = await stat(target, { bigint: true });
  } catch {
    return 'overwritten'; // removed (or moved away) since: not the file written either
  }
  const same = (key: 'dev' | 'ino' | 'size' | 'mtimeNs') => now[key] === result.written?.[key];
  // A rename on FAT keeps no file ID on Windows.
  const sameFile = process.platform === 'win32' || (same('dev') && same('ino'));
  return sameFile && same('size') && same('mtimeNs') ? 'written' : 'overwritten';
}

/** replaceFile, a refusal of the system said as what to do about it. */
async function replaceExplained(...args: Parameters<typeof replaceFile>): ReturnType<typeof replaceFile> {
  try {
    return await replaceFile(...args);
  } catch (err) {
    throw unwritable(err, args[0]);
  }
}

async function replaceFile(
  target: string,
  data: string | Buffer,
  expectHash: string | null,
  newFileMode: number,
): Promise<{ outcome: WriteOutcome; written?: BigIntStats }> {
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  let mode = newFileMode;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const info = await stat(target);
    mode = info.mode & 0o7777;
    owner = { uid: info.uid, gid: info.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = path.join(dir, `.${path.basename(target)}.switchboard-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  let written: BigIntStats;
  try {
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      // Running as another user (root, an installer): the file keeps its owner, or is not written.
      if (owner && process.getuid && owner.uid !== process.getuid()) {
        await chown(temp, owner.uid, owner.gid).catch((err: unknown) => {
          throw (err as NodeJS.ErrnoException).code === 'EPERM' ? ownedByOther(target, owner.uid, err) : err;
        });
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Once closed (Windows may set the modification time only then), and before the rename, which keeps
    // the inode, size and modification time.
    written = await stat(temp, { bigint: true });
    if ((await currentHash(target)) !== expectHash) {
      await unlink(temp);
      return { outcome: 'conflict' };
    }
    await rename(temp, target).catch((err: unknown) => {
      throw lockedFile(err, target);
    });
  } catch (err) {
    // The temp file may be gone already; the error is what matters.
    await Promise.allSettled([unlink(temp)]);
    throw err;
  }
  await syncDir(dir);
  return { outcome: 'written', written };
}

/** A write the system refused, said as what to do about it (the raw error names a temporary file). */
function unwritable(err: unknown, target: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return err;
  const dir = path.dirname(target);
  const why = code === 'EROFS' ? `${dir} is on a read-only file system` : `this user may not create files in ${dir}`;
  return new GatewayError('unsafe_path', `cannot write ${target}: ${why}; make the folder writable and try again`, {
    cause: err,
  });
}

/**
 * The folder took the temporary file, but the file would not be replaced: it is locked (Locked in
 * Finder, an immutable flag) or, on Windows, held open by a program.
 */
function lockedFile(err: unknown, target: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EBUSY') return err;
  return new GatewayError(
    'unsafe_path',
    `cannot replace ${target}: the file is locked or in use (Locked in Finder, an immutable flag, or a program ` +
      'holding it open); unlock or close it and try again',
    { cause: err },
  );
}

/** The file belongs to someone else (often root, after a run with sudo): it is not taken over silently. */
function ownedByOther(target: string, uid: number, err: unknown): GatewayError {
  return new GatewayError(
    'unsafe_path',
    `cannot write ${target}: it belongs to another user (uid ${uid}, perhaps from a run with sudo), and Switchboard ` +
      "keeps a file's owner; make it yours (chown) or run as its owner",
    { cause: err },
  );
}

/** Makes the rename durable (POSIX; Windows has no directory handles to sync). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some file systems cannot sync a directory; the rename is done, only its durability is not promised.
  } finally {
    await handle?.close();
  }
}

/** Makes the folder of `file` and those above it that are missing; the outermost one made, if any. */
export async function makeFolder(file: string): Promise<string | undefined> {
  try {
    return await mkdir(path.dirname(file), { recursive: true });
  } catch (err) {
    throw unwritable(err, file);
  }
}

/**
 * Removes the folders Switchboard made for a file (see makeFolder) once the file is gone: from the
 * file's folder up to `outermost`, each only while empty (the client or the user may keep files there).
 */
export async function removeMadeFolders(file: string, outermost: string): Promise<void> {
  const top = path.resolve(outermost);
  for (let dir = path.dirname(path.resolve(file)); isInside(dir, top); dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty, or not ours to remove any more: it stays, and so do those above it
    }
    if (dir === top) return;
  }
}

/** Removes the file if it still hashes to `expectHash`. */
export async function removeIfUnchanged(target: string, expectHash: string): Promise<WriteOutcome> {
  if ((await currentHash(target)) !== expectHash) return 'conflict';
  await unlink(target);
  await syncDir(path.dirname(target));
  return 'written';
}
