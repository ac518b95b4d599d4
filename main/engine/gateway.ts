/**
 * The gateway: config in, upstreams running, sessions routed, listeners open. Everything the
 * CLI, the tray app and the tests drive goes through here.
 */
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import {
  isConfigMissing,
  loadConfigFile,
  watchConfigFile,
  blankConfigError,
  diffConfigs,
  emptyConfig,
  findReferences,
  findServerReferences,
  findSettingReferences,
  resolveServer,
  resolveSetting,
  ConfigError,
  TOOL_NAME_PATTERN,
  type ConfigDiff,
  type LoadedConfig,
  type SettingReference,
  type ResolvedConfig,
  type HttpListenConfig,
  type RemoteTransport,
  type ResolvedServer,
} from './config/index.ts';
import { deepEqual } from './config/diff.ts';
import {
  describeSecretStore,
  isValidSecretName,
  readsUntil,
  secretValueProblem,
  type SecretStore,
} from './secrets/store.ts';
import { BACKUP_KEY_NAME, backupKeyProblem } from './installers/backups.ts';
import { createRedactor, MAX_RETIRED_VALUES, type Redactor, type SecretValue } from './secrets/redactor.ts';
import { GatewayError, errorMessage, toRpcError } from './protocol/errors.ts';
import type { RequestId } from './protocol/jsonrpc.ts';
import { Session, type SendFn, type TransportKind } from './downstream/session.ts';
import { attachLineSession } from './downstream/line-session.ts';
import { StatelessDispatcher } from './downstream/stateless.ts';
import { listenHttp, type HttpListener } from './downstream/http-server.ts';
import { ensurePrivateDir, listenLocalSocket } from './downstream/socket-listener.ts';
import { UpstreamRegistry } from './upstreams/registry.ts';
import { StdioMcpUpstream } from './upstreams/mcp-stdio/stdio-upstream.ts';
import type {
  GatewayApi,
  LogLine,
  ProfileEntry,
  ProfileView,
  SecretsView,
  SecretUse,
  ServerToolView,
  SessionView,
  ToolOptions,
  Settings,
  SettingsChange,
  ToolView,
} from '../../preload/contract/index.ts';
import { createGatewayApi, gatewayStatus } from './api/gateway-api.ts';
import { createApiDispatcher, type ApiDispatch } from './api/dispatch.ts';
import { EventHub } from './api/events.ts';
import { createStderrFeed, type StderrFeed } from './api/stderr-feed.ts';
import { API_PREFIX, createApiRoutes, type ApiRoutes } from './api/http-binding.ts';
import { OTHER_PORT, UI_PREFIX, UiSessions, createUiRoutes, isUiPath } from './api/ui-routes.ts';
import {
  addServerToConfigFile,
  maskEntry,
  readServerEntry,
  removeServerFromConfigFile,
  setServerKey,
  renameServerInConfigFile,
  updateServerInConfigFile,
} from './api/server-edits.ts';
import { ClientInstalls, type ClientInstallSetup } from './api/client-installs.ts';
import { changeSettings } from './api/settings-edits.ts';
import { listenProblem } from './downstream/port-probe.ts';
import { removeProfileFromConfigFile, saveProfileToConfigFile } from './api/profile-edits.ts';
import { ensureApiToken } from './api/api-token.ts';
import { QuestionBroker, type QuestionRequest } from './elicitation/index.ts';
import { egressFetch } from './egress/fetch.ts';
import { isLoopbackHost } from './egress/user-url.ts';
import { describeNetworkFailure } from './egress/network-errors.ts';
import { logFailure, type LogNote } from './log.ts';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { acquireGatewayLock, type GatewayInfo, type HeldLock } from '../shared/gateway-lock.ts';
import { lockPath, serversPath, stoppedPath } from '../shared/paths.ts';
import { ProcessLedger, stopLeftoverServers } from './upstreams/process/leftovers.ts';
import { boundedFetch } from './oauth/bounded-fetch.ts';
import { clearStopped } from '../shared/stopped-marker.ts';
import { exposedToolName } from './routing/profile-view.ts';
import { compileFilter } from './routing/filters.ts';
import { aliasConflict, aliasConflicts, aliasMisfit, aliasMisfits } from './routing/alias-conflicts.ts';
import { createMcpUpstream } from './upstreams/era.ts';
import { FailedUpstream, WaitingUpstream } from './upstreams/failed.ts';
import { createHandlerUpstream, HandlerUpstream } from './upstreams/handler/handler-upstream.ts';
import { backoffDelay, DEFAULT_BACKOFF, retryForever, type BackoffPolicy } from './upstreams/lifecycle.ts';
import type { Upstream, UpstreamStatus } from './upstreams/types.ts';
import { StatusLines } from './upstreams/status-text.ts';
import { Catalog, MAX_PAGES, type ListKind } from './routing/catalog.ts';
import { Router, type RoutedServer } from './routing/router.ts';
import {
  TracedUpstream,
  TrafficLog,
  TrafficStore,
  deleteTrafficHistory,
  planReplay,
  resultOutcome,
  unwrapUpstream,
} from './traffic/index.ts';
import { callAsApp } from './downstream/app-session.ts';
import type { TrafficReplay } from '../../preload/contract/index.ts';
import type { TrafficSettings } from './config/index.ts';
import { OAuthManager } from './oauth/manager.ts';
import { headerEnv } from './upstreams/header-env.ts';
import type { AppliedChanges, SessionContext } from './upstreams/registry.ts';
import type { BrowserOpener, OAuthSession } from './oauth/session.ts';
import { OAuthVault } from './oauth/vault.ts';
import { createMemorySecretStore } from './secrets/memory-store.ts';
import type { LoginStart, ServerAuthView } from '../../preload/contract/index.ts';

export const GATEWAY_NAME = 'switchboard';

/**
 * A server waiting for the keychain (locked, not up yet at login) is tried again after this long,
 * then twice as long after each try that still fails, up to KEYCHAIN_RETRY_MAX_MS: a read of a
 * locked keyring may ask the user to unlock it, and one who said no is not asked every 30 s.
 */
export const KEYCHAIN_RETRY_MS = 30_000;
export const KEYCHAIN_RETRY_MAX_MS = 30 * 60_000;

/** After a `serve --stdio` client closes its stdin, how long its answers still owed may take (as the shim's). */
const STDIO_DRAIN_MS = 5_000;

/**
 * What the gateway offers servers as their client: all its clients could, since a question a client
 * cannot take (a form, a model request with tools) is put to the user in the app instead. Roots
 * without listChanged: a shared server is never told of one client's change of folders (router.ts).
 */
const UPSTREAM_CAPABILITIES: Record<string, unknown> = {
  roots: {},
  sampling: { tools: {} },
  elicitation: { form: {}, url: {} },
};

/**
 * What an isolated instance is offered: its roots/list can only ever go to the client it was started
 * for (nobody in the app knows that client's folders), so roots as that client declared them, or
 * none. Told roots it could never get, a server fails each roots/list, and servers that adapt to
 * their client (server-filesystem keeps its command-line folders, server-everything leaves out its
 * roots tool) cannot.
 */
function isolatedCapabilities(client: Record<string, unknown>): Record<string, unknown> {
  const { roots: _gateway, ...rest } = UPSTREAM_CAPABILITIES;
  const roots = Object.hasOwn(client, 'roots') ? client.roots : undefined;
  if (roots === undefined) return rest;
  // Passed on as declared ({ listChanged }), else as plain support: a server's SDK refuses a non-object.
  return { ...rest, roots: typeof roots === 'object' && roots !== null && !Array.isArray(roots) ? roots : {} };
}

export interface GatewayOptions {
  configPath: string;
  /** A missing config file means "no servers yet" instead of an error (the default path). */
  allowMissingConfig?: boolean;
  secrets: SecretStore;
  version: string;
  env?: NodeJS.ProcessEnv;
  /** Where per-server stderr logs go. */
  logDir?: string;
  /** Private directory for the shim socket (undefined: no socket listener). */
  runtimeDir?: string;
  /** Overrides for config `listen`; `false` turns a listener off. */
  http?: false | { host?: string; port?: number };
  socket?: boolean;
  /** Apply edits to the config file without a restart. */
  watch?: boolean;
  /**
   * A config that cannot be loaded at start does not stop the gateway: it runs with no servers,
   * reports the error (configError(), the `config-error` event, status) and, with `watch`, applies
   * the file as soon as it is fixed. For long-running gateways (serve, the app); one-shot commands fail.
   */
  keepRunningOnConfigError?: boolean;
  backoff?: BackoffPolicy;
  /**
   * A one-shot command (`list`, `call`, `doctor`): remote servers and JSON handlers give up after
   * `backoff.maxAttempts` too, instead of being retried for as long as they are configured; one
   * that is down must not hold the command for its whole time limit.
   */
  oneShot?: boolean;
  /** How long a 2026-07-28 call waits for its client to come back with answers (default 10 minutes; tests). */
  statelessParkedTtlMs?: number;
  /** How long an idle Streamable HTTP session is kept (default 2 hours; tests). */
  httpSessionIdleMs?: number;
  /** How long an unused web UI login is kept (default 12 hours; tests). */
  uiSessionIdleMs?: number;
  /** How often an idle event stream of the control API gets a keep-alive (default 25 s; tests). */
  apiKeepAliveMs?: number;
  /** How many 2026-07-28 calls may wait for their clients at once (default 1000; tests). */
  statelessMaxParked?: number;
  /** Keep running without HTTP when its port is taken (a gateway started by the shim). */
  httpOptional?: boolean;
  /** What to do about a taken HTTP port, in the words of where the gateway runs (default: the CLI's). */
  httpPortAdvice?: string;
  /** Run only these servers (one-shot commands like `call`). */
  onlyServers?: string[];
  /**
   * Run only the servers of this profile, as the config has it after each reload (`serve --stdio`: one
   * client, one profile; the rest would start for nobody).
   */
  onlyProfile?: string;
  /**
   * Whether a server's question that no client can answer is put to a person (the app's
   * Questions, the web UI). Default true; off for one-shot commands, where nobody would see it:
   * the server is told at once that nobody can answer, instead of waiting for its time limit.
   */
  askPeople?: boolean;
  /**
   * Resolves the host names of remote URLs for the egress check (egress/policy.ts). Default: the
   * system resolver. Tests pass one that answers what a hostile DNS server would; it is used in
   * the same place, so the same check applies.
   */
  dnsLookup?: LookupFunction;
  /**
   * Take the runtime directory's lock (one gateway per user) before starting anything. Default:
   * true when `runtimeDir` is set.
   */
  lock?: boolean;
  /** Where this gateway's output goes, recorded in the lock for `switchboard status`. */
  logFile?: string;
  /**
   * When a server whose secrets the keychain could not give (locked, or not up yet at login) is first
   * tried again; twice as long after each try that fails. Default KEYCHAIN_RETRY_MS.
   */
  keychainRetryMs?: number;
  /**
   * The traffic history database (config `traffic.history`); undefined: the record is kept in
   * memory only (one-shot commands, and tests that do not look at history).
   */
  trafficHistoryFile?: string;
  /** The built renderer, served as the web UI under /ui on the HTTP listener (headless mode). */
  uiDir?: string;
  /** Where the AI clients' configs are and what to install into them (the Clients screen); none: refused. */
  clientInstalls?: ClientInstallSetup;
  /**
   * Where OAuth tokens of remote servers are kept: the keychain's OAuth service (keychain-store.ts,
   * namespace "oauth"). Default: memory (forgotten at exit; one-shot commands and tests).
   */
  oauthStore?: SecretStore;
  /** Opens a login's authorization URL in the system browser (the app); none: the URL is logged and returned. */
  openBrowser?: (url: string) => Promise<void>;
  /** Logs in without a person at hand whenever a server needs it (conformance runs only). */
  oauthAutoLogin?: BrowserOpener;
  /** How long a login waits for the browser (default 5 minutes). */
  oauthLoginTimeoutMs?: number;
}

/** Another gateway holds the lock of this runtime directory. */
export class AlreadyRunningError extends GatewayError {
  readonly holder: GatewayInfo;
  constructor(holder: GatewayInfo, lockFile: string) {
    super(
      'internal',
      `Switchboard is already running for this user: pid ${holder.pid} since ${holder.startedAt}, config ` +
        `${holder.configPath} (lock ${lockFile}). See "switchboard status", or stop it with "switchboard stop".`,
    );
    this.holder = holder;
  }
}

/** Whether `err` says the keychain could not be read (not that a secret is missing from it). */
function keychainDown(err: unknown): err is GatewayError {
  return err instanceof GatewayError && err.code === 'secret_store_unavailable';
}

export type RunningServer = ResolvedServer &
  RoutedServer & {
    resolveError?: string;
    /** Set with resolveError in a one-shot command when the keychain could not be read (not a secret missing): why. */
    keychainDown?: string;
    /** Why it has not started yet: its secrets are being read (startServers). */
    readingSecrets?: string;
  };
const LIST_NAMES = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resourceTemplates: 'resource templates',
} as const;

/** A server's entry without the keys its process never sees (the gateway waits `timeoutMs` for its answers). */
const withoutGatewayKeys = (server: RunningServer) => ({
  ...server,
  tools: undefined,
  prompts: undefined,
  description: undefined,
  timeoutMs: undefined,
});

interface ResolvedEntry {
  running: RunningServer;
  secrets: SecretValue[];
  /** The entry as the config has it, when its references were read: kept if the keychain goes away. */
  source?: ResolvedConfig['servers'][string];
  /** Its secrets could not be read because the keychain could not be reached: tried again. */
  waitsForKeychain?: true;
}

export interface ServerStatusDto extends UpstreamStatus {
  /** A remote server's transport when it is not `auto` (ServerView.transport). */
  transport?: Exclude<RemoteTransport, 'auto'>;
  isolated: boolean;
  disabled: boolean;
  instances: number;
  toolCount?: number;
  leftOutTools?: string[];
  /** Why its tools/list failed, while no list of it is known. */
  toolsError?: string;
  auth?: ServerAuthView;
}

/** What a reload changed: the servers it started, stopped, restarted or updated, and the profiles. */
export interface ReloadChanges extends AppliedChanges {
  profiles: ConfigDiff['profiles'];
}

export interface GatewayEvents {
  status: [status: UpstreamStatus];
  reloaded: [changes: ReloadChanges];
  'config-error': [error: ConfigError];
  log: [line: LogLine];
}

export class Gateway extends EventEmitter<GatewayEvents> {
  private readonly opts: GatewayOptions;
  private current: ResolvedConfig = emptyConfig();
  /** The references in the file's own settings (listen.http.token): `current` holds their values. */
  private settingReferences: SettingReference[] = [];
  /** Paused from the tray or the window: no server runs until resumed (not saved). */
  private pausedNow = false;
  private pausedSince = 0;
  private loaded?: LoadedConfig;
  private lastConfigError?: ConfigError;
  private readonly registry: UpstreamRegistry<RunningServer>;
  private readonly catalog = new Catalog();
  private readonly router: Router;
  private http?: HttpListener;
  /** Why the HTTP listener is not open although the config asks for one (recorded in the lock). */
  private httpProblem?: string;
  private socket?: { path: string; close(): Promise<void> };
  private watcher?: { close(): void };
  /** The next try of the servers waiting for the keychain (scheduleKeychainRetry). */
  private keychainRetry: NodeJS.Timeout | undefined;
  /** The tries of the keychain that failed in a row (each waits twice as long as the one before). */
  private keychainTries = 0;
  /** Whether the file is not applied because the keychain could not give its listener token. */
  private fileWaitsForKeychain = false;
  private reloading: Promise<void> = Promise.resolve();
  /** The listener start() is opening, if any. */
  private listenerOpening: Promise<void> = Promise.resolve();
  /** Aborted by stop(): reads of the config's secrets still waiting for the keychain are given up then. */
  private readonly stopping = new AbortController();
  private readonly secretsUntilStop: SecretStore;
  /** A refusal for limits.maxIsolatedProcesses was logged, and no process has stopped since. */
  private refusalLogged = false;
  private stopped = false;
  private readonly lineSessions = new Set<Session>();
  /** Each server's recent state changes (the last 50), for its log (serverLog). */
  private readonly serverHistory = new Map<string, { at: number; text: string }[]>();
  /** Each server's state as a line of its log (the next start or stop does not repeat the error just told). */
  private readonly statusLines = new StatusLines();
  /** The control API for the UI (IPC in the app, HTTP in headless mode). */
  readonly api: GatewayApi;
  /** Runs one API call for a binding: checks the arguments, answers a Reply. */
  readonly dispatch: ApiDispatch;
  /** What the UI sees change without polling (status, servers, questions, log lines, config errors). */
  readonly events: EventHub;
  /** Elicitation and sampling no client could answer, waiting for the user. */
  readonly questions = new QuestionBroker();
  /** Every message at both edges, redacted: live, queried and kept (traffic/). */
  readonly traffic: TrafficLog;
  /** The history's retention now ('' when none is kept), to apply it only when that changes. */
  private historyRetention: string | undefined;
  /** The open history, kept across reloads that change only its retention. */
  private historyStore: TrafficStore | undefined;
  /** Servers' stderr lines, live, as `log` events. */
  private readonly stderrFeed: StderrFeed;
  private apiRoutes?: ApiRoutes;
  /** The web UI's login codes and sessions (headless mode), for as long as this gateway runs. */
  private readonly uiSessions: UiSessions;
  private configEdits: Promise<void> = Promise.resolve();
  readonly clients: ClientInstalls;
  /** Serves stateless 2026-07-28 clients over HTTP and stdio. */
  private readonly stateless: StatelessDispatcher;
  private apiTokenValue?: string;
  private lock?: HeldLock;
  /** Restarts of a server's instances that Restart replaced (its count goes on); cleared when its entry changes. */
  private readonly restartsBefore = new Map<string, number>();
  /** The alias warnings last logged (aliasConflicts), so a reload does not repeat them. */
  private aliasWarnings = '';
  /** The servers' processes, on disk while the lock is ours (the next gateway stops what a killed one left). */
  private processes?: ProcessLedger;
  /** Hides every secret value the gateway resolved from everything it stores or shows. */
  private readonly redactor = createRedactor();
  /** What the current config's servers resolved, and our own (the listener and API tokens). */
  private serverSecrets: SecretValue[] = [];
  /** Each running server's entry with its references replaced, and the secret values that took. */
  private resolvedServers = new Map<string, ResolvedEntry>();
  /**
   * Client header values given to isolated processes (headersToEnv), by the instance holding them,
   * with the session it was started for. They are that session's to hide, not everyone's: any user
   * of a shared gateway chooses them, and as the gateway's secrets a value such as "echo" would blank
   * that word in every other user's record, log and errors.
   */
  private readonly sessionSecrets = new Map<Upstream, { session: string; values: SecretValue[] }>();
  /** Per session with such values: what hides them in its traffic, its processes' output and its errors. */
  private readonly sessionRedactors = new Map<string, Redactor>();
  /** Sessions whose processes with header values are gone, oldest first: kept a while for late writes. */
  private readonly retiredSessionRedactors = new Set<string>();
  private readonly oauth: OAuthManager;
  private ownSecrets: SecretValue[] = [];

  constructor(opts: GatewayOptions) {
    super();
    this.opts = opts;
    this.uiSessions = new UiSessions(Date.now, {
      ...(opts.uiSessionIdleMs ? { idleMs: opts.uiSessionIdleMs } : {}),
      // However a session ends, the event streams opened with it end too.
      onEnded: (secretDigest) => this.apiRoutes?.endStreamsOpenedWith(secretDigest),
    });
    this.registry = new UpstreamRegistry<RunningServer>(
      (server, session, sessionId) => this.createUpstream(server, session, sessionId),
      // Which tools and prompts clients see, and by what names, is the gateway's, a description is
      // the user's note, and how long calls may take is the gateway's wait: no restart for any of them
      // (a restart cut every call in flight, a remote server's session and each client's own process).
      (a, b) => deepEqual(withoutGatewayKeys(a), withoutGatewayKeys(b)),
      {
        max: () => this.current.limits.maxIsolatedProcesses,
        refusal: (server, max) =>
          new FailedUpstream(
            server.name,
            server.kind,
            `${isolatedAtLimit(max)}; it starts for this client once one of them stops`,
          ),
      },
    );
    // A process started with a client's header values: those values are hidden until it is gone.
    this.registry.on('stopped', (upstream) => {
      const held = this.sessionSecrets.get(upstream);
      if (!held) return;
      this.sessionSecrets.delete(upstream);
      this.sessionValuesChanged(held.session);
    });
    this.registry.on('added', (u, server, owner) => {
      if (this.registry.refused(u)) {
        this.logRefusal(server, owner);
        return this.publishServers();
      }
      u.on('status', (status) => {
        const s = this.redactStatus(status, owner);
        this.recordEvent(s);
        this.emit('status', s);
      });
    });
    // A process stopped: the refused sessions ask again, and the next refusal is news.
    this.registry.on('lifted', () => {
      this.refusalLogged = false;
      this.publishServers();
    });
    this.events = new EventHub({
      onListenerError: (text) => this.log({ level: 'error', text }),
      redact: (payload) => this.redactor.redactDeep(payload),
    });
    this.stderrFeed = createStderrFeed((line) => this.events.publish('log', line));
    this.traffic = new TrafficLog({
      version: opts.version,
      // Entries are redacted as they are recorded; live batches go only to whoever watches.
      publish: (batch) => this.events.broadcast('traffic', batch),
      hasViewers: () => this.events.hasListeners(),
      log: (level, text) => this.log({ level, text }),
    });
    this.traffic.configure({
      redact: (text, scope) => this.redactIn(text, scope),
      redactCutEnd: (text, scope) => this.redactCutEndIn(text, scope),
      warn: (text) => this.log({ level: 'warn', text }),
    });
    this.oauth = new OAuthManager({
      vault: new OAuthVault(opts.oauthStore ?? createMemorySecretStore()),
      clientInfo: { name: 'Switchboard', version: opts.version },
      ...(opts.oauthAutoLogin ? { autoLogin: opts.oauthAutoLogin } : {}),
      ...(opts.oauthLoginTimeoutMs ? { loginTimeoutMs: opts.oauthLoginTimeoutMs } : {}),
      log: (text) => this.log({ level: 'info', text }),
      onChange: () => this.publishServers(),
      onSecrets: () => this.setSecrets([]),
    });
    this.secretsUntilStop = readsUntil(opts.secrets, this.stopping.signal, 'Switchboard is stopping');
    this.clients = new ClientInstalls(opts.clientInstalls, { configPath: opts.configPath, secrets: opts.secrets }, () =>
      Object.keys(this.current.profiles),
    );
    this.api = createGatewayApi(this, opts.version, this.questions);
    this.dispatch = createApiDispatcher({
      api: this.api,
      // The message only: log lines reach every window and event stream.
      onInternalError: (method, err) =>
        this.log({ level: 'error', text: `control API ${method} failed: ${errorMessage(err)}` }),
      redact: (reply) => this.redactor.redactDeep(reply),
    });
    this.stateless = new StatelessDispatcher({
      createSession: (profile, send, onAbandoned) =>
        this.createSession(profile, 'streamable-http', send, undefined, onAbandoned),
      serverCapabilities: (profile) => this.router.serverCapabilities(profile),
      serverInstructions: (profile) => this.router.serverInstructions(profile),
      serverInfo: { name: GATEWAY_NAME, version: opts.version },
      ...(opts.statelessParkedTtlMs ? { parkedTtlMs: opts.statelessParkedTtlMs } : {}),
      ...(opts.statelessMaxParked ? { maxParked: opts.statelessMaxParked } : {}),
      log: (text) => this.log({ level: 'warn', text }),
    });
    this.questions.on('log', (text) => this.log({ level: 'warn', text }));
    this.questions.on('added', (question) => this.events.publish('question-added', question));
    this.questions.on('ended', (ended) => this.events.publish('question-ended', ended));
    // A server's state or tool count changed, or servers came and went: the list, once per burst.
    this.on('status', () => this.publishServers());
    // A tool list changed, or could not be read (the Servers screen says why its tools are unknown).
    const toolsChanged = (_upstream: Upstream, kind: ListKind) => {
      if (kind === 'tools') this.publishServers();
    };
    this.catalog.on('changed', toolsChanged);
    this.catalog.on('failed', toolsChanged);
    this.catalog.on('left-out', (upstream, kind, items) => {
      this.log({
        level: 'warn',
        server: upstream.name,
        text:
          `server "${upstream.name}": left out of its ${LIST_NAMES[kind]} (MCP clients refuse a whole list with ` +
          `one of these in it): ${items.join('; ')}`,
      });
      // The Servers screen shows the tools left out.
      if (kind === 'tools') this.publishServers();
    });
    this.catalog.on('cut', (upstream, kind, items) => {
      this.log({
        level: 'warn',
        server: upstream.name,
        text:
          `server "${upstream.name}": its ${LIST_NAMES[kind]} go on past ${MAX_PAGES} pages (it gave a nextCursor ` +
          `each time); clients are listed the ${items} in those, the rest are left out`,
      });
    });
    this.router = new Router({
      registry: this.registry,
      onSessionsChanged: () => this.events.publishLatest('sessions', () => this.listSessions()),
      ...(opts.askPeople === false
        ? {
            nobodyToAsk:
              'nobody is there to answer it: a one-shot command such as "switchboard call" starts the server ' +
              'itself and asks no one, even while Switchboard runs (call the tool from an AI client connected ' +
              'to Switchboard: the client shows the question, or the app does)',
          }
        : { prompter: { ask: (request, options) => this.questions.ask(this.withoutOwnValues(request), options) } }),
      log: (note) => this.log(note),
      catalog: this.catalog,
      profileServers: (profile) => this.profileServers(profile),
      separator: () => this.current.namespaceSeparator,
      maxRequestMs: () => this.current.timeouts.maxRequestMs,
      paused: () => this.pausedNow,
      traffic: this.traffic.recorder,
    });
  }

  /** Loads the config (throws ConfigError when invalid), starts servers and listeners. */
  async start(): Promise<void> {
    // First of all: a second gateway must not start a second copy of every server.
    if (this.opts.runtimeDir !== undefined && this.opts.lock !== false) await this.takeLock(this.opts.runtimeDir);
    let startError: ConfigError | undefined;
    let tokenRead: { loaded: LoadedConfig; config: Promise<ResolvedConfig> } | undefined;
    try {
      const loaded = await this.load();
      const settings = this.resolveSettings(loaded.config).catch((err: unknown) => {
        // A setting that cannot be resolved (the token's secret) is about this very content.
        throw err instanceof ConfigError ? err.about(loaded.hash) : err;
      });
      if (this.tokenFromKeychain(loaded.config)) {
        // Read meanwhile: only the HTTP listener needs it, and it stays closed until then. Its failure is
        // takeToken's to report, unless the start ends first (a stop, which gives the read up).
        void Promise.allSettled([settings]);
        tokenRead = { loaded, config: settings };
        this.loaded = { ...loaded, config: { ...loaded.config, listen: { ...loaded.config.listen, http: false } } };
        this.httpProblem =
          `waiting for its token (listen.http.token) from ${describeSecretStore(this.opts.secrets)}, where an ` +
          'unlock prompt may be waiting for your answer; it opens once the token is read';
        this.log({ level: 'info', text: `the HTTP listener is not open yet: ${this.httpProblem}` });
      } else this.loaded = { ...loaded, config: await settings };
      this.current = this.loaded.config;
    } catch (err) {
      if (!this.opts.keepRunningOnConfigError || !isConfigError(err)) throw err;
      this.current = emptyConfig();
      this.onConfigError(err);
      startError = err;
    }
    // Reloads, and the servers whose secrets are read, wait for the token: it decides whether the file applies.
    let tokenSettled = (): void => undefined;
    if (tokenRead) {
      const settled = new Promise<void>((resolve) => (tokenSettled = resolve));
      this.reloading = this.reloading.then(() => settled);
    }
    try {
      this.applyTrafficSettings(this.current.traffic);
      this.warnAboutAliases(this.current);
      const { secretsRead } = await this.startServers(this.current);
      // Stopped meanwhile (Quit while the keychain was asked): nothing opens after the stop.
      if (this.stopped) return;
      // Not after the servers' secrets: clients (a shim gives up after 15 s) reach the servers that need none.
      // The socket first: it is what shims need, and it refuses a second gateway cleanly.
      await this.openListener(() => this.openSocket());
      if (this.stopped) return;
      if (tokenRead) {
        await this.recordAddresses();
        this.publishStatus();
        startError = (await this.takeToken(tokenRead.loaded, tokenRead.config)) ?? startError;
        if (this.stopped) return;
      }
      await this.openListener(() => this.openHttp());
      if (this.stopped) return;
      await this.recordAddresses();
      this.publishStatus();
      tokenSettled();
      await secretsRead;
      if (this.stopped) return;
    } finally {
      tokenSettled();
    }
    if (this.opts.watch) {
      this.watcher = watchConfigFile(
        this.opts.configPath,
        (result) => {
          if (this.stopped) return;
          this.reloading = this.reloading
            .then(() => ('error' in result ? this.onConfigError(result.error) : this.applyConfig(result.config)))
            .catch(logFailure(this.warn, 'could not apply the config change'));
        },
        // Only a change from what was loaded (or failed to load) applies.
        { initialHash: this.loaded?.hash ?? startError?.sourceKey },
      );
      // Meanwhile: reading the clients' files (Claude Code's can take a quarter of a second) holds up nothing.
      void this.clients.watch(
        (change) => {
          const dropped = change.change === 'entry-removed' && !change.bySwitchboard;
          this.log({ level: dropped || change.change === 'error' ? 'warn' : 'info', text: change.message });
          this.events.publish('client-file', change);
        },
        (text) => this.log({ level: 'warn', text }),
      );
    }
  }

  /** Whether the HTTP listener's token is read from the keychain (which may wait for an unlock prompt). */
  private tokenFromKeychain(config: ResolvedConfig): boolean {
    if (this.opts.http === false || config.listen.http === false) return false;
    return findSettingReferences(config).some((r) => r.kind === 'secret');
  }

  /**
   * The token read at start: the config as it is with it, or, when it cannot be had, what a file that
   * cannot be applied at start gets (none of it runs: its servers started meanwhile stop). Returns that error.
   */
  private async takeToken(loaded: LoadedConfig, read: Promise<ResolvedConfig>): Promise<ConfigError | undefined> {
    let config: ResolvedConfig;
    try {
      config = await read;
    } catch (err) {
      if (this.stopped) return undefined; // its read was given up by the stop: no error of the file
      if (!this.opts.keepRunningOnConfigError || !isConfigError(err)) throw err;
      this.httpProblem = undefined;
      this.loaded = undefined;
      this.current = emptyConfig();
      this.onConfigError(err);
      this.applyTrafficSettings(this.current.traffic);
      this.closeSessionsOfGoneProfiles();
      await this.applyServers(this.current);
      this.router.invalidate();
      this.publishServers();
      return err;
    }
    if (this.stopped) return undefined;
    this.httpProblem = undefined;
    this.loaded = { ...loaded, config };
    this.current = config;
    return undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.watcher?.close();
    this.clients.stopWatching();
    clearTimeout(this.keychainRetry);
    await this.reloading;
    this.questions.withdrawAll('Switchboard is stopping');
    this.stateless.closeAll();
    this.apiRoutes?.close();
    for (const s of [...this.lineSessions]) s.close('Switchboard stopped');
    // An HTTP client's calls in flight are told why, on the stream each waits on, before it closes: they got
    // "Session ended before the request was answered", or nothing on an event stream (waiting for their own
    // timeout). A shim's client hears it from its shim, which sees the gateway go.
    const http = new Set(['streamable-http', 'sse']);
    for (const s of this.router.listSessions()) if (http.has(s.transport)) s.close('Switchboard stopped', true);
    // A listener the start is opening is closed too, once open (it opens in moments: no keychain in it).
    await Promise.allSettled([this.listenerOpening]);
    await Promise.all([this.http?.close('Switchboard stopped'), this.socket?.close()]);
    // Nothing answers there now: whatever shows the addresses (serve's output, the app's status) shows none.
    this.http = undefined;
    this.socket = undefined;
    this.httpProblem = undefined;
    await this.registry.stopAll();
    // After everything that could still record (cancelled calls, stopping servers).
    this.traffic.close();
    await this.lock?.release();
    this.lock = undefined;
  }

  /** The running gateway this process is, as the lock records it (undefined without a lock). */
  lockInfo(): GatewayInfo | undefined {
    return this.lock?.info;
  }

  private async takeLock(dir: string): Promise<void> {
    await ensurePrivateDir(dir);
    const file = lockPath(dir);
    const result = await acquireGatewayLock(file, {
      version: this.opts.version,
      configPath: this.opts.configPath,
      ...(this.opts.logFile === undefined ? {} : { logFile: this.opts.logFile }),
    });
    if (!result.ok) throw new AlreadyRunningError(result.holder, file);
    this.lock = result.lock;
    // The lock was free: any gateway before this one is gone, and what it recorded is left over.
    const ledger = serversPath(dir);
    const leftovers = await stopLeftoverServers(ledger);
    if (leftovers.length)
      this.log({
        level: 'warn',
        text: `stopped ${leftovers.length} server process(es) a previous gateway left running: ${leftovers.join(', ')}`,
      });
    this.processes = new ProcessLedger(ledger, this.warn);
    // Started by the user again: clients' shims may start a gateway again once this one is gone.
    await clearStopped(stoppedPath(dir)).catch(logFailure(this.warn, `could not remove ${stoppedPath(dir)}`));
  }

  /** `switchboard status` reads the lock: it says the file as saved is not what runs, and why. */
  private recordConfigError(): void {
    const error = this.lastConfigError && this.redactor.redact(this.lastConfigError.message);
    const runsWithoutConfig = error === undefined ? undefined : this.runsWithoutConfig() || undefined;
    void this.lock
      ?.update({ configError: error, runsWithoutConfig })
      .catch(logFailure(this.warn, 'could not record the config error'));
  }

  /** Records the listeners' addresses in the lock, for `switchboard status`. */
  private async recordAddresses(): Promise<void> {
    await this.lock?.update({
      ...(this.http ? { http: this.http.url } : { http: undefined }),
      httpProblem: this.http ? undefined : this.httpProblem,
      ...(this.socket ? { socket: this.socket.path } : { socket: undefined }),
    });
  }

  config(): ResolvedConfig {
    return this.current;
  }

  configPath(): string {
    return this.opts.configPath;
  }

  /** The error of the last edit that could not be applied (the previous config keeps running). */
  configError(): ConfigError | undefined {
    return this.lastConfigError;
  }

  /** No version of the file has been applied: it was broken when the gateway started, and still is. */
  runsWithoutConfig(): boolean {
    return this.loaded === undefined;
  }

  httpUrl(): string | undefined {
    return this.http?.url;
  }

  /** Why the HTTP listener the config asks for is not open (`httpOptional`: its port was taken). */
  httpListenerProblem(): string | undefined {
    return this.http ? undefined : this.httpProblem;
  }

  /**
   * A one-time link that logs a browser into the web UI (valid ten minutes), or undefined without
   * an HTTP listener. Show it to the user only: it is as good as the API token until it is used.
   * Made for a logged-in page (`madeFor`, its request), the session it opens belongs to that page's login.
   */
  uiLoginUrl(madeFor?: IncomingMessage): string | undefined {
    const mcp = this.http?.url;
    if (!mcp) return undefined;
    return `${mcp.replace(/\/mcp$/, '')}${UI_PREFIX}/#login=${this.uiSessions.newCode(madeFor)}`;
  }

  /**
   * Requests that need no listener token even when the listener has one: the web UI's pages and
   * login (which authenticates by its one-time code), and /api, which has its own token (or a UI
   * session's).
   */
  private uiOwnsAuth(req: IncomingMessage): boolean {
    // The path as the routes will see it (`..` and `%2e%2e` resolved): `/ui/../mcp` is /mcp.
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (isUiPath(path)) return true;
    return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);
  }

  /** The HTTP listener's connection counters (open, shed to make room, refused). */
  httpConnectionStats(): { open: number; shed: number; refused: number } | undefined {
    return this.http?.connectionStats();
  }

  socketPath(): string | undefined {
    return this.socket?.path;
  }

  /** The bearer token of the /api control routes (its own, in the runtime directory; never the listener's). */
  apiToken(): string | undefined {
    return this.apiTokenValue;
  }

  /** The client sessions open now (the app's own replay sessions left out). */
  listSessions(): SessionView[] {
    return this.router
      .listSessions()
      .filter((s) => s.transport !== 'app')
      .map((s) => {
        const view: SessionView = {
          id: s.id,
          transport: s.transport,
          profile: s.profile,
          since: s.createdAt,
          lastHeard: s.lastHeard,
        };
        if (s.clientInfo) view.client = s.clientInfo.version ? { ...s.clientInfo } : { name: s.clientInfo.name };
        if (s.protocolVersion !== undefined) view.revision = s.protocolVersion;
        return view;
      });
  }

  sessionCount(): number {
    return this.router.sessionCount();
  }

  /** Redacts a text the way everything the gateway shows is redacted (CLI output, for one). */
  redact(text: string): string {
    return this.redactor.redact(text);
  }

  getSettings(): Settings {
    const http = this.current.listen.http;
    const traffic = this.current.traffic;
    const settings: Settings = {
      trafficEnabled: traffic.enabled,
      historyDays: traffic.historyDays,
      historyMaxBytes: traffic.historyMaxBytes,
    };
    if (http) {
      settings.httpPort = http.port;
      settings.httpHost = http.host;
    }
    const fixed = this.opts.http === false ? undefined : this.opts.http?.port;
    if (http && fixed !== undefined) settings.httpPortFromCommandLine = this.http?.port ?? fixed;
    return settings;
  }

  /** Writes settings into the config file and applies it now (a new port reopens the listener). */
  async changeSettings(change: SettingsChange): Promise<void> {
    if (change.httpPort !== undefined) await this.checkNewPort(change.httpPort);
    // A new port closes the listener this very request came on: the answer goes out first.
    const deferReload = change.httpPort !== undefined;
    await this.editConfig(() => changeSettings(this.opts.configPath, change), { deferReload });
  }

  /** A port another program holds (or one we may not use) is refused before it is written. */
  private async checkNewPort(port: number): Promise<void> {
    const listen = this.current.listen.http;
    // Given on the command line, the port is not the config's to change; 0 always finds one.
    if (port === 0 || port === this.http?.port || listen === false || this.opts.http === false) return;
    if (this.opts.http?.port !== undefined) return;
    // No port at all: the config's check refuses it at its field, in its words (Node would throw a RangeError).
    if (!Number.isInteger(port) || port < 0 || port > 65535) return;
    const host = this.opts.http?.host ?? listen.host;
    const problem = await listenProblem(host, port);
    if (!problem) return;
    const why =
      problem.code === 'EADDRINUSE'
        ? `port ${port} is in use by another program on ${host}`
        : problem.code === 'EACCES'
          ? `port ${port} may not be used by this user on ${host} (ports below 1024 need administrator rights)`
          : `port ${port} cannot be listened on at ${host}: ${problem.message}`;
    throw new GatewayError('invalid_request', `${why}; the config file was not changed`, { field: 'httpPort' });
  }

  /**
   * Config edits one at a time, each reading the file the one before wrote, each applied before
   * the next starts (toggling two tools quickly must not undo the first).
   */
  private editConfig(edit: () => Promise<void>, options: { deferReload?: boolean } = {}): Promise<void> {
    const run = async () => {
      await edit();
      if (!options.deferReload) return this.reload();
      setTimeout(() => void this.reload().catch(logFailure(this.warn, 'could not apply the config')), 50);
    };
    const next = this.configEdits.then(run, run);
    this.configEdits = next.then(settled, settled);
    return next;
  }

  /** Each profile's servers, endpoint, tool count and the approximate token cost of its tool list. */
  async listProfiles(): Promise<ProfileView[]> {
    const base = this.http?.url.replace(/\/mcp$/, '');
    return Object.values(this.current.profiles).map((profile) => {
      let tools = 0;
      let bytes = 0;
      const toolNames: string[] = [];
      for (const server of profile.servers) {
        const config = this.registry.config(server);
        const filter = compileFilter(config?.tools);
        // An isolated server's tools are those its clients' processes list, as the Servers screen counts them.
        for (const tool of this.toolsOf(server) ?? []) {
          const original = String(tool.name);
          if (!filter.includes(original)) continue;
          tools++;
          // Under the name its clients get (`server__tool`, an alias): the text they are sent.
          const name = this.exposedName(profile.name, server, original);
          bytes += JSON.stringify({ ...tool, name }).length;
          toolNames.push(name);
        }
      }
      const view: ProfileView = {
        name: profile.name,
        implicit: profile.implicit,
        servers: profile.servers,
        tools,
        toolNames,
        approxTokens: Math.ceil(bytes / 4),
      };
      if (profile.description !== undefined) view.description = profile.description;
      if (base)
        view.url = profile.name === 'default' ? `${base}/mcp` : `${base}/mcp/${encodeURIComponent(profile.name)}`;
      return view;
    });
  }

  /** Secret names in the store and in the config's references, with where each is used. */
  async listSecrets(): Promise<SecretsView> {
    const store = this.opts.secrets;
    const uses = new Map<string, SecretUse[]>();
    for (const ref of findReferences(this.current)) {
      if (ref.kind !== 'secret') continue;
      const use: SecretUse = { server: ref.server, field: ref.field };
      if (this.current.servers[ref.server]?.disabled) use.disabled = true;
      uses.set(ref.name, [...(uses.get(ref.name) ?? []), use]);
    }
    const settings = new Map<string, string[]>();
    for (const ref of this.settingReferences) {
      if (ref.kind === 'secret') settings.set(ref.name, [...(settings.get(ref.name) ?? []), ref.setting]);
    }
    let stored: Set<string> | undefined;
    let unavailable: string | undefined;
    try {
      stored = new Set(await store.list());
    } catch (err) {
      // The names the config uses are still worth showing, with where each is used.
      if (!keychainDown(err)) throw err;
      unavailable = err.message;
    }
    const names = [...new Set([...(stored ?? []), ...uses.keys(), ...settings.keys()])].sort();
    return {
      store: describeSecretStore(store),
      ...(unavailable === undefined ? {} : { unavailable }),
      secrets: names.map((name) => ({
        name,
        stored: stored ? stored.has(name) : null,
        usedBy: uses.get(name) ?? [],
        ...(settings.has(name) ? { settings: settings.get(name) } : {}),
        ...(name === BACKUP_KEY_NAME ? { own: 'backups of client files' } : {}),
      })),
    };
  }

  /** Stores a secret and applies the config again, so the servers that use it restart with it. */
  async setSecret(name: string, value: string): Promise<void> {
    if (!isValidSecretName(name)) {
      throw new GatewayError(
        'invalid_request',
        `invalid secret name ${JSON.stringify(name)}: use letters, digits, "_", "." and "-" (starting with a ` +
          'letter or digit, at most 128 characters)',
        { field: 'name' },
      );
    }
    const problem = secretValueProblem(value);
    if (problem) throw new GatewayError('invalid_request', `${problem}; "${name}" was not stored`, { field: 'value' });
    await this.refuseBackupKey(name, 'nothing stored');
    await this.opts.secrets.set(name, value);
    await this.applySecretChange(name);
  }

  async deleteSecret(name: string): Promise<void> {
    await this.refuseBackupKey(name, 'nothing removed');
    if (!(await this.opts.secrets.delete(name)))
      throw new GatewayError(
        'not_found',
        `there is no secret named "${name}" in ${describeSecretStore(this.opts.secrets)}`,
      );
    await this.applySecretChange(name);
  }

  /**
   * The config applied again after a secret changed, so what uses it has the new value. A secret of
   * the listener's own token reopens the listener this very request came on: the answer goes out first.
   */
  private async applySecretChange(name: string): Promise<void> {
    if (!this.settingReferences.some((ref) => ref.kind === 'secret' && ref.name === name)) return this.reload();
    setTimeout(() => void this.reload().catch(logFailure(this.warn, 'could not apply the config')), 50);
  }

  /** The backup key is Switchboard's, while client backups need it (see backupKeyProblem). */
  private async refuseBackupKey(name: string, outcome: string): Promise<void> {
    const dir = this.opts.clientInstalls?.context.stateDir;
    const problem = dir === undefined ? undefined : await backupKeyProblem(name, dir);
    if (problem) throw new GatewayError('invalid_request', `${problem}; ${outcome}`, { field: 'name' });
  }

  /** Adds a server to the config file (comments and order kept) and applies the file now. */
  async addServer(name: string, entry: Record<string, unknown>): Promise<void> {
    await this.editConfig(() => addServerToConfigFile(this.opts.configPath, name, entry));
  }

  async setServerEnabled(name: string, enabled: boolean): Promise<void> {
    await this.editConfig(() => setServerKey(this.opts.configPath, name, ['disabled'], enabled ? undefined : true));
  }

  /** A server's own tools as its catalog has them, each shown or hidden by its entry's filter. */
  listServerTools(name: string): ServerToolView[] {
    const config = this.current.servers[name];
    if (!config)
      throw new GatewayError('not_found', `no server named "${name}" in ${this.opts.configPath}`, { field: 'name' });
    const filter = compileFilter(config.tools);
    return (this.toolsOf(name) ?? []).map((tool) => {
      const original = String(tool.name);
      const view: ServerToolView = { originalName: original, shown: filter.includes(original) };
      if (view.shown) view.name = this.exposedName('default', name, original);
      const alias = config.tools.aliases[original];
      if (alias !== undefined) view.alias = alias;
      if (typeof tool.title === 'string') view.title = tool.title;
      if (typeof tool.description === 'string') view.description = tool.description;
      return view;
    });
  }

  async setToolOptions(server: string, tool: string, options: ToolOptions): Promise<void> {
    const file = this.opts.configPath;
    await this.editConfig(async () => {
      // From the file, not the config last applied: an edit just before this one counts.
      const entry = await readServerEntry(file, server);
      const filter = (entry.tools ?? {}) as { allow?: string[]; deny?: string[]; aliases?: Record<string, string> };
      if (options.shown !== undefined) {
        const deny = new Set(filter.deny ?? []);
        if (options.shown) deny.delete(tool);
        else deny.add(tool);
        const rules = { allow: filter.allow ?? [], deny: [...deny], aliases: filter.aliases ?? {} };
        if (options.shown && !compileFilter(rules).includes(tool)) {
          const pattern = rules.deny.find((p) => !compileFilter({ deny: [p] }).includes(tool));
          throw new GatewayError(
            'invalid_request',
            pattern === undefined
              ? `"${tool}" is kept out by the "tools.allow" list of "${server}" in ${file}; add it there to show it`
              : `"${tool}" is hidden by the pattern "${pattern}" in the "tools.deny" list of "${server}" in ${file}; ` +
                  `narrow or remove it there to show it`,
            { field: 'shown' },
          );
        }
        await setServerKey(file, server, ['tools', 'deny'], deny.size > 0 ? [...deny] : undefined);
      }
      if (options.alias !== undefined) {
        if (options.alias !== '') this.checkNewAlias(server, tool, options.alias);
        try {
          await setServerKey(
            file,
            server,
            ['tools', 'aliases', tool],
            options.alias === '' ? undefined : options.alias,
          );
        } catch (err) {
          if (err instanceof GatewayError && err.field === 'tools')
            throw new GatewayError('invalid_request', err.message, { field: 'alias' });
          throw err;
        }
      }
    });
  }

  /**
   * An alias from the UI must not be a name another tool has or may come to have (in a server's
   * namespace, or another server's alias): which tool it means would then depend on which server
   * came up first, and could change at the next start.
   */
  private checkNewAlias(server: string, tool: string, alias: string): void {
    // One the config refuses outright (a space) is said by the config's own check as it is saved.
    const misfit = TOOL_NAME_PATTERN.test(alias) ? aliasMisfit(server, tool, alias) : undefined;
    const why = misfit ?? aliasConflict(this.current.servers, this.current.namespaceSeparator, server, alias);
    if (why) throw new GatewayError('invalid_request', `${why}; choose another name for "${tool}"`, { field: 'alias' });
  }

  /**
   * Aliases written by hand that could come to mean another tool, or that clients would get under
   * another name: said in the log (once per change).
   */
  private warnAboutAliases(config: ResolvedConfig): void {
    const found = [
      ...aliasConflicts(config.servers, config.namespaceSeparator).map(
        (l) => `${l}; clients may see it on another tool`,
      ),
      ...aliasMisfits(config.servers),
    ];
    const key = found.join('\n');
    if (key === this.aliasWarnings) return;
    this.aliasWarnings = key;
    for (const line of found) this.log({ level: 'warn', text: line });
  }

  async getServerEntry(name: string): Promise<Record<string, unknown>> {
    return maskEntry(await readServerEntry(this.opts.configPath, name));
  }

  /**
   * Rewrites what the form owns of a server's entry and applies the file now. The form was shown the
   * entry as the control API answers it (redacted too): what comes back as shown keeps the file's value.
   */
  async updateServer(name: string, entry: Record<string, unknown>): Promise<void> {
    const shownAs = (current: Record<string, unknown>) => this.redactor.redactDeep(maskEntry(current));
    await this.editConfig(() => updateServerInConfigFile(this.opts.configPath, name, entry, shownAs));
  }

  /** Gives a server another name in the config file (and its profiles), and applies the file now. */
  async renameServer(name: string, newName: string): Promise<void> {
    await this.editConfig(() => renameServerInConfigFile(this.opts.configPath, name, newName));
  }

  /** Removes a server from the config file and applies the file now. */
  async removeServer(name: string): Promise<void> {
    await this.editConfig(() => removeServerFromConfigFile(this.opts.configPath, name));
  }

  async saveProfile(name: string, profile: ProfileEntry): Promise<void> {
    await this.editConfig(() => saveProfileToConfigFile(this.opts.configPath, name, profile));
  }

  async removeProfile(name: string): Promise<void> {
    await this.editConfig(() => removeProfileFromConfigFile(this.opts.configPath, name));
  }

  /**
   * Re-reads the config file now (what the watcher does on a change), after any reload, pause or
   * resume under way: two applied at once could run a server twice, or end on the older file.
   */
  async reload(): Promise<void> {
    const run = this.reloading.then(async () => {
      if (this.stopped) return;
      try {
        await this.applyConfig(await loadConfigFile(this.opts.configPath));
      } catch (err) {
        if (isConfigError(err)) return this.onConfigError(err);
        throw err;
      }
    });
    this.reloading = run.catch(logFailure(this.warn, 'could not apply the config'));
    await run;
  }

  servers(): ServerStatusDto[] {
    // Paused, nothing runs, but the servers are still the user's: listed as stopped.
    if (this.pausedNow)
      return Object.values(this.current.servers).map((server) => ({
        name: server.name,
        kind: server.kind,
        state: 'stopped',
        restarts: 0,
        since: this.pausedSince,
        isolated: server.kind === 'stdio' ? server.isolated : false,
        disabled: server.disabled,
        instances: 0,
        ...transportOf(server),
      }));
    return this.registry.names().map((name) => {
      const server = this.registry.config(name)!;
      const shared = this.registry.sharedInstance(name);
      const instances = this.registry
        .all()
        .filter((u) => this.registry.server(u) === name && !this.registry.refused(u));
      const status: UpstreamStatus = (shared && this.redactStatus(shared.status())) ?? {
        name,
        kind: server.kind,
        state: server.disabled ? 'stopped' : instances.length ? 'ready' : 'stopped',
        restarts: 0,
        since: Date.now(),
      };
      const dto: ServerStatusDto = {
        ...status,
        restarts: status.restarts + (this.restartsBefore.get(name) ?? 0),
        isolated: server.isolated,
        disabled: server.disabled,
        instances: instances.length,
        ...transportOf(server),
      };
      const tools = this.toolsOf(name);
      if (tools) dto.toolCount = tools.length;
      const leftOut = shared ? this.catalog.leftOut(shared, 'tools') : [];
      if (leftOut.length) dto.leftOutTools = leftOut;
      const refused = this.registry.refusedSessions(name);
      if (refused > 0)
        dto.lastError =
          `${refused} client session${refused === 1 ? '' : 's'} refused: ` +
          `${isolatedAtLimit(this.current.limits.maxIsolatedProcesses)}; each starts once one of them stops`;
      const toolsError = this.toolListError(name);
      if (toolsError !== undefined) dto.toolsError = toolsError;
      const auth = this.oauth.get(name)?.status();
      if (auth && auth.state !== 'unknown') dto.auth = { ...auth, state: auth.state };
      return dto;
    });
  }

  upstream(name: string): Upstream | undefined {
    return this.registry.sharedInstance(name);
  }

  /**
   * A server's own tools as last listed: its shared process's, or for an isolated server any of its
   * clients' processes' (the same program); undefined while none has listed them.
   */
  private toolsOf(name: string): Record<string, unknown>[] | undefined {
    const shared = this.registry.sharedInstance(name);
    if (shared) return this.catalog.cached(shared, 'tools');
    for (const upstream of this.registry.all()) {
      if (this.registry.server(upstream) !== name) continue;
      const tools = this.catalog.cached(upstream, 'tools');
      if (tools) return tools;
    }
    return undefined;
  }

  /** The tools a server offers, as it names them (waits for it to be ready). */
  async serverTools(name: string, timeoutMs = 30_000): Promise<Record<string, unknown>[]> {
    const upstream = this.requireServer(name);
    await upstream.whenReady(timeoutMs);
    return this.catalog.list(upstream, 'tools');
  }

  /**
   * Why a one-shot command's server did not start because this process could not read the keychain (a terminal
   * without the session's D-Bus, a keyring locked here), not a secret missing from it; undefined otherwise.
   */
  keychainOutOfReach(name: string): string | undefined {
    return this.registry.config(name)?.keychainDown;
  }

  /**
   * Why a server's tools/list failed (an error answer, a timeout), redacted, while it has never
   * answered one: its tools are unknown, not none. Undefined once a list is known (a later failed
   * read keeps that list for clients).
   */
  toolListError(name: string): string | undefined {
    const upstream = this.registry.sharedInstance(name);
    if (!upstream || this.catalog.cached(upstream, 'tools') !== undefined) return undefined;
    const error = this.catalog.error(upstream, 'tools');
    return error === undefined ? undefined : this.redact(error);
  }

  /** The tools a server listed that clients could not take, one line each (`tool "x" (why)`). */
  leftOutTools(name: string): string[] {
    const upstream = this.registry.sharedInstance(name);
    return upstream ? this.catalog.leftOut(upstream, 'tools') : [];
  }

  /** Tools as clients of the default profile see them, with the server each comes from. */
  async catalogTools(server?: string): Promise<ToolView[]> {
    const names = server === undefined ? this.registry.enabledNames() : [server];
    const out: ToolView[] = [];
    for (const name of names) {
      const upstream = this.registry.sharedInstance(name);
      if (!upstream) continue;
      const filter = compileFilter(this.registry.config(name)?.tools);
      for (const tool of this.catalog.cached(upstream, 'tools') ?? []) {
        const original = String(tool.name);
        if (!filter.includes(original)) continue;
        const dto: ToolView = {
          name: this.exposedName('default', name, original),
          server: name,
          originalName: original,
        };
        if (typeof tool.title === 'string') dto.title = tool.title;
        if (typeof tool.description === 'string') dto.description = tool.description;
        out.push(dto);
      }
    }
    return out;
  }

  /** A tool's name as a profile's clients see it: the name given so far, else the one it would get. */
  private exposedName(profile: string, server: string, original: string): string {
    const wanted = exposedToolName(
      server,
      original,
      this.registry.config(server)?.tools,
      this.current.namespaceSeparator,
    );
    // The name the profile gave it, unless an alias or a filter changed what it asks for since.
    return this.router.toolName(profile, server, original, wanted) ?? wanted;
  }

  /**
   * A server's recent stderr (stdio), state changes and the gateway's notes about it, as one
   * timeline, oldest first, each line with its time of day (as the live log shows them).
   */
  serverLog(name: string): string[] {
    const upstream = this.registry.sharedInstance(name);
    const inner = upstream && unwrapUpstream(upstream);
    const stderr = inner instanceof StdioMcpUpstream || inner instanceof HandlerUpstream ? inner.timedStderr() : [];
    // A stable sort: lines of the same millisecond stay in the order each source had them.
    return [...(this.serverHistory.get(name) ?? []), ...stderr]
      .sort((a, b) => a.at - b.at)
      .map((line) => `${timeOfDay(line.at)} ${line.text}`);
  }

  paused(): boolean {
    return this.pausedNow;
  }

  trafficRecording(): boolean {
    return this.traffic.recorder.enabled;
  }

  trafficHistoryProblem(): string | undefined {
    return this.historyStore?.problem();
  }

  /** Stops every server (paused) or starts the configured ones again; clients stay connected. */
  async setPaused(paused: boolean): Promise<void> {
    if (this.stopped) throw new GatewayError('upstream_unavailable', 'Switchboard is stopping');
    if (paused === this.pausedNow) return;
    this.pausedNow = paused;
    this.pausedSince = Date.now();
    // Said at once: the tray and the window show paused (and Resume) while the servers stop, not
    // "0 of 2 servers ready" with Pause still offered until the slowest of them is gone.
    this.publishStatus();
    // In line with config reloads: both decide which servers run. Quick pause-resume pairs each
    // apply what holds when they run, and a stop that came meanwhile wins.
    const change = this.reloading.then(async () => {
      if (this.stopped) return;
      await this.applyServers(this.current);
      this.router.invalidate();
      this.publishServers();
      this.publishStatus();
      this.log({ level: 'info', text: this.pausedNow ? 'paused: every server is stopped' : 'resumed' });
    });
    this.reloading = change.catch(logFailure(this.warn, `could not ${paused ? 'pause' : 'resume'}`));
    await change;
  }

  /**
   * Starts a server again with its references read again: a secret stored or changed since (by
   * `switchboard secrets set`, say) is used, and one still missing says so again. In turn with
   * config reloads, so it never runs an entry older than the file's.
   */
  async restartServer(name: string): Promise<void> {
    if (this.pausedNow && this.current.servers[name])
      throw new GatewayError('upstream_unavailable', `Switchboard is paused: resume it to start "${name}" again`);
    this.requireServer(name);
    const run = this.reloading.then(async () => {
      const server = this.current.servers[name];
      if (this.stopped || this.pausedNow || !server || !this.resolvedServers.has(name)) return;
      const before = this.registry.sharedInstance(name)?.status().restarts ?? 0;
      const entries = new Map(this.resolvedServers).set(name, await this.resolveEntry(server));
      const { restarted } = await this.runResolved(entries);
      if (!restarted.includes(name)) await this.registry.restart(name);
      // A new instance counts from 0: the crashes before a Restart stay in the count (a flaky server).
      this.restartsBefore.set(name, (this.restartsBefore.get(name) ?? 0) + before);
    });
    this.reloading = run.catch(logFailure(this.warn, `could not restart "${name}"`));
    await run;
  }

  async loginServer(name: string): Promise<LoginStart> {
    const session = this.oauthSession(name);
    const open = async (url: URL): Promise<boolean> => {
      if (this.opts.openBrowser) {
        try {
          await this.opts.openBrowser(url.href);
          return true;
        } catch (err) {
          // The user can still open it: the URL is in the answer and the log.
          this.log({ level: 'warn', text: `could not open a browser: ${errorMessage(err)}`, server: name });
        }
      }
      this.log({ level: 'info', text: `to log in to server "${name}", open ${url.href}`, server: name });
      return false;
    };
    // Log in again while a login waits (the tab was closed): the same login, its page opened again.
    let opened: Promise<boolean> | undefined;
    if (!session.pendingLogin()) {
      const done = session.login(async (url) => {
        await (opened = open(url));
      });
      // Once logged in, the servers using this login start again with its token; a failed login is
      // logged (and shown on the server).
      done.then(
        () => {
          for (const other of Object.keys(this.current.servers))
            if (this.oauth.get(other) === session)
              this.restartServer(other).catch(logFailure(this.warn, `could not restart "${other}" after its login`));
        },
        (err: unknown) => this.log({ level: 'warn', text: errorMessage(err), server: name }),
      );
    }
    // A login that fails before its page is known fails this call.
    const url = await session.pendingUrl().catch((err: unknown) => {
      throw asLoginFailure(err);
    });
    if (!url) return { opened: false };
    return { authorizationUrl: url.href, opened: await (opened ?? open(url)) };
  }

  async completeLogin(name: string, address: string): Promise<void> {
    const session = this.oauthSession(name);
    try {
      session.complete(address);
    } catch (err) {
      throw asLoginFailure(err);
    }
  }

  async cancelLogin(name: string): Promise<void> {
    const session = this.oauthSession(name);
    if (!session.pendingLogin()) return;
    // Its login then fails as cancelled, which the log and the server's state say.
    session.cancel();
  }

  async logoutServer(name: string): Promise<void> {
    await this.oauthSession(name).logout();
    this.log({ level: 'info', text: `logged out of server "${name}"`, server: name });
    await this.registry.restart(name);
  }

  private oauthSession(name: string): OAuthSession {
    const server = this.current.servers[name];
    if (!server)
      throw new GatewayError(
        'not_found',
        `no server named "${name}" in ${this.opts.configPath} ` +
          `(known: ${Object.keys(this.current.servers).join(', ') || 'none'})`,
      );
    if (server.kind !== 'http')
      throw new GatewayError('invalid_request', `server "${name}" is not a remote server: only remote servers log in`);
    const session = this.oauth.get(name);
    if (!session)
      throw new GatewayError(
        'invalid_request',
        `server "${name}" does not use OAuth ("oauth": false in its entry, or an Authorization header is configured)`,
      );
    return session;
  }

  profileExists(profile: string): boolean {
    return Object.hasOwn(this.current.profiles, profile);
  }

  createSession(
    profile: string,
    transport: TransportKind,
    send: SendFn,
    id?: string,
    onRequestAbandoned?: (id: RequestId) => void,
  ): Session {
    const session: Session = new Session({
      profile,
      transport,
      send,
      handler: this.router,
      serverInfo: { name: GATEWAY_NAME, version: this.opts.version },
      maxBufferedBytes: this.current.limits.maxSessionBufferBytes,
      maxRequestsInFlight: this.current.limits.maxRequestsInFlight,
      log: (text) => this.log({ level: 'warn', text }),
      ...(id ? { id } : {}),
      ...(onRequestAbandoned ? { onRequestAbandoned } : {}),
      redactError: (message) => this.redactIn(message, session.id),
      traffic: this.traffic.recorder,
    });
    return session;
  }

  /** Sends a recorded request again (traffic/replay.ts says what may be), recorded as a new exchange. */
  async replayTraffic(id: string, options: { confirm?: boolean }): Promise<TrafficReplay> {
    const plan = planReplay(this.traffic.get(id), options);
    const recorder = this.traffic.recorder;
    let exchangeId: string;
    let answer: { result: Record<string, unknown> } | { error: { code: number; message: string } };
    if (plan.via === 'client') {
      if (!this.profileExists(plan.profile))
        throw new GatewayError('not_found', `exchange ${id} was made in profile "${plan.profile}", which is gone`);
      ({ exchangeId, answer } = await callAsApp(
        (send) => this.createSession(plan.profile, 'app', send),
        { name: 'Switchboard replay', version: this.opts.version },
        plan.method,
        plan.params,
        // The server's own timeout answers first (the record says timeout); this only waits longer.
        Math.max(this.current.timeouts.requestMs, ...Object.values(this.current.servers).map((s) => s.timeoutMs)),
      ));
    } else {
      const upstream = this.requireServer(plan.server);
      exchangeId = recorder.enabled ? recorder.newId() : '';
      try {
        const result = await upstream.request(
          plan.method,
          plan.params,
          exchangeId ? { traffic: { id: exchangeId } } : {},
        );
        answer = { result };
      } catch (err) {
        const rpc = toRpcError(err);
        answer = { error: { code: rpc.code, message: this.redactor.redact(rpc.message) } };
      }
    }
    // The record says how it ended (a timeout, a cancellation), from the history when one is kept.
    const recorded = exchangeId ? this.traffic.find(exchangeId) : undefined;
    const outcome = recorded?.outcome ?? ('result' in answer ? resultOutcome(plan.method, answer.result) : 'error');
    return 'result' in answer
      ? { id: exchangeId, outcome, result: this.redactor.redactDeep(answer.result) }
      : { id: exchangeId, outcome, error: answer.error };
  }

  /** A session over a line stream: `serve --stdio` and shim connections. */
  attachLineSession(
    input: Readable,
    output: Writable,
    profile: string,
    transport: TransportKind,
    head?: Buffer,
  ): Session {
    const session = attachLineSession({
      input,
      output,
      transport,
      maxMessageBytes: this.current.limits.maxRequestBytes,
      maxRequestsInFlight: this.current.limits.maxRequestsInFlight,
      createSession: (send) => this.createSession(profile, transport, send),
      stateless: { dispatcher: this.stateless, profile },
      ...(head ? { head } : {}),
      // A stdio client may close its stdin and read on: its answers get a few seconds, as the shim
      // gives its client (a shim's socket ends both ways at once; the shim waits on its side).
      ...(transport === 'stdio' ? { drainMs: STDIO_DRAIN_MS } : {}),
    });
    this.lineSessions.add(session);
    session.onClose(() => {
      this.lineSessions.delete(session);
      // A shim's connection ends with its session (the gateway may end it: its profile was removed).
      if (transport === 'socket') output.end();
    });
    return session;
  }

  // ---- internals ---------------------------------------------------------

  private async load(): Promise<LoadedConfig> {
    try {
      return await loadConfigFile(this.opts.configPath);
    } catch (err) {
      if (this.opts.allowMissingConfig && isConfigMissing(err)) {
        // Create the folder so the file can simply be dropped in (and watched).
        await mkdir(path.dirname(this.opts.configPath), { recursive: true });
        this.log({ level: 'info', text: `no config file at ${this.opts.configPath} yet: starting with no servers` });
        // Keyed as the watcher keys a missing file: its first look must not call that a change (an error).
        return { path: this.opts.configPath, config: emptyConfig(), hash: err.sourceKey ?? '' } as LoadedConfig;
      }
      throw err;
    }
  }

  private recordEvent(s: UpstreamStatus): void {
    const text = this.statusLines.line(s);
    this.remember(s.name, s.since, text);
    // Live in the server's log too, as its stderr is (they were seen only after a reload).
    const level = s.state === 'failed' ? 'error' : s.state === 'backoff' ? 'warn' : 'info';
    this.events.publish('log', { at: s.since, level, server: s.name, source: 'gateway', text });
  }

  /** A line of a server's log as the gateway keeps it (the last 50: its states and the notes about it). */
  private remember(server: string, at: number, text: string): void {
    let lines = this.serverHistory.get(server);
    if (!lines) this.serverHistory.set(server, (lines = []));
    lines.push({ at, text });
    if (lines.length > 50) lines.shift();
  }

  private profileServers(profile: string): string[] | undefined {
    const p = this.current.profiles[profile];
    if (!p) return undefined;
    return p.servers.filter((name) => this.current.servers[name] && !this.current.servers[name]!.disabled);
  }

  private requireServer(name: string): Upstream {
    const upstream = this.registry.sharedInstance(name);
    if (upstream) return upstream;
    // Paused, nothing runs: the server is still the user's, not one missing from the config.
    if (this.pausedNow && this.current.servers[name])
      throw new GatewayError(
        'upstream_unavailable',
        `Switchboard is paused, so "${name}" is not running: resume it from the tray menu or the app`,
      );
    const server = this.registry.config(name);
    if (!server)
      throw new GatewayError(
        'not_found',
        `no server named "${name}" in ${this.opts.configPath} (known: ${this.registry.names().join(', ') || 'none'})`,
      );
    if (server.disabled) throw new GatewayError('upstream_unavailable', `server "${name}" is disabled in the config`);
    throw new GatewayError(
      'upstream_unavailable',
      `server "${name}" is isolated: it runs only inside a client session`,
    );
  }

  private async applyConfig(file: LoadedConfig): Promise<void> {
    // Reload (a secret stored, the app's Reload) reads the file as the watcher does, and refuses as it does.
    if (file.blank) return this.onConfigError(blankConfigError(file.path, file.blank));
    let loaded: LoadedConfig;
    try {
      loaded = { ...file, config: await this.resolveSettings(file.config) };
    } catch (err) {
      if (this.stopped) return; // its token's read was given up by the stop: no error of the file
      if (isConfigError(err)) return this.onConfigError(err);
      throw err;
    }
    const diff = diffConfigs(this.current, loaded.config);
    const previous = this.current;
    this.loaded = loaded;
    this.current = loaded.config;
    if (this.lastConfigError) {
      this.lastConfigError = undefined;
      this.recordConfigError();
    }
    if (this.fileWaitsForKeychain) {
      this.fileWaitsForKeychain = false;
      this.keychainTries = 0;
    }
    this.applyTrafficSettings(loaded.config.traffic);
    this.warnAboutAliases(loaded.config);
    // Before anything is announced: told their lists changed as their profile went, clients listed
    // into a connection about to close (a shim's list was answered that the gateway had stopped).
    this.closeSessionsOfGoneProfiles();
    const changes = await this.applyServers(loaded.config);
    if (loaded.config.limits.maxIsolatedProcesses > previous.limits.maxIsolatedProcesses) this.registry.retryRefusals();
    for (const name of [...changes.restarted, ...changes.stopped]) this.restartsBefore.delete(name);
    this.router.invalidate();
    this.publishServers();
    // Only the listener whose settings changed is reopened: reopening the socket would cut every
    // shim's connection (and its calls in flight) for an HTTP setting such as allowedOrigins.
    if (diff.socketListenChanged) {
      await this.socket?.close();
      this.socket = undefined;
      await this.openSocket().catch(logFailure(this.warn, 'could not reopen the socket listener'));
    }
    // A port or host given on the command line stays whatever the config says: the listener is
    // reopened only when what it listens with changes (with --port 0 a reopen picked a new port).
    const before = this.listenerSettings(previous);
    const now = this.listenerSettings(this.current);
    // Only its token changed (rotated, or stored in the keychain): taken in place, so the HTTP clients'
    // connections, streams and sessions stay (a reopen cut every one, the browser UI's too).
    if (diff.httpListenChanged && this.http && sameButToken(before, now)) {
      try {
        this.http.setToken((now as HttpListenConfig).token);
        this.log({
          level: 'info',
          text: 'HTTP listener: listen.http.token changed; clients must now send the new one',
        });
      } catch (err) {
        const why = errorMessage(err);
        this.httpProblem = `the new listen.http settings could not be applied (${why}); listening as before`;
        this.log({ level: 'warn', text: `HTTP listener: ${this.httpProblem}` });
      }
    } else if (diff.httpListenChanged && !isDeepStrictEqual(before, now)) {
      // Started with --port 0, it keeps the port it was given (another random one loses every client).
      const samePort = this.opts.http !== false && this.opts.http?.port === 0 ? this.http?.port : undefined;
      const previousPort = this.http?.port;
      await this.http?.close('the HTTP listener was reopened with new settings');
      this.http = undefined;
      this.httpProblem = undefined;
      const failed = await this.openHttp(samePort).then(
        () => (this.listenerSettings(this.current) !== false && !this.http ? this.httpProblem : undefined),
        (err: unknown) => errorMessage(err),
      );
      // The new settings cannot be listened with (a port another program took since): the previous
      // ones again, so the UI and HTTP clients are not left without any listener.
      if (failed !== undefined && this.listenerSettings(previous) !== false) {
        await this.openHttp(previousPort, previous).catch(logFailure(this.warn, 'could not reopen the HTTP listener'));
        this.httpProblem = `the new listen.http settings could not be applied (${failed}); listening as before`;
        this.log({ level: 'warn', text: `HTTP listener: ${this.httpProblem}` });
      } else if (this.httpUrl() !== undefined) {
        // A service's log is where its address is read: the ready line gave the old one.
        this.log({ level: 'info', text: `HTTP listener reopened with its new settings: ${this.httpUrl()}` });
      } else if (this.listenerSettings(this.current) === false) {
        this.log({ level: 'info', text: 'HTTP listener closed (listen.http is false)' });
      }
    }
    if (diff.listenChanged)
      await this.recordAddresses().catch(logFailure(this.warn, 'could not record the new addresses in the lock'));
    this.emit('reloaded', { ...changes, profiles: diff.profiles });
    this.publishStatus();
  }

  /**
   * Clients of a profile the config no longer has are disconnected rather than shown empty lists:
   * a shim that reconnects, or an HTTP client that initializes again, is told the profile is gone.
   */
  private closeSessionsOfGoneProfiles(): void {
    // Not a stdio client (`serve --stdio` serves it alone, and could not tell it) nor a stateless call.
    const reconnecting = new Set(['socket', 'sse', 'streamable-http']);
    const gone = this.router
      .listSessions()
      .filter((s) => reconnecting.has(s.transport) && !s.stateless && !this.profileExists(s.profile));
    for (const profile of new Set(gone.map((s) => s.profile)))
      this.warn(`profile "${profile}" is no longer in the config: its clients are disconnected`);
    for (const session of gone) session.close(`its profile "${session.profile}" was removed from the config`, true);
  }

  private onConfigError(error: ConfigError): void {
    this.fileWaitsForKeychain = keychainDown(error.cause);
    this.scheduleKeychainRetry();
    this.lastConfigError = error;
    this.recordConfigError();
    this.emit('config-error', error);
    this.events.publish('config-error', { message: error.message, issues: error.issues });
    this.publishStatus();
  }

  private publishServers(): void {
    this.events.publishLatest('servers', () => this.api.listServers());
  }

  private publishStatus(): void {
    this.events.publishLatest('status', () => gatewayStatus(this, this.opts.version));
  }

  private readonly warn = (text: string): void => this.log({ level: 'warn', text });

  /** A line for the log views and the CLI. */
  /**
   * A session refused an isolated server for limits.maxIsolatedProcesses: logged once until a process
   * stops, as every refused session then asks again (a thousand of them would be a thousand lines).
   */
  private logRefusal(server: string, sessionId: string | undefined): void {
    if (this.refusalLogged) return;
    this.refusalLogged = true;
    const who = (sessionId !== undefined && this.router.describeSession(sessionId)) || 'a client session';
    this.log({
      level: 'warn',
      server,
      text:
        `not started for ${who}: ${isolatedAtLimit(this.current.limits.maxIsolatedProcesses)}; ` +
        'it starts there once one of them stops (until then further refusals are not logged)',
    });
  }

  /** `keptByServer`: the server's own log has the note already (a local server's, beside its stderr). */
  log(note: LogNote, keptByServer = false): void {
    const line: LogLine = {
      at: Date.now(),
      level: note.level,
      source: 'gateway',
      text: this.redactor.redact(note.text),
      ...(note.server === undefined ? {} : { server: note.server }),
    };
    // Kept with the server's states, or its log would lose them once its page is opened again.
    if (note.server !== undefined && !keptByServer) this.remember(note.server, line.at, line.text);
    this.emit('log', line);
    this.events.publish('log', line);
  }

  private async applyServers(config: ResolvedConfig): Promise<AppliedChanges> {
    const resolved = await Promise.all(this.wantedServers(config).map((server) => this.resolveEntry(server)));
    const changes = await this.runResolved(
      new Map(resolved.map((r) => [r.running.name, r])),
      this.pausedNow ? 'was stopped: Switchboard was paused' : undefined,
    );
    this.oauth.retain(new Set(Object.keys(config.servers)));
    return changes;
  }

  /**
   * The servers at start: those that need no secret start at once, those with a `${secret:}` once
   * it is read (until then they show as starting, waiting for the keychain): a keychain waiting on
   * an unlock prompt holds up only the servers that need it. Resolves when the first have started;
   * `secretsRead` once the others have (in line with reloads, which come after).
   */
  private async startServers(config: ResolvedConfig): Promise<{ secretsRead: Promise<void> }> {
    const wanted = this.wantedServers(config);
    const needKeychain = new Set(
      wanted.filter((s) => findServerReferences(s).some((r) => r.kind === 'secret')).map((s) => s.name),
    );
    if (needKeychain.size === 0) {
      await this.applyServers(config);
      return { secretsRead: Promise.resolve() };
    }
    const reads = Promise.all(wanted.filter((s) => needKeychain.has(s.name)).map((s) => this.resolveEntry(s)));
    const first = await Promise.all(
      wanted.map((s) => (needKeychain.has(s.name) ? Promise.resolve(this.readingEntry(s)) : this.resolveEntry(s))),
    );
    await this.runResolved(new Map(first.map((r) => [r.running.name, r])));
    this.oauth.retain(new Set(Object.keys(config.servers)));
    const rest = this.reloading.then(async () => {
      const read = await reads;
      // Given up by the stop: nothing starts after it.
      if (this.stopped) return;
      const entries = new Map(this.resolvedServers);
      // Only those still waiting for them: the config may have been dropped meanwhile (its token unreadable).
      for (const entry of read)
        if (entries.get(entry.running.name)?.running.readingSecrets !== undefined)
          entries.set(entry.running.name, entry);
      await this.runResolved(entries);
    });
    this.reloading = rest.catch(logFailure(this.warn, 'could not start the servers whose secrets were read'));
    return { secretsRead: rest };
  }

  /** A server shown as starting while its secrets are read from the keychain. */
  private readingEntry(server: ResolvedConfig['servers'][string]): ResolvedEntry {
    const isolated = server.kind === 'stdio' ? server.isolated : false;
    const readingSecrets =
      `reading its secrets from ${describeSecretStore(this.opts.secrets)} (an unlock prompt may be waiting for ` +
      'your answer); it starts once they are read';
    return { running: { ...server, isolated, readingSecrets }, secrets: [] };
  }

  /** The config's servers this gateway runs (none while paused). */
  private wantedServers(config: ResolvedConfig): ResolvedConfig['servers'][string][] {
    this.redactor.keepNames([...Object.keys(config.servers), ...Object.keys(config.profiles)]);
    const profile = this.opts.onlyProfile === undefined ? undefined : config.profiles[this.opts.onlyProfile];
    const members = this.opts.onlyProfile === undefined ? undefined : new Set(profile?.servers ?? []);
    const wanted = this.pausedNow
      ? []
      : Object.values(config.servers).filter(
          (s) =>
            (!this.opts.onlyServers || this.opts.onlyServers.includes(s.name)) && (!members || members.has(s.name)),
        );
    if (this.opts.onlyServers) {
      const unknown = this.opts.onlyServers.filter((n) => !config.servers[n]);
      if (unknown.length)
        throw new GatewayError(
          'not_found',
          `no server named ${unknown.map((n) => `"${n}"`).join(', ')} in ${this.opts.configPath} ` +
            `(known: ${Object.keys(config.servers).join(', ') || 'none'})`,
        );
    }
    return wanted;
  }

  /** A server's entry with its `${secret:}` and `${env:}` values, or why they cannot be had. */
  private async resolveEntry(server: ResolvedConfig['servers'][string]): Promise<ResolvedEntry> {
    const isolated = server.kind === 'stdio' ? server.isolated : false;
    try {
      const env = this.opts.env ?? process.env;
      const { server: values, secrets } = await resolveServer(server, { env, secrets: this.secretsUntilStop });
      unpassableValue(values);
      return { running: { ...values, isolated }, secrets, source: server };
    } catch (err) {
      if (!keychainDown(err)) return { running: { ...server, isolated, resolveError: errorMessage(err) }, secrets: [] };
      // Read before and unchanged since (a Restart, a reload for another server's edit): the values it
      // had still hold, and a locked keychain must not stop a server that runs.
      const before = this.resolvedServers.get(server.name);
      if (before?.source !== undefined && deepEqual(before.source, server)) {
        this.log({
          level: 'warn',
          server: server.name,
          text: `the keychain cannot be read now (${errorMessage(err)}): it keeps the values it was started with`,
        });
        return before;
      }
      // A one-shot command (list, call, doctor) is over before any later try, and has no Servers screen.
      if (this.opts.oneShot) {
        const keychainDown = err.cause instanceof Error ? err.cause.message : err.message;
        return { running: { ...server, isolated, resolveError: errorMessage(err), keychainDown }, secrets: [] };
      }
      // No "in N s": the text stays up while the tries go on, each later than the last.
      const most = Math.round(this.keychainRetryMaxMs() / 60_000);
      const again =
        `tried again by itself, less often each time, at most every ${most} min; ` +
        'Restart on the Servers screen tries now';
      const resolveError = `${errorMessage(err)} (${again})`;
      return { running: { ...server, isolated, resolveError }, secrets: [], waitsForKeychain: true };
    }
  }

  /**
   * What the keychain could not give is tried again while anything waits for it: a file its listener
   * token kept from applying, or servers their secrets kept from starting. A keychain locked when the
   * app started at login, or unlocked later, needs no Save of the file or Restart of each server.
   */
  private scheduleKeychainRetry(): void {
    clearTimeout(this.keychainRetry);
    this.keychainRetry = undefined;
    const serversWait = [...this.resolvedServers.values()].some((r) => r.waitsForKeychain);
    if (this.stopped || (!this.fileWaitsForKeychain && !serversWait)) {
      this.keychainTries = 0;
      return;
    }
    this.keychainRetry = setTimeout(() => this.retryKeychain(), this.nextKeychainTryMs());
    this.keychainRetry.unref();
  }

  /** How long until the next try of what waits for the keychain: twice as long after each that failed. */
  private nextKeychainTryMs(): number {
    const first = this.opts.keychainRetryMs ?? KEYCHAIN_RETRY_MS;
    const maxMs = this.keychainRetryMaxMs();
    return backoffDelay({ initialMs: first, maxMs, maxAttempts: Infinity, stableMs: 0 }, this.keychainTries + 1);
  }

  private keychainRetryMaxMs(): number {
    return Math.max(this.opts.keychainRetryMs ?? KEYCHAIN_RETRY_MS, KEYCHAIN_RETRY_MAX_MS);
  }

  private retryKeychain(): void {
    this.keychainRetry = undefined;
    // Counted as failed until it succeeds, which starts the count over.
    this.keychainTries++;
    // The file first: its servers read their secrets as it applies. A failure is the reload's to log.
    const fileWaited = this.fileWaitsForKeychain;
    if (fileWaited) void this.reload().then(undefined, () => undefined);
    // Then, unless the file applied (its servers have just been read), the servers of the config that
    // runs: a keychain that gives their secrets but not the token (macOS asks for each item) starts them.
    const run = this.reloading.then(() =>
      fileWaited && !this.fileWaitsForKeychain ? undefined : this.retryKeychainServers(),
    );
    this.reloading = run.catch(logFailure(this.warn, 'could not read the keychain again'));
  }

  private async retryKeychainServers(): Promise<void> {
    if (this.stopped || this.pausedNow) return;
    const entries = new Map(this.resolvedServers);
    let changed = false;
    for (const [name, entry] of entries) {
      const server = this.current.servers[name];
      if (!entry.waitsForKeychain || !server) continue;
      const again = await this.resolveEntry(server);
      if (again.waitsForKeychain) continue;
      entries.set(name, again);
      changed = true;
    }
    if (!changed) return this.scheduleKeychainRetry();
    this.keychainTries = 0;
    await this.runResolved(entries);
  }

  /** Runs exactly these servers: those whose resolved entry changed start again, the rest keep running. */
  private async runResolved(entries: Map<string, ResolvedEntry>, leftOut?: string): Promise<AppliedChanges> {
    // Its secrets were read while the gateway stopped: nothing starts after the stop.
    if (this.stopped) return { started: [], stopped: [], restarted: [], updated: [] };
    const secrets = [...entries.values()].flatMap((r) => r.secrets);
    // Old and new values both, while old processes are still being stopped; then only the new.
    this.setSecrets([...this.serverSecrets, ...secrets]);
    this.serverSecrets = secrets;
    this.resolvedServers = entries;
    const changes = await this.registry.apply(
      [...entries.values()].map((r) => r.running),
      leftOut,
    );
    this.setSecrets([]);
    this.scheduleKeychainRetry();
    return changes;
  }

  private setSecrets(extra: SecretValue[]): void {
    this.redactor.set([...this.ownSecrets, ...this.serverSecrets, ...this.oauth.secretValues(), ...extra]);
  }

  /** The gateway's secrets hidden in `text`, and the header values of `session` (see sessionSecrets). */
  private redactIn(text: string, session: string | undefined): string {
    // Most gateways have no headersToEnv: no lookup for each text recorded then.
    const own =
      session === undefined || this.sessionRedactors.size === 0 ? undefined : this.sessionRedactors.get(session);
    return this.redactor.redact(own ? own.redact(text) : text);
  }

  /** A question an isolated process asked, shown to the user without its session's header values. */
  private withoutOwnValues(request: QuestionRequest): QuestionRequest {
    const own = request.owner === undefined ? undefined : this.sessionRedactors.get(request.owner);
    return own ? { ...request, params: own.redactDeep(request.params) } : request;
  }

  private redactCutEndIn(text: string, session: string | undefined): string {
    const own = session === undefined ? undefined : this.sessionRedactors.get(session);
    const cut = this.redactor.dropPartialAtEnd(text);
    return own ? own.dropPartialAtEnd(cut) : cut;
  }

  /** A session's header values given to processes changed: its redactor hides them (and, a while, those gone). */
  private sessionValuesChanged(session: string): void {
    const values = [...this.sessionSecrets.values()].filter((h) => h.session === session).flatMap((h) => h.values);
    const known = this.sessionRedactors.get(session);
    if (values.length) {
      this.retiredSessionRedactors.delete(session);
      if (known) known.set(values);
      else this.sessionRedactors.set(session, createRedactor(values));
      return;
    }
    // What is still being written (a last log line, an exchange written on a later turn) keeps them hidden.
    if (!known) return;
    this.retiredSessionRedactors.add(session);
    if (this.retiredSessionRedactors.size <= MAX_RETIRED_VALUES) return;
    const [oldest] = this.retiredSessionRedactors;
    this.retiredSessionRedactors.delete(oldest!);
    this.sessionRedactors.delete(oldest!);
  }

  private redactStatus(status: UpstreamStatus, session?: string): UpstreamStatus {
    if (status.lastError === undefined) return status;
    return { ...status, lastError: this.redactIn(status.lastError, session) };
  }

  /**
   * Settings outside the servers that may be references: listen.http.token. Resolved at start and
   * on every reload; a missing secret is a config error (at start the gateway does not start, on a
   * reload the previous config keeps running).
   */
  private async resolveSettings(config: ResolvedConfig): Promise<ResolvedConfig> {
    // What the file refers to, even when it cannot be resolved (the Secrets screen lists a missing one).
    this.settingReferences = findSettingReferences(config);
    const http = config.listen.http;
    const own: SecretValue[] = [];
    let resolved = config;
    // A gateway without HTTP (one-shot CLI commands) has no use for the token: not looked up.
    if (http !== false && http.token !== undefined && this.opts.http !== false) {
      const context = { env: this.opts.env ?? process.env, secrets: this.secretsUntilStop };
      let token: { value: string; secrets: SecretValue[] };
      try {
        token = await resolveSetting(http.token, 'listen.http.token', context);
      } catch (err) {
        // A keychain that cannot be read names the secret, not the setting that needs it.
        const message = errorMessage(err);
        let about = message.includes('listen.http.token') ? message : `listen.http.token: ${message}`;
        const again = Math.round(this.nextKeychainTryMs() / 1000);
        if (keychainDown(err)) about += ` (the file is read again by itself after ${again} s, then less often)`;
        throw new ConfigError('config_invalid', `${this.opts.configPath}: ${about}`, [], { cause: err });
      }
      if (token.value.length < 16)
        throw new ConfigError(
          'config_invalid',
          `${this.opts.configPath}: listen.http.token must be at least 16 characters (e.g. the output of: ` +
            `openssl rand -hex 32)`,
        );
      // What can follow "Bearer " in a header: no spaces, nothing but visible ASCII.
      if (!/^[\x21-\x7e]+$/.test(token.value))
        throw new ConfigError(
          'config_invalid',
          `${this.opts.configPath}: listen.http.token may hold only visible ASCII characters (no spaces), as ` +
            `a client sends it in "Authorization: Bearer <token>", and it has ${notVisible(token.value)}; ` +
            'e.g. the output of: openssl rand -hex 32',
        );
      own.push({ label: 'listen.http.token', value: token.value }, ...token.secrets);
      resolved = { ...config, listen: { ...config.listen, http: { ...http, token: token.value } } };
    }
    this.ownSecrets = [...own, ...this.ownSecrets.filter((s) => s.label === 'api-token')];
    this.setSecrets([]);
    return resolved;
  }

  /** The traffic record's settings, at start and on every reload (memory limits apply at once). */
  private applyTrafficSettings(settings: TrafficSettings): void {
    this.traffic.configure({
      enabled: settings.enabled,
      maxEntries: settings.maxEntries,
      maxBytes: settings.maxMemoryBytes,
      maxPayloadBytes: settings.maxPayloadBytes,
      redactFields: settings.redactFields,
    });
    const file = this.opts.trafficHistoryFile;
    if (file === undefined) return;
    const keep = settings.historyDays > 0 && settings.historyMaxBytes > 0;
    const retention = keep ? `${settings.historyDays}d ${settings.historyMaxBytes}B` : '';
    if (retention === this.historyRetention) return;
    this.historyRetention = retention;
    if (!keep) {
      this.historyStore = undefined;
      this.traffic.useHistory(undefined);
      if (deleteTrafficHistory(file))
        this.log({ level: 'info', text: `traffic history is off (traffic.history): deleted ${file}` });
      return;
    }
    const limits = { maxAgeMs: settings.historyDays * 24 * 60 * 60 * 1000, maxBytes: settings.historyMaxBytes };
    if (this.historyStore) {
      this.historyStore.setRetention(limits);
      return;
    }
    this.historyStore = TrafficStore.open({
      file,
      ...limits,
      log: (level, text) => this.log({ level, text }),
      // The app and the CLI say so, as they do when recording is off: else only the log would.
      onProblem: () => this.publishStatus(),
    });
    this.traffic.useHistory(this.historyStore);
  }

  /** Every upstream's messages are recorded (when the record is on) under its server's name. */
  private createUpstream(server: RunningServer, session?: SessionContext, sessionId?: string): Upstream {
    const fromHeaders = server.kind === 'stdio' ? headerEnv(server.headersToEnv, session) : {};
    const capabilities = session?.clientCapabilities
      ? isolatedCapabilities(session.clientCapabilities)
      : UPSTREAM_CAPABILITIES;
    const values = Object.entries(fromHeaders).map(([label, value]) => ({ label, value }));
    // An instance is always started for a session; a made-up one still hides the values in its output.
    const scope = values.length ? (sessionId ?? randomBytes(8).toString('hex')) : undefined;
    const upstream = new TracedUpstream(
      this.createUntracedUpstream(server, fromHeaders, capabilities, scope),
      this.traffic.recorder,
      server.name,
      scope,
    );
    // Known before the process starts (start() follows): the first line it prints is hidden as well.
    if (scope !== undefined) {
      this.sessionSecrets.set(upstream, { session: scope, values });
      this.sessionValuesChanged(scope);
    }
    return upstream;
  }

  private createUntracedUpstream(
    server: RunningServer,
    fromHeaders: Record<string, string> = {},
    capabilities: Record<string, unknown> = UPSTREAM_CAPABILITIES,
    scope?: string,
  ): Upstream {
    if (server.resolveError !== undefined) return new FailedUpstream(server.name, server.kind, server.resolveError);
    if (server.readingSecrets !== undefined)
      return new WaitingUpstream(server.name, server.kind, server.readingSecrets);
    const deps = {
      clientInfo: { name: GATEWAY_NAME, version: this.opts.version },
      capabilities,
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      log: (text: string) => this.log({ level: 'info', text, server: server.name }, server.kind === 'stdio'),
    };
    if (server.kind === 'stdio') {
      return createMcpUpstream(
        {
          name: server.name,
          command: server.command,
          args: server.args,
          env: { ...server.env, ...fromHeaders },
          timeoutMs: server.timeoutMs,
          startupTimeoutMs: server.startupTimeoutMs,
          installTimeoutMs: server.installTimeoutMs,
          protocol: server.protocol,
          ...(server.cwd ? { cwd: server.cwd } : {}),
        },
        {
          ...deps,
          maxMessageBytes: this.current.limits.maxResponseBytes,
          onStderrLine: (text: string) => this.stderrFeed(server.name, text),
          ...(this.processes ? { processes: this.processes } : {}),
          redact: (text: string) => this.redactIn(text, scope),
          redactCutEnd: (text: string) => this.redactCutEndIn(text, scope),
          ...(this.opts.logDir ? { logDir: this.opts.logDir } : {}),
        },
      );
    }
    // A remote server or a handler is one request away from working again (a redeploy, the network
    // back): retried for as long as it is configured, where a local program that keeps crashing is
    // given up on. A one-shot command gives up on every kind.
    const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
    const remoteDeps = { ...deps, backoff: this.opts.oneShot ? backoff : retryForever(backoff) };
    if (server.kind === 'handler-http' || server.kind === 'handler-fastcgi') {
      return createHandlerUpstream(server, {
        ...remoteDeps,
        maxReplyBytes: this.current.limits.maxResponseBytes,
        onStderrLine: (text: string) => this.stderrFeed(server.name, text),
        redact: (text: string) => this.redactIn(text, scope),
        redactCutEnd: (text: string) => this.redactCutEndIn(text, scope),
        ...(this.opts.logDir ? { logDir: this.opts.logDir } : {}),
        ...(this.opts.dnsLookup ? { lookup: this.opts.dnsLookup } : {}),
      });
    }
    return createMcpUpstream(
      {
        name: server.name,
        url: server.url,
        headers: server.headers,
        transport: server.transport,
        timeoutMs: server.timeoutMs,
        startupTimeoutMs: server.startupTimeoutMs,
        forwardHeaders: server.forwardHeaders,
        overridableHeaders: server.overridableHeaders,
        allowPrivateNetwork: server.allowPrivateNetwork,
        ...(this.opts.dnsLookup ? { lookup: this.opts.dnsLookup } : {}),
        protocol: server.protocol,
        maxMessageBytes: this.current.limits.maxResponseBytes,
        ...this.oauthFor(server),
      },
      remoteDeps,
    );
  }

  /**
   * The OAuth session of a remote server, when it uses OAuth; its requests to the authorization
   * server pass the egress check too. The addresses OAuth goes to are named by the server (its
   * metadata, its 401), so a server on another machine cannot send the gateway to services on this
   * one that way, as it cannot by a redirect: only its own origin may be reached on loopback.
   */
  private oauthFor(server: RunningServer & { kind: 'http' }): { auth?: OAuthSession } {
    const rule = {
      allowPrivateNetwork: server.allowPrivateNetwork ?? false,
      ...(this.opts.dnsLookup ? { lookup: this.opts.dnsLookup } : {}),
    };
    const url = new URL(server.url);
    const own = egressFetch(rule);
    const named = isLoopbackHost(url.hostname) ? own : egressFetch({ ...rule, loopback: false });
    const fetch = boundedFetch(async (to, init) => {
      try {
        return await (new URL(String(to)).origin === url.origin ? own : named)(to, init);
      } catch (err) {
        // "fetch failed" says nothing; still a TypeError, which the SDK's discovery reads as a network failure.
        if (err instanceof TypeError && err.message === 'fetch failed')
          throw new TypeError(describeNetworkFailure(err, String(to)), { cause: err });
        throw err;
      }
    });
    const auth = this.oauth.sessionFor(server, fetch);
    return auth ? { auth } : {};
  }

  /** Opens a listener at start, so that a stop meanwhile waits for it and closes it (see stop). */
  private openListener(open: () => Promise<void>): Promise<void> {
    this.listenerOpening = open();
    return this.listenerOpening;
  }

  private async openSocket(): Promise<void> {
    const listen = this.current.listen;
    if ((this.opts.socket ?? listen.socket) && this.opts.runtimeDir) {
      this.socket = await listenLocalSocket({
        dir: this.opts.runtimeDir,
        checkHello: (hello) =>
          this.profileExists(hello.profile)
            ? undefined
            : `unknown profile "${hello.profile}" (known: ${Object.keys(this.current.profiles).join(', ')})`,
        onConnection: ({ profile, socket, head }) => {
          this.attachLineSession(socket, socket, profile, 'socket', head);
          socket.resume();
        },
      });
    }
  }

  /** The HTTP listener's settings as it opens with `config`: the command line's port and host win. */
  private listenerSettings(config: ResolvedConfig): unknown {
    const override = this.opts.http;
    if (override === false || config.listen.http === false) return false;
    return {
      ...config.listen.http,
      ...(override?.port !== undefined ? { port: override.port } : {}),
      ...(override?.host !== undefined ? { host: override.host } : {}),
    };
  }

  private async openHttp(keepPort?: number, config: ResolvedConfig = this.current): Promise<void> {
    const listen = config.listen;
    const httpOverride = this.opts.http;
    if (httpOverride !== false && listen.http !== false) {
      const port = keepPort ?? httpOverride?.port ?? listen.http.port;
      const host = httpOverride?.host ?? listen.http.host;
      // The control API's own token, never the listener's: MCP clients given that one must not
      // be able to add servers (start programs) through /api.
      // Made once: a reopened listener keeps it, and so the web UI's sessions.
      this.apiTokenValue ??= this.opts.runtimeDir
        ? await ensureApiToken(this.opts.runtimeDir)
        : randomBytes(32).toString('hex');
      this.ownSecrets = [
        ...this.ownSecrets.filter((s) => s.label !== 'api-token'),
        { label: 'api-token', value: this.apiTokenValue },
      ];
      this.setSecrets([]);
      // The routes outlive listener changes; they read the token as it is now.
      this.apiRoutes ??= createApiRoutes({
        dispatch: this.dispatch,
        events: this.events,
        token: () => this.apiTokenValue!,
        ...(this.opts.apiKeepAliveMs ? { keepAliveMs: this.opts.apiKeepAliveMs } : {}),
        alsoAuthorized: (req) => {
          const check = this.uiSessions.check(req);
          return check === 'admitted' || (check === 'other-port' && OTHER_PORT);
        },
      });
      const apiRoutes = this.apiRoutes;
      const uiRoutes = createUiRoutes({
        dir: this.opts.uiDir,
        sessions: this.uiSessions,
        // A logged-in page may ask for a link too: after a port change it continues at the new address.
        authorizes: (req) => apiRoutes.authorizes(req) || this.uiSessions.admits(req),
        newLink: (req) => this.uiLoginUrl(req),
      });
      try {
        this.http = await listenHttp({
          extraRoutes: async (req, res, url) => (await uiRoutes(req, res, url)) || apiRoutes(req, res, url),
          ownAuth: (req) => this.uiOwnsAuth(req),
          stateless: this.stateless,
          ...(this.opts.httpSessionIdleMs ? { sessionIdleMs: this.opts.httpSessionIdleMs } : {}),
          host,
          port,
          allowedOrigins: listen.http.allowedOrigins,
          maxRequestBytes: this.current.limits.maxRequestBytes,
          limits: listen.http.limits,
          maxBufferedBytes: this.current.limits.maxSessionBufferBytes,
          log: this.warn,
          createSession: (profile, transport, send, id, onAbandoned) =>
            this.createSession(profile, transport, send, id, onAbandoned),
          profileExists: (p) => this.profileExists(p),
          profileNames: () => Object.keys(this.current.profiles),
          ...(listen.http.token ? { token: listen.http.token } : {}),
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Where the address came from: the command line's --host wins over the config.
        const hostSetting = httpOverride?.host === undefined ? `listen.http.host in ${this.opts.configPath}` : '--host';
        const error =
          code === 'EADDRINUSE'
            ? new GatewayError(
                'upstream_unavailable',
                `HTTP port ${host}:${port} is already in use (another Switchboard or another program); ` +
                  (this.opts.httpPortAdvice ?? 'set listen.http.port or pass --port'),
                { cause: err },
              )
            : code === 'EADDRNOTAVAIL'
              ? new GatewayError(
                  'upstream_unavailable',
                  `cannot listen on ${host} (${hostSetting}): it is not an address of this machine; use one of ` +
                    `its own (${ownAddresses().join(', ')}), or 0.0.0.0 for all of them`,
                  { cause: err },
                )
              : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
                ? new GatewayError(
                    'upstream_unavailable',
                    `cannot listen on ${host} (${hostSetting}): no address is known for that name; use an address ` +
                      `of this machine (${ownAddresses().join(', ')}), or 0.0.0.0 for all of them`,
                    { cause: err },
                  )
                : err;
        if (!this.opts.httpOptional) throw error;
        this.httpProblem = errorMessage(error);
        this.log({ level: 'warn', text: `HTTP listener not started: ${this.httpProblem}` });
      }
    }
  }
}

/** Two listener settings that differ in their token alone (both listening). */
function sameButToken(a: unknown, b: unknown): boolean {
  if (a === false || b === false || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return false;
  const { token: tokenA, ...restA } = a as HttpListenConfig;
  const { token: tokenB, ...restB } = b as HttpListenConfig;
  return tokenA !== tokenB && isDeepStrictEqual(restA, restB);
}

/** Why an isolated server was not started for a client: the gateway-wide limit, in its words. */
function isolatedAtLimit(max: number): string {
  const running =
    max === 1 ? '1 process of isolated servers is running' : `${max} processes of isolated servers are running`;
  return `${running} (limits.maxIsolatedProcesses)`;
}

/** A remote server's transport, for its status, when it is not the default (`auto`). */
function transportOf(server: ResolvedServer): Pick<ServerStatusDto, 'transport'> {
  return server.kind === 'http' && server.transport !== 'auto' ? { transport: server.transport } : {};
}

/** This machine's IP addresses (loopback first), for a message about an address to listen on. */
function ownAddresses(): string[] {
  const all = Object.values(networkInterfaces())
    .flat()
    // Link-local IPv6 addresses take a zone (%eth0) to listen on: not offered.
    .filter((a): a is NonNullable<typeof a> => a !== undefined && !/^fe[89ab]/i.test(a.address));
  return [...all.filter((a) => a.internal), ...all.filter((a) => !a.internal)].map((a) => a.address);
}

/** For a chain that must go on whether the step before failed or not (its caller saw the failure). */
function settled(): void {}

function isConfigError(err: unknown): err is ConfigError {
  return err instanceof GatewayError && (err.code === 'config_invalid' || err.code === 'config_unreadable');
}

export function createGateway(opts: GatewayOptions): Gateway {
  return new Gateway(opts);
}

/** HH:MM:SS.mmm in local time, as the log views print a line's time. */
function timeOfDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * What a header sent over HTTP cannot carry besides a NUL or a line break: a character beyond U+00FF
 * (fetch and Node send a header's text as Latin-1) or a control character other than a tab. FastCGI
 * params are bytes (UTF-8), so a handler over FastCGI takes those.
 */
const NOT_IN_HTTP_HEADER = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Throws, naming the field and never the value, when a resolved env var or header holds what it
 * cannot carry (a secret stored with a NUL in it): Node refused the start with the value in its message,
 * and a header fetch refused (a password with "€") was retried as if the backend were down.
 */
function unpassableValue(server: ResolvedConfig['servers'][string]): void {
  const maps: [string, Record<string, string> | undefined][] = [
    ['env', 'env' in server ? server.env : undefined],
    ['headers', 'headers' in server ? server.headers : undefined],
  ];
  const overHttp = server.kind === 'http' || server.kind === 'handler-http';
  for (const [kind, map] of maps)
    for (const [key, value] of Object.entries(map ?? {})) {
      if (value.includes('\u0000') || (kind === 'headers' && /[\r\n]/.test(value))) {
        const [what, where] =
          kind === 'env' ? ['a NUL character', 'an environment variable'] : ['a NUL or a line break', 'a header'];
        throw new GatewayError(
          'config_invalid',
          `server "${server.name}": ${kind}.${key} holds ${what}, which ${where} cannot carry (from a secret? ` +
            'store it again without it; binary data as base64)',
        );
      }
      if (kind === 'headers' && overHttp && NOT_IN_HTTP_HEADER.test(value)) {
        // The whole character: an emoji's code, not that of its first half.
        const point = value.codePointAt(value.search(NOT_IN_HTTP_HEADER))!;
        const code = `U+${point.toString(16).toUpperCase().padStart(4, '0')}`;
        throw new GatewayError(
          'config_invalid',
          `server "${server.name}": ${kind}.${key} holds a character a header cannot carry (${code}: HTTP ` +
            'headers take Latin-1 letters, no control characters; from a secret? store it again without it, ' +
            'or as base64 if the server takes that)',
        );
      }
    }
}

/**
 * The first character of a token that cannot follow "Bearer ", and where: never the token's text.
 * A value read from a file often ends in its line break.
 */
function notVisible(value: string): string {
  const at = value.search(/[^\x21-\x7e]/);
  const char = value[at]!;
  const names: Record<string, string> = {
    ' ': 'a space',
    '\n': 'a line break',
    '\r': 'a carriage return',
    '\t': 'a tab',
  };
  const what = names[char] ?? `the character U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const rest = value.slice(at);
  if (rest.trim() === '' && at > 0) return `${what} at its end`;
  if (at === 0) return `${what} at its start`;
  return at === 1 ? `${what} after its first character` : `${what} after its first ${at} characters`;
}

/**
 * A login's failure as the control API answers it: the authorization server's refusal (`upstream_error`),
 * not `unauthorized`, which says the caller's own API token was refused (switchboard login told the user
 * to restart the gateway, for an authorization server without PKCE or a login the user declined).
 */
function asLoginFailure(err: unknown): unknown {
  if (!(err instanceof GatewayError) || err.code !== 'unauthorized') return err;
  return new GatewayError('upstream_error', err.message, { cause: err });
}
