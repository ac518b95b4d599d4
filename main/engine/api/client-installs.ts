/**
 * The AI clients on this machine, for the UI: which have Switchboard in their config, and the
 * installer's actions on them (install with the exact diff first, uninstall, restore the original
 * byte for byte). What goes to the UI is the diff (secret-looking values masked) and the paths,
 * never the files' contents.
 */
import type { ClientChange, ClientChangePreview, ClientRestored, ClientView } from '../../../preload/contract/index.ts';
import {
  CLIENTS,
  clientDefinition,
  detectClients,
  installClient,
  planInstall,
  readBackupRecord,
  restoreClient,
  uninstallClient,
  type InstallerContext,
  type ShimCommand,
} from '../installers/index.ts';
import { GatewayError } from '../protocol/errors.ts';

/** Where the installers read and write, and the command a client should start. */
export interface ClientInstallSetup {
  context: InstallerContext;
  /** The shim entry for a profile (absolute paths; see installers/shim-entry.ts). */
  shim(profile: string): ShimCommand;
}

export class ClientInstalls {
  private readonly setup: ClientInstallSetup | undefined;

  constructor(setup: ClientInstallSetup | undefined) {
    this.setup = setup;
  }

  async list(): Promise<ClientView[]> {
    const { context, shim } = this.ready();
    const statuses = await detectClients(context, (profile) => shim(profile));
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
      return view;
    });
  }

  async preview(client: string, profile = 'default'): Promise<ClientChangePreview> {
    const { context, shim } = this.ready();
    const plan = await planInstall(clientDefinition(client).id, context, shim(profile));
    return { path: plan.path, diff: plan.diff, warnings: plan.warnings };
  }

  async install(client: string, profile = 'default'): Promise<ClientChange> {
    const { context, shim } = this.ready();
    const def = clientDefinition(client);
    const result = await installClient(def.id, context, shim(profile));
    if (!result.verified.ok)
      throw new GatewayError(
        'internal',
        `${def.name}: the file was written but does not check out: ${result.verified.problem}`,
      );
    const change: ClientChange = { path: result.plan.path, written: result.written, note: result.note };
    if (result.backupCreated && result.backup?.file) change.backupFile = result.backup.file;
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
    return restored;
  }

  /** Clients Switchboard changed and can restore. */
  async backedUp(): Promise<string[]> {
    const { context } = this.ready();
    const ids: string[] = [];
    for (const c of CLIENTS) if (await readBackupRecord(context.stateDir, c.id)) ids.push(c.id);
    return ids;
  }

  private ready(): ClientInstallSetup {
    if (!this.setup)
      throw new GatewayError('invalid_request', 'this gateway was started without access to client configs');
    return this.setup;
  }
}
