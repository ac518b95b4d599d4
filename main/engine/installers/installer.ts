/** What the CLI and the app do with one client: detect, install, uninstall, verify, restore. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ClientConfigState, ClientEntryKind } from '../../../preload/contract/index.ts';
import { isDeepStrictEqual } from 'node:util';
import { displayUrl } from '../egress/network-errors.ts';
import { GatewayError, errorMessage } from '../protocol/errors.ts';
import { dropBackup, keepCopy, noteRestored, readBackup, readBackupRecord, type BackupRecord } from './backups.ts';
import { clientDefinition, CLIENTS, type ClientDefinition } from './clients.ts';
import {
  applyChange,
  clientConfigPath,
  hardLinkRefusal,
  planChange,
  type ChangePlan,
  type ChangeResult,
  type InstallerContext,
} from './client-file.ts';
import { entriesOf } from './entries-cache.ts';
import { disk, locateClient } from './locate.ts';
import {
  assertWritable,
  readSnapshot,
  readText,
  removeIfUnchanged,
  removeMadeFolders,
  resolveForReading,
  resolveTarget,
  writeAtomicChecked,
} from './safe-file.ts';
import { profileOf, shimCommand } from './shim-entry.ts';
import { joinText, sha256, splitText } from './text.ts';
import { ENTRY_NAME, type ClientId, type ClientServer, type PathContext, type ShimCommand } from './types.ts';

/** Where a client stands with Switchboard: the contract's ClientConfigState, which the UI shows as is. */
export type ClientState = ClientConfigState;

export interface ClientStatus {
  id: ClientId;
  name: string;
  path: string;
  detected: boolean;
  configExists: boolean;
  state: ClientState;
  problem?: string;
  /** Names of the other servers in the file. */
  servers: string[];
  /** The profile our entry starts, when installed. */
  profile?: string;
  /** The kind of our entry, when installed: the desktop app's or the command line's. */
  entry?: ClientEntryKind;
  /** The program and script our entry starts, as the file has them. */
  program?: string;
  script?: string;
  /** Why the entry is 'outdated'. */
  outdatedBecause?: string;
  /** The kind of entry install writes here (from the shim given; none when that cannot write one). */
  installs?: ClientEntryKind;
  backup?: { createdAt: string; file?: string };
}

/** `file` is given when the caller located it already (one lookup, one answer). */
async function readEntries(
  def: ClientDefinition,
  ctx: PathContext,
  located?: string,
): Promise<{ path: string; exists: boolean; entries: [string, unknown][] }> {
  const file = located ?? (await clientConfigPath(def, ctx));
  const target = await resolveForReading(file);
  let exists = true;
  const entries = await entriesOf(def.id, target, async () => {
    const snapshot = await readText(target);
    exists = snapshot.bytes !== null;
    return def.format.read(splitText(snapshot.text).body, file);
  });
  return { path: file, exists, entries };
}

/**
 * `shim` (or a function giving the shim for the entry's profile) lets an installed entry that
 * differs from what install would write show as 'outdated'.
 */
export async function detectClient(
  id: ClientId | string,
  ctx: InstallerContext,
  shim?: ShimCommand | ((profile: string) => ShimCommand),
): Promise<ClientStatus> {
  const def = clientDefinition(id);
  const { config: file, markers } = await locateClient(def.id, ctx);
  const configExists = await disk.exists(file);
  const detected = configExists || (await Promise.all(markers.map(disk.exists))).some(Boolean);
  let record: Awaited<ReturnType<typeof readBackupRecord>>;
  let backupProblem: string | undefined;
  try {
    record = await readBackupRecord(ctx.stateDir, def.id);
  } catch (err) {
    backupProblem = errorMessage(err);
  }
  const base = {
    id: def.id,
    name: def.name,
    path: file,
    detected,
    configExists,
    ...(record ? { backup: { createdAt: record.createdAt, ...(record.file ? { file: record.file } : {}) } } : {}),
    ...(backupProblem ? { problem: backupProblem } : {}),
  };
  if (!configExists) return { ...base, state: detected ? 'no-config' : 'not-detected', servers: [] };
  let entries: [string, unknown][];
  try {
    entries = (await readEntries(def, ctx, file)).entries;
  } catch (err) {
    // Said of a file only looked at: "(the file was not changed)" is for a change that was refused.
    const problem = errorMessage(err).replace(/ \(the file was not changed\)$/, '');
    return { ...base, state: 'invalid', problem, servers: [] };
  }
  const ours = entryNamedOurs(entries);
  // Read through a symlink that leads elsewhere (dotfiles), but not written through: say so now.
  const unwritable = await resolveTarget(file, path.dirname(file)).then(
    () => undefined,
    (err: unknown) => (err instanceof GatewayError && err.code === 'unsafe_path' ? err.message : undefined),
  );
  const refused = unwritable ?? (await hardLinkRefusal(file));
  if (refused) base.problem = refused;
  if (ours !== undefined && !isOurs(ours)) {
    const problem =
      `its server named "${ENTRY_NAME}" is not Switchboard (${foreignEntry(ours)}); rename it there to ` +
      'install Switchboard';
    return { ...base, state: 'not-installed', servers: entries.map(([name]) => name), problem };
  }
  const servers = entries.map(([name]) => name).filter((n) => n !== ENTRY_NAME);
  if (!ours) return { ...base, state: 'not-installed', servers };
  // Turned off in the client (its own switch, which install keeps): there, but nothing starts it.
  if (ours.disabled === true || ours.enabled === false) {
    const key = ours.disabled === true ? 'disabled: true' : 'enabled: false';
    const off = `its switchboard entry is turned off there (${key}): ${def.name} does not start Switchboard until on`;
    base.problem = base.problem ? `${base.problem}; ${off}` : off;
  }
  const profile = profileOf(argsOf(ours));
  const expected = expectedShim(shim, profile ?? 'default');
  const launch = launchOf(ours);
  const because = expected && launchesAs(def, ours, expected) ? undefined : await outdated(launch, expected, ctx);
  return {
    ...base,
    state: because === undefined ? 'installed' : 'outdated',
    servers,
    ...(profile ? { profile } : {}),
    entry: launch.kind,
    ...(launch.program !== undefined ? { program: launch.program } : {}),
    ...(launch.script !== undefined ? { script: launch.script } : {}),
    ...(because !== undefined ? { outdatedBecause: because } : {}),
    ...(expected ? { installs: entryKind(expected.env) } : {}),
  };
}

/**
 * The command line of a client's working entry with `profile` in it, so that a change that is not an
 * install (a new profile from the command line, servers moved into Switchboard) keeps the entry's
 * kind: the app's stays the app's, the command line's stays the command line's. Undefined when the
 * client has no working entry (or one this copy could not write again).
 */
export function keptEntryShim(status: ClientStatus, profile: string): ShimCommand | undefined {
  if (status.state !== 'installed' || status.entry === undefined || status.program === undefined) return undefined;
  try {
    return shimCommand({
      executable: status.program,
      ...(status.script !== undefined ? { script: status.script } : {}),
      profile,
      ...(status.entry === 'app' ? { env: { ELECTRON_RUN_AS_NODE: '1' } } : {}),
    }).shim;
  } catch {
    return undefined;
  }
}

/**
 * The desktop app's entries run its program as Node (ELECTRON_RUN_AS_NODE=1) on the shim file it keeps
 * in its data folder; the command line's run Node on bin/switchboard.js. Both start the same shim and
 * reach the same gateway: neither is an outdated form of the other.
 */
export function entryKind(env: Record<string, string> | undefined): ClientEntryKind {
  return env?.ELECTRON_RUN_AS_NODE === '1' ? 'app' : 'cli';
}

interface Launch {
  kind: ClientEntryKind;
  program?: string;
  /** The file the program runs (before "shim"), when there is one. */
  script?: string;
  args: unknown[];
}

/** What an entry of ours starts, read from the entry as the file holds it (Goose's `cmd`, Zed's nested form). */
function launchOf(raw: Record<string, unknown>): Launch {
  const nested =
    typeof raw.command === 'object' && raw.command !== null ? (raw.command as Record<string, unknown>) : {};
  const program = [raw.command, nested.path, raw.cmd].find((v): v is string => typeof v === 'string');
  const env = [raw.env, raw.envs, nested.env].find((v) => typeof v === 'object' && v !== null) as
    Record<string, string> | undefined;
  const args = argsOf(raw);
  const list = Array.isArray(args) ? (args as unknown[]) : [];
  const script = list.indexOf('shim') === 1 && typeof list[0] === 'string' ? list[0] : undefined;
  return {
    kind: entryKind(env),
    ...(program !== undefined ? { program } : {}),
    ...(script !== undefined ? { script } : {}),
    args: list,
  };
}

/**
 * Why an entry that is not what install would write here no longer works as it is, or undefined when
 * it does: the other kind's entry (the app's, seen from the command line, or the other way round)
 * whose program and script are there is current, and install would only switch its kind.
 */
async function outdated(
  launch: Launch,
  expected: ShimCommand | undefined,
  ctx: PathContext,
): Promise<string | undefined> {
  const { args, program, script } = launch;
  const at = args.indexOf('shim');
  if (at < 0 || at > 1 || args.length !== at + 3 || args[at + 1] !== '--profile') {
    const listed = args.map((a) => JSON.stringify(a)).join(' ');
    return `its arguments (${listed}) are in an older form than "shim --profile NAME"`;
  }
  const absolute = (ctx.platform === 'win32' ? path.win32 : path.posix).isAbsolute;
  // Through links: a `node` left linking to a version manager's removed Node is gone too.
  const gone = (file: string) =>
    stat(file).then(
      () => false,
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT' || err.code === 'ENOTDIR',
    );
  if (program !== undefined && absolute(program) && (await gone(program)))
    return `the program it starts, ${program}, no longer exists`;
  if (script !== undefined && absolute(script) && (await gone(script)))
    return `the file it runs, ${script}, no longer exists`;
  if (expected === undefined || entryKind(expected.env) !== launch.kind) return undefined;
  // This kind's entry from another place: an old location of the app, another copy of the command.
  const wanted = [expected.command, ...expected.args.slice(0, expected.args.indexOf('shim'))].join(' ');
  const has = [program ?? '?', ...(script !== undefined ? [script] : [])].join(' ');
  return has === wanted
    ? 'it differs from the entry install writes'
    : `it starts ${has}, and install now writes ${wanted}`;
}

/**
 * What install would write for `profile`, to tell an outdated entry; undefined when this copy cannot
 * write one at all (the app run from its disk image refuses): every client is still listed then.
 */
function expectedShim(
  shim: ShimCommand | ((profile: string) => ShimCommand) | undefined,
  profile: string,
): ShimCommand | undefined {
  if (typeof shim !== 'function') return shim;
  try {
    return shim(profile);
  } catch {
    return undefined;
  }
}

/**
 * The arguments an entry starts its program with, read from the entry as the file holds it (not as
 * adoption reads it: a key the client adds, such as Goose's `env_keys`, must not hide them).
 */
function argsOf(raw: unknown): unknown {
  const entry = raw as { args?: unknown; command?: { args?: unknown } } | null;
  if (typeof entry !== 'object' || entry === null) return undefined;
  // Zed's older shape nests the command line: `"command": { "path": …, "args": […] }`.
  return entry.args ?? (typeof entry.command === 'object' ? entry.command?.args : undefined);
}

/** Whether an entry named "switchboard" starts Switchboard's shim (a server a user named so is theirs). */
function isOurs(raw: unknown): boolean {
  return profileOf(argsOf(raw)) !== undefined;
}

/**
 * The keys of our entry that say how it starts (program, arguments, environment): the ones install
 * owns. Every other key is the client's to keep, even those a fresh entry gets (Goose's `enabled`,
 * `timeout`): a user who turned Switchboard off there keeps it off.
 */
function managedKeys(def: ClientDefinition): Set<string> {
  const a = def.entry({ command: 'a', args: ['a'], env: { A: '1' } });
  const b = def.entry({ command: 'b', args: ['b'] });
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return new Set([...keys].filter((key) => !isDeepStrictEqual(a[key], b[key])));
}

/** The key of a client's entry that holds its environment (`env`; Goose's `envs`), if it has one. */
function envKey(def: ClientDefinition): string | undefined {
  const probe = { PROBE: '1' };
  const entry = def.entry({ command: 'a', args: ['a'], env: probe });
  return Object.keys(entry).find((key) => isDeepStrictEqual(entry[key], probe));
}

/**
 * Variables the user added to our entry's environment (a proxy, `SWITCHBOARD_RUNTIME_DIR`): theirs,
 * kept by install. ELECTRON_RUN_AS_NODE is not: it says which kind of entry it is, and install sets it.
 */
function addedEnv(def: ClientDefinition, raw: Record<string, unknown> | undefined): Record<string, string> {
  const key = envKey(def);
  const env = key === undefined ? undefined : raw?.[key];
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return {};
  const vars = Object.entries(env as Record<string, string>);
  return Object.fromEntries(vars.filter(([name]) => name !== 'ELECTRON_RUN_AS_NODE'));
}

/** The entry install writes for `shim` where the file holds `raw`: with the variables the user added there. */
function wantedEntry(def: ClientDefinition, raw: Record<string, unknown> | undefined, shim: ShimCommand) {
  const added = addedEnv(def, raw);
  return def.entry(Object.keys(added).length === 0 ? shim : { ...shim, env: { ...added, ...shim.env } });
}

/** Whether `raw` says what install writes for `shim`, whatever keys and variables the client or user added to it. */
function launchesAs(def: ClientDefinition, raw: Record<string, unknown>, shim: ShimCommand): boolean {
  const wanted = wantedEntry(def, raw, shim);
  return [...managedKeys(def)].every((key) => isDeepStrictEqual(raw[key], wanted[key]));
}

/** The entry named "switchboard" among a file's entries, as the file holds it. */
function entryNamedOurs(entries: [string, unknown][]): Record<string, unknown> | undefined {
  return entries.find(([name]) => name === ENTRY_NAME)?.[1] as Record<string, unknown> | undefined;
}

/** A file's entry as it may be written by hand: `null`, a string or a list are not entries (and have no keys). */
const isObject = (raw: unknown): raw is Record<string, unknown> =>
  typeof raw === 'object' && raw !== null && !Array.isArray(raw);

/** What an entry named "switchboard" that is not ours is: what it runs, or where it connects to. */
function foreignEntry(raw: unknown): string {
  if (!isObject(raw))
    return `it is ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`}, not a server entry`;
  const program = [raw.command, raw.cmd].find((v) => typeof v === 'string');
  if (program !== undefined) return `it runs ${program}`;
  // The keys clients name a remote server's address by (clients.ts); shown without login or query.
  const url = [raw.httpUrl, raw.serverUrl, raw.url, raw.uri].find((v) => typeof v === 'string' && v !== '');
  if (url !== undefined) return `it connects to ${displayUrl(url as string)}`;
  if (typeof raw.type === 'string') return `it is a "${raw.type}" server with no URL`;
  return 'it does not start the Switchboard shim';
}

/** Refuses to replace or remove a server the user named "switchboard" that is not Switchboard. */
function refuseForeign(raw: Record<string, unknown> | undefined, file: string): void {
  if (raw === undefined || isOurs(raw)) return;
  throw new GatewayError(
    'invalid_request',
    `${file} already has a server named "${ENTRY_NAME}" that is not Switchboard (${foreignEntry(raw)}); rename ` +
      'it there, then try again',
    { field: 'client' },
  );
}

/** Our entry for `shim`, keeping what the client or user added to the one there (`autoApprove`, `disabled`, env, …). */
function entryKeeping(def: ClientDefinition, raw: Record<string, unknown> | undefined, shim: ShimCommand) {
  const managed = managedKeys(def);
  const kept = Object.entries(raw ?? {}).filter(([key]) => !managed.has(key));
  return { ...wantedEntry(def, raw, shim), ...Object.fromEntries(kept) };
}

export async function detectClients(
  ctx: InstallerContext,
  shim?: ShimCommand | ((profile: string) => ShimCommand),
): Promise<ClientStatus[]> {
  return Promise.all(CLIENTS.map((c) => detectClient(c.id, ctx, shim)));
}

export const setEntry = (def: ClientDefinition, shim: ShimCommand) => (body: string, file: string, eol: string) => {
  const current = entryNamedOurs(def.format.read(body, file));
  refuseForeign(current, file);
  const entry = entryKeeping(def, current, shim);
  // The same entry laid out otherwise (on one line, say) is left as it is: nothing to change.
  return isDeepStrictEqual(current, entry) ? body : def.format.set(body, file, ENTRY_NAME, entry, eol);
};

/** The diff `install` would apply; nothing is written. */
export async function planInstall(id: ClientId | string, ctx: PathContext, shim: ShimCommand): Promise<ChangePlan> {
  const def = clientDefinition(id);
  return planChange(def, ctx, setEntry(def, shim));
}

export interface InstallResult extends ChangeResult {
  verified: VerifyResult;
  note: string;
}

/**
 * Adds (or updates) our entry; backs the file up first if Switchboard never changed it before.
 * `shown`: the fingerprint of the preview the user saw (see applyChange).
 */
export async function installClient(
  id: ClientId | string,
  ctx: InstallerContext,
  shim: ShimCommand,
  shown?: string,
): Promise<InstallResult> {
  const def = clientDefinition(id);
  const result = await applyChange(def, ctx, setEntry(def, shim), [], shown);
  // Checked in the text written (or found, when nothing changed): applyChange made sure that is the file there.
  const verified = verifyEntries(
    def,
    result.plan.path,
    () => def.format.read(splitText(result.plan.after).body, result.plan.path),
    shim,
  );
  return { ...result, verified, note: def.note };
}

const removeEntry = (def: ClientDefinition) => (body: string, file: string, eol: string) => {
  refuseForeign(entryNamedOurs(def.format.read(body, file)), file);
  return def.format.remove(body, file, ENTRY_NAME, eol);
};

export async function planUninstall(id: ClientId | string, ctx: PathContext): Promise<ChangePlan> {
  const def = clientDefinition(id);
  return planChange(def, ctx, removeEntry(def));
}

/** Removes our entry and nothing else (the backup is kept for `restore`). */
export async function uninstallClient(id: ClientId | string, ctx: InstallerContext): Promise<ChangeResult> {
  const def = clientDefinition(id);
  return applyChange(def, ctx, removeEntry(def));
}

export interface VerifyResult {
  ok: boolean;
  problem?: string;
}

/** Re-reads the file and checks our entry is exactly what install writes. */
export async function verifyClient(id: ClientId | string, ctx: PathContext, shim: ShimCommand): Promise<VerifyResult> {
  const def = clientDefinition(id);
  let read: Awaited<ReturnType<typeof readEntries>>;
  try {
    read = await readEntries(def, ctx);
  } catch (err) {
    return { ok: false, problem: (err as Error).message };
  }
  return verifyEntries(def, read.path, () => read.entries, shim);
}

/** Whether `file`'s entries (as `entries` reads them) have our entry exactly as install writes it for `shim`. */
function verifyEntries(
  def: ClientDefinition,
  file: string,
  entries: () => [string, unknown][],
  shim: ShimCommand,
): VerifyResult {
  try {
    const ours = entryNamedOurs(entries());
    if (ours === undefined) return { ok: false, problem: `${file} has no "${ENTRY_NAME}" entry in ${def.section}` };
    if (!launchesAs(def, ours, shim))
      return { ok: false, problem: `the "${ENTRY_NAME}" entry in ${file} differs from what Switchboard writes` };
    return { ok: true };
  } catch (err) {
    return { ok: false, problem: (err as Error).message };
  }
}

/** The servers a client has, in neutral form (ours excluded). */
export async function readClientServers(
  id: ClientId | string,
  ctx: PathContext,
): Promise<{ path: string; servers: ClientServer[] }> {
  const def = clientDefinition(id);
  const { path: file, entries } = await readEntries(def, ctx);
  return {
    path: file,
    servers: entries.filter(([name]) => name !== ENTRY_NAME).map(([name, raw]) => def.read(name, raw)),
  };
}

export interface RestoreResult {
  path: string;
  /**
   * 'restored': the original bytes written back; 'removed': the file did not exist before;
   * 'servers-restored': only the server section put back, the rest of the file left as it is now
   * (a client that keeps more than its servers in the file changed it since Switchboard wrote it).
   */
  action: 'restored' | 'removed' | 'unchanged' | 'servers-restored';
  /** Where the file's content was kept because it changed after Switchboard's last write. */
  keptCurrent?: string;
  /** 'servers-restored': the servers put back from the original (the others there stay as they are). */
  putBack?: string[];
  /** 'servers-restored': what else the client keeps in the file (why it was not restored whole). */
  otherState?: string;
}

/**
 * The current file with its server section as it was before Switchboard: our entry out, and back in
 * from the original every server Switchboard moved out that the file does not have now. Servers the
 * file has now stay as they are (Switchboard never edits them: any change is the client's or the
 * user's), and so does every other key, comment and byte of layout.
 */
function restoreServerSection(
  def: ClientDefinition,
  record: BackupRecord,
  original: Buffer | null,
  currentText: string,
): { text: string; putBack: string[] } {
  const { body, shape } = splitText(currentText);
  let current: [string, unknown][];
  try {
    current = def.format.read(body, record.path);
  } catch (err) {
    throw new GatewayError(
      'config_invalid',
      `${errorMessage(err).replace(/ \(the file was not changed\)$/, '')}. This file changed since Switchboard ` +
        `wrote it and ${def.otherState ?? 'it holds more than servers'}, so restore puts back only its servers, ` +
        `and it cannot do that in a file it cannot read: nothing was changed and the backup is kept. Fix the ` +
        `file and restore again, or move it away to have restore put the original back whole`,
      { cause: err },
    );
  }
  const before = original === null ? [] : def.format.read(splitText(original.toString('utf8')).body, record.path);
  const expected = new Map(current);
  const ours = expected.get(ENTRY_NAME);
  let out = body;
  if (ours !== undefined && isOurs(ours)) {
    out = def.format.remove(out, record.path, ENTRY_NAME, shape.eol);
    expected.delete(ENTRY_NAME);
  }
  const putBack: string[] = [];
  for (const [name, value] of before) {
    if (expected.has(name)) continue; // the client's version now stays
    // Missing, and not moved out by Switchboard: removed in the client since, and left so.
    if (record.moved && name !== ENTRY_NAME && !record.moved.includes(name)) continue;
    out = def.format.set(out, record.path, name, value, shape.eol);
    expected.set(name, value);
    putBack.push(name);
  }
  // The editors check their own edits; this checks the section as a whole came out as meant.
  const result = new Map(def.format.read(out, record.path));
  const same = result.size === expected.size && [...expected].every(([n, v]) => isDeepStrictEqual(result.get(n), v));
  if (!same)
    throw new GatewayError(
      'config_invalid',
      `${record.path}: Switchboard could not put ${def.name}'s servers back as they were (${def.section} did not ` +
        `come out as meant); nothing was changed and the backup is kept`,
    );
  return { text: out === body ? currentText : joinText(out, shape), putBack };
}

/**
 * Puts the original file back byte for byte (or removes it if Switchboard created it), then forgets
 * the backup. For a client that keeps more than its servers in the file (`otherState`), a file the
 * client or the user changed since Switchboard wrote it gets only its server section back instead:
 * the whole original would take back every setting changed since the install.
 */
/**
 * A restore writes the file as an install does, by replacing it: not one that is read-only, nor a hard
 * link, which that would part from its other names (one made after the install). The backup is kept.
 */
async function assertReplaceable(target: string): Promise<void> {
  await assertWritable(target);
  const refused = await hardLinkRefusal(target);
  if (refused !== undefined)
    throw new GatewayError('unsafe_path', `${refused}; the backup is kept, to restore once the link is a copy`);
}

export async function restoreClient(id: ClientId | string, ctx: InstallerContext): Promise<RestoreResult> {
  const def = clientDefinition(id);
  const record = await readBackupRecord(ctx.stateDir, def.id);
  if (!record)
    throw new GatewayError(
      'not_found',
      `there is no backup of ${def.name}'s config: Switchboard has not changed it since the last restore`,
    );
  const original = await readBackup(record, ctx.secrets);
  const { target } = await resolveTarget(record.path, path.dirname(record.path));
  const now = (ctx.now ?? (() => new Date()))();
  let keptCurrent: string | undefined;
  // The record goes last: what the restore left is noted first, for a watcher to tell it from a client's rewrite.
  const done = async (left: string | null): Promise<void> => {
    await noteRestored(ctx.stateDir, def.id, left);
    await dropBackup(ctx.stateDir, record);
  };
  for (let attempt = 0; attempt < 4; attempt++) {
    const current = await readSnapshot(target);
    // Changed by someone else since Switchboard's last write, or before it (that write carried it along).
    const othersChanged = current.hash !== record.lastWritten || record.othersEdited === true;
    const changedSince = current.bytes !== null && current.hash !== record.hash && othersChanged;
    // Only the servers, so the rest stays as the client keeps it now; checked before anything is written.
    const section =
      changedSince && def.otherState ? restoreServerSection(def, record, original, current.text) : undefined;
    if (changedSince) {
      keptCurrent = await keepCopy(ctx.stateDir, def.id, record.path, current.bytes!, now, keptCurrent);
    }
    const kept = keptCurrent ? { keptCurrent } : {};
    if (section) {
      if (section.text !== current.text) {
        await assertReplaceable(target);
        const data = Buffer.from(section.text, 'utf8');
        const outcome = await writeAtomicChecked(target, data, current.hash);
        if (outcome === 'conflict') continue;
        if (outcome === 'overwritten')
          throw new GatewayError(
            'client_config_conflict',
            `${record.path} changed right after the restore; run it again`,
          );
      }
      await done(section.text === current.text ? current.hash : sha256(Buffer.from(section.text, 'utf8')));
      return {
        path: record.path,
        action: 'servers-restored',
        ...kept,
        putBack: section.putBack,
        otherState: def.otherState!,
      };
    }
    if (original === null) {
      if (!current.bytes) {
        if (record.createdFolder) await removeMadeFolders(target, record.createdFolder);
        await done(null);
        return { path: record.path, action: 'unchanged', ...kept };
      }
      await assertWritable(target);
      if ((await removeIfUnchanged(target, current.hash!)) === 'conflict') continue;
      if (record.createdFolder) await removeMadeFolders(target, record.createdFolder);
      await done(null);
      return { path: record.path, action: 'removed', ...kept };
    }
    if (current.bytes?.equals(original)) {
      await done(current.hash);
      return { path: record.path, action: 'unchanged', ...kept };
    }
    await assertReplaceable(target);
    const outcome = await writeAtomicChecked(target, original, current.hash, record.mode ?? 0o600);
    if (outcome === 'conflict') continue;
    if (outcome === 'overwritten')
      throw new GatewayError('client_config_conflict', `${record.path} changed right after the restore; run it again`);
    await done(sha256(original));
    return { path: record.path, action: 'restored', ...kept };
  }
  throw new GatewayError(
    'client_config_conflict',
    `${def.name} kept rewriting ${record.path} during the restore; close ${def.name} and try again`,
  );
}

export interface RepairedEntry {
  client: ClientId;
  path: string;
  /** Why the entry could not be rewritten (it is left as it was). */
  problem?: string;
}

/**
 * The keys of a client's entry shape that carry the program and its arguments (`command`/`cmd`,
 * `args`): those that change when only the shim command changes.
 */
function launchKeys(def: ClientDefinition, shim: ShimCommand): string[] {
  const moved = def.entry({ ...shim, command: `${shim.command}.moved`, args: [...shim.args, 'moved'] });
  const entry = def.entry(shim);
  return Object.keys(entry).filter((key) => !isDeepStrictEqual(entry[key], moved[key]));
}

/**
 * Entries the desktop app wrote start the shim with the app's own runtime (ELECTRON_RUN_AS_NODE);
 * after the app moved or was updated they may point at a program or shim file that is gone. This
 * rewrites the program and its arguments of those entries (keeping their profile, and every other
 * key: a client's own `disabled` or `autoApprove` stays), and touches nothing else: an entry in the
 * headless form, or one already pointing here, is left as it is.
 */
export async function repairAppEntries(
  ctx: InstallerContext,
  shim: (profile: string) => ShimCommand,
): Promise<RepairedEntry[]> {
  const repaired: RepairedEntry[] = [];
  for (const def of CLIENTS) {
    let file: string;
    let ours: Record<string, unknown> | undefined;
    try {
      const read = await readEntries(def, ctx);
      file = read.path;
      ours = entryNamedOurs(read.entries);
    } catch {
      continue; // an unreadable file is the Clients screen's to report, not a reason to touch it
    }
    if (ours === undefined) continue;
    const current = def.read(ENTRY_NAME, ours);
    if (current.env?.ELECTRON_RUN_AS_NODE !== '1') continue;
    const expected = shim(profileOf(current.args) ?? 'default');
    if (current.command === expected.command && isDeepStrictEqual(current.args, expected.args)) continue;
    const wanted = def.entry(expected);
    const fixed = { ...ours };
    for (const key of launchKeys(def, expected)) fixed[key] = wanted[key];
    try {
      await applyChange(def, ctx, (body, path, eol) => def.format.set(body, path, ENTRY_NAME, fixed, eol));
      repaired.push({ client: def.id, path: file });
    } catch (err) {
      repaired.push({ client: def.id, path: file, problem: errorMessage(err) });
    }
  }
  return repaired;
}
