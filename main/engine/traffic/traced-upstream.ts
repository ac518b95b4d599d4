/**
 * An upstream with its traffic recorded: every request the gateway sends it (with the client
 * exchange that caused it, when the caller says so) and every notification it sends or receives.
 * Progress a server reports is filed under the request it reports on. Requests the server sends
 * (elicitation, sampling, roots) are recorded where it is known who answers them (the router).
 */
import { EventEmitter } from 'node:events';
import { RpcCode } from '../protocol/errors.ts';
import {
  isValidId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type Params,
  type RequestId,
} from '../protocol/jsonrpc.ts';
import type {
  ReplyFn,
  RequestOptions,
  RequestOrigin,
  Upstream,
  UpstreamEvents,
  UpstreamInfo,
  UpstreamKind,
  UpstreamStatus,
} from '../upstreams/types.ts';
import type { TrafficBegin, TrafficRecorder } from './recorder.ts';

/** What the name of a method's subject is in its params (for the `target` column). */
export function targetOf(method: string, params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const p = params as { name?: unknown; uri?: unknown; ref?: { name?: unknown; uri?: unknown } };
  if (method === 'tools/call' || method === 'prompts/get') return typeof p.name === 'string' ? p.name : undefined;
  if (method.startsWith('resources/')) return typeof p.uri === 'string' ? p.uri : undefined;
  if (method === 'completion/complete') {
    const ref = p.ref;
    if (typeof ref?.name === 'string') return ref.name;
    if (typeof ref?.uri === 'string') return ref.uri;
  }
  return undefined;
}

export class TracedUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  readonly inner: Upstream;
  private readonly recorder: TrafficRecorder;
  private readonly server: string;
  /** The session an isolated instance was started for: its values are hidden in what this records. */
  private readonly scope: { scope: string } | Record<string, never>;
  /** Our progress tokens of requests in flight → their exchange. */
  private readonly progressOwners = new Map<RequestId, string>();

  constructor(inner: Upstream, recorder: TrafficRecorder, server: string, scope?: string) {
    super();
    this.inner = inner;
    this.recorder = recorder;
    this.server = server;
    this.scope = scope === undefined ? {} : { scope };
    inner.on('notification', (message, origin) => this.onNotification(message, origin));
    inner.on('request', (message, reply, origin) => this.onRequest(message, reply, origin));
    inner.on('status', (status) => this.emit('status', status));
    inner.on('ready', (info) => this.emit('ready', info));
  }

  get name(): string {
    return this.inner.name;
  }

  get kind(): UpstreamKind {
    return this.inner.kind;
  }

  status(): UpstreamStatus {
    return this.inner.status();
  }

  info(): UpstreamInfo | undefined {
    return this.inner.info();
  }

  start(): void {
    this.inner.start();
  }

  whenReady(timeoutMs: number): Promise<UpstreamInfo> {
    return this.inner.whenReady(timeoutMs);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  setRequestTimeout(timeoutMs: number): void {
    this.inner.setRequestTimeout(timeoutMs);
  }

  /** Not async: a recorded call costs one promise more than an unrecorded one, not three. */
  request(method: string, params: Params | undefined, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    if (!this.recorder.enabled) {
      const sent = this.send(method, params, options);
      if (method !== 'tools/list') return sent;
      // What a server marks sensitive is learnt unrecorded too: turned on later, the record hides it.
      return sent.then((result) => {
        this.recorder.learnSensitive(method, result);
        return result;
      });
    }
    const init: TrafficBegin = {
      edge: 'upstream',
      direction: 'out',
      method,
      params,
      target: targetOf(method, params),
      server: this.server,
      ...this.scope,
    };
    const traffic = options.traffic;
    if (traffic) {
      if (traffic.id) init.id = traffic.id;
      if (traffic.parentId) init.parentId = traffic.parentId;
      if (traffic.session) init.session = traffic.session;
    }
    const id = this.recorder.begin(init);
    const token = (params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
    const owns = isValidId(token);
    if (owns) this.progressOwners.set(token, id);
    const recorded = this.recorder.settle(id, this.send(method, params, options));
    return owns ? recorded.finally(() => this.progressOwners.delete(token)) : recorded;
  }

  /** The inner request, a synchronous throw turned into a rejection (as an async method would). */
  private send(method: string, params: Params | undefined, options: RequestOptions): Promise<Record<string, unknown>> {
    try {
      return this.inner.request(method, params, options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  notify(method: string, params?: Params): void {
    this.recorder.note({ edge: 'upstream', direction: 'out', method, params, server: this.server, ...this.scope });
    this.inner.notify(method, params);
  }

  private onNotification(message: JsonRpcNotification, origin?: RequestOrigin): void {
    if (this.recorder.enabled) {
      const token = message.params?.progressToken;
      // Filed under the request it reports on, or the one on whose answer stream it came.
      const parentId =
        message.method === 'notifications/progress' && isValidId(token)
          ? this.progressOwners.get(token)
          : origin?.exchangeId;
      this.recorder.note({
        edge: 'upstream',
        direction: 'in',
        method: message.method,
        params: message.params,
        server: this.server,
        ...this.scope,
        ...(parentId ? { parentId } : {}),
      });
    }
    this.emit('notification', message, origin);
  }

  private onRequest(message: JsonRpcRequest, reply: ReplyFn, origin?: RequestOrigin): void {
    // As an upstream does when nobody listens: say so rather than leave the server waiting.
    if (this.listenerCount('request') === 0) {
      reply({ error: { code: RpcCode.MethodNotFound, message: `Switchboard cannot answer ${message.method}` } });
      return;
    }
    this.emit('request', message, reply, origin);
  }
}

/** The upstream behind a traced one (for what only a kind knows, such as a stdio server's stderr). */
export function unwrapUpstream(upstream: Upstream): Upstream {
  return upstream instanceof TracedUpstream ? upstream.inner : upstream;
}
