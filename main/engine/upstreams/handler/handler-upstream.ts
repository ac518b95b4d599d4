/**
 * A JSON handler (HTTP or FastCGI) behind the Upstream interface: MCP requests become the
 * envelopes of the handler contract and replies become MCP results. The handler never sees
 * MCP. There is no initialize: the upstream is ready once a `discover` succeeds, and retries
 * with backoff for as long as the handler is down (retryForever in lifecycle.ts). A tool call
 * whose handler asks questions (`elicit`) becomes server-to-client `elicitation/create`
 * requests, answered and fed back round by round.
 */
import type { LookupFunction } from 'node:net';
import { logFailure } from '../../log.ts';
import { EventEmitter } from 'node:events';
import type { HandlerFastcgiTarget, HandlerHttpTarget } from '../../config/handler-address.ts';
import { GatewayError, RpcCode, errorMessage } from '../../protocol/errors.ts';
import { notification, type JsonRpcRequest, type Params } from '../../protocol/jsonrpc.ts';
import { LATEST_STATEFUL } from '../../protocol/versions.ts';
import { mapDiscover, type HandlerCatalog, type ListName } from './catalog.ts';
import {
  classifyReply,
  elicitNotAllowed,
  promptError,
  promptResult,
  resourceNotFound,
  resourceResult,
  toolErrorResult,
  toolResult,
  type HandlerElicit,
} from './content.ts';
import { elicitationParams, notAnsweredText, readAnswer, type ElicitOutcome } from './elicit.ts';
import { envelope, newRequestId, type Envelope } from './envelope.ts';
import { HandlerError, protocolError } from './errors.ts';
import { StderrLog } from '../process/stderr-log.ts';
import { createFastcgiTransport } from './fastcgi-transport.ts';
import { createHttpTransport } from './http-transport.ts';
import { DEFAULT_HANDLER_RULE } from './headers.ts';
import type { ForwardRule } from '../client-headers.ts';
import { decodeReply } from './reply.ts';
import type { HandlerTransport } from './transport.ts';
import { DEFAULT_BACKOFF, UpstreamLifecycle, retryForever, type BackoffPolicy } from '../lifecycle.ts';
import type {
  ReplyFn,
  RequestOptions,
  RequestOrigin,
  Upstream,
  UpstreamEvents,
  UpstreamInfo,
  UpstreamKind,
  UpstreamStatus,
} from '../types.ts';
import { HANDLER_SKIPPED_META } from '../types.ts';

interface HandlerSpecBase {
  name: string;
  /** Static headers, references already resolved. */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Connections at most (FastCGI pool; HTTP keep-alive connections). */
  pool: number;
  /** 0: discover on every list request. */
  discoverTtlMs: number;
  /** Client headers passed on (default: the handler set in config/header-rules.ts). */
  forwardHeaders?: readonly string[];
  /** Configured headers a client's value replaces (default none). */
  overridableHeaders?: readonly string[];
}

export interface HandlerHttpSpec extends HandlerSpecBase {
  kind: 'handler-http';
  target: HandlerHttpTarget;
  insecure: boolean;
  /** Private ranges and plain http:// beyond loopback allowed (egress/policy.ts). */
  allowPrivateNetwork?: boolean;
}

export interface HandlerFastcgiSpec extends HandlerSpecBase {
  kind: 'handler-fastcgi';
  target: HandlerFastcgiTarget;
  entrypoint: string;
}

/** The normalized config entry (HandlerHttpServerConfig / HandlerFastcgiServerConfig) fits as is. */
export type HandlerSpec = HandlerHttpSpec | HandlerFastcgiSpec;

export interface HandlerUpstreamDeps {
  /**
   * Delays between retries, and when to give up: the gateway gives a policy that retries for as long as
   * the handler is configured (retryForever), except in one-shot commands. Default: retryForever(DEFAULT_BACKOFF).
   */
  backoff?: BackoffPolicy;
  /** Notes that are not state changes (skipped discover entries, ignored elicitation_cancelled replies). */
  log?: (line: string) => void;
  /** Largest reply accepted (limits.maxResponseBytes). */
  maxReplyBytes?: number;
  /** Elicitation rounds one tool call may take (default 20). */
  maxElicitRounds?: number;
  /** Replaces the HTTP / FastCGI transport (tests). */
  transport?: HandlerTransport;
  /** Resolves host names for the egress check (default: the system resolver; tests inject answers). */
  lookup?: LookupFunction;
  /** Told each line a FastCGI script writes to stderr (the app's live log view). */
  onStderrLine?: (line: string) => void;
  /** Rewrites each stderr line before it is kept anywhere (the gateway's redactor). */
  redact?: (line: string) => string;
  redactCutEnd?: (text: string) => string;
  /** Where the server's log file goes (`<dir>/<name>.log`), as a local server's stderr does. */
  logDir?: string;
  /** Accepted so the gateway can pass the deps it gives every kind; a handler has no initialize. */
  clientInfo?: { name: string; version: string };
  capabilities?: Record<string, unknown>;
}

const DEFAULT_MAX_REPLY_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_ROUNDS = 20;
/** How long elicitation_cancelled may take; its reply is ignored anyway. */
const CANCEL_NOTICE_TIMEOUT_MS = 5000;

/** A list as MCP answers it, with what discover gave that could not be used (HANDLER_SKIPPED_META). */
function listResult(catalog: HandlerCatalog, list: ListName): Record<string, unknown> {
  const skipped = catalog.skipped?.[list];
  return { [list]: catalog[list], ...(skipped ? { _meta: { [HANDLER_SKIPPED_META]: skipped } } : {}) };
}

export function createHandlerUpstream(spec: HandlerSpec, deps: HandlerUpstreamDeps = {}): Upstream {
  return new HandlerUpstream(spec, deps);
}

export class HandlerUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  readonly name: string;
  readonly kind: UpstreamKind;
  private readonly spec: HandlerSpec;
  private readonly deps: HandlerUpstreamDeps;
  private readonly lifecycle: UpstreamLifecycle;
  private readonly maxRounds: number;
  private transport?: HandlerTransport;
  /** Aborted on stop: every exchange in flight ends. */
  private life = new AbortController();
  /** The discover in flight (single-flight) and the last good answer. */
  private discovering?: Promise<HandlerCatalog>;
  private cached?: { catalog: HandlerCatalog; at: number };
  private elicitSeq = 0;
  /** Exchanges with the handler under way (discover and calls). */
  private inFlight = 0;
  /** When the handler last answered anything (performance.now()). */
  private lastAnswerAt = 0;
  private discoverNotes = '';
  /** spec.timeoutMs until a reload changes it (setRequestTimeout). */
  private timeoutMs: number;
  /** What FastCGI scripts wrote to stderr (PHP warnings and errors), for the server's log. */
  private readonly stderrLog: StderrLog;

  constructor(spec: HandlerSpec, deps: HandlerUpstreamDeps) {
    super();
    this.name = spec.name;
    this.kind = spec.kind;
    this.spec = spec;
    this.timeoutMs = spec.timeoutMs;
    this.deps = deps;
    this.lifecycle = new UpstreamLifecycle({
      name: spec.name,
      kind: spec.kind,
      policy: deps.backoff ?? retryForever(DEFAULT_BACKOFF),
      events: this,
    });
    this.maxRounds = deps.maxElicitRounds ?? DEFAULT_MAX_ROUNDS;
    this.stderrLog = new StderrLog({
      name: spec.name,
      ...(deps.logDir === undefined ? {} : { dir: deps.logDir }),
      ...(deps.onStderrLine ? { onLine: deps.onStderrLine } : {}),
      ...(deps.redact ? { redact: deps.redact } : {}),
      ...(deps.redactCutEnd ? { redactCutEnd: deps.redactCutEnd } : {}),
    });
  }

  /** What its scripts wrote to stderr, with when each line came (epoch ms), oldest first. */
  timedStderr(): { at: number; text: string }[] {
    return this.stderrLog.timedLines();
  }

  status(): UpstreamStatus {
    return this.lifecycle.status();
  }

  info(): UpstreamInfo | undefined {
    return this.lifecycle.info();
  }

  start(): void {
    if (!this.lifecycle.begin()) return;
    if (this.life.signal.aborted) this.life = new AbortController();
    try {
      this.transport ??= this.deps.transport ?? this.createTransport();
    } catch (err) {
      this.lifecycle.fail(`cannot set up the handler: ${errorMessage(err)}`);
      return;
    }
    this.lifecycle.starting();
    void this.probe();
  }

  whenReady(timeoutMs: number): Promise<UpstreamInfo> {
    return this.lifecycle.whenReady(timeoutMs);
  }

  setRequestTimeout(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
  }

  async stop(): Promise<void> {
    this.life.abort(new GatewayError('upstream_closed', `server "${this.name}" was stopped`));
    this.discovering = undefined;
    this.cached = undefined;
    this.lifecycle.stop();
    const transport = this.transport;
    this.transport = undefined;
    await transport
      ?.close()
      .catch(logFailure((line) => this.deps.log?.(line), 'could not close the connections to the handler'));
    await this.stderrLog.close();
  }

  async request(
    method: string,
    params: Params | undefined,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    const p = params ?? {};
    switch (method) {
      case 'tools/list':
        return listResult(await this.discover(options), 'tools');
      case 'resources/list':
        return listResult(await this.discover(options), 'resources');
      case 'resources/templates/list':
        return listResult(await this.discover(options), 'resourceTemplates');
      case 'prompts/list':
        return listResult(await this.discover(options), 'prompts');
      case 'tools/call':
        return this.callTool(p, options);
      case 'resources/read':
        return this.readResource(p, options);
      case 'prompts/get':
        return this.getPrompt(p, options);
      case 'ping':
        return {};
      case 'completion/complete':
        // Handlers have no completions; an empty answer keeps clients' argument boxes working.
        return { completion: { values: [], hasMore: false } };
      default: {
        const message = `server "${this.name}" is a JSON handler and does not support ${method}`;
        throw new GatewayError('method_not_found', message, { rpc: { code: RpcCode.MethodNotFound, message } });
      }
    }
  }

  notify(): void {
    // Handlers have no notifications: cancellation reaches them as the request's signal.
  }

  // ---- discover and state ----

  /** The catalog: cached within the TTL, else one discover shared by everyone asking now. */
  private discover(options: RequestOptions = {}): Promise<HandlerCatalog> {
    const ttl = this.spec.discoverTtlMs;
    if (ttl > 0 && this.cached && Date.now() - this.cached.at < ttl) return Promise.resolve(this.cached.catalog);
    if (this.discovering) return this.discovering;
    const flight = this.fetchCatalog(options.timeoutMs).then(
      (catalog) => {
        if (this.discovering === flight) this.discovering = undefined;
        this.cached = { catalog, at: Date.now() };
        this.markReady();
        return catalog;
      },
      (err: unknown) => {
        // Never cached: the next list asks again.
        if (this.discovering === flight) this.discovering = undefined;
        // Out of time while calls are still running is a busy handler (the discover queued behind
        // them), not one that is gone: it stays ready, its calls answer or time out on their own.
        // Unless nothing has answered for as long as a request may take: then it is hung, not busy.
        const answering = performance.now() - this.lastAnswerAt < this.timeoutMs;
        const busy = this.inFlight > 0 && answering && err instanceof HandlerError && err.busy === true;
        if (this.lifecycle.state === 'ready' && !busy)
          this.lifecycle.lost(this.reason(err), this.retry, notBeforeOf(err));
        throw err;
      },
    );
    this.discovering = flight;
    return flight;
  }

  private async fetchCatalog(timeoutMs?: number): Promise<HandlerCatalog> {
    // Discover serves every session at once, so it carries no session id and no client headers.
    const { reply } = await this.exchange(envelope('discover', null, newRequestId()), { timeoutMs, idempotent: true });
    const notes: string[] = [];
    const skipped: NonNullable<HandlerCatalog['skipped']> = {};
    const catalog = mapDiscover(reply, (note, left) => {
      notes.push(note);
      if (left) (skipped[left.list] ??= []).push(left.line);
    });
    if (Object.keys(skipped).length) catalog.skipped = skipped;
    // Said once, not on every list request.
    const said = notes.join('\n');
    if (said !== this.discoverNotes) for (const note of notes) this.deps.log?.(`server "${this.name}": ${note}`);
    this.discoverNotes = said;
    return catalog;
  }

  /** First discover after start, and each retry while the handler is down (the state stays backoff meanwhile). */
  private async probe(): Promise<void> {
    try {
      await this.discover();
    } catch (err) {
      if (this.lifecycle.state === 'starting' || this.lifecycle.state === 'backoff')
        this.lifecycle.retry(this.reason(err), this.retry, notBeforeOf(err));
    }
  }

  /** What the lifecycle runs after each backoff delay. */
  private readonly retry = (): void => void this.probe();

  /** A discover worked: the handler's synthetic initialize result. */
  private markReady(): void {
    const listChanged = { listChanged: false };
    this.lifecycle.ready({
      protocolVersion: LATEST_STATEFUL,
      capabilities: { tools: listChanged, resources: listChanged, prompts: listChanged },
      serverInfo: { name: this.name, version: '0.0.0' },
    });
  }

  /** A failure as the status shows it, next to the server's name already. */
  private reason(err: unknown): string {
    return withoutServer(this.name, errorMessage(err));
  }

  private createTransport(): HandlerTransport {
    const maxReplyBytes = this.deps.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    const spec = this.spec;
    if (spec.kind === 'handler-http') {
      return createHttpTransport({
        name: spec.name,
        target: spec.target,
        insecure: spec.insecure,
        headers: spec.headers,
        connections: spec.pool,
        maxReplyBytes,
        forward: this.forwardRule(),
        egress: {
          allowPrivateNetwork: spec.allowPrivateNetwork ?? false,
          ...(this.deps.lookup ? { lookup: this.deps.lookup } : {}),
        },
      });
    }
    return createFastcgiTransport({
      name: spec.name,
      target: spec.target,
      entrypoint: spec.entrypoint,
      headers: spec.headers,
      pool: spec.pool,
      maxReplyBytes,
      forward: this.forwardRule(),
    });
  }

  private forwardRule(): ForwardRule {
    return {
      forwardHeaders: this.spec.forwardHeaders ?? DEFAULT_HANDLER_RULE.forwardHeaders,
      overridableHeaders: this.spec.overridableHeaders ?? [],
    };
  }

  // ---- one exchange ----

  private async exchange(
    env: Envelope,
    opts: {
      timeoutMs?: number | undefined;
      signal?: AbortSignal | undefined;
      clientHeaders?: RequestOptions['clientHeaders'];
      idempotent: boolean;
    },
  ): Promise<{ reply: Record<string, unknown>; raw: Buffer }> {
    const transport = this.transport;
    if (!transport || this.lifecycle.state === 'stopped') throw this.lifecycle.unavailable();
    const life = this.life.signal;
    const signal = opts.signal ? AbortSignal.any([opts.signal, life]) : life;
    let res;
    this.inFlight++;
    try {
      res = await transport.send({
        body: Buffer.from(JSON.stringify(env), 'utf8'),
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        signal,
        idempotent: opts.idempotent,
        ...(opts.clientHeaders ? { clientHeaders: opts.clientHeaders } : {}),
      });
    } catch (err) {
      if (err instanceof HandlerError && err.stderr) this.keepStderr(err.stderr);
      if (life.aborted && !opts.signal?.aborted)
        throw new GatewayError('upstream_closed', `server "${this.name}" was stopped; the request was lost`, {
          cause: err,
        });
      // Could not connect at all: a discover now says whether it is gone (it is then shown down and
      // retried), rather than the next list, which may be a long way off.
      if (unreachable(err) && this.lifecycle.state === 'ready' && env.type !== 'discover')
        void Promise.allSettled([this.discover()]); // a failure is in its state
      throw err;
    } finally {
      this.inFlight--;
    }
    this.lastAnswerAt = performance.now();
    // A reply that works can come with warnings too (a PHP deprecation): they are in the server's log.
    if (res.stderr) this.keepStderr(res.stderr);
    return { reply: decodeReply(this.name, transport.where, res), raw: res.body };
  }

  /** One reply's stderr, as lines of the server's log (each reply's ends its last line). */
  private keepStderr(text: string): void {
    this.stderrLog.write(Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8'));
  }

  // ---- tools/call with elicitation rounds ----

  private async callTool(params: Params, options: RequestOptions): Promise<Record<string, unknown>> {
    const name = params.name;
    if (typeof name !== 'string') throw invalidParams('tools/call: "name" must be a string');
    const args = params.arguments;
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args)))
      throw invalidParams('tools/call: "arguments" must be an object');
    const session = options.sessionId ?? null;
    const requestId = newRequestId();
    const results: Record<string, unknown>[] = [];
    let context: unknown;
    for (let round = 0; ; round++) {
      const env = envelope('call_tool', session, requestId, {
        name,
        arguments: args,
        elicitation_results: results.length ? results : undefined,
        context,
      });
      const { reply, raw } = await this.exchange(env, {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        clientHeaders: options.clientHeaders,
        idempotent: false,
      });
      let kind: ReturnType<typeof classifyReply>;
      try {
        kind = classifyReply(this.name, reply, raw);
      } catch (err) {
        // A question nobody can be asked (a form clients cannot show) ends the call as a cancel does:
        // the handler, which may hold what earlier rounds gave it, hears of it as it would of a cancel.
        const elicit = reply.elicit;
        if (typeof elicit === 'object' && elicit !== null && !Array.isArray(elicit)) {
          const given = (elicit as Record<string, unknown>).context;
          await this.sendCancelled(session, requestId, name, 'cancel', given, options);
        }
        throw err;
      }
      if (kind.kind === 'content') {
        const tool = this.cached?.catalog.tools.find((t) => t.name === name);
        return toolResult(this.name, kind, raw, tool?.outputSchema);
      }
      if (kind.kind === 'error') return toolErrorResult(kind.error);
      if (round >= this.maxRounds) {
        await this.sendCancelled(session, requestId, name, 'cancel', kind.elicit.context, options);
        throw protocolError(
          this.name,
          `the handler asked for input more than ${this.maxRounds} times in one call of ${name}; gave up`,
          { raw },
        );
      }
      const outcome = await this.ask(kind.elicit, options.signal, options.origin);
      if (outcome.action === 'accept') {
        results.push(outcome.content);
        context = kind.elicit.context;
        continue;
      }
      await this.sendCancelled(session, requestId, name, outcome.action, kind.elicit.context, options);
      if (this.life.signal.aborted)
        throw new GatewayError(
          'upstream_closed',
          `server "${this.name}" was stopped while ${name} waited for an answer`,
        );
      if (options.signal?.aborted)
        throw new GatewayError(
          'request_cancelled',
          `server "${this.name}": ${name} was cancelled while waiting for an answer`,
        );
      return {
        content: [{ type: 'text', text: notAnsweredText(name, kind.elicit.message, outcome) }],
        isError: true,
        _meta: { 'switchboard/elicitation': { action: outcome.action } },
      };
    }
  }

  /**
   * Asks the client (through the router: the client whose call this is, or the app's Prompter)
   * and waits for the answer. An error answer means nobody could answer ("unsupported").
   */
  private ask(elicit: HandlerElicit, signal?: AbortSignal, origin?: RequestOrigin): Promise<ElicitOutcome> {
    if (this.listenerCount('request') === 0)
      return Promise.resolve({ action: 'unsupported', reason: 'nothing is connected that could ask the user' });
    const id = `${this.name}:elicit:${++this.elicitSeq}`;
    const message: JsonRpcRequest = {
      jsonrpc: '2.0',
      id,
      method: 'elicitation/create',
      params: elicitationParams(elicit),
    };
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: ElicitOutcome): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.life.signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => {
        // Withdraw the question wherever it is shown (the router aborts it on notifications/cancelled).
        this.emit(
          'notification',
          notification('notifications/cancelled', { requestId: id, reason: 'the tool call ended' }),
        );
        settle({ action: 'cancel' });
      };
      if (signal?.aborted || this.life.signal.aborted) {
        settle({ action: 'cancel' });
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.life.signal.addEventListener('abort', onAbort, { once: true });
      const reply: ReplyFn = (answer) => settle(readAnswer(answer));
      try {
        this.emit('request', message, reply, origin);
      } catch (err) {
        settle({ action: 'unsupported', reason: errorMessage(err) });
      }
    });
  }

  /** Tells the handler the questions of this call will not be answered; its reply is ignored. */
  private async sendCancelled(
    session: string | null,
    requestId: string,
    name: string,
    action: string,
    context: unknown,
    options: RequestOptions,
  ): Promise<void> {
    if (this.lifecycle.state === 'stopped') return;
    try {
      await this.exchange(envelope('elicitation_cancelled', session, requestId, { name, action, context }), {
        timeoutMs: Math.min(this.timeoutMs, CANCEL_NOTICE_TIMEOUT_MS),
        clientHeaders: options.clientHeaders,
        idempotent: false,
      });
    } catch (err) {
      this.deps.log?.(
        `server "${this.name}": elicitation_cancelled for ${name} failed ` +
          `(ignored): ${withoutServer(this.name, errorMessage(err))}`,
      );
    }
  }

  // ---- resources/read and prompts/get ----

  private async readResource(params: Params, options: RequestOptions): Promise<Record<string, unknown>> {
    const uri = params.uri;
    if (typeof uri !== 'string') throw invalidParams('resources/read: "uri" must be a string');
    const env = envelope('read_resource', options.sessionId ?? null, newRequestId(), { uri });
    const { reply, raw } = await this.exchange(env, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      clientHeaders: options.clientHeaders,
      idempotent: true,
    });
    const kind = classifyReply(this.name, reply, raw);
    if (kind.kind === 'elicit') throw elicitNotAllowed(this.name, `read_resource ${uri}`, raw);
    if (kind.kind === 'error') throw resourceNotFound(this.name, uri, kind.error, raw);
    const known = this.cached?.catalog.resources.find((r) => r.uri === uri)?.mimeType;
    return resourceResult(this.name, uri, kind.content, raw, typeof known === 'string' ? known : undefined);
  }

  private async getPrompt(params: Params, options: RequestOptions): Promise<Record<string, unknown>> {
    const name = params.name;
    if (typeof name !== 'string') throw invalidParams('prompts/get: "name" must be a string');
    const args = params.arguments;
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args)))
      throw invalidParams('prompts/get: "arguments" must be an object');
    const env = envelope('get_prompt', options.sessionId ?? null, newRequestId(), { name, arguments: args });
    const { reply, raw } = await this.exchange(env, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      clientHeaders: options.clientHeaders,
      idempotent: true,
    });
    const kind = classifyReply(this.name, reply, raw);
    if (kind.kind === 'elicit') throw elicitNotAllowed(this.name, `get_prompt ${name}`, raw);
    if (kind.kind === 'error') throw promptError(this.name, kind.error, raw);
    return promptResult(this.name, kind.content, reply, raw);
  }
}

function invalidParams(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { rpc: { code: RpcCode.InvalidParams, message } });
}

/** Status texts are shown next to the server's name already. */
function withoutServer(name: string, message: string): string {
  const prefix = `server "${name}": `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

export { HandlerError };

/** When a handler that refused with a Retry-After asked to be called again (epoch ms). */
function notBeforeOf(err: unknown): number | undefined {
  return err instanceof HandlerError && err.retryAfterMs !== undefined ? Date.now() + err.retryAfterMs : undefined;
}

/** A failure to reach the handler at all (refused, no socket there), not a slow or busy one. */
function unreachable(err: unknown): boolean {
  return err instanceof HandlerError && err.code === 'upstream_unavailable' && err.busy !== true;
}
