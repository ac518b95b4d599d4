/**
 * Backups of client files, taken before Switchboard first changes one and kept until it is
 * restored: `<state dir>/backups/` (mode 0700), one record per client and the original bytes.
 * The copy can hold the very secrets adoption moves to the keychain, so it is encrypted
 * (AES-256-GCM) with a key kept in the secret store when one is reachable; when none is, the
 * copy is plain (mode 0600) and the result says so.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../protocol/errors.ts';
import type { SecretStore } from '../secrets/store.ts';
import { writeAtomic } from './safe-file.ts';
import { sha256 } from './text.ts';

/** The secret-store entry holding the backup key. Removing it makes encrypted backups unreadable. */
export const BACKUP_KEY_NAME = 'switchboard.backup-key';
const MAGIC = Buffer.from('SBBACKUP1\n');

export interface BackupRecord {
  version: 1;
  client: string;
  /** The path the client uses, and the file written (they differ for a symlink). */
  path: string;
  target: string;
  createdAt: string;
  /** False when the file did not exist before Switchboard created it: restoring removes it. */
  existed: boolean;
  /** sha256 of the original bytes. */
  hash: string | null;
  file?: string;
  encrypted: boolean;
  /** sha256 of what Switchboard last wrote (to tell its own writes from the client's). */
  lastWritten?: string;
  /**
   * The client or the user changed the file between two of Switchboard's writes: a restore then
   * keeps the current file aside even when it is what Switchboard last wrote (that write carried
   * their changes along).
   */
  othersEdited?: boolean;
  /** The original file's permission bits: a restore that has to create the file again gives them back. */
  mode?: number;
  /**
   * The client's servers Switchboard took out of the file (adopted), which a restore of only the
   * server section puts back; a server of the original missing from the file and not listed here was
   * removed in the client. Records made before this was kept lack it: every missing server comes back.
   */
  moved?: string[];
  /**
   * The outermost folder Switchboard made for a file that did not exist (a client not installed, or
   * never set up): a restore that removes the file removes the folders it made too, those left empty,
   * so the client does not read as found on this machine afterwards.
   */
  createdFolder?: string;
}

export function backupDir(stateDir: string): string {
  return path.join(stateDir, 'backups');
}

function recordPath(stateDir: string, client: string): string {
  return path.join(backupDir(stateDir), `${client}.json`);
}

/** The clients whose backup is encrypted with the backup key: it must stay while there are any. */
export async function clientsBackedUpWithKey(stateDir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(backupDir(stateDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const clients: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.json'))) {
    const record = await readBackupRecord(stateDir, file.slice(0, -'.json'.length));
    if (record?.encrypted) clients.push(record.client);
  }
  return clients.sort();
}

/**
 * Why the secret `name` may not be removed or replaced now: the backup key, while backups need it
 * (it was listed with the user's secrets, and `secrets rm` took it without a word, leaving
 * `switchboard restore` unable to read them). Undefined for any other name, or when none needs it.
 */
export async function backupKeyProblem(name: string, stateDir: string): Promise<string | undefined> {
  if (name !== BACKUP_KEY_NAME) return undefined;
  const clients = await clientsBackedUpWithKey(stateDir);
  if (clients.length === 0) return undefined;
  return (
    `"${BACKUP_KEY_NAME}" is Switchboard's own: it decrypts the backups of ${clients.join(', ')} (the original ` +
    'files switchboard restore puts back), which would be unreadable without it; it can go once they are ' +
    `restored (switchboard restore ${clients.join(' ')})`
  );
}

export async function readBackupRecord(stateDir: string, client: string): Promise<BackupRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordPath(stateDir, client), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as BackupRecord;
  } catch {
    throw new GatewayError(
      'config_invalid',
      `${recordPath(stateDir, client)}: the backup record is damaged; the original is in ${backupDir(stateDir)}`,
    );
  }
}

async function writeRecord(stateDir: string, record: BackupRecord): Promise<void> {
  await writeAtomicOverwrite(recordPath(stateDir, record.client), JSON.stringify(record, null, 2) + '\n');
}

async function writeAtomicOverwrite(file: string, data: string | Buffer): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readFile(file).catch(() => null);
    if ((await writeAtomic(file, data, current ? sha256(current) : null)) === 'written') return;
  }
  throw new GatewayError('client_config_conflict', `${file} keeps changing; try again`);
}

/** How long a claim on making the backup key stands before it counts as left by a process that died. */
const KEY_CLAIM_STALE_MS = 60_000;

/**
 * The backup key, made on the first backup. Backups made at once (installs into several clients
 * side by side, the app's and a terminal's) must not each make one: the last key stored would
 * leave the others' backups unreadable. So one claims the making with a file in the backup folder
 * (created exclusively) and the others wait for its key.
 */
async function backupKey(secrets: SecretStore, stateDir: string): Promise<Buffer> {
  const claim = path.join(backupDir(stateDir), 'backup-key.claim');
  for (;;) {
    const existing = await secrets.get(BACKUP_KEY_NAME);
    if (existing) return Buffer.from(existing, 'base64');
    try {
      await writeFile(claim, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = await stat(claim).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (since > KEY_CLAIM_STALE_MS) await rm(claim, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    try {
      // Made by another install between the read above and the claim.
      const made = await secrets.get(BACKUP_KEY_NAME);
      if (made) return Buffer.from(made, 'base64');
      const key = randomBytes(32);
      await secrets.set(BACKUP_KEY_NAME, key.toString('base64'));
      return key;
    } finally {
      await rm(claim, { force: true });
    }
  }
}

function encrypt(key: Buffer, data: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(data), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, data: Buffer, file: string): Buffer {
  if (!data.subarray(0, MAGIC.length).equals(MAGIC))
    throw new GatewayError('config_invalid', `${file} is not a Switchboard backup`);
  const iv = data.subarray(MAGIC.length, MAGIC.length + 12);
  const tag = data.subarray(MAGIC.length + 12, MAGIC.length + 28);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data.subarray(MAGIC.length + 28)), decipher.final()]);
  } catch {
    throw new GatewayError(
      'config_invalid',
      `${file} cannot be decrypted with the backup key in the secret store (was ${BACKUP_KEY_NAME} replaced?)`,
    );
  }
}

export interface BackupOutcome {
  record: BackupRecord;
  /** True when this call made the backup (the first change). */
  created: boolean;
  /** Set when the copy could not be encrypted. */
  warning?: string;
}

/** Backs the original up unless a backup for this client exists already. */
export async function ensureBackup(
  stateDir: string,
  client: string,
  file: { path: string; target: string },
  original: Buffer | null,
  secrets: SecretStore | undefined,
  now: Date,
): Promise<BackupOutcome> {
  const existing = await readBackupRecord(stateDir, client);
  if (existing && !samePath(existing.path, file.path))
    throw new GatewayError(
      'client_config_conflict',
      `Switchboard's backup of ${client} is of ${existing.path}, but its config is now ${file.path} ` +
        `(set elsewhere by a variable, or another build of the client): restore ${client} first (that puts ` +
        `${existing.path} back), then install again`,
    );
  if (existing) return { record: existing, created: false };
  const dir = backupDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const record: BackupRecord = {
    version: 1,
    client,
    path: file.path,
    target: file.target,
    createdAt: now.toISOString(),
    existed: original !== null,
    hash: original ? sha256(original) : null,
    encrypted: false,
    moved: [],
  };
  let warning: string | undefined;
  if (original) {
    try {
      record.mode = (await stat(file.target)).mode & 0o777;
    } catch {
      // Gone since it was read: a restore then creates it private (0600), as without a mode.
    }
    let data = original;
    if (secrets) {
      try {
        data = encrypt(await backupKey(secrets, stateDir), original);
        record.encrypted = true;
      } catch (err) {
        // The keychain's own error explains how to start one at length; here the point is the backup.
        const why =
          err instanceof GatewayError && err.code === 'secret_store_unavailable'
            ? 'the OS keychain that would hold its key is not available here'
            : `its key could not be read from the keychain: ${(err as Error).message.split('\n')[0]}`;
        warning = `the backup of the original file is not encrypted (${why}); it is readable only by you (mode 0600)`;
      }
    } else {
      warning =
        'the backup of the original file is not encrypted (there is no keychain to hold its key); ' +
        'it is readable only by you (mode 0600)';
    }
    const stamp = record.createdAt.replace(/[:.]/g, '-');
    record.file = path.join(dir, `${client}-${stamp}-${path.basename(file.path)}${record.encrypted ? '.enc' : ''}`);
    await writeFile(record.file, data, { mode: 0o600, flag: 'wx' });
  }
  await writeRecord(stateDir, record);
  return { record, created: true, ...(warning ? { warning } : {}) };
}

/** The original bytes (null: there was no file). */
export async function readBackup(record: BackupRecord, secrets: SecretStore | undefined): Promise<Buffer | null> {
  if (!record.existed || !record.file) return null;
  let data: Buffer;
  try {
    data = await readFile(record.file);
  } catch (err) {
    throw new GatewayError('not_found', `the backup ${record.file} is missing: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!record.encrypted) return data;
  if (!secrets)
    throw new GatewayError(
      'secret_store_unavailable',
      `${record.file} is encrypted and no secret store is available to decrypt it`,
    );
  const key = await secrets.get(BACKUP_KEY_NAME);
  if (!key)
    throw new GatewayError(
      'secret_missing',
      `${record.file} is encrypted, but the key ${BACKUP_KEY_NAME} is not in the secret store`,
    );
  const plain = decrypt(Buffer.from(key, 'base64'), data, record.file);
  if (record.hash && sha256(plain) !== record.hash)
    throw new GatewayError('config_invalid', `${record.file} does not match its record (damaged backup)`);
  return plain;
}

/**
 * Notes Switchboard's write of `hash`; `replaced` is the hash of the file it replaced, which is
 * not Switchboard's last write when someone else changed the file in between. `moved` names the
 * client's servers that write took out of the file.
 */
export async function noteWritten(
  stateDir: string,
  record: BackupRecord,
  hash: string,
  replaced: string | null,
  moved: readonly string[] = [],
  createdFolder?: string,
): Promise<BackupRecord> {
  const editedBetween = record.lastWritten !== undefined && replaced !== record.lastWritten;
  const updated: BackupRecord = { ...record, lastWritten: hash };
  // Only for the file the record says did not exist: a folder made later (the file and its folder
  // deleted since) was the user's to delete, and is made again as theirs.
  if (!record.existed && record.createdFolder === undefined && createdFolder !== undefined)
    updated.createdFolder = createdFolder;
  if (record.othersEdited || editedBetween) updated.othersEdited = true;
  if (record.moved && moved.length > 0) updated.moved = [...new Set([...record.moved, ...moved])];
  await writeRecord(stateDir, updated);
  return updated;
}

/** Deletes the record and the copy (after a restore). */
export async function dropBackup(stateDir: string, record: BackupRecord): Promise<void> {
  if (record.file) await rm(record.file, { force: true });
  await rm(recordPath(stateDir, record.client), { force: true });
}

/**
 * What the last restore left the client's file as: its hash, or "none" when it removed the file.
 * Beside the backups, not among them: a restore leaves no backup behind.
 */
function restoredPath(stateDir: string, client: string): string {
  return path.join(stateDir, 'restores', client);
}

/**
 * Notes what a restore left the file as, once its record is gone: a watcher reading the file then
 * knows the entry went with Switchboard's restore, not with the client's rewrite. Best effort: a
 * restore that could not note it is still done.
 */
export async function noteRestored(stateDir: string, client: string, hash: string | null): Promise<void> {
  // Only a watcher's word on who removed the entry depends on it: a restore done is not failed for it.
  const file = restoredPath(stateDir, client);
  await Promise.allSettled([
    mkdir(path.dirname(file), { recursive: true, mode: 0o700 }).then(() =>
      writeFile(file, hash ?? 'none', { mode: 0o600 }),
    ),
  ]);
}

/** Whether the file, as `hash` says it is now, is what the last restore left (see noteRestored). */
export async function leftByRestore(stateDir: string, client: string, hash: string | null): Promise<boolean> {
  try {
    return (await readFile(restoredPath(stateDir, client), 'utf8')) === (hash ?? 'none');
  } catch {
    return false;
  }
}

/**
 * Keeps `data` (the client's file as it was just before a restore) beside the backups, in plain
 * text, mode 0600, named like the client's file: it is there for a person to open and compare.
 * It holds what the client's file held, which the restore replaces with the original (plain
 * text too, and usually with more in it: the tokens adoption had moved out).
 */
export async function keepCopy(
  stateDir: string,
  client: string,
  clientPath: string,
  data: Buffer,
  now: Date,
  replacing?: string,
): Promise<string> {
  // A restore tried again (the client saved meanwhile) replaces its own copy with the newer content.
  if (replacing !== undefined) {
    await writeFile(replacing, data, { mode: 0o600 });
    return replacing;
  }
  const dir = backupDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${client}-before-restore-${stamp}-${path.basename(clientPath)}`);
  await writeFile(file, data, { mode: 0o600, flag: 'wx' });
  return file;
}

/** Whether two paths name the same file (letter case aside where the file system ignores it). */
function samePath(a: string, b: string): boolean {
  const fold = process.platform === 'win32' || process.platform === 'darwin';
  const norm = (p: string) => (fold ? path.resolve(p).toLowerCase() : path.resolve(p));
  return norm(a) === norm(b);
}
