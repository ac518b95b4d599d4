/**
 * Connections shared by every MCP upstream kind: open a channel, run the handshake, route
 * messages, and on a crash or lost connection reconnect under the backoff policy until the
 * lifecycle gives up ("failed": see lifecycle.ts). Kinds only supply `open` (spawn a process,
 * connect HTTP).
 * The handshake is the stateful `initialize` unless a `handshake` option replaces it (the
 * 2026-07-28 revision's `server/discover`, and era detection: see era.ts and stateless/session.ts).
 */
import { EventEmitter } from 'node:events';
import { GatewayError, RpcCode, errorMessage } from '../protocol/errors.ts';
import {
  isNotification,
  isRequest,
  notification,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type Params,
  type RequestId,
} from '../protocol/jsonrpc.ts';
import { OutgoingRequests, type OutgoingOptions } from '../protocol/outgoing.ts';
import { LATEST_STATEFUL } from '../protocol/versions.ts';
import { asGateway, forwardedRecord, withClientHeaders, type ClientHeaderPolicy } from './client-headers.ts';
import { DEFAULT_BACKOFF, UpstreamLifecycle, type BackoffPolicy } from './lifecycle.ts';
import type {
  QuestionClock,
  ReplyFn,
  RequestOptions,
  RequestOrigin,
  Upstream,
  UpstreamEvents,
  UpstreamInfo,
  UpstreamKind,
  UpstreamStatus,
} from './types.ts';
import { ENDED_REQUEST } from './types.ts';

/** One live connection to a backend. */
export interface Channel {
  send(message: JsonRpcMessage): void;
  close(): Promise<void>;
  readonly pid?: number;
  /** A local process that may be busy installing before it speaks (see process/activity.ts). */
  readonly starting?: StartWatch;
  /** The server asked not to be called before then (epoch ms, from a Retry-After): the next start waits for it. */
  readonly notBefore?: number;
  /** A remote server's URL as shown in messages (no credentials): a start it never answers names it. */
  readonly address?: string;
}

/** How a channel tells a busy start (an installer at work) from a hung one. */
export interface StartWatch {
  /** When the process last showed activity, and when it started (performance.now()). */
  lastActive(): number;
  readonly startedAt: number;
  /** How long a start may take in all while it keeps busy. */
  readonly installTimeoutMs: number;
  /** The handshake is over: stop watching. */
  stop(): void;
  /** Whether the log was told this start is busy (said once per start). */
  announced: boolean;
}

/** A busy start is given up once it has been idle this long (or the step's own timeout, if shorter). */
export const IDLE_GIVE_UP_MS = 10_000;

export interface ChannelHandlers {
  /** `answering`: the request of ours whose answer stream carried it, when the transport knows. */
  onMessage(message: JsonRpcMessage, answering?: RequestId): void;
  /** The connection ended on its own (process exited, stream lost). */
  onClose(reason: Error): void;
  /**
   * The server refused this request without running it (its session had ended, a 404): it is
   * sent once more on the next connection. Called before onClose.
   */
  onUnsent?(id: RequestId, reason: string): void;
}

export type Opener = (handlers: ChannelHandlers) => Promise<Channel>;

/** What one connection's handshake established, and how requests travel on that connection. */
export interface ProtocolSession {
  readonly info: UpstreamInfo;
  request(method: string, params: Params | undefined, options: OutgoingOptions): Promise<Record<string, unknown>>;
  notify(method: string, params?: Params): void;
  /** Rewrites a notification from the backend before it is emitted; undefined swallows it. */
  notification?(message: JsonRpcNotification): JsonRpcNotification | undefined;
  /** Runs once the session is in place, before the upstream is declared ready. Must not throw. */
  start?(): Promise<void>;
  /** The connection ended (lost, replaced or stopped): stop background work. */
  ended?(): void;
}

/** What a handshake gets to work with. `channel` and `outgoing` change when it calls reopen(). */
export interface HandshakeContext {
  /** `server "name"`, for messages. */
  readonly label: string;
  readonly startupTimeoutMs: number;
  readonly clientInfo: { name: string; version: string };
  readonly capabilities: Record<string, unknown>;
  readonly channel: Channel;
  readonly outgoing: OutgoingRequests;
  /** Closes the connection and opens a fresh one, with `open` or the upstream's own opener. */
  reopen(open?: Opener): Promise<void>;
  /** Whether this connection is still the upstream's current one (false once stopped or lost). */
  current(): boolean;
  /** Emits a notification as if the backend had sent it (dropped once the connection is gone). */
  emit(message: JsonRpcNotification): void;
  /**
   * For a startup request with `timeoutMs`: keeps it waiting past that while the process is busy
   * (an installer), up to its install limit (OutgoingOptions.extend). Undefined for remote servers.
   */
  grace(timeoutMs: number, what: string): OutgoingOptions['extend'];
}

export type Handshake = (ctx: HandshakeContext) => Promise<ProtocolSession>;

export interface ManagedUpstreamOptions {
  name: string;
  kind: UpstreamKind;
  open(handlers: ChannelHandlers): Promise<Channel>;
  requestTimeoutMs: number;
  startupTimeoutMs: number;
  backoff?: BackoffPolicy;
  /** What we tell the backend about ourselves in initialize. */
  clientInfo: { name: string; version: string };
  capabilities: Record<string, unknown>;
  /** Replaces the stateful initialize handshake (statefulHandshake). */
  handshake?: Handshake;
  /** Failures nobody awaits (a connection that would not close, a notification that could not be routed). */
  log?: (line: string) => void;
  /** Which headers of the calling client go along with its requests (remote servers; none when absent). */
  forward?: ClientHeaderPolicy;
  /**
   * Why no attempt can succeed until the user acts (a server that needs a login), or undefined: a
   * failed start or a lost connection is then final, shown with this reason, not retried with
   * backoff; start() (after the login) tries again.
   */
  blocked?: () => string | undefined;
}

export class ManagedUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  readonly name: string;
  readonly kind: UpstreamKind;
  private readonly opts: ManagedUpstreamOptions;
  /** A connection that would not close (a process tree that would not die) is worth a line. */
  private readonly closeFailed = (err: unknown): void =>
    this.opts.log?.(`could not close the connection: ${errorMessage(err)}`);
  private readonly lifecycle: UpstreamLifecycle;
  private channel?: Channel;
  private outgoing?: OutgoingRequests;
  private session?: ProtocolSession;
  /** Bumped on every connection so late events from an old one are ignored. */
  private generation = 0;
  /** opts.requestTimeoutMs until a reload changes it (setRequestTimeout). */
  private requestTimeoutMs: number;

  constructor(opts: ManagedUpstreamOptions) {
    super();
    this.name = opts.name;
    this.kind = opts.kind;
    this.opts = opts;
    this.requestTimeoutMs = opts.requestTimeoutMs;
    this.lifecycle = new UpstreamLifecycle({
      name: opts.name,
      kind: opts.kind,
      policy: opts.backoff ?? DEFAULT_BACKOFF,
      events: this,
      pid: () => this.channel?.pid,
    });
  }

  status(): UpstreamStatus {
    return this.lifecycle.status();
  }

  info(): UpstreamInfo | undefined {
    return this.lifecycle.info();
  }

  start(): void {
    if (this.lifecycle.begin()) void this.connect();
  }

  whenReady(timeoutMs: number): Promise<UpstreamInfo> {
    return this.lifecycle.whenReady(timeoutMs);
  }

  async stop(): Promise<void> {
    this.generation++;
    const channel = this.channel;
    this.channel = undefined;
    this.endSession();
    this.outgoing?.failAll(new GatewayError('upstream_closed', `server "${this.name}" was stopped`));
    this.outgoing = undefined;
    this.lifecycle.stop();
    if (channel) await channel.close().catch(this.closeFailed);
  }

  async request(
    method: string,
    params: Params | undefined,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const req: OutgoingOptions = { timeoutMs };
    if (options.signal) req.signal = options.signal;
    if (options.origin) req.origin = options.origin;
    const questions = options.questions;
    if (questions) {
      const startedAt = Date.now();
      const maxMs = options.maxMs ?? Infinity;
      const what = `${method} to server "${this.name}"`;
      req.extend = () => heldFor(what, questions, timeoutMs, startedAt, maxMs);
    }
    for (let attempt = 0; ; attempt++) {
      // Said as it is ("needs you to log in …: use Log in"), not as `server "x" is failed: server "x" needs you …`.
      const blocked = this.lifecycle.state === 'failed' ? this.opts.blocked?.() : undefined;
      if (blocked !== undefined) throw new GatewayError('upstream_unavailable', blocked);
      if (this.lifecycle.state !== 'ready') await this.whenReady(this.opts.startupTimeoutMs);
      const outgoing = this.outgoing;
      const session = this.session;
      if (!outgoing || !session) throw this.lifecycle.unavailable();
      try {
        const headers = this.opts.forward?.none === false ? this.forwardedHeaders(options) : undefined;
        if (headers) return await withClientHeaders(headers, () => session.request(method, params, req));
        return await session.request(method, params, req);
      } catch (err) {
        // The backend went away before the request could be written (it exited and we have not
        // processed that yet): it never left, so one retry on the restarted backend is safe.
        if (attempt === 0 && err instanceof GatewayError && err.notSent) {
          await this.connectionReplaced(outgoing);
          continue;
        }
        throw err;
      }
    }
  }

  setRequestTimeout(timeoutMs: number): void {
    this.requestTimeoutMs = timeoutMs;
  }

  private forwardedHeaders(options: RequestOptions): Record<string, string> | undefined {
    return options.clientHeaders && this.opts.forward
      ? forwardedRecord(this.opts.forward.pick(options.clientHeaders))
      : undefined;
  }

  /** Waits until the connection that `old` belonged to has been given up (or the wait times out). */
  private async connectionReplaced(old: OutgoingRequests): Promise<void> {
    const deadline = Date.now() + this.opts.startupTimeoutMs;
    while (this.outgoing === old && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.once('status', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  notify(method: string, params?: Params): void {
    if (this.lifecycle.state !== 'ready' || !this.channel || !this.session) return;
    this.session.notify(method, params);
  }

  private async connect(): Promise<void> {
    // reopen() moves the attempt to a new generation, so late events of the replaced channel are ignored.
    const attempt = { generation: ++this.generation };
    const current = (): boolean => attempt.generation === this.generation;
    this.lifecycle.starting();
    try {
      await this.openChannel(attempt.generation, this.opts.open);
      if (!current()) return;
      const live = (): { channel: Channel; outgoing: OutgoingRequests } => {
        if (!this.channel || !this.outgoing || !current()) throw this.lifecycle.unavailable();
        return { channel: this.channel, outgoing: this.outgoing };
      };
      const ctx: HandshakeContext = {
        label: `server "${this.name}"`,
        startupTimeoutMs: this.opts.startupTimeoutMs,
        clientInfo: this.opts.clientInfo,
        capabilities: this.opts.capabilities,
        get channel() {
          return live().channel;
        },
        get outgoing() {
          return live().outgoing;
        },
        reopen: async (open) => {
          if (!current()) throw this.lifecycle.unavailable();
          const old = this.channel;
          this.channel = undefined;
          this.outgoing?.failAll(new GatewayError('upstream_closed', `server "${this.name}" was restarted`));
          this.outgoing = undefined;
          attempt.generation = ++this.generation;
          if (old) await old.close().catch(this.closeFailed);
          if (!current()) throw this.lifecycle.unavailable();
          await this.openChannel(attempt.generation, open ?? this.opts.open);
          if (!current()) throw this.lifecycle.unavailable();
        },
        current,
        emit: (message) => {
          if (current()) this.emitNotification(message);
        },
        grace: (timeoutMs, what) => {
          const watch = this.channel?.starting;
          const log = (line: string): void => this.opts.log?.(line);
          // The era probe may wait less than the start (its own, shorter limit): named only when it is the start's.
          const limit = timeoutMs === this.opts.startupTimeoutMs ? ' (startupTimeoutMs)' : '';
          if (watch) return startGrace(watch, timeoutMs, `server "${this.name}"`, what, log, limit);
          const address = this.channel?.address;
          return address === undefined ? undefined : () => silentStart(this.name, address, what, timeoutMs, this.opts);
        },
      };
      const session = await (this.opts.handshake ?? statefulHandshake)(ctx);
      if (!current()) {
        session.ended?.();
        return;
      }
      this.session = session;
      this.channel?.starting?.stop();
      await session.start?.();
      if (!current()) return;
      this.lifecycle.ready(session.info);
    } catch (err) {
      if (!current()) return;
      const channel = this.channel;
      this.channel = undefined;
      this.endSession();
      this.outgoing?.failAll(new GatewayError('upstream_closed', `server "${this.name}" failed to start`));
      this.outgoing = undefined;
      if (channel) await channel.close().catch(this.closeFailed);
      if (!current()) return;
      const blocked = this.opts.blocked?.();
      if (blocked !== undefined) this.lifecycle.fail(blocked);
      else this.lifecycle.retry(`failed to start: ${errorMessage(err)}`, this.reconnect(), channel?.notBefore);
    }
  }

  /** Opens a channel for `generation` and gives it a fresh table of outgoing requests. */
  private async openChannel(generation: number, open: Opener): Promise<void> {
    const channel = await open({
      onMessage: (m, answering) => {
        if (generation === this.generation) this.onMessage(m, answering);
      },
      onClose: (reason) => {
        // Noticed during some client's request: what follows (the reconnect) is the gateway's own.
        if (generation === this.generation) asGateway(() => this.onLost(reason));
      },
      onUnsent: (id, reason) => {
        if (generation !== this.generation) return;
        const err = new GatewayError('upstream_closed', `server "${this.name}" ${reason}`, { notSent: true });
        this.outgoing?.fail(id, err);
      },
    });
    if (generation !== this.generation) {
      await channel.close();
      return;
    }
    this.channel = channel;
    this.outgoing = new OutgoingRequests((m) => channel.send(m), `server "${this.name}"`);
  }

  private endSession(): void {
    const session = this.session;
    this.session = undefined;
    session?.ended?.();
  }

  private onLost(reason: Error): void {
    this.generation++;
    // Reap what the lost connection left behind (e.g. children of an npx wrapper).
    this.channel?.close().catch(this.closeFailed);
    this.channel = undefined;
    this.endSession();
    // Lost because the server wants a login (a 401 nothing but the user can answer): that, and what to do, is
    // what the requests under way are told, not "lost the connection to URL (…the login text…)".
    const blocked = this.opts.blocked?.();
    const err = new GatewayError(
      'upstream_closed',
      blocked ?? `server "${this.name}" ${reason.message}; the request was lost`,
    );
    this.outgoing?.failAll(err);
    this.outgoing = undefined;
    if (blocked !== undefined) this.lifecycle.fail(blocked);
    else this.lifecycle.lost(reason.message, this.reconnect());
  }

  /** The retry for the connection given up now: it does nothing once another one has begun. */
  private reconnect(): () => void {
    const generation = this.generation;
    return () => {
      if (generation === this.generation) void this.connect();
    };
  }

  private onMessage(message: JsonRpcMessage, answering?: RequestId): void {
    if (isRequest(message)) {
      const channel = this.channel;
      let replied = false;
      const reply: ReplyFn = (r) => {
        if (replied || !channel || channel !== this.channel) return;
        replied = true;
        try {
          channel.send(
            'error' in r
              ? { jsonrpc: '2.0', id: message.id, error: r.error }
              : { jsonrpc: '2.0', id: message.id, result: r.result },
          );
        } catch {
          // Connection lost while the client was answering: nothing to deliver to.
        }
      };
      if (message.method === 'ping') return reply({ result: {} });
      if (this.listenerCount('request') === 0) {
        return reply({
          error: { code: RpcCode.MethodNotFound, message: `Switchboard cannot answer ${message.method}` },
        });
      }
      // Whatever a backend sends must never take the gateway down.
      try {
        // Asked on the answer stream of one of our requests: it belongs to that request's caller.
        this.emit('request', message, reply, this.originOf(answering));
      } catch (err) {
        reply({
          error: {
            code: RpcCode.InternalError,
            message: `Switchboard failed to route ${message.method}: ${errorMessage(err)}`,
          },
        });
      }
      return;
    }
    if (isNotification(message)) {
      // Sent on the answer stream of one of our requests: it relates to that request's caller.
      this.emitNotification(message, this.originOf(answering));
      return;
    }
    // A response: settles only the request with its id; strays are dropped.
    this.outgoing?.handleResponse(message);
  }

  /**
   * The origin of our request with this id (only RequestOptions.origin is ever stored), or
   * ENDED_REQUEST once it is no longer waited for.
   */
  private originOf(id: RequestId | undefined): RequestOrigin | undefined {
    if (id === undefined) return undefined;
    if (!this.outgoing?.isPending(id)) return ENDED_REQUEST;
    return this.outgoing.originOf(id) as RequestOrigin | undefined;
  }

  private emitNotification(message: JsonRpcNotification, origin?: RequestOrigin): void {
    try {
      const session = this.session;
      const out = session?.notification ? session.notification(message) : message;
      if (out) this.emit('notification', out, origin);
    } catch (err) {
      // Dropped: a notification that cannot be routed affects nobody else.
      this.opts.log?.(`dropped a ${message.method} notification that could not be routed: ${errorMessage(err)}`);
    }
  }
}

/** The stateful era's handshake: `initialize`, then `notifications/initialized`. */
export async function statefulHandshake(ctx: HandshakeContext): Promise<ProtocolSession> {
  const result = await ctx.outgoing.request(
    'initialize',
    {
      protocolVersion: LATEST_STATEFUL,
      capabilities: ctx.capabilities,
      clientInfo: ctx.clientInfo,
    },
    { timeoutMs: ctx.startupTimeoutMs, noCancel: true, extend: ctx.grace(ctx.startupTimeoutMs, 'initialize') },
  );
  if (!ctx.current()) throw new GatewayError('upstream_closed', `${ctx.label} went away during initialize`);
  const info = toInfo(result);
  const { channel, outgoing } = ctx;
  channel.send(notification('notifications/initialized'));
  return {
    info,
    request: (method, params, options) => outgoing.request(method, params, options),
    notify(method, params) {
      try {
        channel.send(notification(method, params));
      } catch {
        // Lost connection: the close handler restarts it; notifications are best effort.
      }
    },
  };
}

function toInfo(result: Record<string, unknown>): UpstreamInfo {
  const protocolVersion = result.protocolVersion;
  const serverInfo = result.serverInfo as UpstreamInfo['serverInfo'] | undefined;
  if (typeof protocolVersion !== 'string')
    throw new GatewayError('upstream_protocol', 'initialize result has no protocolVersion');
  const info: UpstreamInfo = {
    protocolVersion,
    capabilities: (result.capabilities as Record<string, unknown> | undefined) ?? {},
    serverInfo: serverInfo && typeof serverInfo.name === 'string' ? serverInfo : { name: 'unknown', version: '0' },
  };
  if (typeof result.instructions === 'string') info.instructions = result.instructions;
  return info;
}

/** Why a remote server's start was given up: it took the connection and never answered `what`. */
function silentStart(
  name: string,
  address: string,
  what: string,
  timeoutMs: number,
  opts: Pick<ManagedUpstreamOptions, 'startupTimeoutMs'>,
): string {
  // The era probe may wait less than the start (its own, shorter limit): named only when it is the start's.
  const limit = timeoutMs === opts.startupTimeoutMs ? ' (startupTimeoutMs)' : '';
  return `server "${name}" at ${address} took the connection but did not answer ${what} within ${timeoutMs} ms${limit}`;
}

/**
 * The `extend` of a startup request: past its timeout, a process that was busy within the last
 * IDLE_GIVE_UP_MS (or the timeout, if shorter) keeps waiting, up to its install limit counted
 * from its start; an idle one times out as before. Says so in the log, once per start.
 */
function startGrace(
  watch: StartWatch,
  timeoutMs: number,
  label: string,
  what: string,
  log: (line: string) => void,
  limit: string,
): () => number | string | undefined {
  const idleMs = Math.min(timeoutMs, IDLE_GIVE_UP_MS);
  let extended = false;
  return () => {
    const now = performance.now();
    const idle = now - watch.lastActive();
    const left = watch.startedAt + watch.installTimeoutMs - now;
    if (idle >= idleMs) {
      return extended
        ? `${label} stopped showing activity (no output or CPU for ${Math.round(idle / 1000)} s) before ` +
            `answering ${what}`
        : `${label} did not answer ${what} within ${timeoutMs} ms${limit}`;
    }
    if (left <= 0) {
      return (
        `${label} was still busy without answering ${what} after ${Math.round(watch.installTimeoutMs / 1000)} s ` +
        `(installTimeoutMs)`
      );
    }
    if (!watch.announced) {
      watch.announced = true;
      log(
        `${label} has not answered ${what} after ${Math.round((now - watch.startedAt) / 1000)} s but is busy ` +
          `(output or CPU: a first npx / uvx run installing it?): waiting while it stays busy, up to ` +
          `${Math.round(watch.installTimeoutMs / 1000)} s from its start (installTimeoutMs)`,
      );
    }
    extended = true;
    return Math.max(50, Math.min(idleMs - idle, left));
  };
}

/** How often a request held by a waiting question looks again. */
const HOLD_CHECK_MS = 1000;

/**
 * More time for a request whose timeout ran out while its server waited for a person (or a
 * client) to answer a question: as long as one waits, then the full timeout from the last answer.
 * Or while its server reports progress: the full timeout from the last report (work is under way,
 * as the spec allows), but no later than `maxMs` from its start. A string: why it ends now.
 */
function heldFor(
  what: string,
  clock: QuestionClock,
  timeoutMs: number,
  startedAt: number,
  maxMs: number,
): number | string | undefined {
  if (clock.waiting > 0) return HOLD_CHECK_MS;
  const now = Date.now();
  const answered = clock.answeredAt === undefined ? -Infinity : clock.answeredAt + timeoutMs;
  // Progress extends nothing when the longest a request may run is no more than its timeout.
  const progressed =
    clock.progressAt === undefined || maxMs <= timeoutMs
      ? -Infinity
      : Math.min(clock.progressAt + timeoutMs, startedAt + maxMs);
  const until = Math.max(answered, progressed);
  if (until > now) return until - now;
  // Timed out from the last answer, or from the start: the plain timeout's words.
  if (progressed === -Infinity || progressed < answered) return undefined;
  return clock.progressAt! + timeoutMs <= startedAt + maxMs
    ? `${what} timed out: no progress reported for ${timeoutMs} ms`
    : `${what} timed out after ${now - startedAt} ms, the most a request reporting progress may run ` +
        '(timeouts.maxRequestMs)';
}
