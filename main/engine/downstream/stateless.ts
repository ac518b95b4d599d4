/**
 * Clients on the stateless 2026-07-28 revision. There is no initialize and no session: every
 * request carries its protocol version, capabilities and client info in `_meta`, and is served
 * by a short-lived Session that lives as long as the call does.
 *
 * Server-to-client requests do not exist for these clients. When a stateful upstream asks
 * (elicitation, sampling, roots) during a call, the call is answered with an `input_required`
 * result listing the questions and a `requestState` naming the parked call; the client retries
 * with `inputResponses`, the answers go to the upstream, and the same call continues.
 * Upstreams that are themselves stateless return `input_required` on their own: those results
 * and their `requestState` pass through untouched.
 */
import { randomBytes } from 'node:crypto';
import { META, StatelessCode } from '../protocol/stateless.ts';
import { RpcCode, toRpcError, type JsonRpcErrorObject } from '../protocol/errors.ts';
import {
  failure,
  isRequest,
  isResponse,
  isValidId,
  notification,
  success,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type Params,
  type RequestId,
} from '../protocol/jsonrpc.ts';
import { STATELESS_REVISION, REVISIONS } from '../protocol/versions.ts';
import { idText } from '../../shared/exact-numbers.ts';
import { capabilitiesFor, missingCapability } from '../protocol/capabilities.ts';
import {
  LOG_LEVELS,
  MAX_SUBSCRIPTIONS,
  invalidLevel,
  type RequestContext,
  type Session,
  type SendFn,
} from './session.ts';

export { META, StatelessCode };

/** Our requestState tokens start with this, so an upstream's own state passes through. */
const STATE_PREFIX = 'sb1.';
/** How long a call waits for the client to come back with answers. */
const PARKED_TTL_MS = 10 * 60_000;
/**
 * Calls parked at once, from all clients: each holds a session and a server's open request. A
 * client that starts calls and never comes back would otherwise pile them up for PARKED_TTL_MS.
 */
const MAX_PARKED = 1000;
/** Questions arriving within this window go out in one input_required result. */
const GATHER_MS = 15;
/** A listen's resource subscriptions are made this many at a time (each is a request to a server). */
const LISTEN_SUBSCRIBES_AT_ONCE = 16;

const CLIENT_METHODS = new Set([
  'server/discover',
  'subscriptions/listen',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
]);
const CACHEABLE = new Set([
  'server/discover',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);
const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** Where one client request's output goes (an HTTP response stream, or stdio lines). */
export interface StatelessReply {
  notify(message: JsonRpcNotification): void;
  /** The final message; `status` is what HTTP should answer with. */
  respond(message: JsonRpcResponse, status: number): void;
}

export interface StatelessDispatcherOptions {
  createSession(profile: string, send: SendFn, onRequestAbandoned: (id: RequestId) => void): Session;
  serverCapabilities(profile: string): Record<string, unknown>;
  /** What the profile's servers tell clients about using them (as initialize's `instructions`). */
  serverInstructions?(profile: string): string | undefined;
  serverInfo: { name: string; version: string };
  /** How long a call waits parked for the client to come back with answers. Default 10 minutes. */
  parkedTtlMs?: number;
  /** Calls parked at once; beyond it the one parked longest is cancelled. Default 1000. */
  maxParked?: number;
  /** Where a parked call cancelled for room is reported. */
  log?: (text: string) => void;
}

/**
 * What a 2026-07-28 request says about its client, set on the session serving it: capabilities,
 * client info and log level travel with every request, and a later round may change them.
 */
function applyRequestMeta(session: Session, meta: Record<string, unknown>): void {
  const caps = meta[META.clientCapabilities];
  session.clientCapabilities =
    caps && typeof caps === 'object' && !Array.isArray(caps) ? (caps as Record<string, unknown>) : {};
  const info = meta[META.clientInfo] as { name?: unknown; version?: unknown } | undefined;
  if (info && typeof info.name === 'string')
    session.clientInfo = { name: info.name, version: typeof info.version === 'string' ? info.version : '' };
  const level = meta[META.logLevel];
  if (typeof level === 'string' && (LOG_LEVELS as readonly string[]).includes(level))
    session.logLevel = level as (typeof LOG_LEVELS)[number];
}

/** The progress token a request asked for, if any. */
function progressTokenOf(request: JsonRpcRequest): RequestId | undefined {
  const token = (request.params?._meta as Record<string, unknown> | undefined)?.progressToken;
  return isValidId(token) ? token : undefined;
}

/** Whether a message is from a 2026-07-28 client (version in `_meta`, or in the HTTP header). */
export function isStatelessRequest(message: JsonRpcMessage, headerVersion?: string): boolean {
  if (headerVersion !== undefined && !REVISIONS_STATEFUL.has(headerVersion)) return true;
  const meta = (message as { params?: Params }).params?._meta as Record<string, unknown> | undefined;
  const version = meta?.[META.protocolVersion];
  return typeof version === 'string' && !REVISIONS_STATEFUL.has(version);
}
const REVISIONS_STATEFUL = new Set<string>(REVISIONS.filter((r) => r !== STATELESS_REVISION));

/** HTTP status for a JSON-RPC error answered to a stateless client. */
const BAD_REQUEST = new Set<number>([
  RpcCode.ParseError,
  RpcCode.InvalidRequest,
  RpcCode.InvalidParams,
  StatelessCode.HeaderMismatch,
  StatelessCode.MissingClientCapability,
  StatelessCode.UnsupportedProtocolVersion,
]);

export function statusForError(error: JsonRpcErrorObject): number {
  if (error.code === RpcCode.MethodNotFound) return 404;
  if (BAD_REQUEST.has(error.code)) return 400;
  return error.code === RpcCode.InternalError ? 500 : 200;
}

/** The standard headers of a stateless HTTP request, as received. */
export interface StatelessHeaders {
  version?: string;
  method?: string;
  name?: string;
}

const NAMED: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/** Decodes an `=?base64?…?=` header value; undefined when it is malformed. */
export function decodeHeaderValue(raw: string): string | undefined {
  const value = raw.trim();
  const m = /^=\?base64\?([^?]*)\?=$/.exec(value);
  if (!m) return value;
  const body = m[1]!;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return undefined;
  return Buffer.from(body, 'base64').toString('utf8');
}

/**
 * The HTTP checks of a stateless request, in the order the revision defines them; the `_meta`
 * checks between them are the dispatcher's. Returns the error to answer, if any.
 */
export function checkStatelessHeaders(
  request: JsonRpcRequest,
  headers: StatelessHeaders,
): JsonRpcErrorObject | undefined {
  const mismatch = (message: string): JsonRpcErrorObject => ({
    code: StatelessCode.HeaderMismatch,
    message: `Header mismatch: ${message}`,
  });
  if (headers.version === undefined) return mismatch('the MCP-Protocol-Version header is missing');
  const meta = request.params?._meta as Record<string, unknown> | undefined;
  const missing = [META.protocolVersion, META.clientCapabilities].filter((k) => meta?.[k] === undefined);
  if (missing.length)
    return { code: RpcCode.InvalidParams, message: `Invalid params: missing _meta keys: ${missing.join(', ')}` };
  if (meta![META.protocolVersion] !== headers.version)
    return mismatch('MCP-Protocol-Version does not match _meta io.modelcontextprotocol/protocolVersion');
  if (headers.version !== STATELESS_REVISION) return undefined; // the dispatcher answers the unsupported version
  const method = headers.method === undefined ? undefined : decodeHeaderValue(headers.method);
  if (method === undefined) return mismatch('the Mcp-Method header is missing or malformed');
  if (method !== request.method)
    return mismatch(`Mcp-Method "${method}" does not match the body's method "${request.method}"`);
  const field = NAMED[request.method];
  if (field) {
    const name = headers.name === undefined ? undefined : decodeHeaderValue(headers.name);
    const expected = request.params?.[field];
    if (name === undefined)
      return mismatch(`the Mcp-Name header is missing or malformed (required for ${request.method})`);
    if (name !== String(expected)) return mismatch(`Mcp-Name "${name}" does not match params.${field}`);
  }
  return undefined;
}

export class StatelessDispatcher {
  private readonly opts: StatelessDispatcherOptions;
  private readonly parked = new Map<string, StatelessCall>();
  private readonly listeners = new Set<Session>();

  constructor(opts: StatelessDispatcherOptions) {
    this.opts = opts;
  }

  get parkedTtlMs(): number {
    return this.opts.parkedTtlMs ?? PARKED_TTL_MS;
  }

  /**
   * Serves one request. Returns a cancel function (HTTP: the client closed the stream; stdio:
   * notifications/cancelled, with the client's reason and the params it sent, which the record keeps).
   */
  handle(
    profile: string,
    request: JsonRpcRequest,
    reply: StatelessReply,
    principal = '',
    context?: RequestContext,
  ): (reason?: string, sent?: Params) => void {
    const fail = (error: JsonRpcErrorObject) => reply.respond(failure(request.id, error), statusForError(error));
    const params = request.params ?? {};
    const meta = params._meta as Record<string, unknown> | undefined;
    const missing = [META.protocolVersion, META.clientCapabilities].filter((k) => meta?.[k] === undefined);
    if (missing.length) {
      fail({ code: RpcCode.InvalidParams, message: `Invalid params: missing _meta keys: ${missing.join(', ')}` });
      return noop;
    }
    const version = meta![META.protocolVersion];
    if (version !== STATELESS_REVISION) {
      fail({
        code: StatelessCode.UnsupportedProtocolVersion,
        message: 'Unsupported protocol version',
        data: { supported: [...REVISIONS], requested: String(version) },
      });
      return noop;
    }
    if (!CLIENT_METHODS.has(request.method)) {
      fail({ code: RpcCode.MethodNotFound, message: `Method not found: ${request.method}` });
      return noop;
    }
    // A level that is none of them ("warn") would mean no log line at all, without a word.
    const level = meta![META.logLevel];
    if (level !== undefined && !(LOG_LEVELS as readonly unknown[]).includes(level)) {
      fail({ code: RpcCode.InvalidParams, message: invalidLevel(`_meta ${META.logLevel}`, level) });
      return noop;
    }
    if (request.method === 'server/discover') {
      reply.respond(success(request.id, this.finish(request.method, this.discover(profile))), 200);
      return noop;
    }
    if (request.method === 'subscriptions/listen') return this.listen(profile, request, reply);

    const state = params.requestState;
    if (typeof state === 'string' && state.startsWith(STATE_PREFIX)) {
      const call = this.parked.get(state);
      // A parked call belongs to the principal (token) that started it, like a session.
      if (!call || !call.matches(request) || call.principal !== principal) {
        fail({
          code: RpcCode.InvalidParams,
          message: 'Invalid params: requestState is unknown, expired, or belongs to another request',
        });
        return noop;
      }
      return call.resume(request, reply);
    }
    const call = new StatelessCall(this, profile, request, reply, principal, context);
    return (reason, sent) => call.cancel(reason, sent);
  }

  /** Ends every listen stream and parked call (the gateway is stopping). */
  closeAll(): void {
    for (const s of [...this.listeners]) s.close();
    for (const call of [...this.parked.values()]) call.cancel('Switchboard is stopping');
  }

  discover(profile: string): Record<string, unknown> {
    const instructions = this.opts.serverInstructions?.(profile);
    return {
      supportedVersions: [...REVISIONS],
      capabilities: capabilitiesFor(this.opts.serverCapabilities(profile), STATELESS_REVISION),
      ...(instructions ? { instructions } : {}),
    };
  }

  /** What every result to a stateless client carries: resultType, cache hints, who we are. */
  finish(method: string, result: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...result };
    out.resultType ??= 'complete';
    if (CACHEABLE.has(method)) {
      out.ttlMs ??= 0;
      out.cacheScope ??= 'private';
    }
    const meta = (out._meta as Record<string, unknown> | undefined) ?? {};
    out._meta = { ...meta, [META.serverInfo]: this.opts.serverInfo };
    return out;
  }

  createSession(
    profile: string,
    send: SendFn,
    onAbandoned: (id: RequestId) => void,
    meta: Record<string, unknown>,
  ): Session {
    const session = this.opts.createSession(profile, send, onAbandoned);
    session.stateless = true;
    session.greeted = true;
    session.protocolVersion = STATELESS_REVISION;
    applyRequestMeta(session, meta);
    return session;
  }

  park(call: StatelessCall): void {
    this.parked.set(call.token, call);
    const max = this.opts.maxParked ?? MAX_PARKED;
    if (this.parked.size <= max) return;
    // The Map keeps insertion order: the first is the call that has waited longest.
    const [, oldest] = this.parked.entries().next().value!;
    const reason =
      `${max} calls were waiting for their clients to come back with answers (the most Switchboard keeps), ` +
      'and this one had waited longest';
    this.opts.log?.(`2026-07-28 call ${oldest.describe()} cancelled: ${reason}`);
    oldest.cancel(reason);
  }

  unpark(call: StatelessCall): void {
    this.parked.delete(call.token);
  }

  /** A long-lived stream of the notifications the client opted in to. */
  private listen(profile: string, request: JsonRpcRequest, reply: StatelessReply): () => void {
    const params = request.params ?? {};
    const filter = params.notifications as Record<string, unknown> | undefined;
    if (!filter || typeof filter !== 'object' || Array.isArray(filter)) {
      reply.respond(
        failure(request.id, {
          code: RpcCode.InvalidParams,
          message: 'Invalid params: subscriptions/listen needs a "notifications" object',
        }),
        400,
      );
      return noop;
    }
    const capabilities = this.opts.serverCapabilities(profile);
    const honored: Record<string, unknown> = {};
    for (const key of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const) {
      const capability = key.replace('ListChanged', '') as 'tools' | 'prompts' | 'resources';
      if (filter[key] === true && capabilities[capability]) honored[key] = true;
    }
    // As many as one client may hold (routing/subscriptions.ts); the acknowledgement names those taken.
    const uris = Array.isArray(filter.resourceSubscriptions)
      ? [...new Set(filter.resourceSubscriptions.filter((u): u is string => typeof u === 'string'))].slice(
          0,
          MAX_SUBSCRIPTIONS,
        )
      : [];
    const tag = (method: string, p: Params | undefined): JsonRpcNotification =>
      notification(method, {
        ...p,
        _meta: { ...(p?._meta as Record<string, unknown> | undefined), [META.subscriptionId]: request.id },
      });
    const wanted: Record<string, boolean> = {
      'notifications/tools/list_changed': honored.toolsListChanged === true,
      'notifications/prompts/list_changed': honored.promptsListChanged === true,
      'notifications/resources/list_changed': honored.resourcesListChanged === true,
      'notifications/resources/updated': uris.length > 0,
    };
    /** The answers to this listen's own subscribe requests, by id: taken or not. */
    const answers = new Map<RequestId, (taken: boolean) => void>();
    const session = this.createSession(
      profile,
      (m) => {
        if ('id' in m && !('method' in m)) {
          answers.get(m.id as RequestId)?.('result' in m);
          answers.delete(m.id as RequestId);
        } else if ('method' in m && !('id' in m) && wanted[m.method]) reply.notify(tag(m.method, m.params));
      },
      noop,
      (params._meta as Record<string, unknown>) ?? {},
    );
    session.initialized = true;
    this.listeners.add(session);
    session.onClose(() => {
      this.listeners.delete(session);
      for (const settle of answers.values()) settle(false);
      answers.clear();
    });
    // Resource subscriptions ride on the router's own subscribe bookkeeping, a few at a time.
    let nextId = 1;
    const subscribe = (uri: string) =>
      new Promise<boolean>((resolve) => {
        const id = `listen-${nextId++}`;
        answers.set(id, resolve);
        session.receive({ jsonrpc: '2.0', id, method: 'resources/subscribe', params: { uri } });
      });
    void (async () => {
      const taken: string[] = [];
      for (let at = 0; at < uris.length && !session.closed; at += LISTEN_SUBSCRIBES_AT_ONCE) {
        const batch = uris.slice(at, at + LISTEN_SUBSCRIBES_AT_ONCE);
        const results = await Promise.all(batch.map(subscribe));
        taken.push(...batch.filter((_, i) => results[i]));
      }
      if (session.closed) return;
      if (taken.length) honored.resourceSubscriptions = taken;
      reply.notify(tag('notifications/subscriptions/acknowledged', { notifications: honored }));
    })();
    return () => session.close();
  }
}

/**
 * One client call, possibly spanning several HTTP requests (rounds of input_required). Its
 * Session stays attached to the router until the upstream's answer arrives.
 */
class StatelessCall {
  /** Names the parked call; a new one every round, so a stale round's state is refused. */
  token = newToken();
  /** Who started the call (the HTTP listener's principal); only they may resume it. */
  readonly principal: string;
  private readonly dispatcher: StatelessDispatcher;
  private readonly method: string;
  private readonly target: unknown;
  private readonly profile: string;
  private readonly session: Session;
  /** The id the call has inside its session (the client's ids change every round). */
  private readonly innerId: RequestId = 'call';
  private active?: { reply: StatelessReply; id: RequestId; progressToken: RequestId | undefined };
  /** Server-to-client requests waiting for the client's answer, by the key we showed it. */
  private readonly questions = new Map<string, JsonRpcRequest>();
  private gatherTimer?: NodeJS.Timeout;
  private expiry?: NodeJS.Timeout;
  private done = false;

  constructor(
    dispatcher: StatelessDispatcher,
    profile: string,
    request: JsonRpcRequest,
    reply: StatelessReply,
    principal: string,
    context?: RequestContext,
  ) {
    this.principal = principal;
    this.dispatcher = dispatcher;
    this.method = request.method;
    this.target = targetOf(request);
    this.profile = profile;
    this.active = { reply, id: request.id, progressToken: progressTokenOf(request) };
    const meta = (request.params?._meta as Record<string, unknown>) ?? {};
    this.session = dispatcher.createSession(
      profile,
      (m, related) => this.onSend(m, related),
      () => this.finishWithoutAnswer(),
      meta,
    );
    this.session.receive({ ...request, id: this.innerId }, context);
  }

  /** For the log: the method and what it names, and the profile. */
  describe(): string {
    return `${this.method} ${JSON.stringify(this.target)} (profile ${this.profile})`;
  }

  matches(request: JsonRpcRequest): boolean {
    return request.method === this.method && JSON.stringify(targetOf(request)) === JSON.stringify(this.target);
  }

  /** The client came back with answers (or without some of them). */
  resume(request: JsonRpcRequest, reply: StatelessReply): (reason?: string, sent?: Params) => void {
    const responses = request.params?.inputResponses;
    if (responses !== undefined && (typeof responses !== 'object' || responses === null || Array.isArray(responses))) {
      reply.respond(
        failure(request.id, {
          code: RpcCode.InvalidParams,
          message: 'Invalid params: inputResponses must be an object',
        }),
        400,
      );
      return noop;
    }
    const answers = (responses ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(answers)) {
      if (!this.questions.has(key)) continue; // extra keys are ignored
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        reply.respond(
          failure(request.id, {
            code: RpcCode.InvalidParams,
            message: `Invalid params: inputResponses.${key} must be the client's result object`,
          }),
          400,
        );
        return noop;
      }
    }
    // Back from the client: no longer parked, so the parked call's time limit no longer applies
    // (the round now runs as long as the call needs), and the same requestState cannot come twice.
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = undefined;
    this.dispatcher.unpark(this);
    // This round's request speaks for the client now: its capabilities, log level, progress token.
    this.active = { reply, id: request.id, progressToken: progressTokenOf(request) };
    applyRequestMeta(this.session, (request.params?._meta as Record<string, unknown>) ?? {});
    for (const [key, value] of Object.entries(answers)) {
      const question = this.questions.get(key);
      if (!question) continue;
      this.questions.delete(key);
      this.session.receive({ jsonrpc: '2.0', id: question.id, result: value as Record<string, unknown> });
    }
    // Unanswered questions are asked again.
    if (this.questions.size > 0) this.askClient();
    return (reason, sent) => this.cancel(reason, sent);
  }

  /**
   * Ends the call: the client gave up (closed its stream, or cancelled), it never came back while
   * parked, or the gateway is stopping. A round still waiting for its answer gets one that says so.
   * `sent`: the params of the client's notifications/cancelled, recorded as it sent them.
   */
  cancel(reason = 'the client closed the request', sent?: Params): void {
    if (this.done) return;
    this.done = true;
    this.cleanup();
    const active = this.active;
    this.active = undefined;
    const error = { code: RpcCode.RequestCancelled, message: `cancelled: ${reason}` };
    active?.reply.respond(failure(active.id, error), statusForError(error));
    this.session.receive(
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: this.innerId, reason } },
      sent && { asSent: sent },
    );
    this.session.close();
  }

  private onSend(message: JsonRpcMessage, related: RequestId | undefined): void {
    if (this.done) return;
    if (isResponse(message)) {
      if (message.id !== this.innerId) return;
      this.done = true;
      this.cleanup();
      const active = this.active;
      this.active = undefined;
      if (active) {
        const response =
          'result' in message
            ? success(active.id, this.dispatcher.finish(this.method, message.result))
            : failure(active.id, message.error);
        active.reply.respond(response, 'error' in message ? statusForError(message.error) : 200);
      }
      this.session.close();
      return;
    }
    if (isRequest(message)) {
      // Its per-request capabilities decide, down to the elicitation mode and sampling with tools.
      const missing = missingCapability(this.session.clientCapabilities, message.method, message.params ?? {});
      if (missing !== undefined) return this.missingCapability(message, missing);
      this.questions.set(idText(message.id), message);
      if (!this.gatherTimer) this.gatherTimer = setTimeout(() => this.askClient(), GATHER_MS);
      return;
    }
    // A notification: progress and logs of this call go on its current stream.
    if (message.method === 'notifications/cancelled') {
      const id = message.params?.requestId;
      if (isValidId(id)) this.questions.delete(idText(id));
      return;
    }
    if (related === undefined || related === this.innerId || message.method === 'notifications/message')
      this.notifyRound(message);
  }

  /** A notification of this call, on its current round's stream; progress under that round's token. */
  private notifyRound(message: JsonRpcNotification): void {
    const active = this.active;
    if (!active) return;
    if (message.method !== 'notifications/progress') return active.reply.notify(message);
    // Only a round that asked for progress gets it, under the token it gave.
    if (active.progressToken === undefined) return;
    active.reply.notify(notification(message.method, { ...message.params, progressToken: active.progressToken }));
  }

  /** Answers the current round with the questions asked so far and parks the call. */
  private askClient(): void {
    this.gatherTimer = undefined;
    const active = this.active;
    if (this.done || !active || this.questions.size === 0) return;
    if (!MRTR_METHODS.has(this.method)) {
      this.done = true;
      active.reply.respond(
        failure(active.id, {
          code: RpcCode.InternalError,
          message: `the server asked the client a question during ${this.method}, which cannot carry input_required`,
        }),
        500,
      );
      this.cancelQuestions();
      this.session.close();
      return;
    }
    const inputRequests: Record<string, unknown> = {};
    for (const [key, q] of this.questions)
      inputRequests[key] = q.params === undefined ? { method: q.method } : { method: q.method, params: q.params };
    this.active = undefined;
    this.dispatcher.unpark(this);
    this.token = newToken();
    active.reply.respond(
      success(
        active.id,
        this.dispatcher.finish(this.method, { resultType: 'input_required', inputRequests, requestState: this.token }),
      ),
      200,
    );
    this.dispatcher.park(this);
    if (this.expiry) clearTimeout(this.expiry);
    const ttl = this.dispatcher.parkedTtlMs;
    this.expiry = setTimeout(
      () => this.cancel(`the client did not come back with the answers within ${Math.round(ttl / 1000)} s`),
      ttl,
    );
    this.expiry.unref();
  }

  /** The upstream needs something this client said it cannot do: the call fails with -32021. */
  private missingCapability(question: JsonRpcRequest, capability: string): void {
    const active = this.active;
    this.done = true;
    this.cleanup();
    this.session.receive({
      jsonrpc: '2.0',
      id: question.id,
      error: {
        code: StatelessCode.MissingClientCapability,
        message: `the client did not declare the ${capability} capability`,
      },
    });
    if (active) {
      const error = {
        code: StatelessCode.MissingClientCapability,
        message: `Missing required client capability: ${capability} (the server asked for ${question.method})`,
        // `elicitation.url` → { elicitation: { url: {} } }, as capabilities are declared.
        data: {
          requiredCapabilities: capability
            .split('.')
            .reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), {}),
        },
      };
      active.reply.respond(failure(active.id, error), 400);
    }
    this.session.receive({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: this.innerId, reason: 'missing client capability' },
    });
    this.session.close();
  }

  /** The request was cancelled inside the session without an answer. */
  private finishWithoutAnswer(): void {
    if (this.done) return;
    this.done = true;
    this.cleanup();
    this.session.close();
  }

  private cancelQuestions(): void {
    for (const q of this.questions.values())
      this.session.receive({
        jsonrpc: '2.0',
        id: q.id,
        error: toRpcError(new Error('the client cannot answer this request')),
      });
    this.questions.clear();
  }

  private cleanup(): void {
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    if (this.expiry) clearTimeout(this.expiry);
    this.dispatcher.unpark(this);
  }
}

/** What a retry must repeat: the tool or prompt name, or the resource URI. */
function targetOf(request: JsonRpcRequest): unknown {
  const p = request.params ?? {};
  return p.name ?? p.uri ?? null;
}

function newToken(): string {
  return STATE_PREFIX + randomBytes(18).toString('base64url');
}

function noop(): void {}
