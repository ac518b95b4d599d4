/**
 * The AI clients on this machine, for the UI: which have Switchboard in their config, and the
 * installer's actions on them (install with the exact diff first, uninstall, restore the original
 * byte for byte). What goes to the UI is the diff (secret-looking values masked) and the paths,
 * never the files' contents.
 */
import type {
  AdoptableServerView,
  AdoptionDone,
  AdoptionPreview,
  ClientChange,
  ClientChangePreview,
  ClientFileChange,
  ClientRestored,
  ClientView,
} from '../../../preload/contract/index.ts';
import {
  CLIENTS,
  clientDefinition,
  detectClient,
  detectClients,
  installClient,
  keptEntryShim,
  lostProfileProblem,
  planInstall,
  readBackupRecord,
  restoreClient,
  uninstallClient,
  type ClientId,
  type InstallerContext,
  type ShimCommand,
} from '../installers/index.ts';
import { adoptClient, listAdoptable, planAdoption } from '../adoption/index.ts';
import { GatewayError } from '../protocol/errors.ts';
import type { SecretStore } from '../secrets/store.ts';
import { ClientFileWatch } from './client-watch.ts';

/** Where the installers read and write, and the command a client should start. */
export interface ClientInstallSetup {
  context: InstallerContext;
  /** The shim entry for a profile (absolute paths; see installers/shim-entry.ts). */
  shim(profile: string): ShimCommand;
}

/** Where adopted servers and their secrets go: this gateway's config file and secret store. */
export interface AdoptionTarget {
  configPath: string;
  secrets: SecretStore;
}

export class ClientInstalls {
  private readonly setup: ClientInstallSetup | undefined;
  private readonly target: AdoptionTarget;
  private readonly profiles: () => readonly string[];
  private fileWatch: ClientFileWatch | undefined;
  /** Clients that took the entry out of their file while this gateway watched, and when. */
  private readonly dropped = new Map<string, number>();

  /** `profiles`: the names the config has now (a client is only pointed at one of them). */
  constructor(setup: ClientInstallSetup | undefined, target: AdoptionTarget, profiles: () => readonly string[]) {
    this.setup = setup;
    this.target = target;
    this.profiles = profiles;
  }

  async previewAdoption(client: string, servers?: string[]): Promise<AdoptionPreview> {
    const { context, shim } = this.ready();
    const id = clientDefinition(client).id;
    const ctx = { ...context, ...this.target };
    const listing = await listAdoptable(id, ctx);
    const kept = await this.keptShim(id, context, shim);
    // Which servers cannot move for a name the config has, said of each whichever are ticked.
    const all = await planAdoption(id, ctx, { shim: kept });
    const plan = servers ? await planAdoption(id, ctx, { shim: kept, servers }) : all;
    return {
      clientPath: plan.clientPath,
      configPath: plan.configPath,
      adoptable: listing.servers.map((s) => {
        const view: AdoptableServerView = { name: s.name, kind: s.kind, summary: s.summary };
        // A name the config has for a different server: it cannot move until one of them is renamed.
        const problem = s.problem ?? all.nameTaken.find((t) => t.from === s.name)?.problem;
        if (problem !== undefined) Object.assign(view, { kind: 'unsupported', problem });
        return view;
      }),
      moving: plan.servers.map((s) => ({ from: s.from, name: s.name, secrets: s.secrets })),
      alreadyInConfig: plan.alreadyInConfig,
      warnings: plan.warnings,
      clientDiff: plan.clientDiff,
      configDiff: plan.configDiff,
      ...(plan.refused !== undefined ? { refused: plan.refused } : {}),
    };
  }

  async adopt(client: string, servers?: string[]): Promise<AdoptionDone> {
    const { context, shim } = this.ready();
    const def = clientDefinition(client);
    const result = await adoptClient(
      def.id,
      { ...context, ...this.target },
      {
        shim: await this.keptShim(def.id, context, shim),
        ...(servers ? { servers } : {}),
      },
    );
    if (!result.verified.ok)
      throw new GatewayError(
        'internal',
        `${def.name}: the file was written but does not check out: ${result.verified.problem}`,
      );
    const done: AdoptionDone = { moved: result.servers.map((s) => s.name), note: result.note };
    if (result.backupFile) done.backupFile = result.backupFile;
    if (result.warnings.length) done.warnings = result.warnings;
    return done;
  }

  /**
   * Watches the clients' files from now on (client-watch.ts), telling `onChange` what changed in them;
   * resolves once the watchers listen. Nothing without an installer setup.
   */
  async watch(onChange: (change: ClientFileChange) => void, log?: (text: string) => void): Promise<void> {
    if (!this.setup || this.fileWatch) return;
    this.fileWatch = new ClientFileWatch({
      context: this.setup.context,
      onChange: (change) => {
        if (change.change === 'entry-removed' && !change.bySwitchboard) this.dropped.set(change.client, Date.now());
        else if (change.change !== 'error') this.dropped.delete(change.client);
        onChange(change);
      },
      ...(log ? { log } : {}),
    });
    await this.fileWatch.scan();
  }

  stopWatching(): void {
    this.fileWatch?.close();
    this.fileWatch = undefined;
  }

  async list(): Promise<ClientView[]> {
    const { context, shim } = this.ready();
    // A client installed since the watch began (its folder new) is watched from now on.
    void this.fileWatch?.scan();
    const statuses = await detectClients(context, (profile) => shim(profile));
    const profiles = this.profiles();
    return statuses.map((s) => {
      const view: ClientView = {
        id: s.id,
        name: s.name,
        path: s.path,
        detected: s.detected,
        state: s.state,
        servers: s.servers,
        backedUp: s.backup !== undefined,
      };
      if (s.problem !== undefined) view.problem = s.problem;
      if (s.profile !== undefined) view.profile = s.profile;
      if (s.profile !== undefined && !profiles.includes(s.profile)) {
        const lost = lostProfileProblem(s.profile, profiles);
        view.problem =
          view.problem === undefined ? `${lost[0]!.toUpperCase()}${lost.slice(1)}.` : `${view.problem}; ${lost}`;
      }
      if (s.entry !== undefined) view.entry = s.entry;
      if (s.outdatedBecause !== undefined) view.outdatedBecause = s.outdatedBecause;
      const dropped = this.dropped.get(s.id);
      if (dropped !== undefined && s.state !== 'installed' && s.state !== 'outdated') view.entryDroppedAt = dropped;
      if (s.installs !== undefined) view.installs = s.installs;
      return view;
    });
  }

  async preview(client: string, profile = 'default'): Promise<ClientChangePreview> {
    const { context, shim } = this.ready();
    this.checkProfile(profile);
    const plan = await planInstall(clientDefinition(client).id, context, shim(profile));
    return {
      path: plan.path,
      diff: plan.diff,
      fingerprint: plan.fingerprint,
      warnings: plan.warnings,
      ...(plan.refused !== undefined ? { refused: plan.refused } : {}),
    };
  }

  /** `fingerprint`: the preview's, when the user saw one (a file that needs another change now is refused). */
  async install(client: string, profile = 'default', fingerprint?: string): Promise<ClientChange> {
    const { context, shim } = this.ready();
    this.checkProfile(profile);
    const def = clientDefinition(client);
    const result = await installClient(def.id, context, shim(profile), fingerprint);
    if (!result.verified.ok)
      throw new GatewayError(
        'internal',
        `${def.name}: the file was written but does not check out: ${result.verified.problem}`,
      );
    const change: ClientChange = { path: result.plan.path, written: result.written, note: result.note };
    if (result.backupCreated && result.backup?.file) change.backupFile = result.backup.file;
    if (result.plan.warnings.length) change.warnings = result.plan.warnings;
    return change;
  }

  async uninstall(client: string): Promise<ClientChange> {
    const { context } = this.ready();
    const result = await uninstallClient(clientDefinition(client).id, context);
    return { path: result.plan.path, written: result.written };
  }

  async restore(client: string): Promise<ClientRestored> {
    const { context } = this.ready();
    const result = await restoreClient(clientDefinition(client).id, context);
    const restored: ClientRestored = { path: result.path, action: result.action };
    if (result.keptCurrent !== undefined) restored.keptCurrent = result.keptCurrent;
    if (result.putBack !== undefined) restored.putBack = result.putBack;
    if (result.otherState !== undefined) restored.otherState = result.otherState;
    return restored;
  }

  /** Clients Switchboard changed and can restore. */
  async backedUp(): Promise<string[]> {
    const { context } = this.ready();
    const ids: string[] = [];
    for (const c of CLIENTS) if (await readBackupRecord(context.stateDir, c.id)) ids.push(c.id);
    return ids;
  }

  /**
   * The entry a client gets when its servers move in: it keeps the profile it starts (else "default"),
   * and a working entry keeps its kind (one `switchboard install` wrote stays a command-line entry:
   * switching it is the Switch button's, not a side effect of moving servers).
   */
  private async keptShim(
    id: ClientId,
    context: InstallerContext,
    shim: ClientInstallSetup['shim'],
  ): Promise<ShimCommand> {
    const status = await detectClient(id, context);
    const current = status.profile;
    const profile = current !== undefined && this.profiles().includes(current) ? current : 'default';
    return keptEntryShim(status, profile) ?? shim(profile);
  }

  /** A client pointed at a profile the config lacks would be refused at its first start. */
  private checkProfile(profile: string): void {
    const names = this.profiles();
    if (names.includes(profile)) return;
    throw new GatewayError(
      'not_found',
      `there is no profile "${profile}" (the config has ${names.map((n) => `"${n}"`).join(', ')}); ` +
        'add it to the config first, or pick one of those',
      { field: 'profile' },
    );
  }

  private ready(): ClientInstallSetup {
    if (!this.setup)
      throw new GatewayError('invalid_request', 'this gateway was started without access to client configs');
    return this.setup;
  }
}
