/**
 * One change to one client file, end to end: locate, read, edit (the format parses; a file it
 * cannot parse is never written), diff, back up the original before the first change, write
 * atomically, retry when the client wrote the file in between, and check the result.
 */
import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../protocol/errors.ts';
import type { SecretStore } from '../secrets/store.ts';
import { dropBackup, ensureBackup, noteWritten, type BackupRecord } from './backups.ts';
import type { ClientDefinition } from './clients.ts';
import { unifiedDiff } from './diff.ts';
import { disk, locateClient } from './locate.ts';
import {
  assertWritable,
  makeFolder,
  readSnapshot,
  resolveForReading,
  resolveTarget,
  writeAtomicChecked,
  type FileSnapshot,
  type WriteOutcome,
} from './safe-file.ts';
import { createLineRedactor } from './secret-names.ts';
import { joinText, sha256, splitText } from './text.ts';
import type { PathContext } from './types.ts';

export interface InstallerContext extends PathContext {
  /** Switchboard's state folder: backups go to `<stateDir>/backups`. */
  stateDir: string;
  /** Encrypts backups (key in the store) when given and reachable. */
  secrets?: SecretStore;
  now?: () => Date;
}

/** A text edit of a client file's body (BOM removed); `file` is for error messages. */
export type BodyEdit = (body: string, file: string, eol: string) => string;

export interface ChangePlan {
  client: string;
  /** The path the client reads, and the file written (differs for a symlink). */
  path: string;
  target: string;
  exists: boolean;
  before: string;
  after: string;
  /** Unified diff of exactly what changes; secret-looking values masked. '' when nothing does. */
  diff: string;
  /** Names the change itself (the diff's lines taken out and put in), to check a write is the change shown. */
  fingerprint: string;
  changed: boolean;
  warnings: string[];
  /**
   * Why Switchboard will not write this file itself: a symbolic link to a file outside the client's
   * folder (a dotfiles repository; the diff is then the change for the user to make there), or a
   * read-only file.
   */
  refused?: string;
}

export interface ChangeResult {
  plan: ChangePlan;
  written: boolean;
  backup?: BackupRecord;
  /** Set on the first change: where the original was saved. */
  backupCreated?: boolean;
}

/** The config file the client reads (see locate.ts): install, verify, detect and watch all use it. */
export async function clientConfigPath(def: ClientDefinition, ctx: PathContext): Promise<string> {
  return (await locateClient(def.id, ctx)).config;
}

/**
 * What creating `file` means beyond our entry: a client that shows no sign of being on this
 * machine (a mistyped name, or one not installed yet) reads it only once installed; Continue
 * drops its config.json.
 */
async function creationWarnings(def: ClientDefinition, ctx: PathContext, file: string): Promise<string[]> {
  const warnings: string[] = [];
  const { markers } = await locateClient(def.id, ctx);
  if (!(await Promise.all(markers.map(disk.exists))).some(Boolean))
    warnings.push(
      `${def.name} was not found on this machine (none of the folders it makes exists): ${file} is created, ` +
        `and ${def.name} reads it once installed`,
    );
  const sibling = def.supersedes && path.join(path.dirname(file), def.supersedes.file);
  if (sibling && (await disk.exists(sibling))) warnings.push(def.supersedes!.warning(file, sibling));
  return warnings;
}

async function prepare(
  def: ClientDefinition,
  ctx: PathContext,
  edit: BodyEdit,
): Promise<{ plan: ChangePlan; snapshot: FileSnapshot }> {
  const file = await clientConfigPath(def, ctx);
  const linked = await writeTarget(file);
  const { target } = linked;
  const snapshot = await readSnapshot(target);
  // A read-only file is refused as a link out of the folder is: said by the preview, not first by Write.
  const refused = linked.refused ?? (await readOnly(target));
  const { body, shape } = splitText(snapshot.text);
  const newBody = edit(body, file, shape.eol);
  const after = newBody === body ? snapshot.text : joinText(newBody, shape);
  const diff = unifiedDiff(snapshot.text, after, { fromLabel: file, toLabel: file, mapLine: createLineRedactor() });
  const changed = after !== snapshot.text;
  const warnings =
    refused !== undefined
      ? changed
        ? [linked.refused !== undefined ? `${refused}; this is the change to make in ${target}` : refused]
        : []
      : target !== file
        ? [`${file} is a symbolic link; ${target} is the file changed`]
        : [];
  const exists = snapshot.bytes !== null;
  if (!exists && changed) warnings.push(...(await creationWarnings(def, ctx, file)));
  return {
    plan: {
      client: def.id,
      path: file,
      target,
      exists,
      before: snapshot.text,
      after,
      diff,
      fingerprint: changeFingerprint(diff),
      changed,
      warnings,
      ...(refused !== undefined ? { refused } : {}),
    },
    snapshot,
  };
}

/**
 * The file a change is written to. A symbolic link to a file outside the client's folder (a dotfiles
 * repository) is not written through, but its file is read, so a preview shows the change for the user to
 * make there by hand, and a file that already has it needs nothing.
 */
async function writeTarget(file: string): Promise<{ target: string; refused?: string }> {
  try {
    const { target } = await resolveTarget(file, path.dirname(file));
    const refused = await hardLinkRefusal(target);
    return refused === undefined ? { target } : { target, refused };
  } catch (err) {
    if (!(err instanceof GatewayError) || err.code !== 'unsafe_path') throw err;
    const linked = await lstat(file).then(
      (info) => info.isSymbolicLink(),
      () => false,
    );
    const target = linked ? await resolveForReading(file) : file;
    const isFile = await stat(target).then(
      (info) => info.isFile(),
      () => false,
    );
    if (target === file || !isFile) throw err;
    return { target, refused: err.message };
  }
}

/**
 * Why Switchboard does not write `target` when it is a hard link (the same file under other names, a
 * dotfiles folder's say): a write replaces the file (atomically), which would part it from them.
 */
export async function hardLinkRefusal(target: string): Promise<string | undefined> {
  const names = await stat(target).then(
    (info) => info.nlink,
    () => 1,
  );
  if (names <= 1) return undefined;
  return (
    `${target} is a hard link (the same file has ${names - 1} other name${names > 2 ? 's' : ''}, in a dotfiles ` +
    'folder, say); Switchboard changes a file by replacing it, which would part it from them, so it does not ' +
    'write it (edit it by hand, or replace the link with a copy)'
  );
}

/** Why `target` cannot be written as it is (read-only), if so. */
async function readOnly(target: string): Promise<string | undefined> {
  try {
    await assertWritable(target);
    return undefined;
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'unsafe_path') return err.message;
    throw err;
  }
}

export async function planChange(def: ClientDefinition, ctx: PathContext, edit: BodyEdit): Promise<ChangePlan> {
  return (await prepare(def, ctx, edit)).plan;
}

/**
 * The lines a diff takes out and puts in, hashed. Its context and line numbers are left out: a client that
 * saved something else in the file (Claude Code does, all the time) has not changed what the write does.
 */
export function changeFingerprint(diff: string): string {
  const changes = diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
  return sha256(Buffer.from(changes.join('\n'), 'utf8'));
}

const ATTEMPTS = 4;

/**
 * Applies `edit`. If the file changes between reading and renaming (the client saved it), the
 * edit is redone on the new content, up to 4 times, then 'client_config_conflict'. `moved` names
 * the client's servers the edit takes out (adoption), for a later restore to put back. `shown`: the
 * fingerprint of the change the user was shown; a file that now needs another change is not written.
 */
export async function applyChange(
  def: ClientDefinition,
  ctx: InstallerContext,
  edit: BodyEdit,
  moved: readonly string[] = [],
  shown?: string,
): Promise<ChangeResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { plan, snapshot } = await prepare(def, ctx, edit);
    if (shown !== undefined && attempt === 0 && plan.fingerprint !== shown)
      throw new GatewayError(
        'client_config_conflict',
        `${plan.path} changed since the change was shown (${def.name} or someone saved it); nothing was written: ` +
          'look at the change as it is now, and write it if it is still what you want',
        { field: 'fingerprint' },
      );
    if (!plan.changed) return { plan, written: false };
    if (plan.refused !== undefined) throw new GatewayError('unsafe_path', plan.refused);
    await assertWritable(plan.target);
    const backup = await ensureBackup(
      ctx.stateDir,
      def.id,
      plan,
      snapshot.bytes,
      ctx.secrets,
      (ctx.now ?? (() => new Date()))(),
    );
    if (backup.warning) plan.warnings.push(backup.warning);
    // The backup must hold what was there before our first change: one made for a write that did
    // not happen (the client replaced the file, or the system refused it) would later restore a
    // version the user has since edited.
    let outcome: WriteOutcome | 'overwritten';
    // The folders made for a new file, for a restore to remove with it.
    let createdFolder: string | undefined;
    // Encoded once: written, and hashed for the record.
    const data = Buffer.from(plan.after, 'utf8');
    try {
      if (snapshot.bytes === null) createdFolder = await makeFolder(plan.target);
      outcome = await writeAtomicChecked(plan.target, data, snapshot.hash);
    } catch (err) {
      if (backup.created) await dropBackup(ctx.stateDir, backup.record);
      throw err;
    }
    if (outcome === 'conflict') {
      if (backup.created) await dropBackup(ctx.stateDir, backup.record);
      continue;
    }
    const record = await noteWritten(
      ctx.stateDir,
      backup.record,
      sha256(data),
      snapshot.hash,
      moved,
      backup.created ? createdFolder : undefined,
    );
    if (outcome === 'overwritten') {
      throw new GatewayError(
        'client_config_conflict',
        `${plan.path} changed right after Switchboard wrote it; run the command again`,
      );
    }
    return { plan, written: true, backup: record, backupCreated: backup.created };
  }
  throw new GatewayError(
    'client_config_conflict',
    `${def.name} kept rewriting ${await clientConfigPath(def, ctx)} while ` +
      `Switchboard tried to change it; close ${def.name} and try again`,
  );
}
