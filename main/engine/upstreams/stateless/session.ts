/**
 * One connection to an upstream that speaks the stateless 2026-07-28 revision, over any channel
 * (stdio or per-request HTTP POSTs). The handshake is `server/discover`; every request carries
 * the `_meta` envelope; results (`input_required` included) go back verbatim. What the revision
 * removed is done here for the router: `logging/setLevel` becomes the envelope's logLevel,
 * `resources/subscribe` becomes the filter of a `subscriptions/listen` stream (which also brings
 * list_changed), and `ping` becomes a `server/discover` round trip.
 */
import { GatewayError, RpcCode } from '../../protocol/errors.ts';
import { failure, type JsonRpcNotification, type Params } from '../../protocol/jsonrpc.ts';
import type { OutgoingOptions, OutgoingRequests } from '../../protocol/outgoing.ts';
import type { Handshake, HandshakeContext, ProtocolSession } from '../mcp-upstream.ts';
import { ListenStream, type SubscriptionFilter } from './listen.ts';
import {
  META,
  STATELESS_REVISION,
  StatelessCode,
  baseEnvelope,
  isStatelessRevision,
  withEnvelope,
} from './protocol.ts';
import type { UpstreamInfo } from '../types.ts';

/** What outlives a connection: the log level the router asked for and the subscribed URIs. */
export class StatelessState {
  readonly envelope: Record<string, unknown>;
  logLevel?: string;
  readonly subscriptions = new Set<string>();

  constructor(clientInfo: { name: string; version: string }, capabilities: Record<string, unknown>) {
    this.envelope = baseEnvelope(clientInfo, capabilities);
  }
}

export interface StatelessSessionOptions {
  state: StatelessState;
  /** Longest wait for a subscription stream to be acknowledged. */
  requestTimeoutMs: number;
  log(line: string): void;
  /** Reopening a dropped subscription stream (tests shorten it). */
  listenRetry?: { initialMs: number; maxMs: number };
}

/** How long becoming ready waits for the first subscription stream (it keeps trying after). */
const FIRST_LISTEN_WAIT_MS = 5000;

/** The handshake of an upstream configured as stateless: `server/discover`, no fallback. */
export function statelessHandshake(opts: StatelessSessionOptions): Handshake {
  return async (ctx) => {
    let result: Record<string, unknown>;
    try {
      result = await discover(
        ctx.outgoing,
        opts.state,
        ctx.startupTimeoutMs,
        ctx.grace(ctx.startupTimeoutMs, 'server/discover'),
      );
    } catch (err) {
      // Answered, but not as a stateless server would (a stateful one says -32601). Our own "unavailable"
      // stands for an HTTP failure (a 503 in maintenance, a 500), which says nothing of the revisions it speaks.
      if (err instanceof GatewayError && err.rpc && err.rpc.code !== RpcCode.UpstreamUnavailable) {
        throw new GatewayError(
          'upstream_protocol',
          `${ctx.label} does not speak protocol revision ${STATELESS_REVISION}: ` +
            `server/discover failed (${err.rpc.code} ${err.rpc.message})`,
          { cause: err },
        );
      }
      throw err;
    }
    return createStatelessSession(ctx, opts, discoverInfo(result, ctx.label));
  };
}

/** Sends `server/discover` with our envelope. */
export function discover(
  outgoing: OutgoingRequests,
  state: StatelessState,
  timeoutMs: number,
  extend?: OutgoingOptions['extend'],
): Promise<Record<string, unknown>> {
  return outgoing.request('server/discover', withEnvelope(undefined, state.envelope, undefined), {
    timeoutMs,
    ...(extend ? { extend } : {}),
  });
}

/** The upstream's info from a DiscoverResult; throws when it does not offer our revision. */
export function discoverInfo(result: Record<string, unknown>, label: string): UpstreamInfo {
  const versions = Array.isArray(result.supportedVersions)
    ? result.supportedVersions.filter((v): v is string => typeof v === 'string')
    : [];
  if (!versions.includes(STATELESS_REVISION)) {
    const offered = versions.length ? versions.join(', ') : 'none';
    throw new GatewayError(
      'upstream_protocol',
      `${label} does not offer protocol revision ${STATELESS_REVISION} in server/discover (it offers: ${offered})`,
    );
  }
  const meta = isObject(result._meta) ? result._meta : {};
  const serverInfo = [meta[META.serverInfo], result.serverInfo].find(
    (s): s is UpstreamInfo['serverInfo'] => isObject(s) && typeof s.name === 'string',
  );
  const info: UpstreamInfo = {
    protocolVersion: STATELESS_REVISION,
    capabilities: isObject(result.capabilities) ? result.capabilities : {},
    serverInfo: serverInfo ?? { name: 'unknown', version: '0' },
  };
  if (typeof result.instructions === 'string') info.instructions = result.instructions;
  return info;
}

/** Whether a DiscoverResult says the server speaks a stateless revision at all. */
export function offersStateless(result: Record<string, unknown>): { ours: boolean; any: boolean } {
  const versions = Array.isArray(result.supportedVersions) ? result.supportedVersions : [];
  return { ours: versions.includes(STATELESS_REVISION), any: versions.some(isStatelessRevision) };
}

export function createStatelessSession(
  ctx: HandshakeContext,
  opts: StatelessSessionOptions,
  info: UpstreamInfo,
): ProtocolSession {
  return new StatelessSession(ctx, opts, info);
}

class StatelessSession implements ProtocolSession {
  readonly info: UpstreamInfo;
  private readonly label: string;
  private readonly outgoing: OutgoingRequests;
  private readonly state: StatelessState;
  private readonly listen: ListenStream;

  constructor(ctx: HandshakeContext, opts: StatelessSessionOptions, info: UpstreamInfo) {
    this.info = info;
    this.label = ctx.label;
    this.outgoing = ctx.outgoing;
    this.state = opts.state;
    const outgoing = this.outgoing;
    this.listen = new ListenStream({
      label: ctx.label,
      filter: () => this.filter(),
      allocateId: () => outgoing.allocateId(),
      request: (id, params, signal) => outgoing.request('subscriptions/listen', this.envelope(params), { signal }, id),
      emit: (message) => ctx.emit(message),
      log: opts.log,
      ackTimeoutMs: opts.requestTimeoutMs,
      ...(opts.listenRetry ? { retry: opts.listenRetry } : {}),
    });
  }

  async request(
    method: string,
    params: Params | undefined,
    options: OutgoingOptions,
  ): Promise<Record<string, unknown>> {
    switch (method) {
      case 'logging/setLevel': {
        const level = params?.level;
        if (typeof level !== 'string') throw invalidParams('logging/setLevel: "level" must be a string');
        this.state.logLevel = level;
        return {};
      }
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.subscribe(method, params);
      case 'ping':
        await this.outgoing.request('server/discover', this.envelope(undefined), options);
        return {};
      default:
        try {
          return await this.outgoing.request(method, this.envelope(params), options);
        } catch (err) {
          // An HTTP server refused the call at its edge (never ran it) for want of an Mcp-Param-*
          // header we could not know yet: learn the tool's declarations and send it once more.
          if (method !== 'tools/call' || !missingParamHeader(err)) throw err;
          await this.listTools(options);
          return this.outgoing.request(method, this.envelope(params), options);
        }
    }
  }

  notify(): void {
    // The revision has no client notifications besides notifications/cancelled, which the
    // request table sends itself (and which HTTP expresses by closing the response stream).
  }

  notification(message: JsonRpcNotification): JsonRpcNotification | undefined {
    const params = message.params;
    const meta = isObject(params?._meta) ? params._meta : undefined;
    const subscriptionId = meta?.[META.subscriptionId];
    if (message.method === 'notifications/subscriptions/acknowledged') {
      this.listen.acknowledged(subscriptionId);
      return undefined;
    }
    if (subscriptionId !== undefined) {
      if (!this.listen.accepts(subscriptionId)) return undefined;
      const rest: Record<string, unknown> = { ...meta };
      delete rest[META.subscriptionId];
      const out: Params = { ...params };
      if (Object.keys(rest).length > 0) out._meta = rest;
      else delete out._meta;
      return Object.keys(out).length > 0 ? { ...message, params: out } : { jsonrpc: '2.0', method: message.method };
    }
    // A server ends a listen stream gracefully this way (stdio): the request is over.
    const cancelled = message.method === 'notifications/cancelled' ? params?.requestId : undefined;
    if (cancelled !== undefined && this.listen.owns(cancelled)) {
      this.outgoing.handleResponse(
        failure(cancelled, { code: RpcCode.RequestCancelled, message: 'the server ended the subscription' }),
      );
      return undefined;
    }
    return message;
  }

  async start(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // Ready without it if need be: the stream logs its own failures and keeps trying.
    await Promise.race([
      Promise.allSettled([this.listen.sync()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FIRST_LISTEN_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  ended(): void {
    this.listen.end();
  }

  /** Lists every tool page (the HTTP channel learns `x-mcp-header` declarations as they pass). */
  private async listTools(options: OutgoingOptions): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await this.outgoing.request(
        'tools/list',
        this.envelope(cursor === undefined ? undefined : { cursor }),
        options,
      );
      cursor = typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
      if (cursor === undefined) return;
    }
  }

  private envelope(params: Params | undefined): Params {
    return withEnvelope(params, this.state.envelope, this.state.logLevel);
  }

  private async subscribe(
    method: 'resources/subscribe' | 'resources/unsubscribe',
    params: Params | undefined,
  ): Promise<Record<string, unknown>> {
    const resources = this.info.capabilities.resources;
    if (!isObject(resources) || resources.subscribe !== true) {
      const message = `Method not found: ${method} (${this.label} does not offer resource subscriptions)`;
      throw new GatewayError('method_not_found', message, { rpc: { code: RpcCode.MethodNotFound, message } });
    }
    const uri = params?.uri;
    if (typeof uri !== 'string') throw invalidParams(`${method}: "uri" must be a string`);
    const subscriptions = this.state.subscriptions;
    if (method === 'resources/unsubscribe') {
      // The stream logs its own failures and keeps trying; the unsubscribe itself is done.
      if (subscriptions.delete(uri)) await Promise.allSettled([this.listen.sync()]);
      return {};
    }
    if (subscriptions.has(uri)) return {};
    subscriptions.add(uri);
    try {
      await this.listen.sync();
    } catch (err) {
      subscriptions.delete(uri);
      // Back to the previous filter; the stream logs its own failures.
      void Promise.allSettled([this.listen.sync()]);
      throw err;
    }
    return {};
  }

  /** What to listen for: only what the server said it can deliver. */
  private filter(): SubscriptionFilter | undefined {
    const caps = this.info.capabilities;
    const filter: SubscriptionFilter = {};
    if (listChanged(caps.tools)) filter.toolsListChanged = true;
    if (listChanged(caps.prompts)) filter.promptsListChanged = true;
    if (listChanged(caps.resources)) filter.resourcesListChanged = true;
    if (isObject(caps.resources) && caps.resources.subscribe === true && this.state.subscriptions.size > 0) {
      filter.resourceSubscriptions = [...this.state.subscriptions];
    }
    return Object.keys(filter).length > 0 ? filter : undefined;
  }
}

function missingParamHeader(err: unknown): boolean {
  if (!(err instanceof GatewayError) || err.rpc?.code !== StatelessCode.HeaderMismatch) return false;
  const mismatch = (err.rpc.data as { mismatch?: { header?: unknown } } | undefined)?.mismatch;
  return typeof mismatch?.header === 'string' && /^mcp-param-/i.test(mismatch.header);
}

function listChanged(capability: unknown): boolean {
  return isObject(capability) && capability.listChanged === true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidParams(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { rpc: { code: RpcCode.InvalidParams, message } });
}
