/**
 * The Streamable HTTP transport (2025-03-26 and later) for clients: POST carries one message
 * (or a 2025-03-26 client's batch), answered as JSON or SSE; GET opens the stream for
 * server-initiated messages; DELETE ends the session; Last-Event-ID resumes a broken stream
 * without replaying other streams' messages.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RpcCode } from '../protocol/errors.ts';
import {
  failure,
  isRequest,
  isResponse,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type RequestId,
} from '../protocol/jsonrpc.ts';
import { parseClientMessageBytes } from '../protocol/refusals.ts';
import { BatchAnswers, batchRefusal, readBatch } from './batch.ts';
import { checkStatelessHeaders, isStatelessRequest, statusForError, type StatelessDispatcher } from './stateless.ts';
import { isRevision } from '../protocol/versions.ts';
import { messageJson } from '../protocol/json-text.ts';
import { ResponseStream, parseEventId } from './http-streams.ts';
import { DEFAULTS } from '../config/schema.ts';
import { SessionBuffer, dropReporter } from './outbox.ts';
import { idInUse } from '../../shared/request-ids.ts';
import type { SendFn, Session, TransportKind } from './session.ts';

export type SessionFactory = (
  profile: string,
  transport: TransportKind,
  send: SendFn,
  id?: string,
  onRequestAbandoned?: (id: RequestId) => void,
) => Session;

/** Streams a session keeps for resumption after their client went away; older ones are dropped. */
const MAX_RESUMABLE_STREAMS = 64;

interface HttpSession {
  session: Session;
  /** Who created it (the token's principal): any other is told the session does not exist. */
  principal: string;
  /** Open request streams by the client's request id. */
  byRequest: Map<RequestId, ResponseStream>;
  /** Every stream that may still be resumed, by stream id. */
  byStreamId: Map<string, ResponseStream>;
  standalone: ResponseStream;
  lastActive: number;
  nextStream: number;
}

export interface StreamableHttpOptions {
  createSession: SessionFactory;
  /** Serves 2026-07-28 clients; without it they get the stateful answers. */
  stateless?: StatelessDispatcher;
  /** Sessions idle this long with no open stream are ended. */
  idleTimeoutMs: number;
  maxSessions: number;
  /** What a stateless call's stream may hold for a client that is not reading (limits.maxSessionBufferBytes). */
  maxBufferedBytes?: number;
  /** The gateway's log, for drops on a stateless call's stream. */
  log?: (text: string) => void;
  /**
   * Counts a long-lived stream against the listener's event streams (a 2026-07-28
   * subscriptions/listen, which stays open as a GET stream does); false when it was refused (answered).
   */
  openStream?: (res: ServerResponse) => boolean;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = messageJson(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  id: RequestId | null = null,
): void {
  sendJson(res, status, failure(id, { code, message }));
}

export class StreamableHttpEndpoint {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly opts: StreamableHttpOptions;
  private readonly sweeper: NodeJS.Timeout;
  private statelessSeq = 0;
  /** Sessions ended for room since the last log line (see reportEviction). */
  private evicted: { count: number; timer?: NodeJS.Timeout } = { count: 0 };

  constructor(opts: StreamableHttpOptions) {
    this.opts = opts;
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, opts.idleTimeoutMs)).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async post(
    req: IncomingMessage,
    res: ServerResponse,
    profile: string,
    body: Buffer,
    principal: string,
  ): Promise<void> {
    const parsed = parseClientMessageBytes(body);
    if ('error' in parsed) return sendJson(res, 400, parsed.error);
    if ('batch' in parsed) return this.batch(req, res, profile, parsed.batch, principal);
    const message = parsed.message;
    const sessionId = header(req, 'mcp-session-id');
    const version = header(req, 'mcp-protocol-version');
    if (
      version !== undefined &&
      !isRevision(version) &&
      !(sessionId === undefined && this.opts.stateless && isStatelessRequest(message, version))
    ) {
      return sendRpcError(
        res,
        400,
        RpcCode.InvalidRequest,
        `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version)}`,
      );
    }

    // A stateless (2026-07-28) client: no session, everything in the request.
    if (sessionId === undefined && this.opts.stateless && isStatelessRequest(message, version)) {
      if (!isRequest(message)) {
        res.writeHead(202).end();
        return;
      }
      return this.statelessRequest(req, res, profile, message, version, principal);
    }

    if (isRequest(message) && message.method === 'initialize') {
      if (sessionId !== undefined)
        return sendRpcError(
          res,
          400,
          RpcCode.InvalidRequest,
          'Bad Request: initialize must not carry an Mcp-Session-Id',
          message.id,
        );
      if (this.sessions.size >= this.opts.maxSessions) this.sweep(true);
      if (this.sessions.size >= this.opts.maxSessions)
        return sendRpcError(
          res,
          503,
          RpcCode.InternalError,
          `Too many sessions: ${this.opts.maxSessions} are open (the most Switchboard keeps), each with a request ` +
            'or an event stream open; try again once one ends',
          message.id,
        );
      const state = this.open(profile, principal);
      this.handleRequest(state, req, res, message, { 'mcp-session-id': state.session.id });
      return;
    }

    if (sessionId === undefined)
      return sendRpcError(
        res,
        400,
        RpcCode.InvalidRequest,
        'Bad Request: Mcp-Session-Id header is required (initialize first)',
      );
    const state = this.find(sessionId, profile, principal);
    if (!state) return sendRpcError(res, 404, RpcCode.InvalidRequest, 'Session not found: initialize a new session');
    state.lastActive = Date.now();
    if (isRequest(message)) return this.handleRequest(state, req, res, message, {});
    state.session.receive(message);
    res.writeHead(202).end();
  }

  /** A JSON-RPC batch (2025-03-26): its answers come back as one JSON array, or as one event of an SSE stream. */
  private batch(
    req: IncomingMessage,
    res: ServerResponse,
    profile: string,
    values: unknown[],
    principal: string,
  ): void {
    const sessionId = header(req, 'mcp-session-id');
    const state = this.find(sessionId, profile, principal);
    if (sessionId !== undefined && !state)
      return sendRpcError(res, 404, RpcCode.InvalidRequest, 'Session not found: initialize a new session');
    const refusal = batchRefusal(state?.session, values.length);
    if (!state || refusal !== undefined)
      return sendRpcError(res, 400, RpcCode.InvalidRequest, `Bad Request: ${refusal}`);
    state.lastActive = Date.now();
    const { requests, others, refused } = readBatch(values, (id) => state.byRequest.has(id));
    for (const message of others) state.session.receive(message);
    if (requests.length === 0) {
      if (refused.length === 0) res.writeHead(202).end();
      else sendJson(res, 400, refused);
      return;
    }
    const stream = new ResponseStream({
      id: `${state.session.id.slice(0, 8)}r${++state.nextStream}`,
      res,
      standalone: false,
      canSse: (header(req, 'accept') ?? '').includes('text/event-stream'),
      buffer: state.session.buffer,
      batch: new BatchAnswers(requests, refused),
    });
    for (const request of requests) state.byRequest.set(request.id, stream);
    state.byStreamId.set(stream.id, stream);
    stream.onDone = () => state.byStreamId.delete(stream.id);
    this.limitResumable(state);
    const headers = headerList(req);
    for (const request of requests) state.session.receive(request, { headers });
  }

  private statelessRequest(
    req: IncomingMessage,
    res: ServerResponse,
    profile: string,
    message: JsonRpcRequest,
    version: string | undefined,
    principal: string,
  ): void {
    const headerError = checkStatelessHeaders(message, {
      version,
      method: header(req, 'mcp-method'),
      name: header(req, 'mcp-name'),
    });
    if (headerError) return sendJson(res, statusForError(headerError), failure(message.id, headerError));
    if (message.method === 'subscriptions/listen' && this.opts.openStream && !this.opts.openStream(res)) return;
    const canSse = (header(req, 'accept') ?? '').includes('text/event-stream');
    const id = `m${++this.statelessSeq}`;
    const limit = this.opts.maxBufferedBytes ?? DEFAULTS.maxSessionBufferBytes;
    const log = this.opts.log;
    const who = () => `stateless call ${id} (${message.method}, profile ${profile})`;
    const buffer = new SessionBuffer(limit, log ? dropReporter(log, who, limit) : () => undefined);
    const stream = new ResponseStream({ id, res, standalone: false, resumable: false, canSse, buffer });
    let finished = false;
    const cancel = this.opts.stateless!.handle(
      profile,
      message,
      {
        notify: (m) => {
          if (!finished && stream.acceptsIntermediate()) stream.write(m, false);
        },
        respond: (m, status) => {
          finished = true;
          stream.write(m, true, status);
        },
      },
      principal,
      { headers: headerList(req) },
    );
    // In this revision, closing the response stream cancels the request.
    res.on('close', () => {
      if (!finished) cancel();
    });
  }

  get(req: IncomingMessage, res: ServerResponse, profile: string, principal: string): void {
    const accept = header(req, 'accept') ?? '';
    if (!accept.includes('text/event-stream'))
      return sendRpcError(res, 406, RpcCode.InvalidRequest, 'Not Acceptable: GET needs Accept: text/event-stream');
    const sessionId = header(req, 'mcp-session-id');
    const state = this.find(sessionId, profile, principal);
    if (!state) {
      return sessionId === undefined
        ? sendRpcError(res, 400, RpcCode.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required')
        : sendRpcError(res, 404, RpcCode.InvalidRequest, 'Session not found: initialize a new session');
    }
    state.lastActive = Date.now();
    const last = parseEventId(header(req, 'last-event-id'));
    if (last) {
      const stream = state.byStreamId.get(last.streamId);
      // 400, not 404: a 404 tells a client its session is gone, and it would start a new one.
      if (!stream)
        return sendRpcError(
          res,
          400,
          RpcCode.InvalidRequest,
          `Cannot resume: stream ${last.streamId} is unknown or finished (the session is still there)`,
        );
      if (stream.connected)
        return sendRpcError(res, 409, RpcCode.InvalidRequest, 'Conflict: that stream is already connected');
      stream.attach(res, last.seq);
      return;
    }
    if (state.standalone.connected)
      return sendRpcError(res, 409, RpcCode.InvalidRequest, 'Conflict: only one GET stream per session');
    state.standalone.attach(res);
  }

  delete(req: IncomingMessage, res: ServerResponse, profile: string, principal: string): void {
    const sessionId = header(req, 'mcp-session-id');
    const state = this.find(sessionId, profile, principal);
    if (!state)
      return sendRpcError(res, sessionId === undefined ? 400 : 404, RpcCode.InvalidRequest, 'Session not found');
    this.end(state);
    res.writeHead(200).end();
  }

  closeAll(why?: string): void {
    clearInterval(this.sweeper);
    clearTimeout(this.evicted.timer);
    for (const state of [...this.sessions.values()]) this.end(state, why);
  }

  /**
   * The session `id` names, if it belongs to this profile and was created by this principal. A
   * session of another principal is answered exactly like an unknown one (404), so a leaked or
   * guessed id tells a different credential nothing.
   */
  private find(id: string | undefined, profile: string, principal: string): HttpSession | undefined {
    const state = id === undefined ? undefined : this.sessions.get(id);
    if (!state || state.session.profile !== profile || state.principal !== principal) return undefined;
    return state;
  }

  private open(profile: string, principal: string): HttpSession {
    const id = randomBytes(16).toString('hex');
    const state = {} as HttpSession;
    state.principal = principal;
    state.byRequest = new Map();
    state.byStreamId = new Map();
    state.lastActive = Date.now();
    state.nextStream = 0;
    state.session = this.opts.createSession(
      profile,
      'streamable-http',
      (m, related) => this.route(state, m, related),
      id,
      (requestId) => {
        // Cancelled by the client: no response will come; end its stream.
        const stream = state.byRequest.get(requestId);
        state.byRequest.delete(requestId);
        if (stream?.abandon(requestId)) state.byStreamId.delete(stream.id);
      },
    );
    // Nothing is sent before initialize is answered, so the session can come first.
    state.standalone = new ResponseStream({
      id: `${id.slice(0, 8)}g`,
      standalone: true,
      canSse: true,
      buffer: state.session.buffer,
    });
    state.byStreamId.set(state.standalone.id, state.standalone);
    this.sessions.set(state.session.id, state);
    state.session.onClose(() => this.end(state));
    return state;
  }

  private handleRequest(
    state: HttpSession,
    req: IncomingMessage,
    res: ServerResponse,
    message: JsonRpcMessage & { id: RequestId },
    headers: Record<string, string>,
  ): void {
    if (state.byRequest.has(message.id)) {
      return sendRpcError(res, 400, RpcCode.InvalidRequest, idInUse(message.id), message.id);
    }
    const canSse = (header(req, 'accept') ?? '').includes('text/event-stream');
    const stream = new ResponseStream({
      id: `${state.session.id.slice(0, 8)}r${++state.nextStream}`,
      res,
      standalone: false,
      canSse,
      headers,
      buffer: state.session.buffer,
    });
    state.byRequest.set(message.id, stream);
    state.byStreamId.set(stream.id, stream);
    stream.onDone = () => state.byStreamId.delete(stream.id);
    this.limitResumable(state);
    state.session.receive(message, { headers: headerList(req) });
  }

  /** Puts a session's outgoing message on the right stream. */
  private route(state: HttpSession, message: JsonRpcMessage, related: RequestId | undefined): void {
    if (related !== undefined) {
      const stream = state.byRequest.get(related);
      if (stream) {
        const final = isResponse(message) && message.id === related;
        if (final) {
          state.byRequest.delete(related);
          stream.write(message, true);
          return;
        }
        if (stream.acceptsIntermediate()) {
          stream.write(message, false);
          return;
        }
      }
    }
    state.standalone.write(message, false);
  }

  /** Bounded memory: drop the oldest streams nobody is connected to beyond the cap. */
  private limitResumable(state: HttpSession): void {
    if (state.byStreamId.size <= MAX_RESUMABLE_STREAMS) return;
    for (const [id, stream] of state.byStreamId) {
      if (state.byStreamId.size <= MAX_RESUMABLE_STREAMS) break;
      if (stream === state.standalone || stream.connected) continue;
      state.byStreamId.delete(id);
      stream.discard();
      for (const [requestId, s] of state.byRequest) if (s === stream) state.byRequest.delete(requestId);
    }
  }

  private end(state: HttpSession, why?: string): void {
    if (!this.sessions.delete(state.session.id)) return;
    for (const stream of state.byStreamId.values()) stream.close();
    state.session.close(why);
  }

  private sweep(force = false): void {
    const now = Date.now();
    const oldestFirst = [...this.sessions.values()].sort((a, b) => a.lastActive - b.lastActive);
    for (const state of oldestFirst) {
      const idle = now - state.lastActive > this.opts.idleTimeoutMs;
      const busy = state.byRequest.size > 0 || state.standalone.connected;
      if (idle && !busy) {
        const minutes = Math.round(this.opts.idleTimeoutMs / 60_000);
        this.end(state, `the session was idle for ${minutes} minutes`);
      } else if (force && !busy && this.sessions.size >= this.opts.maxSessions) {
        this.reportEviction(state);
        this.end(state, `${this.opts.maxSessions} HTTP sessions were open (the most Switchboard keeps)`);
      }
    }
  }

  /** A session ended to make room: the first of a run is logged by name, the rest counted every 10 s. */
  private reportEviction(state: HttpSession): void {
    const log = this.opts.log;
    if (!log) return;
    const room = `${this.opts.maxSessions} HTTP sessions are open (the most Switchboard keeps)`;
    if (this.evicted.timer) {
      this.evicted.count++;
      return;
    }
    log(`${state.session.describe()} ended: ${room}, and it had been idle longest; it must initialize again`);
    this.evicted.timer = setTimeout(() => {
      const count = this.evicted.count;
      this.evicted = { count: 0 };
      if (count > 0) log(`${count} more idle HTTP session${count === 1 ? '' : 's'} ended in the last 10 s: ${room}`);
    }, 10_000).unref();
  }
}

/** The request's headers in order, as JSON handler backends receive them. */
export function headerList(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) out.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return out;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
