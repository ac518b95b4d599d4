/**
 * Server-to-client requests (elicitation, sampling, roots). Knows which session has requests in
 * flight on each upstream (the flights), so a server's question goes to the client that caused
 * it — when that client can answer — else to the user through the Prompter, else fails saying
 * why. Also answers a stateless upstream's input_required rounds on a stateful client's behalf,
 * and aborts a question when the server cancels it.
 */
import { randomBytes } from 'node:crypto';
import type { AskOptions, QuestionRequest } from '../elicitation/types.ts';
import { pageRefusal } from '../elicitation/index.ts';
import { GatewayError, RpcCode, toRpcError } from '../protocol/errors.ts';
import { isValidId, type JsonRpcRequest, type Params, type RequestId } from '../protocol/jsonrpc.ts';
import { missingCapability } from '../protocol/capabilities.ts';
import type { Session } from '../downstream/session.ts';
import type { QuestionClock, ReplyFn, RequestOrigin, Upstream } from '../upstreams/types.ts';
import { completeInputRounds } from './input-rounds.ts';
import { RELATED_TASK } from './tasks.ts';
import type { TrafficRecorder } from '../traffic/index.ts';

/** Puts a server's question to the user in the app when no client can answer it (the question broker). */
export interface Prompter {
  ask(request: QuestionRequest, options: AskOptions): Promise<Record<string, unknown>>;
}

export interface ServerRequestOptions {
  /** The configured server name of an upstream, and the session id owning it when it is an isolated instance. */
  registry: { server(upstream: Upstream): string | undefined; owner(upstream: Upstream): string | undefined };
  /** An attached session by id. */
  session(id: string): Session | undefined;
  prompter?: Prompter;
  /** Why a question with no client to go to cannot be answered, when no one is asked (one-shot commands). */
  nobodyToAsk?: string;
  /** How long the app waits for a person to answer a question. */
  questionTimeoutMs?: number;
  /** Records each question and its answer under the exchange that caused it. */
  traffic?: TrafficRecorder;
  /** Who created a task of this upstream (a session id; see tasks.ts), if the gateway saw it. */
  taskCreator?(upstream: Upstream, taskId: string): string | undefined;
  /** The params with the upstream's task ids as clients know them (tasks.ts). */
  tasksToClient?(upstream: Upstream, params: Params): Params;
}

/** A server's URLElicitationRequiredError (2025-11-25): the request needs pages opened first. */
export const URL_ELICITATION_REQUIRED = -32042;

/** URL-mode elicitations remembered for their `notifications/elicitation/complete`, at most (oldest go first). */
export const MAX_URL_ELICITATIONS = 1000;

/** A client request in flight on an upstream; also the clock of the questions asked during it. */
interface Flight extends QuestionClock {
  session: Session;
  requestId: RequestId;
  /** The upstream request's exchange in the traffic record. */
  exchangeId?: string;
  waiting: number;
  answeredAt?: number;
  progressAt?: number;
  /** Aborted when the request ends: a question still waiting then is withdrawn. Made by the first question. */
  ended?: AbortController;
}

/** Who a server-to-client request is for: a session, and the request of its that caused it. */
interface Target {
  session: Session;
  requestId?: RequestId;
  exchangeId?: string;
  /**
   * The calls it may have been asked during: one when the upstream said which or only one is in
   * flight, else every call of that session on the upstream (a stdio server does not say which).
   */
  flights?: Flight[];
  /** The upstream did not say which call it asks during: the session is the best guess. */
  guessed?: true;
}

/** Why a server-to-client request was given up: its server withdrew it (notifications/cancelled). */
class WithdrawnByServer extends Error {}

/** A server's progress token on a request put to a client, under the token the client was given. */
interface ProgressBack {
  upstream: Upstream;
  session: Session;
  token: RequestId;
}

export class ServerRequests {
  private readonly opts: ServerRequestOptions;
  private readonly flights = new Map<Upstream, Set<Flight>>();
  /** Server-to-client requests being answered, per upstream: request id → abort. */
  private readonly pending = new Map<Upstream, Map<RequestId, AbortController>>();
  /**
   * URL-mode elicitations a client was shown, by upstream and elicitationId: the completion the
   * server announces later (the user finished on the page) goes to that client only.
   */
  private readonly urlElicitations = new Map<string, { upstream: Upstream; session: Session }>();
  /**
   * Progress tokens of server requests put to clients, while they wait: every server numbers its
   * own (an SDK server from 0), so the client is given one of ours, and its progress goes back to
   * the server that asked, under the server's token.
   */
  private readonly progressBack = new Map<string, ProgressBack>();
  private progressSeq = 0;

  constructor(opts: ServerRequestOptions) {
    this.opts = opts;
  }

  /**
   * Notes a client request in flight on an upstream; call `end` when it ends. The flight is the
   * request's `origin` too: an upstream that knows which call a question belongs to gives it back.
   */
  track(upstream: Upstream, session: Session, requestId: RequestId, exchangeId?: string): Flight & { end(): void } {
    let flights = this.flights.get(upstream);
    if (!flights) this.flights.set(upstream, (flights = new Set()));
    const all = flights;
    const flight: Flight & { end(): void } = {
      session,
      requestId,
      waiting: 0,
      end: () => {
        all.delete(flight);
        flight.ended?.abort(new Error('the call that asked it has ended'));
      },
    };
    if (exchangeId) flight.exchangeId = exchangeId;
    all.add(flight);
    return flight;
  }

  /** A server-to-client request from an upstream; `reply` is called once with the answer. */
  receive(upstream: Upstream, m: JsonRpcRequest, reply: ReplyFn, origin?: RequestOrigin): void {
    const ac = new AbortController();
    let pending = this.pending.get(upstream);
    if (!pending) this.pending.set(upstream, (pending = new Map()));
    pending.set(m.id, ac);
    const forTask = this.taskTarget(upstream, m.params);
    // Asked during a call that has ended (the upstream said which): moot, and nobody else's.
    const moot = forTask === undefined && this.caller(upstream, origin) === null;
    const target = moot ? undefined : forTask === undefined ? this.target(upstream, origin) : forTask || undefined;
    const traffic = this.opts.traffic;
    // The server's question is an exchange of its own, under the request of ours it came during.
    const xid = traffic?.begin({
      edge: 'upstream',
      direction: 'in',
      method: m.method,
      params: m.params,
      server: this.opts.registry.server(upstream),
      ...(target?.exchangeId ? { parentId: target.exchangeId } : {}),
    });
    // The calls it may have been asked during hold their timeouts meanwhile; once all have ended, it is moot.
    // Not known whose it is (several clients' calls): any of them may be waiting on it.
    const flights = target?.flights ?? (moot || forTask !== undefined ? [] : [...(this.flights.get(upstream) ?? [])]);
    // Except roots: they are the client's, not a call's. A server asks for them on its own (after the
    // client's list_changed), maybe while a call of that client's is in flight, and needs them still once it ended.
    const ended = flights.length && m.method !== 'roots/list' ? allEnded(flights) : undefined;
    const signal = ended ? AbortSignal.any([ac.signal, ended.signal]) : ac.signal;
    for (const flight of flights) flight.waiting++;
    const answered = moot
      ? Promise.reject(endedCallError(this.opts.registry.server(upstream), m.method))
      : this.answer(upstream, target, m.method, m.params ?? {}, signal, xid || undefined);
    (traffic && xid ? traffic.settle(xid, answered) : answered)
      .then(
        (result) => reply({ result }),
        // A request its server withdrew gets no answer (the spec: a receiver should not respond).
        (err: unknown) => ac.signal.reason instanceof WithdrawnByServer || reply({ error: toRpcError(err) }),
      )
      .finally(() => {
        ended?.dispose();
        pending.delete(m.id);
        for (const flight of flights) {
          flight.waiting--;
          flight.answeredAt = Date.now();
        }
      });
  }

  /**
   * The client request `origin` stands for, while it is still in flight on this upstream; null
   * when it has ended (what came during it is for nobody else); undefined without an origin.
   */
  caller(upstream: Upstream, origin?: RequestOrigin): { session: Session; requestId: RequestId } | null | undefined {
    if (!origin) return undefined;
    if (!this.flights.get(upstream)?.has(origin as Flight)) return null;
    const { session, requestId } = origin as Flight;
    return { session, requestId };
  }

  /** The session that was shown the URL-mode elicitation `elicitationId` of this upstream, if any. */
  elicitationSession(upstream: Upstream, elicitationId: unknown): Session | undefined {
    if (typeof elicitationId !== 'string') return undefined;
    const shown = this.urlElicitations.get(elicitationId);
    return shown?.upstream === upstream ? shown.session : undefined;
  }

  /** Remembers who was shown a URL-mode elicitation, for its completion notice. */
  private noteUrlElicitation(upstream: Upstream, session: Session, params: Params): void {
    if (params.mode !== 'url' || typeof params.elicitationId !== 'string') return;
    this.urlElicitations.delete(params.elicitationId);
    this.urlElicitations.set(params.elicitationId, { upstream, session });
    if (this.urlElicitations.size > MAX_URL_ELICITATIONS)
      this.urlElicitations.delete(this.urlElicitations.keys().next().value!);
  }

  /**
   * A client's notifications/progress on a server's request it is answering: passed to the server
   * that asked, under its own token. False when the token is none of those (nothing was sent).
   */
  progress(session: Session, params: Params): boolean {
    const token = params.progressToken;
    const back = typeof token === 'string' ? this.progressBack.get(token) : undefined;
    if (!back || back.session !== session) return false;
    back.upstream.notify('notifications/progress', { ...params, progressToken: back.token });
    return true;
  }

  /** A session ended: completions of what it was shown have nowhere to go. */
  dropSession(session: Session): void {
    for (const [id, shown] of this.urlElicitations) if (shown.session === session) this.urlElicitations.delete(id);
  }

  /** The upstream's connection was lost (its process exited): what it asked can no longer be answered. */
  abandon(upstream: Upstream): void {
    for (const ac of this.pending.get(upstream)?.values() ?? []) ac.abort(new Error('the server restarted'));
  }

  /** The upstream's notifications/cancelled: stop waiting for the answer to that request. */
  cancel(upstream: Upstream, params: Params): void {
    const id = params.requestId as RequestId | undefined;
    if (id !== undefined)
      this.pending
        .get(upstream)
        ?.get(id)
        ?.abort(new WithdrawnByServer(typeof params.reason === 'string' ? params.reason : 'cancelled by the server'));
  }

  /** The upstream is gone: its questions are abandoned. */
  forget(upstream: Upstream): void {
    this.flights.delete(upstream);
    for (const ac of this.pending.get(upstream)?.values() ?? []) ac.abort(new Error('server stopped'));
    this.pending.delete(upstream);
  }

  /**
   * The pages a server's URLElicitationRequiredError (-32042) asks to be opened before it can do
   * the request, when the client cannot open them itself: the app puts them to the user instead
   * (`openPages`). Undefined for any other error, or a client that can (it gets the error as it is).
   */
  pagesToOpen(session: Session, err: unknown): Params[] | undefined {
    if (session.stateless || !this.opts.prompter) return undefined;
    if (!(err instanceof GatewayError) || err.rpc?.code !== URL_ELICITATION_REQUIRED) return undefined;
    const data = err.rpc.data as { elicitations?: unknown } | null | undefined;
    const listed = Array.isArray(data?.elicitations) ? (data.elicitations as unknown[]) : [];
    const pages = listed.filter((e): e is Params => typeof e === 'object' && e !== null && !Array.isArray(e));
    if (pages.length === 0) return undefined;
    if (missingCapability(session.clientCapabilities, 'elicitation/create', { mode: 'url' }) === undefined)
      return undefined;
    return pages.map((page) => ({ ...page, mode: 'url' }));
  }

  /**
   * Puts each page of a -32042 error to the user in the app, one after the other; returns once the
   * user is done with all of them (the request may then go again). Throws the server's error, saying
   * what became of the page, once one is declined, dismissed or not answered in time.
   */
  async openPages(
    upstream: Upstream,
    session: Session,
    requestId: RequestId,
    pages: Params[],
    err: GatewayError,
    signal: AbortSignal,
    trafficParentId?: string,
  ): Promise<void> {
    const fail = (why: string) => {
      const message = `${err.rpc!.message} (${why})`;
      return new GatewayError(err.code, message, { rpc: { ...err.rpc!, message }, cause: err });
    };
    for (const page of pages) {
      const refused = pageRefusal(page.url);
      if (refused !== undefined) throw fail(`Switchboard does not show the page to open: it ${refused}`);
      const target: Target = { session, requestId };
      const answer = await this.answer(upstream, target, 'elicitation/create', page, signal, trafficParentId);
      if (answer.action === 'accept') continue;
      throw fail(
        answer.action === 'decline'
          ? 'the page was shown in Switchboard, and the user declined to open it'
          : 'the page was shown in Switchboard, and dismissed or not answered in time',
      );
    }
  }

  /** A stateless upstream's input_required, answered on a stateful client's behalf (see input-rounds.ts). */
  completeInputRounds(
    session: Session,
    req: JsonRpcRequest,
    upstream: Upstream,
    params: Params,
    first: Record<string, unknown>,
    signal: AbortSignal,
    exchanges: { call?: string; round?: string } = {},
  ): Promise<Record<string, unknown>> {
    // Each retry is an exchange under the client's call; each question, under the round that asked it.
    let round = exchanges.round;
    return completeInputRounds(params, first, {
      label: `server "${this.opts.registry.server(upstream)}"`,
      retry: (again) => {
        round = this.opts.traffic?.enabled ? this.opts.traffic.newId() : undefined;
        const traffic = { ...(round ? { id: round } : {}), ...(exchanges.call ? { parentId: exchanges.call } : {}) };
        return upstream.request(req.method, again, { signal, traffic });
      },
      answer: (method, questionParams) =>
        this.answer(upstream, { session, requestId: req.id }, method, questionParams, signal, round),
    });
  }

  /**
   * Gets the answer to a server's question (elicitation, sampling, roots): from the client that
   * caused it when it can answer, else from the user through the Prompter, else an error saying
   * why nobody could.
   */
  private answer(
    upstream: Upstream,
    target: Target | undefined,
    method: string,
    params: Params,
    signal: AbortSignal,
    trafficParentId?: string,
  ): Promise<Record<string, unknown>> {
    const server = this.opts.registry.server(upstream) ?? 'unknown';
    const unable = target
      ? clientCannotAnswer(target.session, method, params)
      : (this.opts.nobodyToAsk ?? this.nobodyReason(upstream, method));
    // A stateless call decides itself: it asks the client, or fails the call with -32021 when the
    // client's per-request capabilities do not cover the question. Except roots asked of nobody in
    // particular (at a server's start, after another client's list_changed): taken for the call's,
    // they failed calls that needed none; the server is told none come.
    const failsCall = target?.session.stateless === true && !(method === 'roots/list' && target.guessed);
    if (target && (unable === undefined || failsCall)) {
      const options: { relatedRequestId?: RequestId; signal: AbortSignal; trafficParentId?: string } = { signal };
      if (target.requestId !== undefined) options.relatedRequestId = target.requestId;
      if (trafficParentId) options.trafficParentId = trafficParentId;
      if (method === 'elicitation/create') this.noteUrlElicitation(upstream, target.session, params);
      const sent = this.opts.tasksToClient ? this.opts.tasksToClient(upstream, params) : params;
      const token = target.session.stateless ? undefined : progressTokenOf(sent);
      if (token === undefined) return target.session.request(method, sent, options);
      const ours = `sb-q${++this.progressSeq}-${randomBytes(6).toString('hex')}`;
      this.progressBack.set(ours, { upstream, session: target.session, token });
      const meta = { ...(sent._meta as Record<string, unknown>), progressToken: ours };
      return target.session
        .request(method, { ...sent, _meta: meta }, options)
        .finally(() => this.progressBack.delete(ours));
    }
    if (this.opts.prompter && (method === 'elicitation/create' || method === 'sampling/createMessage')) {
      const request: QuestionRequest = { server, method, params, reason: unable ?? '' };
      if (target?.session.clientInfo) request.client = target.session.clientInfo;
      const owner = this.opts.registry.owner(upstream);
      if (owner !== undefined) request.owner = owner;
      const asked = this.opts.prompter.ask(request, { timeoutMs: this.opts.questionTimeoutMs ?? 10 * 60_000, signal });
      return this.recordQuestion(asked, {
        method,
        params,
        server,
        parentId: trafficParentId,
        session: target?.session,
      });
    }
    const code = target ? RpcCode.MethodNotFound : RpcCode.InternalError;
    const message = `Switchboard cannot answer ${method} from server "${server}": ${unable}`;
    return Promise.reject(new GatewayError('method_not_found', message, { rpc: { code, message } }));
  }

  /** A question put to the user in the app, in the traffic record (edge `app`). */
  private recordQuestion(
    asked: Promise<Record<string, unknown>>,
    q: { method: string; params: Params; server: string; parentId: string | undefined; session: Session | undefined },
  ): Promise<Record<string, unknown>> {
    const traffic = this.opts.traffic;
    if (!traffic?.enabled) return asked;
    const xid = traffic.begin({
      edge: 'app',
      direction: 'out',
      method: q.method,
      params: q.params,
      server: q.server,
      ...(q.parentId ? { parentId: q.parentId } : {}),
      ...(q.session ? { session: q.session } : {}),
    });
    return traffic.settle(xid, asked);
  }

  /**
   * A question about a task goes to the session that created it, whoever else has calls in flight
   * (the call that started the task may long be answered); to no client when that session is gone
   * (false). Undefined when it names no task the gateway saw created: the usual rules apply.
   */
  private taskTarget(upstream: Upstream, params: Params | undefined): Target | false | undefined {
    const meta = params?._meta as Record<string, unknown> | undefined;
    const related = meta?.[RELATED_TASK] as { taskId?: unknown } | undefined;
    if (typeof related?.taskId !== 'string') return undefined;
    const creator = this.opts.taskCreator?.(upstream, related.taskId);
    if (creator === undefined) return undefined;
    const session = this.opts.session(creator);
    return session ? { session } : false;
  }

  /** Why a question of this upstream's cannot be put to a client. */
  private nobodyReason(upstream: Upstream, method: string): string {
    const sessions = new Set([...(this.flights.get(upstream) ?? [])].map((f) => f.session));
    const why =
      sessions.size > 1
        ? `${sessions.size} clients have requests in flight on this server, and it did not say which one asks`
        : 'no client has a request in flight on this server';
    // Roots are asked for on a server's own (at its start, after a client's list_changed): what to do.
    if (method !== 'roots/list' || this.opts.registry.owner(upstream) !== undefined) return why;
    return (
      `${why}; it is one process shared by all its clients, whose folders may differ ` +
      '(with "isolated": true in its config, each client gets a process of its own and is asked for its folders)'
    );
  }

  /**
   * The session a server-to-client request belongs to: the call it was asked during, when the
   * upstream said so (`origin`, still in flight); else the owner of an isolated instance, or the
   * only session with a request in flight on this upstream. Ambiguous → none.
   */
  private target(upstream: Upstream, origin?: RequestOrigin): Target | undefined {
    const inFlight = this.flights.get(upstream);
    if (origin && inFlight?.has(origin as Flight)) return targetOf([origin as Flight]);
    const flights = [...(inFlight ?? [])];
    const owner = this.opts.registry.owner(upstream);
    if (owner !== undefined) {
      const session = this.opts.session(owner);
      if (!session) return undefined;
      const own = flights.filter((f) => f.session === session);
      return own.length ? { ...targetOf(own), guessed: true } : { session, guessed: true };
    }
    const sessions = new Set(flights.map((f) => f.session));
    return sessions.size === 1 ? { ...targetOf(flights), guessed: true } : undefined;
  }
}

/** A question for the calls of one session; it relates to the latest of them (the best guess). */
function targetOf(flights: Flight[]): Target {
  const latest = flights[flights.length - 1]!;
  const target: Target = { session: latest.session, requestId: latest.requestId, flights };
  if (latest.exchangeId) target.exchangeId = latest.exchangeId;
  return target;
}

/** Aborted once every one of these calls has ended; `dispose` once the question is settled. */
function allEnded(flights: Flight[]): { signal: AbortSignal; dispose(): void } {
  const moot = new AbortController();
  let left = flights.length;
  const unlisten: (() => void)[] = [];
  for (const flight of flights) {
    const ended = (flight.ended ??= new AbortController()).signal;
    const onEnd = () => --left === 0 && moot.abort(ended.reason);
    ended.addEventListener('abort', onEnd, { once: true });
    unlisten.push(() => ended.removeEventListener('abort', onEnd));
  }
  return { signal: moot.signal, dispose: () => unlisten.forEach((off) => off()) };
}

/** The progress token a request's `_meta` carries, if any. */
function progressTokenOf(params: Params): RequestId | undefined {
  const meta = params._meta;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const token = (meta as Record<string, unknown>).progressToken;
  return isValidId(token) ? token : undefined;
}

/** For a question that came on the answer stream of a call that has already ended. */
function endedCallError(server: string | undefined, method: string): GatewayError {
  const message =
    `Switchboard cannot answer ${method} from server "${server ?? 'unknown'}": ` +
    'the request it was asked during has ended';
  return new GatewayError('request_cancelled', message, { rpc: { code: RpcCode.RequestCancelled, message } });
}

/** Why this client cannot answer a server-to-client request, or undefined when it can. */
function clientCannotAnswer(session: Session, method: string, params: Params): string | undefined {
  const who = `${session.clientInfo?.name || 'the client'} (revision ${session.protocolVersion ?? 'unknown'})`;
  const missing = missingCapability(session.clientCapabilities, method, params);
  if (missing === undefined) {
    const newer = method === 'elicitation/create' ? newerFormFeature(session.protocolVersion, params) : undefined;
    return newer && `${who} cannot show this form: it has ${newer}, which came with revision 2025-11-25`;
  }
  // Said to the user first (the Questions screen): what the client cannot do, then the capability.
  if (missing === 'elicitation.form')
    return `${who} cannot show forms from servers, only links (it offers URL-mode elicitation alone)`;
  if (missing === 'elicitation.url')
    return `${who} cannot open links from servers, only forms (it offers form-mode elicitation alone)`;
  if (missing === 'sampling.tools')
    return `${who} cannot let a server's model request use tools (its sampling capability has no tools)`;
  const cannot = CANNOT[method];
  return cannot ? `${who} ${cannot}` : `${who} does not support ${method}`;
}

/** What a client without the capability for a method cannot do, in a user's words. */
const CANNOT: Readonly<Record<string, string>> = {
  'elicitation/create': 'cannot show questions from servers (it does not offer elicitation)',
  'sampling/createMessage': 'cannot run a model for servers (it does not offer sampling)',
  'roots/list': 'does not tell servers its folders (it does not offer roots)',
};

/**
 * What a form uses that the client's revision cannot show: multiple choice (an array field) and
 * titled choices (`oneOf`, `anyOf`) came with 2025-11-25; an older client would refuse the request.
 */
function newerFormFeature(revision: string | undefined, params: Params): string | undefined {
  if (revision === undefined || revision >= '2025-11-25') return undefined;
  const properties = (params.requestedSchema as { properties?: unknown } | undefined)?.properties;
  if (typeof properties !== 'object' || properties === null) return undefined;
  for (const field of Object.values(properties as Record<string, unknown>)) {
    const f = field as { type?: unknown; oneOf?: unknown } | null;
    if (f?.type === 'array') return 'a multiple-choice field';
    if (f?.oneOf !== undefined) return 'a choice with titles';
  }
  return undefined;
}
