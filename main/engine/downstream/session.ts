/**
 * One client connection, whatever the transport: its negotiated revision, capabilities,
 * profile, log level and subscriptions; the requests it has in flight; and the requests we
 * send it (elicitation, sampling, roots). Transports feed it messages and give it `send`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { GatewayError, RpcCode, errorMessage, toRpcError } from '../protocol/errors.ts';
import {
  failure,
  isNotification,
  isRequest,
  isValidId,
  notification,
  success,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type Params,
  type RequestId,
} from '../protocol/jsonrpc.ts';
import { OutgoingRequests } from '../protocol/outgoing.ts';
import { negotiateRevision } from '../protocol/versions.ts';
import { capabilitiesFor } from '../protocol/capabilities.ts';
import { DEFAULTS } from '../config/schema.ts';
import { SessionBuffer, dropReporter } from './outbox.ts';
import { targetOf, type TrafficRecorder } from '../traffic/index.ts';
import { idInUse } from '../../shared/request-ids.ts';

/** How a client reached the gateway; `app`: the app itself (a replay from the traffic view). */
export type TransportKind = 'streamable-http' | 'sse' | 'stdio' | 'socket' | 'app';

/** `relatedRequestId` lets HTTP put a message on the stream of the request it belongs to. */
export type SendFn = (message: JsonRpcMessage, relatedRequestId?: RequestId) => void;

/** What a session needs from the router; implemented by routing/router.ts. */
/** What a transport knows about one request beyond the message (HTTP headers). */
export interface RequestContext {
  /** The client's HTTP request headers, in order (for JSON handler backends). */
  headers?: ReadonlyArray<readonly [name: string, value: string]>;
  /**
   * A notification rewritten for the session (a 2026-07-28 call's cancellation names the call's id
   * inside its session): the params the client sent, which the traffic record shows.
   */
  asSent?: Params;
}

export interface SessionHandler {
  attach(session: Session): void;
  detach(session: Session): void;
  handle(
    session: Session,
    request: JsonRpcRequest,
    signal: AbortSignal,
    context?: RequestContext,
  ): Promise<Record<string, unknown>>;
  handleNotification(session: Session, method: string, params: Params | undefined): void;
  serverCapabilities(profile: string): Record<string, unknown>;
  /** What the profile's servers tell clients about using them (initialize's `instructions`). */
  serverInstructions?(profile: string): string | undefined;
  /** Runs before initialize is answered (a short, bounded wait for servers still starting). */
  beforeInitialize?(profile: string): Promise<void>;
  /**
   * The client said who it is (initialize): its name, version and revision are known now. A session
   * that comes before its initialize (the shim's connects first) is listed without them until then.
   */
  introduced?(session: Session): void;
}

export interface SessionOptions {
  profile: string;
  transport: TransportKind;
  send: SendFn;
  handler: SessionHandler;
  serverInfo: { name: string; version: string };
  /** Limit for requests we send the client (elicitation waits on a person: generous). */
  clientRequestTimeoutMs?: number;
  /** A request ended without a response (the client cancelled it): the transport can let go of it. */
  onRequestAbandoned?: (id: RequestId) => void;
  id?: string;
  /** Rewrites the message of an error answered to the client (the gateway's redactor). */
  redactError?: (message: string) => string;
  /** What the session may hold for a client that is not reading (limits.maxSessionBufferBytes). */
  maxBufferedBytes?: number;
  /** Requests the client may have unanswered at once (limits.maxRequestsInFlight). */
  maxRequestsInFlight?: number;
  /** The gateway's log: dropped messages are reported here, naming the session. */
  log?: (text: string) => void;
  /** Records every message of this session (see traffic/). */
  traffic?: TrafficRecorder;
}

/** Requests from servers (elicitation, sampling, roots) one client may have waiting for its answer. */
export const MAX_PENDING_CLIENT_REQUESTS = 64;

/** Resources one client may be subscribed to (routing/subscriptions.ts; a template makes uris countless). */
export const MAX_SUBSCRIPTIONS = 1000;
/** How many answered requests a late cancellation is still filed under (their exchange ids, for the record). */
const RECENTLY_ENDED = 64;

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;

/** Why `value`, given for `what`, is not a log level: it is quoted (cut short), with the levels there are. */
export function invalidLevel(what: string, value: unknown): string {
  const got = value === undefined ? 'is missing' : `${JSON.stringify(value).slice(0, 64)} is not a log level`;
  return `Invalid params: ${what} ${got}: use one of ${LOG_LEVELS.join(', ')}`;
}

/**
 * Where this gateway's ids for requests to clients begin: another for every run. A client of the
 * shim outlives a gateway restart, and may still show the last run's question (request 1): its
 * late answer must not be taken for the next run's request 1, a different question. Below 2^30,
 * so ids stay 32-bit integers for clients that read them as such (some Rust clients do).
 */
const FIRST_REQUEST_ID = randomInt(1, 2 ** 30);

export class Session {
  readonly id: string;
  readonly profile: string;
  readonly transport: TransportKind;
  protocolVersion?: string;
  clientCapabilities: Record<string, unknown> = {};
  clientInfo?: { name: string; version: string };
  /** Minimum level of log notifications this client wants; undefined = everything. */
  logLevel?: (typeof LOG_LEVELS)[number];
  readonly subscriptions = new Set<string>();
  /**
   * The client has its initialize answer (a stateless call needs none): until then nothing but
   * answers goes to it, as no notification may come before that answer.
   */
  greeted = false;
  /**
   * The client has its initialize answer and has sent notifications/initialized: from now on it
   * may hear of list changes and be asked things (the spec allows only pings and logging before).
   */
  initialized = false;
  closed = false;
  /** A 2026-07-28 client's call: no log notifications unless it set a level in `_meta`. */
  stateless = false;
  readonly createdAt = Date.now();
  /** When the client last sent a message (Date.now()). */
  lastHeard = this.createdAt;
  /** What this session's transports hold for its client, bounded in bytes (see outbox.ts). */
  readonly buffer: SessionBuffer;

  private readonly opts: SessionOptions;
  private readonly inflight = new Map<RequestId, AbortController>();
  /** Requests are being refused for limits.maxRequestsInFlight (logged once per run). */
  private overLimit = false;
  /** notifications/initialized came before its initialize was answered (a client that pipelines). */
  private initializedEarly = false;
  private readonly outgoing: OutgoingRequests;
  private readonly closeListeners: (() => void)[] = [];
  /** Our outgoing request id → the client request it belongs to, so HTTP picks the right stream. */
  private readonly relatedOut = new Map<RequestId, RequestId>();
  /** The client's requests in flight → their exchange in the traffic record. */
  private readonly exchanges = new Map<RequestId, string>();
  /**
   * The same for the latest requests answered (at most RECENTLY_ENDED): a cancellation may cross
   * the answer on the wire, and is filed under the call it names all the same.
   */
  private readonly ended = new Map<RequestId, string>();

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.id = opts.id ?? randomBytes(16).toString('hex');
    this.profile = opts.profile;
    this.transport = opts.transport;
    this.outgoing = new OutgoingRequests(
      (m) => this.opts.send(m, this.relatedTo(m)),
      `client session ${this.id.slice(0, 8)}`,
      FIRST_REQUEST_ID,
    );
    const limit = opts.maxBufferedBytes ?? DEFAULTS.maxSessionBufferBytes;
    const log = opts.log;
    this.buffer = new SessionBuffer(limit, log ? dropReporter(log, () => this.describe(), limit) : () => undefined);
    opts.handler.attach(this);
  }

  /** Feed one message from the client. Never throws. */
  receive(message: JsonRpcMessage, context?: RequestContext): void {
    if (this.closed) return;
    this.lastHeard = Date.now();
    if (isRequest(message)) {
      void this.onRequest(message, context);
    } else if (isNotification(message)) {
      this.onNotification(message.method, message.params, context?.asSent);
    } else {
      // Answer to one of our requests; unknown ids (stray, duplicate) are dropped.
      this.outgoing.handleResponse(message);
    }
  }

  /** Sends a notification, tied to a client request when it belongs to one (progress). */
  notify(method: string, params?: Params, relatedRequestId?: RequestId): void {
    if (this.closed || !this.greeted) return;
    const parentId = relatedRequestId === undefined ? undefined : this.exchanges.get(relatedRequestId);
    this.opts.traffic?.note({
      edge: 'client',
      direction: 'out',
      method,
      params,
      session: this,
      ...(parentId ? { parentId } : {}),
    });
    this.opts.send(notification(method, params), relatedRequestId);
  }

  /** The client's requests not answered yet. */
  get requestsInFlight(): number {
    return this.inflight.size;
  }

  /** The traffic record's exchange of one of the client's requests in flight. */
  exchangeOf(requestId: RequestId): string | undefined {
    return this.exchanges.get(requestId);
  }

  /** Sends a server-to-client request with a fresh id from this session's own counter. */
  request(
    method: string,
    params: Params | undefined,
    options: { relatedRequestId?: RequestId; signal?: AbortSignal; trafficParentId?: string } = {},
  ): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new GatewayError('upstream_closed', 'the client session has ended'));
    if (this.outgoing.size >= MAX_PENDING_CLIENT_REQUESTS) {
      return Promise.reject(
        new GatewayError(
          'upstream_unavailable',
          `${this.describe()} already has ${MAX_PENDING_CLIENT_REQUESTS} requests from servers waiting for its answer`,
        ),
      );
    }
    const id = this.outgoing.allocateId();
    if (options.relatedRequestId !== undefined) this.relatedOut.set(id, options.relatedRequestId);
    const req: { signal?: AbortSignal; timeoutMs?: number } = {
      timeoutMs: this.opts.clientRequestTimeoutMs ?? 10 * 60_000,
    };
    if (options.signal) req.signal = options.signal;
    const traffic = this.opts.traffic;
    const parentId =
      options.trafficParentId ??
      (options.relatedRequestId === undefined ? undefined : this.exchanges.get(options.relatedRequestId));
    const xid = traffic?.begin({
      edge: 'client',
      direction: 'out',
      method,
      params,
      session: this,
      ...(parentId ? { parentId } : {}),
    });
    const sent = this.outgoing.request(method, params, req, id).finally(() => this.relatedOut.delete(id));
    return traffic && xid ? traffic.settle(xid, sent) : sent;
  }

  /** Names the session in log lines: its id, the client, the transport and the profile. */
  describe(): string {
    const client = this.clientInfo ? `${this.clientInfo.name} ${this.clientInfo.version}`.trim() + ', ' : '';
    return `client session ${this.id.slice(0, 8)} (${client}${this.transport}, profile ${this.profile})`;
  }

  hasCapability(name: string): boolean {
    return Object.hasOwn(this.clientCapabilities, name) && this.clientCapabilities[name] !== undefined;
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /**
   * Ends the session: in-flight requests are cancelled (recorded with `why`), upstream-side state
   * released. `tell`: the gateway ends it (not the client), so each request in flight is answered
   * with an error saying why, before the transport closes.
   */
  close(why = 'the client session ended', tell = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, ac] of this.inflight) {
      if (tell) {
        const message =
          `${why} while this request was in flight, so whether it ran is unknown: ` +
          'check before repeating anything it changes';
        this.opts.send(failure(id, { code: RpcCode.UpstreamUnavailable, message }), id);
      }
      ac.abort(cancelled(why));
    }
    this.inflight.clear();
    this.outgoing.failAll(new GatewayError('upstream_closed', 'the client session has ended'));
    this.opts.handler.detach(this);
    for (const l of this.closeListeners.splice(0)) {
      try {
        l();
      } catch {
        /* a listener's failure must not stop the others */
      }
    }
  }

  /** A request past limits.maxRequestsInFlight: refused at once; the first of each run is logged. */
  private refuseOverLimit(id: RequestId): void {
    const limit = this.maxInFlight;
    if (!this.overLimit) {
      this.overLimit = true;
      this.opts.log?.(
        `${this.describe()} has ${limit} requests unanswered (limits.maxRequestsInFlight): ` +
          'its further requests are refused until some are answered',
      );
    }
    this.opts.send(failure(id, { code: RpcCode.TooManyRequests, message: tooManyRequests(limit) }), id);
  }

  private get maxInFlight(): number {
    return this.opts.maxRequestsInFlight ?? DEFAULTS.maxRequestsInFlight;
  }

  /** An error as the client gets it: a backend's words may quote a secret it was given. */
  private rpcError(err: unknown): ReturnType<typeof toRpcError> {
    const rpc = toRpcError(err);
    return this.opts.redactError ? { ...rpc, message: this.opts.redactError(rpc.message) } : rpc;
  }

  private async onRequest(req: JsonRpcRequest, context?: RequestContext): Promise<void> {
    // ping is answered here at once: refusing it could make a client think the connection dead.
    if (this.inflight.size >= this.maxInFlight && req.method !== 'ping') return this.refuseOverLimit(req.id);
    if (this.inflight.has(req.id)) {
      this.opts.send(
        failure(req.id, {
          code: RpcCode.InvalidRequest,
          message: idInUse(req.id),
        }),
        req.id,
      );
      return;
    }
    const ac = new AbortController();
    this.inflight.set(req.id, ac);
    const traffic = this.opts.traffic;
    const xid = traffic?.begin({
      edge: 'client',
      direction: 'in',
      method: req.method,
      params: req.params,
      target: targetOf(req.method, req.params),
      session: this,
    });
    if (xid) this.exchanges.set(req.id, xid);
    try {
      const result = await this.dispatch(req, ac.signal, context);
      // Decided before sending: sending the answer can end the session (a stateless call), which
      // aborts this request after the client got its answer.
      if (ac.signal.aborted) {
        if (xid) traffic!.end(xid, { error: cancellation(ac.signal) });
      } else {
        this.opts.send(success(req.id, result), req.id);
        if (!this.greeted && req.method === 'initialize') this.greet();
        if (xid) traffic!.end(xid, { result });
      }
    } catch (err) {
      // A cancelled request gets no response: the client said it no longer wants one.
      if (ac.signal.aborted) {
        if (xid) traffic!.end(xid, { error: cancellation(ac.signal) });
      } else {
        this.opts.send(failure(req.id, this.rpcError(err)), req.id);
        if (xid) traffic!.end(xid, { error: err });
      }
    } finally {
      if (this.inflight.get(req.id) === ac) this.inflight.delete(req.id);
      // A new run (logged again) begins once the client has let the count fall well below the limit.
      if (this.inflight.size <= this.maxInFlight / 2) this.overLimit = false;
      if (xid && this.exchanges.get(req.id) === xid) {
        this.exchanges.delete(req.id);
        this.ended.set(req.id, xid);
        if (this.ended.size > RECENTLY_ENDED) this.ended.delete(this.ended.keys().next().value!);
      }
      if (ac.signal.aborted) this.opts.onRequestAbandoned?.(req.id);
    }
  }

  private async dispatch(
    req: JsonRpcRequest,
    signal: AbortSignal,
    context?: RequestContext,
  ): Promise<Record<string, unknown>> {
    switch (req.method) {
      case 'initialize':
        await this.opts.handler.beforeInitialize?.(this.profile);
        return this.initialize(req.params ?? {});
      case 'ping':
        return {};
      case 'logging/setLevel': {
        const level = req.params?.level;
        if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
          const message = invalidLevel('logging/setLevel: level', level);
          throw new GatewayError('invalid_request', message, { rpc: { code: RpcCode.InvalidParams, message } });
        }
        this.logLevel = level as (typeof LOG_LEVELS)[number];
        return this.opts.handler.handle(this, req, signal, context);
      }
      default:
        return this.opts.handler.handle(this, req, signal, context);
    }
  }

  private initialize(params: Params): Record<string, unknown> {
    this.protocolVersion = negotiateRevision(params.protocolVersion);
    const caps = params.capabilities;
    this.clientCapabilities =
      caps && typeof caps === 'object' && !Array.isArray(caps) ? (caps as Record<string, unknown>) : {};
    const info = params.clientInfo as { name?: unknown; version?: unknown } | undefined;
    if (info && typeof info.name === 'string')
      this.clientInfo = { name: info.name, version: typeof info.version === 'string' ? info.version : '' };
    this.opts.handler.introduced?.(this);
    const instructions = this.opts.handler.serverInstructions?.(this.profile);
    return {
      protocolVersion: this.protocolVersion,
      capabilities: capabilitiesFor(this.opts.handler.serverCapabilities(this.profile), this.protocolVersion),
      serverInfo: this.opts.serverInfo,
      ...(instructions ? { instructions } : {}),
    };
  }

  private onNotification(method: string, params: Params | undefined, asSent?: Params): void {
    if (this.opts.traffic) {
      // A cancellation belongs to the call it cancels: its tree shows why it ended.
      const cancels = method === 'notifications/cancelled' ? params?.requestId : undefined;
      const parentId = isValidId(cancels) ? (this.exchangeOf(cancels) ?? this.ended.get(cancels)) : undefined;
      this.opts.traffic.note({
        edge: 'client',
        direction: 'in',
        method,
        params: asSent ?? params,
        session: this,
        ...(parentId ? { parentId } : {}),
      });
    }
    if (method === 'notifications/initialized') {
      if (this.greeted) this.initialized = true;
      else this.initializedEarly = true;
      return;
    }
    if (method === 'notifications/cancelled') {
      const id = params?.requestId;
      if (isValidId(id)) {
        const ac = this.inflight.get(id);
        if (ac) {
          this.inflight.delete(id);
          // The reason as given (a stateless call's own session hears the gateway's, e.g. that it stops).
          const reason = typeof params?.reason === 'string' && params.reason ? params.reason : undefined;
          ac.abort(cancelled(reason ? `cancelled: ${reason}` : 'cancelled by the client'));
        }
      }
      return;
    }
    try {
      this.opts.handler.handleNotification(this, method, params);
    } catch (err) {
      // A notification has nobody to answer; keep the session alive.
      void errorMessage(err);
    }
  }

  /** The client has its initialize answer: notifications may follow it. */
  private greet(): void {
    this.greeted = true;
    if (this.initializedEarly) this.initialized = true;
  }

  private relatedTo(m: JsonRpcMessage): RequestId | undefined {
    if ('id' in m && m.id !== null) return this.relatedOut.get(m.id);
    const cancelled = (m as { params?: Params }).params?.requestId;
    return isValidId(cancelled) ? this.relatedOut.get(cancelled) : undefined;
  }
}

function cancelled(why: string): GatewayError {
  return new GatewayError('request_cancelled', why);
}

/** Why a request was given up, as its abort said (the client's cancellation, the session's end). */
function cancellation(signal: AbortSignal): GatewayError {
  return signal.reason instanceof GatewayError ? signal.reason : cancelled(errorMessage(signal.reason));
}

/** What a client hears for a request past limits.maxRequestsInFlight (stateful and stateless alike). */
export function tooManyRequests(limit: number): string {
  return (
    `too many requests in flight from this client: ${limit} are unanswered (limits.maxRequestsInFlight); ` +
    'wait for answers before sending more'
  );
}
