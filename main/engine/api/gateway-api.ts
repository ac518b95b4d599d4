/**
 * The engine's implementation of the control API (the GatewayApi of preload/contract). It reads
 * the gateway through `ApiHost`, which the gateway fits as it is, so this folder never imports
 * gateway.ts.
 */
import type {
  GatewayApi,
  GatewayStatus,
  LoginStart,
  ProfileEntry,
  ProfileView,
  Settings,
  SettingsChange,
  SecretsView,
  ServerAuthView,
  ServerToolView,
  ServerView,
  SessionView,
  ToolOptions,
  ToolView,
  TrafficReplay,
} from '../../../preload/contract/index.ts';
import type { QuestionBroker } from '../elicitation/broker.ts';
import type { TrafficLog } from '../traffic/index.ts';
import type { ClientInstalls } from './client-installs.ts';
import type { UpstreamStatus } from '../upstreams/types.ts';

/** One server as the host lists it (the gateway's ServerStatusDto fits). */
type ServerRow = UpstreamStatus & {
  transport?: ServerView['transport'];
  toolCount?: number;
  leftOutTools?: string[];
  toolsError?: string;
  disabled?: boolean;
  isolated?: boolean;
  auth?: ServerAuthView;
};

/** What the API reads and drives. */
export interface ApiHost {
  configPath(): string;
  /** The error of the last config edit that could not be applied. */
  configError(): { message: string } | undefined;
  /** The file was broken when the gateway started and still is: it runs with no servers. */
  runsWithoutConfig(): boolean;
  httpUrl(): string | undefined;
  /** Why the HTTP listener the config asks for is not open (its port is taken); undefined when it is. */
  httpListenerProblem?(): string | undefined;
  socketPath(): string | undefined;
  servers(): ServerRow[];
  catalogTools(server?: string): Promise<ToolView[]>;
  serverLog(name: string): string[];
  restartServer(name: string): Promise<void>;
  loginServer(name: string): Promise<LoginStart>;
  completeLogin(name: string, address: string): Promise<void>;
  cancelLogin(name: string): Promise<void>;
  logoutServer(name: string): Promise<void>;
  paused(): boolean;
  setPaused(paused: boolean): Promise<void>;
  /** Whether the traffic record takes new exchanges (`traffic.enabled` as applied). */
  trafficRecording(): boolean;
  /** Why the traffic history is not being written now; undefined while it is, or when none is kept. */
  trafficHistoryProblem?(): string | undefined;
  /** Adds a server to the config file and applies it (server-edits.ts). */
  addServer(name: string, entry: Record<string, unknown>): Promise<void>;
  renameServer(name: string, newName: string): Promise<void>;
  removeServer(name: string): Promise<void>;
  getServerEntry(name: string): Promise<Record<string, unknown>>;
  updateServer(name: string, entry: Record<string, unknown>): Promise<void>;
  setServerEnabled(name: string, enabled: boolean): Promise<void>;
  listServerTools(name: string): ServerToolView[];
  setToolOptions(server: string, tool: string, options: ToolOptions): Promise<void>;
  listProfiles(): Promise<ProfileView[]>;
  saveProfile(name: string, profile: ProfileEntry): Promise<void>;
  removeProfile(name: string): Promise<void>;
  listSessions(): SessionView[];
  getSettings(): Settings;
  changeSettings(change: SettingsChange): Promise<void>;
  listSecrets(): Promise<SecretsView>;
  setSecret(name: string, value: string): Promise<void>;
  deleteSecret(name: string): Promise<void>;
  /** The AI clients' configs (client-installs.ts). */
  readonly clients: ClientInstalls;
  /** Applies the config file now (after an edit made outside the watcher's view). */
  reload(): Promise<void>;
  /** The traffic record. */
  readonly traffic: Pick<TrafficLog, 'list' | 'tree' | 'stats' | 'export'>;
  replayTraffic(id: string, options: { confirm?: boolean }): Promise<TrafficReplay>;
}

export function createGatewayApi(
  host: ApiHost,
  version: string,
  questions: Pick<QuestionBroker, 'list' | 'answer'>,
): GatewayApi {
  return {
    async getStatus() {
      return gatewayStatus(host, version);
    },
    async listServers() {
      return host.servers().map(serverView);
    },
    async listTools(server) {
      return host.catalogTools(server);
    },
    async restartServer(name) {
      await host.restartServer(name);
    },
    async loginServer(name) {
      return host.loginServer(name);
    },
    async completeLogin(name, address) {
      await host.completeLogin(name, address);
    },
    async cancelLogin(name) {
      await host.cancelLogin(name);
    },
    async logoutServer(name) {
      await host.logoutServer(name);
    },
    async setPaused(paused) {
      await host.setPaused(paused);
    },
    async addServer(name, entry) {
      await host.addServer(name, entry);
    },
    async getServerEntry(name) {
      return host.getServerEntry(name);
    },
    async updateServer(name, entry) {
      await host.updateServer(name, entry);
    },
    async renameServer(name, newName) {
      await host.renameServer(name, newName);
    },
    async removeServer(name) {
      await host.removeServer(name);
    },
    async getSettings() {
      return host.getSettings();
    },
    async changeSettings(change) {
      await host.changeSettings(change);
    },
    async listSessions() {
      return host.listSessions();
    },
    async listProfiles() {
      return host.listProfiles();
    },
    async saveProfile(name, profile) {
      await host.saveProfile(name, profile);
    },
    async removeProfile(name) {
      await host.removeProfile(name);
    },
    async listSecrets() {
      return host.listSecrets();
    },
    async setSecret(name, value) {
      await host.setSecret(name, value);
    },
    async deleteSecret(name) {
      await host.deleteSecret(name);
    },
    async listClients() {
      return host.clients.list();
    },
    async previewInstall(client, profile) {
      return host.clients.preview(client, profile);
    },
    async installClient(client, choice) {
      if (typeof choice === 'object') return host.clients.install(client, choice.profile, choice.fingerprint);
      return host.clients.install(client, choice);
    },
    async uninstallClient(client) {
      return host.clients.uninstall(client);
    },
    async previewAdoption(client, servers) {
      return host.clients.previewAdoption(client, servers);
    },
    async adoptServers(client, servers) {
      const done = await host.clients.adopt(client, servers);
      await host.reload();
      return done;
    },
    async restoreClient(client) {
      return host.clients.restore(client);
    },
    async setServerEnabled(name, enabled) {
      await host.setServerEnabled(name, enabled);
    },
    async listServerTools(name) {
      return host.listServerTools(name);
    },
    async setToolOptions(server, tool, options) {
      await host.setToolOptions(server, tool, options);
    },
    async getServerLog(name) {
      return host.serverLog(name);
    },
    async listQuestions() {
      return questions.list();
    },
    async answerQuestion(id, answer) {
      questions.answer(id, answer);
    },
    async listTraffic(filter) {
      return host.traffic.list(filter);
    },
    async getTrafficTree(id) {
      return host.traffic.tree(id);
    },
    async getTrafficStats(query) {
      return host.traffic.stats(query);
    },
    async exportTraffic(format, filter) {
      return host.traffic.export(filter ?? {}, format);
    },
    async replayTraffic(id, options) {
      return host.replayTraffic(id, options ?? {});
    },
  };
}

export function gatewayStatus(host: ApiHost, version: string): GatewayStatus {
  const status: GatewayStatus = {
    version,
    configPath: host.configPath(),
    listen: [host.httpUrl(), host.socketPath()].filter((x): x is string => x !== undefined),
    paused: host.paused(),
    trafficRecording: host.trafficRecording(),
  };
  const error = host.configError();
  if (error) status.configError = error.message;
  if (error && host.runsWithoutConfig()) status.runsWithoutConfig = true;
  const httpProblem = host.httpListenerProblem?.();
  if (httpProblem) status.httpProblem = httpProblem;
  const historyProblem = host.trafficHistoryProblem?.();
  if (historyProblem) status.trafficHistoryProblem = historyProblem;
  return status;
}

function serverView(s: ServerRow): ServerView {
  const view: ServerView = {
    name: s.name,
    kind: s.kind,
    ...(s.transport === undefined ? {} : { transport: s.transport }),
    state: s.state,
    restarts: s.restarts,
  };
  if (s.toolCount !== undefined) view.toolCount = s.toolCount;
  if (s.lastError !== undefined) view.lastError = s.lastError;
  if (s.pid !== undefined) view.pid = s.pid;
  if (s.leftOutTools?.length) view.leftOutTools = s.leftOutTools;
  if (s.toolsError !== undefined) view.toolsError = s.toolsError;
  if (s.disabled) view.disabled = true;
  if (s.isolated) view.isolated = true;
  if (s.auth) view.auth = s.auth;
  return view;
}
