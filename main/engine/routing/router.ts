/**
 * Routes between client sessions and upstreams. Clients see one merged server per profile;
 * each request goes to the upstream that owns the tool/prompt/resource with a fresh upstream id
 * (never the client's), progress tokens and cancellations are mapped both ways, notifications
 * reach only the sessions that should see them, and a server-to-client request goes only to the
 * session whose request caused it.
 */
import { GatewayError, RpcCode, toRpcError } from '../protocol/errors.ts';
import type { JsonRpcNotification, JsonRpcRequest, Params, RequestId } from '../protocol/jsonrpc.ts';
import { requiredCapability } from '../protocol/capabilities.ts';
import { LOG_LEVELS, type RequestContext, type Session, type SessionHandler } from '../downstream/session.ts';
import type { ReplyFn, RequestOptions, Upstream } from '../upstreams/types.ts';
import type { RegistryServer } from '../upstreams/registry.ts';
import type { Catalog, ListKind } from './catalog.ts';
import type { NameFilter } from './filters.ts';
import { degradeToolResult } from './degrade.ts';
import { completeInputRounds } from './input-rounds.ts';
import { STATELESS_REVISION } from '../protocol/versions.ts';
import { buildProfileView, routeResource, type ProfileViewData, type Route, type ViewMember } from './profile-view.ts';
import { Subscriptions } from './subscriptions.ts';
import { TaskOwners } from './tasks.ts';
import { ProgressTokens } from './progress.ts';

export interface RoutedServer extends RegistryServer {
  kind?: string;
  tools?: NameFilter;
  prompts?: NameFilter;
}

/** The part of the upstream registry the router uses. */
export interface RouterRegistry {
  on(event: 'added' | 'removed', listener: (upstream: Upstream) => void): unknown;
  all(): Upstream[];
  forSession(server: string, sessionId: string): Upstream | undefined;
  existingForSession(server: string, sessionId: string): Upstream | undefined;
  config(server: string): RoutedServer | undefined;
  owner(upstream: Upstream): string | undefined;
  server(upstream: Upstream): string | undefined;
  releaseSession(sessionId: string): Promise<void>;
}

/** Answers a server's question in the app when no client can (the elicitation broker). */
export interface Prompter {
  ask(
    request: { server: string; method: 'elicitation/create' | 'sampling/createMessage'; params: Record<string, unknown>; client?: { name: string; version?: string }; reason: string },
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<Record<string, unknown>>;
}

export interface RouterOptions {
  registry: RouterRegistry;
  prompter?: Prompter;
  /** How long the app waits for a person to answer a prompt. */
  promptTimeoutMs?: number;
  catalog: Catalog;
  /** Enabled server names of a profile; undefined for an unknown profile. */
  profileServers(profile: string): string[] | undefined;
  separator(): string;
}

interface Flight {
  session: Session;
  requestId: RequestId;
}

const LIST_CHANGED_METHOD: Record<ListKind, string> = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
  resourceTemplates: 'notifications/resources/list_changed',
};

export class Router implements SessionHandler {
  private readonly opts: RouterOptions;
  private readonly sessions = new Set<Session>();
  private readonly sessionsById = new Map<string, Session>();
  private views = new Map<string, Promise<ProfileViewData>>();
  private readonly progress = new ProgressTokens();
  private readonly flights = new Map<Upstream, Set<Flight>>();
  /** Server-to-client requests being answered: `${upstream id}:${request id}` → abort. */
  private readonly serverRequests = new Map<Upstream, Map<RequestId, AbortController>>();
  private readonly subscriptions = new Subscriptions();
  private readonly tasks = new TaskOwners();
  private readonly unwire = new Map<Upstream, () => void>();
  /** Per-request transport context (HTTP headers), kept only as long as the request object lives. */
  private readonly contexts = new WeakMap<JsonRpcRequest, RequestContext>();

  constructor(opts: RouterOptions) {
    this.opts = opts;
    opts.registry.on('added', (u) => this.wire(u));
    opts.registry.on('removed', (u) => this.unwireUpstream(u));
    for (const u of opts.registry.all()) this.wire(u);
    opts.catalog.on('changed', (upstream, kind) => this.onCatalogChanged(upstream, kind));
  }

  /** Call after a config change that may alter profiles, filters or names. */
  invalidate(): void {
    this.views.clear();
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
  }

  detach(session: Session): void {
    this.sessions.delete(session);
    this.sessionsById.delete(session.id);
    for (const key of this.views.keys()) if (key.endsWith(`#${session.id}`)) this.views.delete(key);
    this.subscriptions.dropSession(session);
    void this.opts.registry.releaseSession(session.id);
  }

  serverCapabilities(_profile: string): Record<string, unknown> {
    return {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      logging: {},
      completions: {},
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    };
  }

  async handle(session: Session, req: JsonRpcRequest, signal: AbortSignal, context?: RequestContext): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    if (context?.headers) this.contexts.set(req, context);
    switch (req.method) {
      case 'tools/list':
        return { tools: (await this.view(session, true)).tools };
      case 'prompts/list':
        return { prompts: (await this.view(session, true)).prompts };
      case 'resources/list':
        return { resources: (await this.view(session, true)).resources };
      case 'resources/templates/list':
        return { resourceTemplates: (await this.view(session, true)).resourceTemplates };
      case 'tools/call':
        return degradeToolResult(await this.forwardNamed(session, req, signal, 'toolRoutes', 'tool'), session.protocolVersion);
      case 'prompts/get':
        return this.forwardNamed(session, req, signal, 'promptRoutes', 'prompt');
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
        return this.tasks.list(this.members(session).map((m) => m.upstream), signal);
      default: {
        // Task methods follow the task to the upstream that created it.
        const taskId = params.taskId;
        if (req.method.startsWith('tasks/') && typeof taskId === 'string') {
          const owner = this.tasks.owner(taskId);
          const member = owner && this.members(session).find((m) => m.upstream === owner);
          if (member) return this.forward(session, req, member.upstream, params, signal);
          throw invalidParams(`Unknown task: ${taskId}`);
        }
        // A profile with a single upstream is a transparent proxy: unknown methods pass through.
        const members = this.members(session);
        if (members.length === 1) return this.forward(session, req, members[0]!.upstream, params, signal);
        throw new GatewayError('method_not_found', `Method not found: ${req.method}`, { rpc: { code: RpcCode.MethodNotFound, message: `Method not found: ${req.method}` } });
      }
    }
  }

  handleNotification(session: Session, method: string, params: Params | undefined): void {
    const members = this.members(session, false);
    if (method === 'notifications/roots/list_changed') {
      for (const m of members) m.upstream.notify(method, params);
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
    const names = this.opts.profileServers(session.profile) ?? [];
    const out: ViewMember[] = [];
    for (const name of names) {
      const upstream = start ? this.opts.registry.forSession(name, session.id) : this.opts.registry.existingForSession(name, session.id);
      const server = this.opts.registry.config(name);
      if (!upstream || !server) continue;
      const member: ViewMember = { server: name, upstream };
      if (server.tools) member.tools = server.tools;
      if (server.prompts) member.prompts = server.prompts;
      out.push(member);
    }
    return out;
  }

  /** `listing`: a list request, which must ask JSON handlers again (they have no list_changed). */
  private view(session: Session, listing = false): Promise<ProfileViewData> {
    const names = this.opts.profileServers(session.profile) ?? [];
    const isolated = names.some((n) => this.opts.registry.config(n)?.isolated);
    const key = isolated ? `${session.profile}#${session.id}` : session.profile;
    if (listing && names.some((n) => this.opts.registry.config(n)?.kind?.startsWith('handler-'))) this.views.delete(key);
    let view = this.views.get(key);
    if (!view) {
      view = buildProfileView(this.members(session), this.opts.catalog, this.opts.separator());
      this.views.set(key, view);
      view.catch(() => this.views.delete(key));
    }
    return view;
  }

  private async forwardNamed(session: Session, req: JsonRpcRequest, signal: AbortSignal, table: 'toolRoutes' | 'promptRoutes', what: string): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    const name = params.name;
    if (typeof name !== 'string') throw invalidParams(`${req.method}: "name" must be a string`);
    const route = (await this.view(session))[table].get(name);
    if (!route) throw invalidParams(`Unknown ${what}: ${name}`);
    return this.forward(session, req, route.upstream, { ...params, name: route.original }, signal);
  }

  private async readResource(session: Session, req: JsonRpcRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    const uri = params.uri;
    if (typeof uri !== 'string') throw invalidParams('resources/read: "uri" must be a string');
    const route = await this.resourceRoute(session, uri);
    const result = await this.forward(session, req, route.upstream, { ...params, uri: route.original }, signal);
    // Contents name the URI the client asked for, even when we had to rename a shared one.
    if (route.original !== uri && Array.isArray(result.contents)) {
      result.contents = (result.contents as Record<string, unknown>[]).map((c) => (c.uri === route.original ? { ...c, uri } : c));
    }
    return result;
  }

  private async resourceRoute(session: Session, uri: string): Promise<Route> {
    const view = await this.view(session);
    const route = routeResource(view, uri);
    if (route) return route;
    const members = this.members(session);
    if (members.length === 1) return { server: members[0]!.server, upstream: members[0]!.upstream, original: uri };
    throw new GatewayError('not_found', `Resource not found: ${uri}`, { rpc: { code: RpcCode.InvalidParams, message: `Resource not found: ${uri}`, data: { uri } } });
  }

  private async subscribe(session: Session, params: Params): Promise<Record<string, unknown>> {
    const uri = params.uri;
    if (typeof uri !== 'string') throw invalidParams('resources/subscribe: "uri" must be a string');
    await this.subscriptions.subscribe(session, uri, await this.resourceRoute(session, uri));
    return {};
  }

  private async unsubscribe(session: Session, params: Params): Promise<Record<string, unknown>> {
    const uri = params.uri;
    if (typeof uri !== 'string') throw invalidParams('resources/unsubscribe: "uri" must be a string');
    await this.subscriptions.unsubscribe(session, uri, await this.resourceRoute(session, uri));
    return {};
  }

  private async complete(session: Session, req: JsonRpcRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
    const params = req.params ?? {};
    const ref = params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      const route = (await this.view(session)).promptRoutes.get(ref.name);
      if (!route) throw invalidParams(`Unknown prompt: ${ref.name}`);
      return this.forward(session, req, route.upstream, { ...params, ref: { ...ref, name: route.original } }, signal);
    }
    if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      const view = await this.view(session);
      const t = view.templateRoutes.find((r) => r.template === ref.uri);
      const route = t?.route ?? (await this.resourceRoute(session, ref.uri));
      return this.forward(session, req, route.upstream, { ...params, ref: { ...ref, uri: route.original } }, signal);
    }
    throw invalidParams('completion/complete: "ref" must be a ref/prompt with a name or a ref/resource with a uri');
  }

  /** Sends one request upstream with a fresh id; maps the progress token; tracks the flight. */
  private async forward(session: Session, req: JsonRpcRequest, upstream: Upstream, params: Params, signal: AbortSignal): Promise<Record<string, unknown>> {
    const { params: outParams, token } = this.progress.bind(stripStatelessMeta(params, upstream), upstream, session, req.id);
    const flight: Flight = { session, requestId: req.id };
    let flights = this.flights.get(upstream);
    if (!flights) this.flights.set(upstream, (flights = new Set()));
    flights.add(flight);
    try {
      const options: RequestOptions = { signal, sessionId: session.id };
      const headers = this.contexts.get(req)?.headers;
      if (headers) options.clientHeaders = headers;
      const result = await upstream.request(req.method, outParams, options);
      this.tasks.noteResult(result, upstream);
      // A stateless client sees input_required as it is; a stateful one needs it answered.
      if (result.resultType === 'input_required' && !session.stateless) return await this.completeInputRounds(session, req, upstream, outParams, result, signal);
      return result;
    } finally {
      flights.delete(flight);
      this.progress.release(token);
    }
  }

  private applyLogLevels(changed: Session): void {
    for (const m of this.members(changed)) {
      if (!m.upstream.info()?.capabilities.logging) continue;
      // A shared upstream logs at the most verbose level any of its sessions asked for; each
      // session then gets only what it asked for.
      let min = LOG_LEVELS.length - 1;
      for (const s of this.sessionsOf(m.upstream)) {
        if (s.logLevel !== undefined) min = Math.min(min, LOG_LEVELS.indexOf(s.logLevel));
      }
      m.upstream.request('logging/setLevel', { level: LOG_LEVELS[min] }).catch(() => undefined);
    }
  }

  // ---- upstream → clients ------------------------------------------------

  private wire(upstream: Upstream): void {
    if (this.unwire.has(upstream)) return;
    const onNotification = (m: JsonRpcNotification) => this.onUpstreamNotification(upstream, m);
    const onReady = () => this.restoreUpstreamState(upstream);
    upstream.on('ready', onReady);
    const onRequest = (m: JsonRpcRequest, reply: ReplyFn) => this.onUpstreamRequest(upstream, m, reply);
    upstream.on('notification', onNotification);
    upstream.on('request', onRequest);
    const untrack = this.opts.catalog.track(upstream);
    this.unwire.set(upstream, () => {
      upstream.off('notification', onNotification);
      upstream.off('request', onRequest);
      upstream.off('ready', onReady);
      untrack();
    });
    this.views.clear();
  }

  /** After a backend restarted: its subscriptions and log level are gone; ask again. */
  private restoreUpstreamState(upstream: Upstream): void {
    this.subscriptions.restore(upstream);
    const levels = this.sessionsOf(upstream).map((s) => s.logLevel).filter((l) => l !== undefined);
    if (levels.length && upstream.info()?.capabilities.logging) {
      const min = Math.min(...levels.map((l) => LOG_LEVELS.indexOf(l)));
      upstream.request('logging/setLevel', { level: LOG_LEVELS[min] }).catch(() => undefined);
    }
  }

  private unwireUpstream(upstream: Upstream): void {
    this.unwire.get(upstream)?.();
    this.unwire.delete(upstream);
    this.flights.delete(upstream);
    this.subscriptions.forget(upstream);
    for (const ac of this.serverRequests.get(upstream)?.values() ?? []) ac.abort(new Error('server stopped'));
    this.serverRequests.delete(upstream);
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

  private onUpstreamNotification(upstream: Upstream, m: JsonRpcNotification): void {
    const params = m.params ?? {};
    switch (m.method) {
      case 'notifications/progress':
        this.progress.deliver(upstream, m.method, params);
        return;
      case 'notifications/message': {
        const level = LOG_LEVELS.indexOf(params.level as (typeof LOG_LEVELS)[number]);
        const logged = params.logger === undefined ? { ...params, logger: this.opts.registry.server(upstream) } : params;
        for (const s of this.sessionsOf(upstream)) {
          if (s.logLevel === undefined ? !s.stateless : level >= LOG_LEVELS.indexOf(s.logLevel)) s.notify(m.method, logged);
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
      case 'notifications/cancelled': {
        const id = params.requestId as RequestId | undefined;
        if (id !== undefined) this.serverRequests.get(upstream)?.get(id)?.abort(new Error(typeof params.reason === 'string' ? params.reason : 'cancelled by the server'));
        return;
      }
      default:
        for (const s of this.sessionsOf(upstream)) {
          if (this.members(s, false).length === 1) s.notify(m.method, m.params);
        }
    }
  }

  private onUpstreamRequest(upstream: Upstream, m: JsonRpcRequest, reply: ReplyFn): void {
    const ac = new AbortController();
    let pending = this.serverRequests.get(upstream);
    if (!pending) this.serverRequests.set(upstream, (pending = new Map()));
    pending.set(m.id, ac);
    this.answerServerRequest(upstream, this.requestTarget(upstream), m.method, m.params ?? {}, ac.signal).then(
      (result) => reply({ result }),
      (err: unknown) => reply({ error: toRpcError(err) }),
    ).finally(() => pending.delete(m.id));
  }

  /**
   * Gets the answer to a server's question (elicitation, sampling, roots): from the client that
   * caused it when it can answer, else from the user through the Prompter, else an error saying
   * why nobody could.
   */
  private answerServerRequest(upstream: Upstream, target: { session: Session; requestId?: RequestId } | undefined, method: string, params: Params, signal: AbortSignal): Promise<Record<string, unknown>> {
    const server = this.opts.registry.server(upstream) ?? 'unknown';
    const unable = target ? clientCannotAnswer(target.session, method, params) : 'no single client has a request in flight on this server';
    // A stateless call decides itself: it asks the client, or fails the call with -32021 when the
    // client's per-request capabilities do not cover the question.
    if (target && (unable === undefined || target.session.stateless)) {
      const options: { relatedRequestId?: RequestId; signal: AbortSignal } = { signal };
      if (target.requestId !== undefined) options.relatedRequestId = target.requestId;
      return target.session.request(method, params, options);
    }
    if (this.opts.prompter && (method === 'elicitation/create' || method === 'sampling/createMessage')) {
      const request: Parameters<Prompter['ask']>[0] = { server, method, params, reason: unable ?? '' };
      if (target?.session.clientInfo) request.client = target.session.clientInfo;
      return this.opts.prompter.ask(request, { timeoutMs: this.opts.promptTimeoutMs ?? 10 * 60_000, signal });
    }
    const code = target ? RpcCode.MethodNotFound : RpcCode.InternalError;
    const message = `Switchboard cannot answer ${method} from server "${server}": ${unable}`;
    return Promise.reject(new GatewayError('method_not_found', message, { rpc: { code, message } }));
  }

  /** A stateless upstream's input_required, answered on a stateful client's behalf (see input-rounds.ts). */
  private completeInputRounds(session: Session, req: JsonRpcRequest, upstream: Upstream, params: Params, first: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    return completeInputRounds(params, first, {
      label: `server "${this.opts.registry.server(upstream)}"`,
      retry: (again) => upstream.request(req.method, again, { signal }),
      answer: (method, questionParams) => this.answerServerRequest(upstream, { session, requestId: req.id }, method, questionParams, signal),
    });
  }

  /**
   * The session a server-to-client request belongs to: the owner of an isolated instance, or
   * the only session with a request in flight on this upstream. Ambiguous → none.
   */
  private requestTarget(upstream: Upstream): { session: Session; requestId?: RequestId } | undefined {
    const flights = [...(this.flights.get(upstream) ?? [])];
    const owner = this.opts.registry.owner(upstream);
    if (owner !== undefined) {
      const session = this.sessionsById.get(owner);
      if (!session) return undefined;
      const flight = flights.find((f) => f.session === session);
      return flight ? { session, requestId: flight.requestId } : { session };
    }
    const sessions = new Set(flights.map((f) => f.session));
    if (sessions.size !== 1) return undefined;
    const flight = flights[flights.length - 1]!;
    return { session: flight.session, requestId: flight.requestId };
  }

  private onCatalogChanged(upstream: Upstream, kind: ListKind): void {
    this.views.clear();
    const method = LIST_CHANGED_METHOD[kind];
    for (const s of this.sessionsOf(upstream)) if (s.initialized) s.notify(method);
  }
}

/** Per-request keys of the stateless revision; a stateful upstream must not see them. */
const STATELESS_META_PREFIX = 'io.modelcontextprotocol/';

function stripStatelessMeta(params: Params, upstream: Upstream): Params {
  const meta = params._meta as Record<string, unknown> | undefined;
  if (!meta || upstream.info()?.protocolVersion === STATELESS_REVISION) return params;
  const keys = Object.keys(meta).filter((k) => k.startsWith(STATELESS_META_PREFIX));
  if (keys.length === 0) return params;
  const kept = { ...meta };
  for (const k of keys) delete kept[k];
  const out: Params = { ...params };
  if (Object.keys(kept).length) out._meta = kept;
  else delete out._meta;
  return out;
}

/** Why this client cannot answer a server-to-client request, or undefined when it can. */
function clientCannotAnswer(session: Session, method: string, params: Params): string | undefined {
  const who = `the client (${session.clientInfo?.name ?? 'unknown'}, revision ${session.protocolVersion ?? 'unknown'})`;
  const capability = requiredCapability(method);
  if (capability && !session.hasCapability(capability)) return `${who} does not support ${method}`;
  if (method === 'elicitation/create') {
    const modes = session.clientCapabilities.elicitation as Record<string, unknown> | undefined;
    const mode = params.mode === 'url' ? 'url' : 'form';
    // An empty elicitation capability means form mode only (2025-11-25).
    const supports = mode === 'form' ? !modes || Object.keys(modes).length === 0 || 'form' in modes : !!modes && 'url' in modes;
    if (!supports) return `${who} does not support ${mode}-mode elicitation`;
  }
  if (method === 'sampling/createMessage' && Array.isArray(params.tools)) {
    const sampling = session.clientCapabilities.sampling as Record<string, unknown> | undefined;
    if (!sampling || !('tools' in sampling)) return `${who} does not support sampling with tools`;
  }
  return undefined;
}

function invalidParams(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { rpc: { code: RpcCode.InvalidParams, message } });
}
