/**
 * The Channel ManagedUpstream drives, over HTTP. Adapts the SDK's async sends to the synchronous
 * Channel contract: a request whose POST fails is answered at once with a synthetic JSON-RPC
 * error, and a lost session or connection closes the channel so ManagedUpstream reconnects.
 * In 'auto' mode it falls back from Streamable HTTP to legacy SSE when the initialize POST says
 * the server is a legacy one, inside the same channel.
 */
import { GatewayError, RpcCode, errorMessage } from '../../protocol/errors.ts';
import {
  failure,
  isNotification,
  isRequest,
  isResponse,
  toMessage,
  type JsonRpcMessage,
  type RequestId,
} from '../../protocol/jsonrpc.ts';
import { bodyHint, describeHttpFailure, describeRedirect, describeWebPage } from '../http-errors.ts';
import { describeNetworkFailure, displayUrl } from '../../egress/network-errors.ts';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { tracePost, type PostTrace, type StreamResult } from './fetch.ts';
import { WiderScopeNeeded } from '../../oauth/session.ts';
import { withoutServerName } from '../../../../preload/contract/index.ts';
import {
  STREAM_RECONNECT,
  WireStartError,
  createSseWire,
  createStreamableWire,
  loadSdkTransports,
  type SdkTransports,
  type Wire,
  type WireHandlers,
  type WireKind,
} from './wire.ts';
import type { Channel, ChannelHandlers } from '../mcp-upstream.ts';

export type HttpTransportMode = 'auto' | WireKind;

export interface HttpChannelOptions {
  name: string;
  url: URL;
  /** Resolved values; sent on every request and never logged. */
  headers: Record<string, string>;
  /** The egress-checked fetch requests go out through (egress/fetch.ts); default: the global one. */
  fetch?: FetchLike;
  mode: HttpTransportMode;
  startupTimeoutMs: number;
  /** limits.maxResponseBytes: the largest message accepted in a response or stream event. */
  maxMessageBytes: number;
  handlers: ChannelHandlers;
  /** Initialize succeeded over this transport. */
  onInitialized(kind: WireKind): void;
  /** The server answered but initialize never succeeded (not called when it was merely unreachable). */
  onAbandoned(): void;
  log(line: string): void;
}

/** What a legacy HTTP+SSE server answers to a POST on its SSE URL (the spec's fallback rule). */
const LEGACY_STATUSES = new Set([400, 404, 405]);
/** How long close() waits for the DELETE that ends the session. */
const TERMINATE_GRACE_MS = 2000;
/**
 * How long after a request's answer stream ended the request is failed if still unanswered: the
 * SDK may still be reading the stream's last events when the end is seen.
 */
const STREAM_END_GRACE_MS = 1000;
const UNANSWERED_STREAM = 'closed the event stream of this request without answering it (no event id to resume from)';

export async function openHttpChannel(opts: HttpChannelOptions): Promise<Channel> {
  const channel = new HttpChannel(opts, await loadSdkTransports());
  await channel.connect();
  return channel;
}

class HttpChannel implements Channel {
  private readonly opts: HttpChannelOptions;
  private readonly sdk: SdkTransports;
  private readonly label: string;
  private wire: Wire;
  private closed = false;
  private initializeId?: RequestId;
  private initialized = false;
  /** Set while swapping to the legacy transport; sends made meanwhile wait for it. */
  private switching?: Promise<void>;
  /** Requests whose answer stream ended and cannot be resumed, failed together after a grace. */
  private endedStreams: { id: RequestId; at: number }[] = [];
  /** Answer streams whose resumption failed, by request: how many times in a row. */
  private readonly failedResumes = new Map<RequestId, number>();
  private endedTimer: NodeJS.Timeout | undefined;
  /** The server's last Retry-After, as the time before which it asked not to be called (epoch ms). */
  notBefore?: number;
  readonly address: string;
  /** Requests sent and not yet answered, whose POST or answer stream a cancel closes. */
  private readonly unanswered = new Map<RequestId, PostTrace>();

  constructor(opts: HttpChannelOptions, sdk: SdkTransports) {
    this.opts = opts;
    this.sdk = sdk;
    this.label = `server "${opts.name}"`;
    this.address = displayUrl(opts.url);
    this.wire = this.createWire(opts.mode === 'sse' ? 'sse' : 'streamable-http');
  }

  async connect(): Promise<void> {
    try {
      await this.wire.start(this.opts.startupTimeoutMs);
    } catch (err) {
      this.end(err instanceof WireStartError && err.unreachable);
      await this.wire.close(false, 0);
      throw new GatewayError('upstream_unavailable', errorMessage(err), { cause: err });
    }
  }

  send(message: JsonRpcMessage): void {
    if (this.closed) throw new GatewayError('upstream_closed', `${this.label}: the connection is closed`);
    if (isRequest(message) && message.method === 'initialize') this.initializeId = message.id;
    if (this.switching) {
      void this.switching.then(() => this.deliver(message));
      return;
    }
    void this.deliver(message);
    if (isNotification(message) && message.method === 'notifications/cancelled') this.giveUp(message.params?.requestId);
  }

  /**
   * A request timed out or was cancelled: its POST and answer stream are closed, or a server that
   * keeps them open (an endless event, no response at all) would hold a connection per call for good.
   */
  private giveUp(id: unknown): void {
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const trace = this.unanswered.get(id);
    if (!trace) return;
    this.unanswered.delete(id);
    trace.givenUp = true;
    trace.closeStream?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.end(false);
    await this.wire.close(true, TERMINATE_GRACE_MS);
  }

  /** Never rejects: every failure becomes a synthetic error, a lost channel, or a log line. */
  private async deliver(message: JsonRpcMessage): Promise<void> {
    if (this.closed) return;
    const wire = this.wire;
    const trace: PostTrace = isRequest(message)
      ? {
          requestId: message.id,
          onStreamEnd: () => this.answerStreamEnded(message.id, trace),
          onResumed: (result) => this.answerStreamResumed(message.id, result),
        }
      : {};
    if (isRequest(message)) this.unanswered.set(message.id, trace);
    try {
      await tracePost(trace, () => wire.send(message));
    } catch (err) {
      if (isRequest(message)) this.unanswered.delete(message.id);
      if (this.closed || wire !== this.wire || trace.givenUp) return;
      try {
        await this.sendFailed(message, err, trace, wire);
      } catch (inner) {
        this.opts.log(`${this.label}: ${errorMessage(inner)}`);
      }
    }
  }

  private async sendFailed(message: JsonRpcMessage, err: unknown, trace: PostTrace, wire: Wire): Promise<void> {
    // The body was refused before it was parsed (too large, not UTF-8): only this request fails.
    if (trace.refused) {
      if (isRequest(message)) this.opts.handlers.onMessage(failure(message.id, trace.refused));
      return;
    }
    const url = trace.url ?? this.opts.url;
    // Not the network: the request did not go out, as its token could not be had (oauth/fetch.ts: the authorization
    // server unreachable, the keychain locked). Only this request fails, saying why, and the session stays: the
    // next request tries again. It was "lost the connection to <this server's URL> (connect ECONNREFUSED …)", and
    // the session ended. A login that only the user can give ends it (the server needs one: lose, below), unless
    // it is for a wider scope than this request's token has: the token still serves every other request.
    if (trace.error instanceof WiderScopeNeeded) return this.fail(message, trace.error.message, false);
    if (trace.error instanceof GatewayError && trace.error.code !== 'unauthorized')
      return this.fail(message, withoutServerName(trace.error.message, this.opts.name));
    // No HTTP response at all: the server or the network is gone, and with it the session.
    if (trace.error !== undefined) return this.lose(describeNetworkFailure(trace.error, url), false, true);
    const status = trace.status !== undefined && (trace.status < 200 || trace.status >= 300) ? trace.status : undefined;
    if (status === undefined) {
      if (/^\s*text\/html/i.test(trace.contentType ?? '')) return this.fail(message, describeWebPage(url, trace.body));
      return this.fail(message, `bad response from ${displayUrl(url)}: ${errorMessage(err)}`);
    }
    // Redirects the SDK would not follow leave no body; where they lead is said in words.
    const httpFailure =
      status < 400
        ? trace.location !== undefined
          ? describeRedirect(status, url, trace.location)
          : describeHttpFailure(status, url, errorMessage(err))
        : describeHttpFailure(status, url, trace.body, trace.retryAfterMs);
    if (trace.retryAfterMs !== undefined) this.notBefore = Date.now() + trace.retryAfterMs;
    const isInitialize = !this.initialized && isRequest(message) && message.id === this.initializeId;
    if (isInitialize && this.opts.mode === 'auto' && wire.kind === 'streamable-http' && LEGACY_STATUSES.has(status)) {
      return this.fallBack(message, httpFailure);
    }
    // 404 is the spec's "unknown session". Some servers (the reference "everything" one among them)
    // answer 400 "No valid session ID" instead; without this they would stay broken until restarted.
    const sessionGone = status === 404 || (status === 400 && /session/i.test(bodyHint(trace.body) ?? ''));
    if (sessionGone && this.initialized && wire.hasSession()) {
      // The server did not run this request (its session was gone): it goes again on the next one.
      if (isRequest(message))
        this.opts.handlers.onUnsent?.(message.id, `ended the session before running it (${httpFailure})`);
      return this.lose(`ended the session (${httpFailure})`, false);
    }
    this.fail(message, httpFailure);
  }

  /**
   * A request was answered with an event stream, and the stream has ended. One that named an event
   * id is resumed by the SDK (a GET with Last-Event-ID). One that did not can never bring the
   * answer (the spec lets it come on no other stream), so the request fails now instead of at its
   * timeout. An answered request is not affected: its id is no longer waited for.
   */
  private answerStreamEnded(id: RequestId, trace: PostTrace): void {
    if (trace.resumable || trace.givenUp || this.closed) return;
    this.unanswered.delete(id);
    this.endedStreams.push({ id, at: performance.now() });
    this.endedTimer ??= setTimeout(() => this.failUnanswered(), STREAM_END_GRACE_MS);
  }

  /**
   * The SDK resumed a request's answer stream. When that fails as often as the SDK tries (or with
   * 405, after which it does not try again), the answer can no longer come: the request fails now.
   */
  private answerStreamResumed(id: RequestId, result: StreamResult): void {
    // A redirect the SDK follows counts too (an attempt may then count twice): whether it will be
    // followed is the SDK's to decide, and one it does not follow must not leave the call waiting.
    if (this.closed) return;
    const ok = 'status' in result && result.status >= 200 && result.status < 300;
    const failed = ok ? 0 : (this.failedResumes.get(id) ?? 0) + 1;
    if (failed === 0) return void this.failedResumes.delete(id);
    const givenUp = failed >= STREAM_RECONNECT.maxRetries || ('status' in result && result.status === 405);
    if (!givenUp) return void this.failedResumes.set(id, failed);
    this.failedResumes.delete(id);
    const url = this.opts.url;
    const cause =
      'error' in result ? describeNetworkFailure(result.error, url) : describeHttpFailure(result.status, url);
    const message = `${this.label}: could not resume the event stream of this request (${cause})`;
    this.opts.handlers.onMessage(failure(id, { code: RpcCode.UpstreamUnavailable, message }));
  }

  /** Fails the requests whose answer stream ended at least the grace ago (answered ones ignore it). */
  private failUnanswered(): void {
    this.endedTimer = undefined;
    if (this.closed) return;
    const due = performance.now() - STREAM_END_GRACE_MS;
    const cut = this.endedStreams.findIndex((ended) => ended.at > due);
    const ids = cut === -1 ? this.endedStreams : this.endedStreams.slice(0, cut);
    this.endedStreams = cut === -1 ? [] : this.endedStreams.slice(cut);
    const error = { code: RpcCode.UpstreamUnavailable, message: `${this.label}: ${UNANSWERED_STREAM}` };
    for (const { id } of ids) this.opts.handlers.onMessage(failure(id, error));
    const next = this.endedStreams[0];
    if (next) this.endedTimer = setTimeout(() => this.failUnanswered(), next.at - due);
  }

  /** Legacy server: swap to the SSE transport (GET, then the endpoint event) and resend initialize. */
  private async fallBack(initialize: JsonRpcMessage, postFailure: string): Promise<void> {
    let release!: () => void;
    this.switching = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await this.wire.close(false, 0);
      if (this.closed) return;
      this.wire = this.createWire('sse');
      try {
        await this.wire.start(this.opts.startupTimeoutMs);
      } catch (err) {
        if (!this.closed)
          this.fail(
            initialize,
            `no MCP endpoint at ${displayUrl(this.opts.url)}: Streamable ` +
              `HTTP POST got ${postFailure}; legacy SSE: ${errorMessage(err)}`,
          );
        return;
      }
      if (this.closed) return;
      this.opts.log(
        `${this.label}: ${displayUrl(this.opts.url)} is a legacy HTTP+SSE server (POST got ${postFailure}); using SSE`,
      );
      void this.deliver(initialize);
    } finally {
      this.switching = undefined;
      release();
    }
  }

  private received(wire: Wire, raw: unknown, answering?: RequestId): void {
    if (this.closed || wire !== this.wire) return;
    let message: JsonRpcMessage;
    try {
      message = toMessage(raw);
    } catch (err) {
      this.opts.log(`${this.label}: dropped an invalid message: ${errorMessage(err)}`);
      return;
    }
    if (isResponse(message) && message.id !== null) this.unanswered.delete(message.id);
    // The SDK transport must send MCP-Protocol-Version from now on, but ManagedUpstream does the
    // handshake through send(), so we learn the negotiated version as its answer passes by.
    if (!this.initialized && isResponse(message) && 'result' in message && message.id === this.initializeId) {
      const version = message.result.protocolVersion;
      if (typeof version === 'string') wire.setProtocolVersion(version);
      this.initialized = true;
      this.opts.onInitialized(wire.kind);
    }
    this.opts.handlers.onMessage(message, answering);
  }

  /** Answers a request right away instead of letting it wait for its timeout. */
  private fail(message: JsonRpcMessage, detail: string, labelled = true): void {
    if (isRequest(message)) {
      const text = labelled ? `${this.label}: ${detail}` : detail;
      this.opts.handlers.onMessage(failure(message.id, { code: RpcCode.UpstreamUnavailable, message: text }));
    } else {
      this.opts.log(
        `${this.label}: could not deliver ${'method' in message ? message.method : 'a response'}: ${detail}`,
      );
    }
  }

  /** The session or connection is gone: clean up and tell ManagedUpstream, which reconnects. */
  private lose(reason: string, terminate: boolean, unreachable = false): void {
    if (this.closed) return;
    this.end(unreachable);
    void this.wire.close(terminate, TERMINATE_GRACE_MS);
    this.opts.handlers.onClose(new Error(reason));
  }

  /** A server that is merely down says nothing about which transport it speaks, so that is kept. */
  private end(unreachable: boolean): void {
    this.closed = true;
    clearTimeout(this.endedTimer);
    this.unanswered.clear();
    if (!this.initialized && !unreachable) this.opts.onAbandoned();
  }

  private createWire(kind: WireKind): Wire {
    // Handlers are bound to their own wire so a replaced one (after the SSE fallback) goes quiet.
    const self: { wire?: Wire } = {};
    const handlers: WireHandlers = {
      onMessage: (raw, answering) => {
        if (self.wire) this.received(self.wire, raw, answering);
      },
      onLost: (reason, terminate) => {
        if (self.wire && self.wire === this.wire) this.lose(reason, terminate);
      },
      log: (line) => this.opts.log(`${this.label}: ${oneLine(line)}`),
    };
    const limits = { server: this.opts.name, maxBytes: this.opts.maxMessageBytes };
    self.wire =
      kind === 'sse'
        ? createSseWire(this.sdk, this.opts.url, this.opts.headers, limits, handlers, this.opts.fetch)
        : createStreamableWire(this.sdk, this.opts.url, this.opts.headers, limits, handlers, this.opts.fetch);
    return self.wire;
  }
}

/** SDK diagnostics can carry a whole HTML error page; keep log lines short. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}
