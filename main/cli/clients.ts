/** `switchboard clients|install|uninstall|adopt|restore`: the installers and adoption, for a terminal. */
import path from 'node:path';
import {
  adoptClient,
  CLIENTS,
  defaultConfigPath,
  detectClient,
  detectClients,
  ConfigError,
  installClient,
  isMissingConfigError,
  keptEntryShim,
  listAdoptable,
  lostProfileProblem,
  loadConfigFile,
  planAdoption,
  planInstall,
  planUninstall,
  readBackupRecord,
  restoreClient,
  shimCommand,
  uninstallClient,
  clientDefinition,
  type AdoptionContext,
  type ClientDefinition,
  type ClientStatus,
  type ShimCommand,
  userInstallerContext,
} from '../engine/index.ts';
import { table } from './format.ts';

const SCRIPT = path.resolve(import.meta.dirname, '../../bin/switchboard.js');
const out = (text: string) => process.stdout.write(text);
const warn = (text: string) => process.stderr.write(`switchboard: ${text}\n`);

function context(configPath?: string): AdoptionContext {
  return {
    ...userInstallerContext(),
    configPath: configPath ?? defaultConfigPath(),
  };
}

/** `<node> <bin/switchboard.js> shim --profile P`, with absolute paths. */
function shimFor(profile: string, report = false): ShimCommand {
  const { shim, warnings } = shimCommand({ executable: process.execPath, script: SCRIPT, profile });
  if (report) for (const w of warnings) warn(w);
  return shim;
}

function printPlan(plan: { diff: string; warnings: string[] }, nothing: string): void {
  for (const w of plan.warnings) warn(w);
  out(plan.diff === '' ? `${nothing}\n` : plan.diff);
}

const STATE_TEXT: Record<string, string> = {
  'not-detected': 'not found',
  'no-config': 'no config file',
  'not-installed': 'not installed',
  installed: 'installed',
  outdated: 'installed (outdated: run install again)',
  invalid: 'cannot read',
};

/** The state as the table shows it: an entry the desktop app wrote is installed, and says whose it is. */
function stateText(s: ClientStatus): string {
  if (s.state === 'installed' && s.entry === 'app') return 'installed (app entry)';
  return STATE_TEXT[s.state] ?? s.state;
}

/**
 * What `doctor` says of the AI clients Switchboard is installed in: each one's entry, and what keeps
 * it from working (a profile the config no longer has, an outdated entry). `profiles`: the config's.
 */
/** `profiles` undefined: the config did not load, so which profiles exist is not checked. */
export async function clientChecks(profiles: readonly string[] | undefined): Promise<{ ok: string[]; bad: string[] }> {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const s of await detectClients(context(), (profile) => shimFor(profile))) {
    if (s.state !== 'installed' && s.state !== 'outdated') continue;
    const profile = s.profile ?? 'default';
    if (profiles && !profiles.includes(profile)) bad.push(lostProfileLine(s.id, profile, profiles));
    else if (s.outdatedBecause !== undefined)
      bad.push(`${outdatedLine(s.id, s.outdatedBecause)} (switchboard install ${s.id})`);
    // Said, not counted: a client's own switch turned it off, or its file is a link Switchboard reads only.
    else ok.push(`${s.id}: Switchboard is in ${s.path} (profile ${profile})${s.problem ? `; ${s.problem}` : ''}`);
  }
  return { ok, bad };
}

/** A client whose entry starts a profile the config does not have, and what to do (clients, doctor). */
function lostProfileLine(id: string, profile: string, profiles: readonly string[]): string {
  return `${id}: ${lostProfileProblem(profile, profiles)} (switchboard install ${id} --profile NAME)`;
}

const outdatedLine = (id: string, because: string) => `${id}: its switchboard entry is outdated: ${because}`;

export async function clients(opts: { json: boolean }): Promise<number> {
  const statuses = await detectClients(context(), (profile) => shimFor(profile));
  if (opts.json) {
    out(JSON.stringify(statuses, null, 2) + '\n');
    return 0;
  }
  out(
    table(
      ['CLIENT', 'NAME', 'STATE', 'PROFILE', 'SERVERS', 'CONFIG'],
      statuses.map((s) => [s.id, s.name, stateText(s), s.profile ?? '-', String(s.servers.length), s.path]),
    ),
  );
  for (const s of statuses.filter((s) => s.problem)) out(`\n${s.id}: ${s.problem}\n`);
  // A config that cannot be read says nothing about which profiles are gone.
  const profiles = await loadConfigFile(defaultConfigPath()).then(
    (loaded) => Object.keys(loaded.config.profiles),
    () => undefined,
  );
  for (const s of statuses) {
    if (profiles === undefined || s.profile === undefined || profiles.includes(s.profile)) continue;
    out(`\n${lostProfileLine(s.id, s.profile, profiles)}\n`);
  }
  for (const s of statuses) if (s.outdatedBecause) out(`\n${outdatedLine(s.id, s.outdatedBecause)}\n`);
  const apps = statuses.filter((s) => s.state === 'installed' && s.entry === 'app').map((s) => s.id);
  if (apps.length)
    out(
      `\nApp entries (${apps.join(', ')}) were written by the Switchboard desktop app: they start the same ` +
        "shim with the app's program, and start the app when no gateway runs. install keeps them app " +
        'entries; for a command-line entry instead, run switchboard uninstall CLIENT first.\n',
    );
  const backups = statuses.filter((s) => s.backup);
  if (backups.length)
    out(
      `\nBacked up before Switchboard changed them (switchboard ` +
        `restore CLIENT): ${backups.map((s) => s.id).join(', ')}\n`,
    );
  return 0;
}

/**
 * The config's profiles ("default" alone when there is no config yet). A config that cannot be read
 * says nothing of the profiles it has: its error is thrown rather than a list guessed.
 */
async function configProfiles(): Promise<string[]> {
  try {
    return Object.keys((await loadConfigFile(defaultConfigPath())).config.profiles);
  } catch (err) {
    if (isMissingConfigError(err)) return ['default'];
    throw err;
  }
}

/** The config's error (file, line, column; one line per problem), after what it stops and what to do. */
function unreadableConfig(what: string, err: ConfigError): string {
  return `${what} (switchboard doctor lists what is wrong):\n${err.message}`;
}

/**
 * Refuses a profile the config does not define: the entry would be written, and the client would
 * only fail when it connects. "default" is always there.
 */
async function checkProfile(profile: string): Promise<void> {
  if (profile === 'default') return;
  let profiles: string[];
  try {
    profiles = await configProfiles();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new Error(
      unreadableConfig(
        `cannot tell whether the config has profile "${profile}", as the config cannot be read; fix it, then ` +
          'install again',
        err,
      ),
      { cause: err },
    );
  }
  if (!profiles.includes(profile))
    throw new Error(
      `there is no profile "${profile}" in ${defaultConfigPath()} (it has: ${profiles.join(', ')}); ` +
        'add it there, or pick one of those',
    );
}

/**
 * The profile install writes when none is given: the one the client starts now (an outdated entry
 * is brought up to date, not moved to another profile), unless the config lost it, else "default".
 * A config that cannot be read keeps the profile: it has not been seen to lose it.
 */
async function keptProfile(def: ClientDefinition, status: ClientStatus): Promise<string> {
  const current = status.profile;
  if (current === undefined || current === 'default') return 'default';
  let profiles: string[];
  try {
    profiles = await configProfiles();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    warn(
      unreadableConfig(
        `${def.name} keeps profile "${current}", the one it starts now; the config cannot be read, so whether ` +
          'it still has that profile is not checked',
        err,
      ),
    );
    return current;
  }
  if (profiles.includes(current)) return current;
  warn(
    `${def.name} starts profile "${current}", which ${defaultConfigPath()} no longer has; ` +
      'installing with "default" (or give --profile)',
  );
  return 'default';
}

/**
 * The entry for `profile` in a client whose entry the desktop app wrote and that works: an app entry
 * again (the same program and shim file), so install never turns it into a command-line one unasked.
 * Undefined for every other client.
 */
function appEntryKept(def: ClientDefinition, status: ClientStatus, profile: string): ShimCommand | undefined {
  const kept = status.entry === 'app' ? keptEntryShim(status, profile) : undefined;
  if (kept)
    out(
      `${def.name} has the Switchboard desktop app's entry (it starts the app when no gateway runs); it stays ` +
        `an app entry. For a command-line entry instead, run "switchboard uninstall ${def.id}" first.\n`,
    );
  return kept;
}

export async function install(opts: {
  client: string;
  /** Without one, the client keeps the profile it starts now. */
  profile: string | undefined;
  dryRun: boolean;
}): Promise<number> {
  const def = clientDefinition(opts.client);
  const ctx = context();
  const status = await detectClient(def.id, ctx);
  // A profile given is checked; the one the client starts now was checked by keptProfile.
  if (opts.profile !== undefined) await checkProfile(opts.profile);
  const profile = opts.profile ?? (await keptProfile(def, status));
  const shim = appEntryKept(def, status, profile) ?? shimFor(profile, true);
  if (status.entry === 'app' && status.outdatedBecause !== undefined)
    out(
      `${def.name}'s entry from the Switchboard desktop app no longer works (${status.outdatedBecause}): ` +
        'install replaces it with a command-line entry.\n',
    );
  if (opts.dryRun) {
    printPlan(
      await planInstall(def.id, ctx, shim),
      `${def.name} already has the switchboard entry for profile "${profile}"; nothing to change.`,
    );
    return 0;
  }
  const result = await installClient(def.id, ctx, shim);
  printPlan(result.plan, `${def.name} already has the switchboard entry for profile "${profile}"; nothing changed.`);
  if (result.backupCreated && result.backup) {
    out(
      result.backup.file
        ? `Backed up the original to ${result.backup.file}\n`
        : `${result.plan.path} did not exist; restore removes it again` +
            (def.otherState ? ` (once ${def.name} has saved more in it, only the switchboard entry)\n` : '\n'),
    );
  }
  if (!result.verified.ok) {
    warn(`check failed after writing: ${result.verified.problem}`);
    return 1;
  }
  if (result.written)
    out(`Installed Switchboard (profile "${profile}") in ${def.name}: ${result.plan.path}\nNext: ${result.note}.\n`);
  return 0;
}

export async function uninstall(opts: { client: string; dryRun: boolean }): Promise<number> {
  const def = clientDefinition(opts.client);
  const ctx = context();
  if (opts.dryRun) {
    printPlan(await planUninstall(def.id, ctx), `${def.name} has no switchboard entry; nothing to change.`);
    return 0;
  }
  const result = await uninstallClient(def.id, ctx);
  printPlan(result.plan, `${def.name} has no switchboard entry; nothing changed.`);
  if (result.written)
    out(
      `Removed the switchboard entry from ${result.plan.path}. The original is ` +
        `still backed up: ${restoreHint(def)}.\n`,
    );
  return 0;
}

export async function adopt(opts: {
  client: string;
  servers: string[] | undefined;
  /** Without one, the client keeps the profile it starts now (a moved server joins that profile). */
  profile: string | undefined;
  dryRun: boolean;
  configPath: string | undefined;
}): Promise<number> {
  const def = clientDefinition(opts.client);
  const ctx = context(opts.configPath);
  const listing = await listAdoptable(def.id, ctx);
  if (listing.servers.length === 0) {
    out(`${def.name} has no servers to adopt in ${listing.path}.\n`);
    return 0;
  }
  const status = await detectClient(def.id, ctx);
  const profile = opts.profile ?? status.profile ?? 'default';
  const shim = appEntryKept(def, status, profile) ?? shimFor(profile, true);
  out(`${def.name} (${listing.path}) has:\n`);
  out(
    table(
      null,
      listing.servers.map((s) => [`  ${s.name}`, s.kind === 'unsupported' ? `cannot adopt: ${s.problem}` : s.summary]),
    ),
  );
  const options = { shim, ...(opts.servers ? { servers: opts.servers } : {}) };
  const plan = opts.dryRun ? await planAdoption(def.id, ctx, options) : await adoptClient(def.id, ctx, options);
  for (const w of plan.warnings) warn(w);
  out(`\n${opts.dryRun ? 'Would move' : 'Moved'} into Switchboard (${plan.configPath}):\n`);
  for (const s of plan.servers) {
    const renamed = s.name !== s.from ? ` (as ${s.name})` : '';
    const secrets = s.secrets.map((x) => `${x.field} -> keychain "${x.name}"`).join(', ');
    out(`  ${s.from}${renamed}${secrets ? `: ${secrets}` : ''}\n`);
  }
  if (plan.alreadyInConfig.length) out(`  already there, unchanged: ${plan.alreadyInConfig.join(', ')}\n`);
  out(`\n`);
  out(plan.configDiff || `${plan.configPath}: no change\n`);
  out(plan.clientDiff || `${plan.clientPath}: no change\n`);
  if ('verified' in plan) {
    const result = plan as Awaited<ReturnType<typeof adoptClient>>;
    if (result.backupFile) out(`Backed up the original to ${result.backupFile} (${restoreHint(def)})\n`);
    if (!result.verified.ok) {
      warn(`check failed after writing: ${result.verified.problem}`);
      return 1;
    }
    out(`Done. Next: ${result.note}.\n`);
  }
  return 0;
}

/** What `restore` will do for this client, for the commands that take a backup. */
function restoreHint(def: ClientDefinition): string {
  return def.otherState
    ? `switchboard restore ${def.id} puts its servers back as they were, and the whole file if nothing else ` +
        'changed in it meanwhile'
    : `switchboard restore ${def.id} puts it back exactly`;
}

export async function restore(opts: { clients: string[]; all: boolean }): Promise<number> {
  const ctx = context();
  let ids = opts.clients.map((c) => clientDefinition(c).id as string);
  if (opts.all) {
    ids = [];
    for (const c of CLIENTS) if (await readBackupRecord(ctx.stateDir, c.id)) ids.push(c.id);
    if (ids.length === 0) {
      out('No client files are backed up: Switchboard has not changed any.\n');
      return 0;
    }
  }
  let failed = 0;
  for (const id of ids) {
    try {
      const r = await restoreClient(id, ctx);
      if (r.action === 'servers-restored') {
        const back = r.putBack?.length ? `${r.putBack.join(', ')} back; ` : '';
        out(
          `${id}: ${r.path}: only its servers restored (${back}the switchboard entry removed). Everything else ` +
            `in the file is left as it is now: it changed since Switchboard wrote it, and ${r.otherState}\n`,
        );
      } else {
        const what =
          r.action === 'removed'
            ? 'removed (it did not exist before Switchboard)'
            : r.action === 'unchanged'
              ? 'already as it was'
              : 'restored byte for byte';
        out(`${id}: ${r.path} ${what}\n`);
      }
      if (r.keptCurrent) out(`  it had changed since Switchboard wrote it; that version is kept in ${r.keptCurrent}\n`);
    } catch (err) {
      failed++;
      warn(`${id}: ${(err as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}
