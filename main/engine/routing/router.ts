/**
 * Routes between client sessions and upstreams: the forwarding core. Clients see one merged
 * server per profile; each request goes to the upstream that owns the tool/prompt/resource with
 * a fresh upstream id (never the client's), and notifications reach only the sessions that
 * should see them. Progress tokens (progress.ts), resource subscriptions (subscriptions.ts),
 * tasks (tasks.ts) and server-to-client requests (server-requests.ts) each keep their own state.
 */
import { logFailure, type LogFn } from '../log.ts';
import { GatewayError, RpcCode } from '../protocol/errors.ts';
import type { JsonRpcNotification, JsonRpcRequest, Params, RequestId } from '../protocol/jsonrpc.ts';
import { LOG_LEVELS, type RequestContext, type Session, type SessionHandler } from '../downstream/session.ts';
import type { ReplyFn, RequestOptions, RequestOrigin, Upstream, UpstreamStatus } from '../upstreams/types.ts';
import type { RegistryServer, SessionContext } from '../upstreams/registry.ts';
import type { Catalog, ListKind } from './catalog.ts';
import { compileFilter, type NameFilter } from './filters.ts';
import { degradePromptResult, degradeToolResult } from './degrade.ts';
import { hasLink, noteResultLinks } from './result-links.ts';
import { checkParamHeaders } from './param-headers.ts';
import { STATELESS_REVISION, atLeast } from '../protocol/versions.ts';
import {
  buildProfileView,
  gatherLists,
  knownLists,
  listAnswer,
  routeResource,
  type NameBooks,
  type ProfileViewData,
  type Route,
  type ViewMember,
} from './profile-view.ts';
import { NameBook, namespacedName, sanitize, shortHash } from './naming.ts';
import { matchesTemplate } from './uri-template.ts';
import { profileCapabilities } from './capabilities.ts';
import { ProgressTokens } from './progress.ts';
import { Subscriptions } from './subscriptions.ts';
import { TaskOwners } from './tasks.ts';
import { ServerRequests, type Prompter } from './server-requests.ts';
import { MAX_INPUT_ROUNDS } from './input-rounds.ts';
import type { TrafficRecorder } from '../traffic/index.ts';

export interface RoutedServer extends RegistryServer {
  kind?: string;
  tools?: NameFilter;
  prompts?: NameFilter;
}

/** The part of the upstream registry the router uses. */
export interface RouterRegistry {
  on(event: 'added' | 'removed', listener: (upstream: Upstream) => void): unknown;
  on(event: 'lifted', listener: (sessionId: string) => void): unknown;
  all(): Upstream[];
  forSession(server: string, sessionId: string, session?: SessionContext): Upstream | undefined;
  existingForSession(server: string, sessionId: string): Upstream | undefined;
  config(server: string): RoutedServer | undefined;
  owner(upstream: Upstream): string | undefined;
  server(upstream: Upstream): string | undefined;
  /** Every configured server's name. */
  names(): string[];
  /** Why an instance was stopped by a config change, a restart or a pause (`was removed from the config`). */
  stopReason(upstream: Upstream): string | undefined;
  releaseSession(sessionId: string): Promise<void>;
}

export interface RouterOptions {
  registry: RouterRegistry;
  /** A client session came, introduced itself or went (the UI's list of connected clients). */
  onSessionsChanged?: () => void;
  prompter?: Prompter;
  /** See ServerRequestsOptions.nobodyToAsk. */
  nobodyToAsk?: string;
  /** How long the app waits for a person to answer a question. */
  questionTimeoutMs?: number;
  /** The longest a request may run while its server reports progress (timeouts.maxRequestMs). */
  maxRequestMs?: () => number;
  catalog: Catalog;
  /** Enabled server names of a profile; undefined for an unknown profile. */
  profileServers(profile: string): string[] | undefined;
  separator(): string;
  /** The gateway is paused: its servers are stopped on purpose, and a call should say so. */
  paused?(): boolean;
  /** Background failures (a log level or a subscription an upstream refused), to show the user. */
  log?: LogFn;
  /** The traffic record: upstream requests are filed under the client request that caused them. */
  traffic?: TrafficRecorder;
}

/** How long a list waits for servers still starting before it answers with those that are ready. */
export const LIST_WAIT_MS = 1000;
/** How long a call for a name nobody holds yet waits for servers still starting (they may hold it). */
const CALL_WAIT_MS = 15_000;

const LIST_CHANGED_METHOD: Record<ListKind, string> = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
  resourceTemplates: 'notifications/resources/list_changed',
};
const LIST_KINDS = Object.keys(LIST_CHANGED_METHOD) as ListKind[];

/** A profile's servers as its lists depend on them: the separator, and each server's on/off and filters. */
interface Membership {
  separator: string;
  members: Map<string, { on: boolean; filters: string }>;
}

/** A server's instructions passed on to clients, at most (a hostile server's must not fill a context). */
const MAX_INSTRUCTIONS = 16_384;

export class Router implements SessionHandler {
  private readonly opts: RouterOptions;
  private readonly sessions = new Set<Session>();
  private readonly sessionsById = new Map<string, Session>();
  private views = new Map<string, Promise<ProfileViewData>>();
  private readonly progress = new ProgressTokens();
  private readonly subscriptions = new Subscriptions(
    (upstream) => this.warnAbout(upstream as Upstream),
    // A server's subscriptions outlive its upstream: a restart or an edit of its entry replaces it.
    (upstream) => {
      const server = this.opts.registry.server(upstream as Upstream);
      return server === undefined ? upstream : `${server}\0${this.opts.registry.owner(upstream as Upstream) ?? ''}`;
    },
  );
  private readonly tasks = new TaskOwners();
  private readonly serverRequests: ServerRequests;
  private readonly unwire = new Map<Upstream, () => void>();
  /** Names given so far, per profile (naming.ts): they never move while their server is configured. */
  private readonly books = new Map<string, NameBooks>();
  /** What each server advertised when it was last ready (by server name), for a profile's capabilities. */
  private readonly knownCapabilities = new Map<string, Record<string, unknown>>();
  /** Each server's revision when last ready: a request made while it restarts is shaped for it. */
  private readonly knownRevisions = new Map<string, string>();
  /** Servers that ran and then left the config (removed, renamed): a call by an old name says so. */
  private readonly departed = new Set<string>();
  /** Starting spells (status.since) a list already waited for once: it does not wait for them again. */
  private readonly waited = new WeakMap<Upstream, number>();
  /** Each profile's servers (and whether each is on) when last looked: a change is news to its clients. */
  private readonly memberships = new Map<string, Membership>();
  /** The servers a profile's last list went without, so the log says it once. */
  private readonly lastPending = new Map<string, string>();
  /** Per-request transport context (HTTP headers), kept only as long as the request object lives. */
  private readonly contexts = new WeakMap<JsonRpcRequest, RequestContext>();
  /** A session's latest HTTP headers: what an isolated server started for it may take (headersToEnv). */
  private readonly sessionHeaders = new WeakMap<Session, NonNullable<RequestContext['headers']>>();
  /** Each upstream's tools and prompts when clients were last told of them, all and shown (hashes). */
  private readonly lastLists = new WeakMap<
    Upstream,
    Partial<Record<'tools' | 'prompts', { all: string; shown: string }>>
  >();
  /** Calls waiting for a server that is between two instances (betweenInstances) to have its new one. */
  private readonly instanceWaiters = new Set<() => void>();
  /** Per session: the resources results named that no list routes (result-links.ts). */
  private readonly resultLinks = new WeakMap<Session, Map<string, string>>();
  /** Upstreams whose resources/list_changed waits for the read of their other resource list (onCatalogChanged). */
  private readonly resourceNotices = new WeakSet<Upstream>();
  /** The log level last set on each upstream (its index in LOG_LEVELS); none: the server's default. */
  private readonly upstreamLogLevels = new WeakMap<Upstream, number>();

  constructor(opts: RouterOptions) {
    this.opts = opts;
    this.serverRequests = new ServerRequests({
      registry: opts.registry,
      session: (id) => this.sessionsById.get(id),
      prompter: opts.prompter,
      ...(opts.nobodyToAsk === undefined ? {} : { nobodyToAsk: opts.nobodyToAsk }),
      questionTimeoutMs: opts.questionTimeoutMs,
      traffic: opts.traffic,
      taskCreator: (upstream, taskId) => this.tasks.creator(taskId, upstream),
      tasksToClient: (upstream, params) => this.tasks.toClient(upstream, params),
    });
    opts.registry.on('added', (u) => {
      this.wire(u);
      for (const wake of this.instanceWaiters) wake();
    });
    opts.registry.on('removed', (u) => this.unwireUpstream(u));
    // An isolated server refused to this session for the process cap can start now: its client lists again.
    opts.registry.on('lifted', (sessionId) => {
      const s = this.sessionsById.get(sessionId);
      if (s?.initialized && !s.closed) for (const method of LIST_CHANGED_METHODS) s.notify(method);
    });
    for (const u of opts.registry.all()) this.wire(u);
    opts.catalog.on('changed', (upstream, kind) => this.onCatalogChanged(upstream, kind));
  }

  /** Call after a config change that may alter profiles, filters or names. */
  invalidate(): void {
    this.views.clear();
    // A server waited for may have left the config meanwhile: its waiters look again.
    for (const wake of this.instanceWaiters) wake();
    this.announceMembershipChanges();
    // What servers that left the config held is forgotten; the others keep their names.
    const configured = new Set(this.opts.registry.names());
    this.opts.catalog.retainServers(configured);
    for (const name of this.knownCapabilities.keys())
      if (!configured.has(name)) {
        this.knownCapabilities.delete(name);
        this.departed.add(name);
      }
    for (const name of configured) this.departed.delete(name);
    // Bounded: the oldest names go first (a rename is asked about in the minutes after it).
    for (const name of this.departed) if (this.departed.size > MAX_DEPARTED) this.departed.delete(name);
    for (const name of this.knownRevisions.keys()) if (!configured.has(name)) this.knownRevisions.delete(name);
    for (const profile of this.books.keys())
      if (this.opts.profileServers(profile) === undefined) this.books.delete(profile);
    for (const profile of this.lastPending.keys())
      if (this.opts.profileServers(profile) === undefined) this.lastPending.delete(profile);
  }

  /**
   * A profile that gained or lost a server (or had one turned on or off) lists other things now:
   * its clients are told, as they are when a server's own list changes.
   */
  private announceMembershipChanges(): void {
    const profiles = new Set([...this.sessions].map((s) => s.profile));
    for (const profile of profiles) {
      const now = this.membership(profile);
      const before = this.memberships.get(profile);
      this.memberships.set(profile, now);
      if (before === undefined || !this.membershipNews(before, now)) continue;
      for (const s of this.sessions) {
        if (s.profile !== profile || !s.initialized) continue;
        for (const method of LIST_CHANGED_METHODS) s.notify(method);
      }
    }
    for (const profile of this.memberships.keys()) if (!profiles.has(profile)) this.memberships.delete(profile);
  }

  private membership(profile: string): Membership {
    const servers = this.opts.profileServers(profile) ?? [];
    // Its tool and prompt filters too, and the separator: hiding or renaming one changes the lists
    // without a restart.
    const members = new Map(
      servers.map((name) => {
        const config = this.opts.registry.config(name);
        return [name, { on: config?.disabled !== true, filters: JSON.stringify([config?.tools, config?.prompts]) }];
      }),
    );
    return { separator: this.opts.separator(), members };
  }

  /**
   * Whether a change of a profile's servers changes what its clients are listed now. A server that
   * joined (or was turned on) and has listed nothing yet adds nothing now: its clients are told once
   * it has (the catalog's change); told now as well, they listed the same lists twice.
   */
  private membershipNews(before: Membership, now: Membership): boolean {
    if (before.separator !== now.separator) return true;
    for (const name of before.members.keys()) if (!now.members.has(name)) return true;
    for (const [name, is] of now.members) {
      const was = before.members.get(name);
      if (was !== undefined && was.on === is.on && was.filters === is.filters) continue;
      const joined = was === undefined || (!was.on && is.on);
      const listed = this.opts.registry
        .all()
        .some(
          (u) =>
            this.opts.registry.server(u) === name &&
            LIST_KINDS.some((kind) => this.opts.catalog.cached(u, kind) !== undefined),
        );
      if (!joined || listed) return true;
    }
    return false;
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  listSessions(): Session[] {
    return [...this.sessions];
  }

  attach(session: Session): void {
    this.sessions.add(session);
    this.sessionsById.set(session.id, session);
    if (!this.memberships.has(session.profile)) this.memberships.set(session.profile, this.membership(session.profile));
    this.opts.onSessionsChanged?.();
  }

  /** How the log names a session (its client, transport and profile), while it is attached. */
  describeSession(id: string): string | undefined {
    return this.sessionsById.get(id)?.describe();
  }

  detach(session: Session): void {
    this.sessions.delete(session);
    this.sessionsById.delete(session.id);
    this.opts.onSessionsChanged?.();
    for (const key of this.views.keys()) if (key.endsWith(`#${session.id}`)) this.views.delete(key);
    this.subscriptions.dropSession(session);
    this.progress.dropSession(session);
    this.serverRequests.dropSession(session);
    if (!session.stateless) this.tasks.dropOwner(taskOwner(session));
    // The level it asked for may have been the most verbose one (a stateless request's lasts only
    // as long as it, and is set again by the next: not undone each time).
    if (session.logLevel !== undefined && !session.stateless) this.narrowLogLevels();
    void this.opts.registry.releaseSession(session.id);
  }

  /**
   * The name a profile's clients know a server's tool by: the one given, else the one their next
   * tools/list gives it (undefined for a tool the profile does not list).
   */
  toolName(profile: string, server: string, original: string, wanted?: string): string | undefined {
    const given = this.books.get(profile)?.tools.nameOf(server, original, wanted);
    if (given !== undefined || !this.opts.profileServers(profile)?.includes(server)) return given;
    this.nameProfile(profile);
    return this.books.get(profile)?.tools.nameOf(server, original, wanted);
  }

  /**
   * Names the profile's tools and prompts from what is known now (no waiting), as a list would:
   * the app shows a name before any client has listed, and the name must be the one clients get
   * (two tools that want the same name are settled here as they would be there).
   */
  private nameProfile(profile: string): void {
    const servers = this.opts.profileServers(profile) ?? [];
    // Isolated servers' lists are known per client session: their clients' lists name them.
    if (servers.some((name) => this.opts.registry.config(name)?.isolated)) return;
    const members = this.profileMembers(profile, (name) => this.opts.registry.existingForSession(name, ''));
    const lists = members.map((member) => knownLists(member, this.opts.catalog));
    buildProfileView(lists, this.opts.separator(), this.booksOf(profile));
  }

  private booksOf(profile: string): NameBooks {
    let books = this.books.get(profile);
    if (!books) this.books.set(profile, (books = { tools: new NameBook(), prompts: new NameBook() }));
    return books;
  }

  /** What the profile's members support: those ready now, the others as they were when last ready (capabilities.ts). */
  serverCapabilities(profile: string): Record<string, unknown> {
    return profileCapabilities(this.memberCapabilities(profile));
  }

  /**
   * The instructions of the profile's ready servers: one server's as it wrote them; several, each
   * under a heading that names the server and how its names look to the client (a server speaks of
   * `search`, the client calls `github__search`). Each is cut at MAX_INSTRUCTIONS characters.
   */
  serverInstructions(profile: string): string | undefined {
    const members = this.opts.profileServers(profile) ?? [];
    const parts: [string, string][] = [];
    for (const name of members) {
      const text = this.opts.registry.existingForSession(name, '')?.info()?.instructions?.trim();
      if (text) parts.push([name, text.length > MAX_INSTRUCTIONS ? `${text.slice(0, MAX_INSTRUCTIONS)}…` : text]);
    }
    if (parts.length === 0) return undefined;
    if (members.length === 1) return parts[0]![1];
    const separator = this.opts.separator();
    return parts
      .map(([name, text]) => `## ${name} (its tools here: ${sanitize(name)}${separator}…)\n\n${text}`)
      .join('\n\n');
  }

  /**
   * Before answering initialize: waits (at most LIST_WAIT_MS, once per starting spell) for members
   * still starting whose capabilities were never seen, so the first client after a start is not
   * told less than the profile offers.
   */
  async beforeInitialize(profile: string): Promise<void> {
    const starting: Upstream[] = [];
    for (const name of this.opts.profileServers(profile) ?? []) {
      const upstream = this.opts.registry.existingForSession(name, '');
      if (!upstream || this.knownCapabilities.has(name) || upstream.status().state !== 'starting') continue;
      if (this.waited.get(upstream) === upstream.status().since) continue;
      starting.push(upstream);
    }
    if (!starting.length) return;
    await Promise.allSettled(starting.map((u) => u.whenReady(LIST_WAIT_MS)));
    for (const u of starting) if (!u.info()) this.waited.set(u, u.status().since);
  }

  private memberCapabilities(profile: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const name of this.opts.profileServers(profile) ?? []) {
      const info = this.opts.registry.existingForSession(name, '')?.info();
      const caps = info?.capabilities ?? this.knownCapabilities.get(name);
      if (!caps) continue;
      // A 2024-11-05 server with prompts or resources may complete their arguments without declaring
      // it (completes() says 'maybe'): a later client asks only when the profile advertises them.
      const revision = info?.protocolVersion ?? this.knownRevisions.get(name);
      const mayComplete =
        revision !== undefined &&
        !atLeast(revision, '2025-03-26') &&
        (caps.prompts !== undefined || caps.resources !== undefined);
      out.push(mayComplete ? { ...caps, completions: {} } : caps);
    }
    return out;
  }

  /** What a server supports: now if ready, else as last seen; undefined when never seen. */
  private capabilitiesOf(route: { server: string; upstream: Upstream }): Record<string, unknown> | undefined {
    return route.upstream.info()?.capabilities ?? this.knownCapabilities.get(route.server);
  }

  async handle(
    session: Session,
    req: JsonRpcRequest,
    signal: AbortSignal,
    context?: RequestContext,
  ): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    if (context?.headers) {
      this.contexts.set(req, context);
      this.sessionHeaders.set(session, context.headers);
    }
    switch (req.method) {
      case 'tools/list':
        return this.list(session, 'tools', params.cursor);
      case 'prompts/list':
        return this.list(session, 'prompts', params.cursor);
      case 'resources/list':
        return this.list(session, 'resources', params.cursor);
      case 'resources/templates/list':
        return this.list(session, 'resourceTemplates', params.cursor);
      case 'tools/call':
        return degradeToolResult(await this.forwardNamed(session, req, signal, 'toolRoutes'), session.protocolVersion);
      case 'prompts/get':
        return degradePromptResult(
          await this.forwardNamed(session, req, signal, 'promptRoutes'),
          session.protocolVersion,
        );
      case 'resources/read':
        return this.readResource(session, req, signal);
      case 'resources/subscribe':
        return this.subscribe(session, params);
      case 'resources/unsubscribe':
        return this.unsubscribe(session, params);
      case 'completion/complete':
        return this.complete(session, req, signal);
      case 'logging/setLevel':
        this.applyLogLevels(session);
        return {};
      case 'tasks/list':
        return this.tasks.list(
          this.members(session).map((m) => m.upstream),
          taskOwner(session),
          signal,
        );
      default: {
        // Task methods follow the task to the upstream that created it, for the client that created it
        // only: another client's task is as unknown as one that does not exist.
        const taskId = params.taskId;
        if (req.method.startsWith('tasks/') && typeof taskId === 'string') {
          const task = this.tasks.route(taskId, taskOwner(session));
          const member = task && this.members(session).find((m) => m.upstream === task.upstream);
          if (member) return this.forward(session, req, member.upstream, { ...params, taskId: task.original }, signal);
          throw invalidParams(`Unknown task: ${taskId}`);
        }
        // A profile with a single upstream is a transparent proxy: unknown methods pass through.
        const members = this.members(session);
        if (members.length === 1) return this.forward(session, req, members[0]!.upstream, params, signal);
        throw new GatewayError('method_not_found', `Method not found: ${req.method}`, {
          rpc: { code: RpcCode.MethodNotFound, message: `Method not found: ${req.method}` },
        });
      }
    }
  }

  introduced(): void {
    this.opts.onSessionsChanged?.();
  }

  handleNotification(session: Session, method: string, params: Params | undefined): void {
    // Progress on a server's request the client is answering goes back to that server. Any other
    // progress answers nothing of ours: passed on as it is, its token could name a request the
    // server put to another client (an SDK server numbers its tokens from 0).
    if (method === 'notifications/progress') {
      if (params) this.serverRequests.progress(session, params);
      return;
    }
    const members = this.members(session, false);
    if (method === 'notifications/roots/list_changed') {
      // Only a server started for this client was offered its roots (and only when it has some): a
      // shared server's roots are nobody's in particular, and asked again it could get none.
      if (!session.hasCapability('roots')) return;
      for (const m of members)
        if (this.opts.registry.owner(m.upstream) === session.id) m.upstream.notify(method, params);
      return;
    }
    if (members.length === 1) members[0]!.upstream.notify(method, params);
  }

  // ---- client → upstream -------------------------------------------------

  /**
   * The upstreams a session uses. `start` creates an isolated instance on first use; without it
   * only existing instances count (notification fan-out must not spawn processes).
   */
  private members(session: Session, start = true): ViewMember[] {
    // A session that ended must not start anything (its isolated instances were released).
    if (session.closed) return [];
    const headers = this.sessionHeaders.get(session);
    const context: SessionContext = { clientCapabilities: session.clientCapabilities };
    if (headers) context.headers = headers;
    return this.profileMembers(session.profile, (name) =>
      start
        ? this.opts.registry.forSession(name, session.id, context)
        : this.opts.registry.existingForSession(name, session.id),
    );
  }

  /** A profile's servers that have an instance (`instanceOf`), with their filters. */
  private profileMembers(profile: string, instanceOf: (server: string) => Upstream | undefined): ViewMember[] {
    const out: ViewMember[] = [];
    for (const name of this.opts.profileServers(profile) ?? []) {
      const upstream = instanceOf(name);
      const server = this.opts.registry.config(name);
      if (!upstream || !server) continue;
      const member: ViewMember = { server: name, upstream };
      if (server.tools) member.tools = server.tools;
      if (server.prompts) member.prompts = server.prompts;
      out.push(member);
    }
    return out;
  }

  /**
   * The profile's merged view. `listing`: a list request, which must ask JSON handlers again (they
   * have no list_changed). `patient`: wait for servers still starting as long as a call would
   * (a name nobody holds yet may be theirs), instead of LIST_WAIT_MS once per starting spell.
   */
  private view(session: Session, listing = false, patient = false): Promise<ProfileViewData> {
    const names = this.opts.profileServers(session.profile) ?? [];
    const isolated = names.some((n) => this.opts.registry.config(n)?.isolated);
    const key = isolated ? `${session.profile}#${session.id}` : session.profile;
    if (patient || (listing && names.some((n) => this.opts.registry.config(n)?.kind?.startsWith('handler-'))))
      this.views.delete(key);
    let view = this.views.get(key);
    if (!view) {
      view = this.buildView(session, patient);
      this.views.set(key, view);
      view.catch(() => this.views.delete(key));
    }
    return view;
  }

  /**
   * The profile's servers that are configured and on but have no instance right now: a config
   * edit (or Restart) stopped the old one and starts the new one once it has exited. They are as
   * good as starting: a call for one of their names waits for them, as for a server starting.
   */
  private betweenInstances(session: Session): string[] {
    if (session.closed) return [];
    return (this.opts.profileServers(session.profile) ?? []).filter((name) => {
      const config = this.opts.registry.config(name);
      return (
        config !== undefined &&
        !config.disabled &&
        !config.isolated &&
        !this.opts.registry.existingForSession(name, session.id)
      );
    });
  }

  /** Resolves once none of the session's servers is between instances, or after `timeoutMs`. */
  private instancesOf(session: Session, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.instanceWaiters.delete(check);
        resolve();
      };
      // Looked at again on every instance added and every config change.
      const check = () => {
        if (this.betweenInstances(session).length === 0) done();
      };
      const timer = setTimeout(done, timeoutMs).unref();
      this.instanceWaiters.add(check);
      check();
    });
  }

  private async buildView(session: Session, patient: boolean): Promise<ProfileViewData> {
    if (patient) await this.instancesOf(session, CALL_WAIT_MS);
    const { lists, late } = await gatherLists(
      this.members(session),
      this.opts.catalog,
      patient ? CALL_WAIT_MS : LIST_WAIT_MS,
      (m) => !patient && this.waited.get(m.upstream) === m.upstream.status().since,
    );
    const pending: string[] = [];
    const slow: string[] = [];
    for (const m of late) {
      const state = m.upstream.status().state;
      if (state !== 'starting' && state !== 'ready') continue;
      this.waited.set(m.upstream, m.upstream.status().since);
      pending.push(m.server);
      // A ready server that did not list in time is slow, not starting.
      if (state === 'ready') slow.push(m.server);
    }
    const said = pending.join(', ');
    if (said !== (this.lastPending.get(session.profile) ?? '')) {
      this.lastPending.set(session.profile, said);
      const starting = pending.filter((name) => !slow.includes(name));
      const why = [
        ...(starting.length ? [`${starting.join(', ')} still starting`] : []),
        ...(slow.length ? [`${slow.join(', ')} slow to answer its list`] : []),
      ].join('; ');
      if (said)
        this.opts.log?.({
          level: 'info',
          text:
            `profile "${session.profile}" listed without ${said} (${why}); clients are sent ` +
            `list_changed when ${pending.length > 1 ? 'they are' : 'it is'} ready`,
        });
    }
    // Not said in the log: their stop and start are, and list_changed follows once they are ready.
    pending.push(...this.betweenInstances(session));
    return buildProfileView(lists, this.opts.separator(), this.booksOf(session.profile), pending);
  }

  private async forwardNamed(
    session: Session,
    req: JsonRpcRequest,
    signal: AbortSignal,
    table: 'toolRoutes' | 'promptRoutes',
  ): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    const name = params.name;
    if (typeof name !== 'string') throw invalidParams(`${req.method}: "name" must be a string`);
    const { view, route } = await this.namedRoute(session, name, table);
    // A 2026-07-28 client over HTTP mirrors some arguments in headers: they must agree.
    const headers = session.stateless && table === 'toolRoutes' ? this.contexts.get(req)?.headers : undefined;
    if (headers) checkParamHeaders(view.tools, name, params.arguments, headers);
    const result = await this.forward(session, req, route.upstream, { ...params, name: route.original }, signal);
    // Most results link nothing: nothing more is made for them on this path.
    if (!hasLink(result)) return result;
    return noteResultLinks(result, route.server, this.linksOf(session), {
      listedFor: (uri) => view.resourceRoutes.get(uri)?.server,
      routeOf: (uri) => routeResource(view, uri)?.server,
    });
  }

  /**
   * The route of a tool or prompt by the name clients know, waiting for servers still starting (a
   * restart by a config edit too); otherwise why there is none.
   */
  private async namedRoute(
    session: Session,
    name: string,
    table: 'toolRoutes' | 'promptRoutes',
  ): Promise<{ view: ProfileViewData; route: Route }> {
    let view = await this.view(session);
    let route = view[table].get(name);
    if (!route && view.pending.length) {
      view = await this.view(session, false, true);
      route = view[table].get(name);
    }
    if (route) return { view, route };
    if (this.opts.paused?.() === true)
      throw new GatewayError(
        'upstream_unavailable',
        `Switchboard is paused, so "${name}" cannot run: resume it from the tray menu or the app`,
      );
    throw this.unavailableOwner(session, name) ?? this.unknownName(session, name, table);
  }

  /** A list, whole: no nextCursor is ever given, so no cursor a client sends names a page of ours. */
  private async list(session: Session, key: ListKind, cursor: unknown): Promise<Record<string, unknown>> {
    if (cursor !== undefined && cursor !== null) {
      const got = typeof cursor === 'string' ? JSON.stringify(cursor.slice(0, 64)) : `of type ${typeof cursor}`;
      throw invalidParams(`Invalid cursor ${got}: this list comes in one page (no nextCursor)`);
    }
    return listAnswer(await this.view(session, true), key);
  }

  /** The resources results named to this session that no list routes: uri → the server that named it. */
  private linksOf(session: Session): Map<string, string> {
    let links = this.resultLinks.get(session);
    if (!links) this.resultLinks.set(session, (links = new Map()));
    return links;
  }

  /**
   * A name nobody holds that carries the namespace of a server that is down (never seen up, so
   * its names are not known): that server is unavailable, which says more than "unknown tool".
   */
  private unavailableOwner(session: Session, name: string): GatewayError | undefined {
    const separator = this.opts.separator();
    const members = this.members(session, false);
    const owner =
      members.find((m) => name.startsWith(`${m.server}${separator}`)) ??
      members.find((m) => name.startsWith(`${sanitize(m.server)}${separator}`));
    if (!owner || owner.upstream.info()) return undefined;
    const status = owner.upstream.status();
    const why = status.lastError ? `${status.state}: ${status.lastError}` : status.state;
    return new GatewayError('upstream_unavailable', `server "${owner.server}" is unavailable (${why})`);
  }

  /**
   * A name the profile does not hold, with what can be told of why: the server its namespace names
   * is not in the client's profile, or is turned off, or its entry's filter hides that item, or it
   * has no such item.
   */
  private unknownName(session: Session, name: string, table: 'toolRoutes' | 'promptRoutes'): GatewayError {
    const what = table === 'toolRoutes' ? 'tool' : 'prompt';
    const profile = session.profile;
    const separator = this.opts.separator();
    // The longest name first: "a_" owns "a___b" rather than "a" (whose "_b" it could also be).
    const configured = this.opts.registry.names().sort((x, y) => y.length - x.length);
    const owner =
      configured.find((n) => name.startsWith(`${n}${separator}`)) ??
      configured.find((n) => name.startsWith(`${sanitize(n)}${separator}`));
    let why = `no server of profile "${profile}" has it`;
    // A `serve --stdio` client keeps its session when its profile is removed (the shim's and HTTP ones are closed).
    if (this.opts.profileServers(profile) === undefined) why = `profile "${profile}" is no longer in the config`;
    else if (owner === undefined) {
      // Removed or renamed in the file: a model that read the list before the change calls it still.
      const gone = [...this.departed]
        .sort((x, y) => y.length - x.length)
        .find((n) => name.startsWith(`${n}${separator}`) || name.startsWith(`${sanitize(n)}${separator}`));
      if (gone !== undefined) why = `server "${gone}" is no longer in the config: list the ${what}s again`;
    } else {
      const config = this.opts.registry.config(owner);
      const original = name.slice(name.indexOf(separator) + separator.length);
      const upstream = this.opts.registry.existingForSession(owner, session.id);
      // What the server lists is looked at only for a name made as its names are (not a hashed one).
      const listed =
        upstream && namespacedName(owner, original, separator) === name
          ? this.opts.catalog.cached(upstream, table === 'toolRoutes' ? 'tools' : 'prompts')
          : undefined;
      if (config?.disabled) why = `server "${owner}" is turned off in the config`;
      else if (!this.opts.profileServers(profile)?.includes(owner))
        why = `server "${owner}" is not in profile "${profile}"`;
      else if (listed?.some((item) => item.name === original)) {
        const kind = table === 'toolRoutes' ? 'tools' : 'prompts';
        // Listed, and not under this name: hidden by its entry's filter, or given another name.
        const named = compileFilter(config?.[kind]).includes(original)
          ? this.books.get(profile)?.[kind].nameOf(owner, original)
          : undefined;
        why =
          named === undefined
            ? `the ${kind} filter of server "${owner}" in the config hides "${original}"`
            : `${what} "${original}" of server "${owner}" is named "${named}" here`;
      } else
        why = listed ? `server "${owner}" has no ${what} "${original}"` : `server "${owner}" has none of that name`;
    }
    return invalidParams(`Unknown ${what}: ${name} (${why})`);
  }

  private async readResource(
    session: Session,
    req: JsonRpcRequest,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    const uri = params.uri;
    if (typeof uri !== 'string') throw invalidParams('resources/read: "uri" must be a string');
    const route = await this.resourceRoute(session, uri);
    const result = await this.forward(session, req, route.upstream, { ...params, uri: route.original }, signal);
    // Contents name the URI the client asked for, even when we had to rename a shared one.
    if (route.original !== uri && Array.isArray(result.contents)) {
      result.contents = (result.contents as Record<string, unknown>[]).map((c) =>
        c.uri === route.original ? { ...c, uri } : c,
      );
    }
    return result;
  }

  private async resourceRoute(session: Session, uri: string): Promise<Route> {
    let view = await this.view(session);
    let route = routeResource(view, uri);
    if (!route && view.pending.length) {
      view = await this.view(session, false, true);
      route = routeResource(view, uri);
    }
    if (route) return route;
    const members = this.members(session);
    // Named by a tool's or a prompt's result, unlisted: its server is the one that named it.
    const linkedBy = this.resultLinks.get(session)?.get(uri);
    const linked = linkedBy === undefined ? undefined : members.find((m) => m.server === linkedBy);
    if (linked) return { server: linked.server, upstream: linked.upstream, original: uri };
    if (members.length === 1) return { server: members[0]!.server, upstream: members[0]!.upstream, original: uri };
    const message = `Resource not found: ${uri}${sharedUnder(view, uri)}`;
    throw new GatewayError('not_found', message, { rpc: { code: RpcCode.InvalidParams, message, data: { uri } } });
  }

  private async subscribe(session: Session, params: Params): Promise<Record<string, unknown>> {
    const uri = params.uri;
    if (typeof uri !== 'string') throw invalidParams('resources/subscribe: "uri" must be a string');
    const route = await this.resourceRoute(session, uri);
    // A subscription its server cannot serve would be a silent promise of updates that never come.
    const resources = this.capabilitiesOf(route)?.resources as { subscribe?: unknown } | undefined;
    if (resources?.subscribe !== true)
      throw invalidParams(
        `server "${route.server}" does not support resources/subscribe: no updates can be sent for ${uri}`,
      );
    await this.subscriptions.subscribe(session, uri, route);
    return {};
  }

  private async unsubscribe(session: Session, params: Params): Promise<Record<string, unknown>> {
    const uri = params.uri;
    if (typeof uri !== 'string') throw invalidParams('resources/unsubscribe: "uri" must be a string');
    let route: Route;
    try {
      route = await this.resourceRoute(session, uri);
    } catch (err) {
      // Subscribed while it led somewhere: letting go of it must still work.
      if (this.subscriptions.forget(session, uri)) return {};
      throw err;
    }
    await this.subscriptions.unsubscribe(session, uri, route);
    return {};
  }

  private async complete(session: Session, req: JsonRpcRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    const ref = params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
    let route: Route;
    let outRef: Record<string, unknown>;
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      route = (await this.namedRoute(session, ref.name, 'promptRoutes')).route;
      outRef = { ...ref, name: route.original };
    } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      const view = await this.view(session);
      const t = view.templateRoutes.find((r) => r.template === ref.uri);
      route = t?.route ?? (await this.resourceRoute(session, ref.uri));
      outRef = { ...ref, uri: route.original };
    } else
      throw invalidParams('completion/complete: "ref" must be a ref/prompt with a name or a ref/resource with a uri');
    const completes = this.completes(route);
    if (completes === false) return noCompletion();
    try {
      return await this.forward(session, req, route.upstream, { ...params, ref: outRef }, signal);
    } catch (err) {
      // A server that may not answer it at all (2024-11-05) and does not: it has nothing to suggest.
      if (completes === 'maybe' && err instanceof GatewayError && err.rpc?.code === RpcCode.MethodNotFound)
        return noCompletion();
      throw err;
    }
  }

  /**
   * Whether a server answers completion/complete. The profile offers completions when any of its
   * servers does, so clients ask for the prompts of those that do not too: such a server has
   * nothing to suggest (it would answer "Method not found", an error that names no server). One
   * never seen ready is asked. 'maybe': its revision (2024-11-05) predates the capability, and
   * servers of then answered completion/complete without declaring anything (SDK servers of 1.3 to
   * 1.6 did for a Completable prompt argument); it is asked, and its "Method not found" is taken
   * as nothing to suggest.
   */
  private completes(route: Route): boolean | 'maybe' {
    const caps = this.capabilitiesOf(route);
    if (caps === undefined) return true;
    if (typeof caps.completions === 'object' && caps.completions !== null) return true;
    const revision = route.upstream.info()?.protocolVersion ?? this.knownRevisions.get(route.server);
    return revision !== undefined && !atLeast(revision, '2025-03-26') ? 'maybe' : false;
  }

  /** Sends one request upstream with a fresh id; maps the progress token; tracks the flight. */
  private async forward(
    session: Session,
    req: JsonRpcRequest,
    upstream: Upstream,
    params: Params,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    // The upstream exchange's id is made now, so what the server asks during it can name it.
    const call = session.exchangeOf(req.id);
    const traffic = this.opts.traffic;
    const exchange = traffic?.enabled ? traffic.newId() : undefined;
    const server = this.opts.registry.server(upstream);
    if (call && server !== undefined) traffic?.annotate(call, { server });
    const flight = this.serverRequests.track(upstream, session, req.id, exchange);
    const { params: outParams, token } = this.progress.bind(
      this.forRevisionOf(upstream, params),
      upstream,
      session,
      req.id,
      flight,
    );
    let createdTask: string | undefined;
    try {
      const options: RequestOptions = {
        signal,
        sessionId: session.id,
        origin: flight,
        questions: flight,
        maxMs: this.opts.maxRequestMs?.(),
      };
      if (exchange) options.traffic = call ? { id: exchange, parentId: call, session } : { id: exchange, session };
      const headers = this.contexts.get(req)?.headers;
      if (headers) options.clientHeaders = headers;
      if (session.stateless && session.logLevel !== undefined) await this.widenLogLevel(upstream, session.logLevel);
      let result: Record<string, unknown>;
      try {
        result = await upstream.request(req.method, outParams, options);
      } catch (err) {
        // Kept off the path of every call: only an error may need pages opened first.
        result = await this.againAfterPages(err, session, req, upstream, outParams, options, signal, call);
      }
      createdTask = createdTaskId(result);
      if (taskEnds(req.method, result) && typeof params.taskId === 'string')
        this.progress.taskEnded(upstream, params.taskId);
      // Task ids as the client knows them (another upstream may use the same one).
      result = this.tasks.noteResult(result, upstream, taskOwner(session));
      if (req.method.startsWith('tasks/')) result = this.tasks.toClient(upstream, result);
      // A stateless client sees input_required as it is; a stateful one needs it answered.
      if (result.resultType === 'input_required' && !session.stateless) {
        const exchanges = { ...(call ? { call } : {}), ...(exchange ? { round: exchange } : {}) };
        return await this.serverRequests.completeInputRounds(
          session,
          req,
          upstream,
          outParams,
          result,
          signal,
          exchanges,
        );
      }
      return result;
    } catch (err) {
      throw this.stoppedDuring(upstream, err);
    } finally {
      flight.end();
      if (token !== undefined && createdTask !== undefined) this.progress.keepForTask(token, createdTask);
      else this.progress.release(token);
    }
  }

  /**
   * A request that failed, sent again once the user opened the pages it needed: a server that needs
   * pages opened first (-32042) for a client that cannot open them gets them opened by the user in
   * the app, and then the request again (it said it could not proceed until then), as a 2025-11-25
   * client would do; at most MAX_INPUT_ROUNDS times. Any other error is thrown again as it is.
   */
  private async againAfterPages(
    failure: unknown,
    session: Session,
    req: JsonRpcRequest,
    upstream: Upstream,
    params: Params,
    options: RequestOptions,
    signal: AbortSignal,
    call: string | undefined,
  ): Promise<Record<string, unknown>> {
    let err = failure;
    for (let round = 1; ; round++) {
      const pages = round <= MAX_INPUT_ROUNDS ? this.serverRequests.pagesToOpen(session, err) : undefined;
      if (!pages) throw err;
      const asked = options.traffic?.id;
      await this.serverRequests.openPages(upstream, session, req.id, pages, err as GatewayError, signal, asked);
      // The request again is an exchange of its own, under the client's call.
      const traffic = this.opts.traffic;
      if (options.traffic && traffic?.enabled) {
        const id = traffic.newId();
        options.traffic = call ? { id, parentId: call, session } : { id, session };
        (options.origin as { exchangeId?: string }).exchangeId = id;
      }
      try {
        return await upstream.request(req.method, params, options);
      } catch (again) {
        err = again;
      }
    }
  }

  /**
   * A request its server's stop ended, said with why the server stopped (a config edit, Restart,
   * a pause), and that whether it ran is unknown: the server had it, and may have acted on it.
   */
  private stoppedDuring(upstream: Upstream, err: unknown): unknown {
    if (!(err instanceof GatewayError) || err.code !== 'upstream_closed' || err.notSent === true) return err;
    const why = this.opts.registry.stopReason(upstream);
    if (why === undefined) return err;
    return new GatewayError(
      'upstream_closed',
      `server "${upstream.name}" ${why} while this request was in flight, so whether it ran is unknown: ` +
        'check before repeating anything it changes',
      { cause: err },
    );
  }

  /**
   * A session's log level applies to the instances it has: one not started yet (an `isolated`
   * server the client has not used) is not started for it, and gets the level when it starts
   * (restoreUpstreamState).
   */
  private applyLogLevels(changed: Session): void {
    for (const m of this.members(changed, false)) {
      if (!m.upstream.info()?.capabilities.logging) continue;
      // A shared upstream logs at the most verbose level any of its sessions asked for; each
      // session then gets only what it asked for.
      let min = LOG_LEVELS.length - 1;
      for (const s of this.sessionsOf(m.upstream)) {
        if (s.logLevel !== undefined) min = Math.min(min, LOG_LEVELS.indexOf(s.logLevel));
      }
      this.upstreamLogLevels.set(m.upstream, min);
      m.upstream
        .request('logging/setLevel', { level: LOG_LEVELS[min] })
        .catch(logFailure(this.warnAbout(m.upstream), 'could not set the log level'));
    }
  }

  /**
   * After a session with a log level left: each shared server set more verbose than its sessions
   * now ask for is set to the most verbose level they ask for (a server none of them asked a level
   * of keeps its own: MCP has no way back to a server's default).
   */
  private narrowLogLevels(): void {
    for (const upstream of this.opts.registry.all()) {
      const current = this.upstreamLogLevels.get(upstream);
      if (current === undefined || !upstream.info()?.capabilities.logging) continue;
      let min: number | undefined;
      for (const s of this.sessionsOf(upstream)) {
        if (s.logLevel !== undefined) min = Math.min(min ?? LOG_LEVELS.length, LOG_LEVELS.indexOf(s.logLevel));
      }
      if (min === undefined || min <= current) continue;
      this.upstreamLogLevels.set(upstream, min);
      upstream
        .request('logging/setLevel', { level: LOG_LEVELS[min] })
        .catch(logFailure(this.warnAbout(upstream), 'could not set the log level'));
    }
  }

  /**
   * A stateless client's request names its log level (`_meta`); a server of an older revision,
   * which only knows `logging/setLevel`, is set at least that verbose first, so another session's
   * quieter level does not hide what this request asked for. Its sessions still get only theirs.
   */
  private async widenLogLevel(upstream: Upstream, level: (typeof LOG_LEVELS)[number]): Promise<void> {
    const info = upstream.info();
    if (!info?.capabilities.logging || info.protocolVersion === STATELESS_REVISION) return;
    const wanted = LOG_LEVELS.indexOf(level);
    const current = this.upstreamLogLevels.get(upstream);
    if (current !== undefined && current <= wanted) return;
    this.upstreamLogLevels.set(upstream, wanted);
    await upstream
      .request('logging/setLevel', { level })
      .catch(logFailure(this.warnAbout(upstream), 'could not set the log level'));
  }

  // ---- upstream → clients ------------------------------------------------

  private wire(upstream: Upstream): void {
    if (this.unwire.has(upstream)) return;
    const onNotification = (m: JsonRpcNotification, origin?: RequestOrigin) =>
      this.onUpstreamNotification(upstream, m, origin);
    const onReady = () => {
      this.noteCapabilities(upstream);
      this.restoreUpstreamState(upstream);
    };
    this.noteCapabilities(upstream);
    upstream.on('ready', onReady);
    const onRequest = (m: JsonRpcRequest, reply: ReplyFn, origin?: RequestOrigin) =>
      this.serverRequests.receive(upstream, m, reply, origin);
    // A lost connection (a crash): the answers to what the server asked have nowhere to go.
    const onStatus = (status: UpstreamStatus) => {
      if (status.state !== 'ready') this.serverRequests.abandon(upstream);
    };
    upstream.on('notification', onNotification);
    upstream.on('request', onRequest);
    upstream.on('status', onStatus);
    const untrack = this.opts.catalog.track(upstream);
    this.unwire.set(upstream, () => {
      upstream.off('notification', onNotification);
      upstream.off('request', onRequest);
      upstream.off('status', onStatus);
      upstream.off('ready', onReady);
      untrack();
    });
    this.views.clear();
  }

  private noteCapabilities(upstream: Upstream): void {
    const server = this.opts.registry.server(upstream);
    const info = upstream.info();
    if (server !== undefined && info) {
      this.knownCapabilities.set(server, info.capabilities);
      this.knownRevisions.set(server, info.protocolVersion);
    }
  }

  /** After a backend restarted: its subscriptions and log level are gone; ask again. */
  private restoreUpstreamState(upstream: Upstream): void {
    this.subscriptions.restore(upstream);
    const levels = this.sessionsOf(upstream)
      .map((s) => s.logLevel)
      .filter((l) => l !== undefined);
    // A restarted server logs at its default until told otherwise.
    this.upstreamLogLevels.delete(upstream);
    if (levels.length && upstream.info()?.capabilities.logging) {
      const min = Math.min(...levels.map((l) => LOG_LEVELS.indexOf(l)));
      this.upstreamLogLevels.set(upstream, min);
      upstream
        .request('logging/setLevel', { level: LOG_LEVELS[min] })
        .catch(logFailure(this.warnAbout(upstream), 'could not set the log level again after a restart'));
    }
  }

  /**
   * The params without the stateless revision's per-request `_meta` keys, for an upstream that does
   * not speak that revision: by its revision now, or when last ready (it may be restarting). One
   * never seen ready keeps them: a stateless one needs them, a stateful one ignores them.
   */
  private forRevisionOf(upstream: Upstream, params: Params): Params {
    if (params._meta === undefined) return params;
    let revision = upstream.info()?.protocolVersion;
    if (revision === undefined) {
      const server = this.opts.registry.server(upstream);
      revision = server === undefined ? undefined : this.knownRevisions.get(server);
    }
    return revision === undefined || revision === STATELESS_REVISION ? params : stripStatelessMeta(params);
  }

  /** Writes a warning about the server behind `upstream`. */
  private warnAbout(upstream: Upstream): (text: string) => void {
    return (text) => {
      const server = this.opts.registry.server(upstream);
      this.opts.log?.({ level: 'warn', text, ...(server === undefined ? {} : { server }) });
    };
  }

  private unwireUpstream(upstream: Upstream): void {
    this.unwire.get(upstream)?.();
    this.unwire.delete(upstream);
    this.subscriptions.detach(upstream);
    this.serverRequests.forget(upstream);
    this.views.clear();
  }

  /** Sessions whose view includes this upstream. */
  private sessionsOf(upstream: Upstream): Session[] {
    const owner = this.opts.registry.owner(upstream);
    if (owner !== undefined) {
      const s = this.sessionsById.get(owner);
      return s ? [s] : [];
    }
    const server = this.opts.registry.server(upstream);
    if (server === undefined) return [];
    return [...this.sessions].filter((s) => this.opts.profileServers(s.profile)?.includes(server));
  }

  private onUpstreamNotification(upstream: Upstream, m: JsonRpcNotification, origin?: RequestOrigin): void {
    const params = m.params ?? {};
    switch (m.method) {
      case 'notifications/progress':
        this.progress.deliver(upstream, m.method, params);
        return;
      case 'notifications/message': {
        const level = LOG_LEVELS.indexOf(params.level as (typeof LOG_LEVELS)[number]);
        const logged =
          params.logger === undefined ? { ...params, logger: this.opts.registry.server(upstream) } : params;
        const { sessions, related } = this.audience(upstream, origin);
        for (const s of sessions) {
          if (s.logLevel === undefined ? !s.stateless : level >= LOG_LEVELS.indexOf(s.logLevel))
            s.notify(m.method, logged, related);
        }
        return;
      }
      case 'notifications/tools/list_changed':
      case 'notifications/prompts/list_changed':
      case 'notifications/resources/list_changed':
        // The catalog refetches; sessions hear about it once the new list is known.
        return;
      case 'notifications/resources/updated':
        this.subscriptions.deliver(upstream, m.method, params);
        return;
      case 'notifications/cancelled':
        this.serverRequests.cancel(upstream, params);
        return;
      case 'notifications/elicitation/complete': {
        // Only to the session that was shown that URL-mode question (none when the app showed it).
        const session = this.serverRequests.elicitationSession(upstream, params.elicitationId);
        session?.notify(m.method, m.params);
        return;
      }
      case 'notifications/tasks/status': {
        // Only the client that created the task hears about it.
        const owner = typeof params.taskId === 'string' ? this.tasks.creator(params.taskId, upstream) : undefined;
        if (typeof params.taskId === 'string' && TERMINAL_TASK_STATUSES.has(params.status as string))
          this.progress.taskEnded(upstream, params.taskId);
        if (owner === undefined) return;
        const status = this.tasks.toClient(upstream, params);
        for (const s of this.sessionsOf(upstream)) if (taskOwner(s) === owner) s.notify(m.method, status);
        return;
      }
      default: {
        const { sessions, related } = this.audience(upstream, origin);
        for (const s of sessions) if (this.members(s, false).length === 1) s.notify(m.method, m.params, related);
      }
    }
  }

  /**
   * Whether what changed in a server's tools or prompts is only what its entry's filter hides from
   * every client (a server that adds tools the config denies): no client's list changed then. A
   * list the server announced that reads the same as before is passed on, as the catalog decides.
   */
  private onlyHiddenChanged(upstream: Upstream, kind: ListKind): boolean {
    if (kind !== 'tools' && kind !== 'prompts') return false;
    const server = this.opts.registry.server(upstream);
    const spec = server === undefined ? undefined : this.opts.registry.config(server)?.[kind];
    if (!spec?.allow?.length && !spec?.deny?.length) {
      // Nothing hidden: every change shows (and a long list is not serialised to find that out).
      delete this.lastLists.get(upstream)?.[kind];
      return false;
    }
    const items = this.opts.catalog.cached(upstream, kind);
    const filter = compileFilter(spec);
    const shown = items?.filter((item) => typeof item.name === 'string' && filter.includes(item.name));
    const now = {
      all: shortHash(JSON.stringify(items ?? null), 16),
      shown: shortHash(JSON.stringify(shown ?? null), 16),
    };
    let seen = this.lastLists.get(upstream);
    if (!seen) this.lastLists.set(upstream, (seen = {}));
    const before = seen[kind];
    seen[kind] = now;
    return before !== undefined && before.all !== now.all && before.shown === now.shown;
  }

  /**
   * Who hears a server's notification: sent during one client's call (on its answer stream), that
   * client only, on that call's stream; nobody once that call has ended; else every session of it.
   */
  private audience(upstream: Upstream, origin?: RequestOrigin): { sessions: Session[]; related?: RequestId } {
    const caller = this.serverRequests.caller(upstream, origin);
    if (caller === null) return { sessions: [] };
    return caller ? { sessions: [caller.session], related: caller.requestId } : { sessions: this.sessionsOf(upstream) };
  }

  private onCatalogChanged(upstream: Upstream, kind: ListKind): void {
    this.views.clear();
    if (this.onlyHiddenChanged(upstream, kind)) return;
    if (kind === 'resources' || kind === 'resourceTemplates') {
      // Resources and their templates share one notice, and a server's resources/list_changed has
      // both read again: clients are told once, when the other read has ended too (told at each
      // read's end, they listed twice; told before the other ended, they listed what it replaces).
      // Both changing at once (a server gone down) is one notice too.
      if (this.resourceNotices.has(upstream)) return;
      this.resourceNotices.add(upstream);
      const other = this.opts.catalog.reading(upstream, kind === 'resources' ? 'resourceTemplates' : 'resources');
      void (other ?? Promise.resolve()).finally(() => {
        this.resourceNotices.delete(upstream);
        this.views.clear();
        this.announce(upstream, kind);
      });
      return;
    }
    this.announce(upstream, kind);
  }

  /** Tells the clients that see `upstream` that its list of `kind` changed. */
  private announce(upstream: Upstream, kind: ListKind): void {
    const method = LIST_CHANGED_METHOD[kind];
    for (const s of this.sessionsOf(upstream)) if (s.initialized) s.notify(method);
  }
}

/**
 * A uri as a server knows it that its profile lists under the prefix of each server offering it
 * (two do): where to read it, said after "Resource not found" (a model quotes a server's own uri).
 */
function sharedUnder(view: ProfileViewData, uri: string): string {
  const listed = new Map<string, string>();
  for (const [exposed, route] of view.resourceRoutes)
    if (route.original === uri && exposed !== uri) listed.set(exposed, route.server);
  for (const { prefix, route } of view.templateRoutes)
    if (prefix && matchesTemplate(route.original, uri)) listed.set(prefix + uri, route.server);
  if (listed.size === 0) return '';
  const servers = [...new Set(listed.values())].map((name) => `"${name}"`);
  return ` (offered by servers ${servers.join(' and ')}: here it is ${[...listed.keys()].join(' or ')})`;
}

/** How many names of servers that left the config are kept, for what a call by an old name is told. */
const MAX_DEPARTED = 100;
const TERMINAL_TASK_STATUSES = new Set(['completed', 'failed', 'cancelled']);
/** What a server without completions has to suggest (as an SDK server answers an argument it cannot complete). */
function noCompletion(): Record<string, unknown> {
  return { completion: { values: [], hasMore: false } };
}
/** Every list's change notice, once each (resources and their templates share one). */
const LIST_CHANGED_METHODS = [...new Set(Object.values(LIST_CHANGED_METHOD))];

/** The task a result says was created (a task-augmented request answered with CreateTaskResult). */
function createdTaskId(result: Record<string, unknown>): string | undefined {
  const taskId = (result.task as { taskId?: unknown } | undefined)?.taskId;
  return typeof taskId === 'string' ? taskId : undefined;
}

/** Whether the answer to a task method says the task has ended (its result was read, or it reached a final status). */
function taskEnds(method: string, result: Record<string, unknown>): boolean {
  if (method === 'tasks/result') return true;
  return (method === 'tasks/get' || method === 'tasks/cancel') && TERMINAL_TASK_STATUSES.has(result.status as string);
}

/** Who owns the tasks a session creates: the session, or a profile's stateless clients (see tasks.ts). */
function taskOwner(session: Session): string {
  return session.stateless ? `stateless:${session.profile}` : session.id;
}

/** Per-request keys of the stateless revision; a stateful upstream must not see them. */
const STATELESS_META_PREFIX = 'io.modelcontextprotocol/';

function stripStatelessMeta(params: Params): Params {
  const meta = params._meta as Record<string, unknown> | undefined;
  if (!meta) return params;
  const keys = Object.keys(meta).filter((k) => k.startsWith(STATELESS_META_PREFIX));
  if (keys.length === 0) return params;
  const kept = { ...meta };
  for (const k of keys) delete kept[k];
  const out: Params = { ...params };
  if (Object.keys(kept).length) out._meta = kept;
  else delete out._meta;
  return out;
}

function invalidParams(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { rpc: { code: RpcCode.InvalidParams, message } });
}
