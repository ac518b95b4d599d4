/**
 * A session over a byte stream carrying one JSON-RPC message per line: `serve --stdio` and
 * shim connections on the local socket. Bad lines get a JSON-RPC error and the session lives on.
 */
import type { Readable, Writable } from 'node:stream';
import { LineDecoder, encodeLine } from '../protocol/framing.ts';
import { RpcCode } from '../protocol/errors.ts';
import { NOT_UTF8 } from '../protocol/refusals.ts';
import {
  failure,
  isNotification,
  isRequest,
  isResponse,
  parseClientMessage,
  type JsonRpcMessage,
  type Params,
  type RequestId,
} from '../protocol/jsonrpc.ts';
import { BatchAnswers, batchRefusal, readBatch } from './batch.ts';
import { Outbox } from './outbox.ts';
import { isStatelessRequest, type StatelessDispatcher } from './stateless.ts';
import { ID_IN_HEAD, idInUse } from '../../shared/request-ids.ts';
import { idFromText } from '../../shared/exact-numbers.ts';
import { tooManyRequests, type SendFn, type Session, type TransportKind } from './session.ts';

export interface LineSessionOptions {
  /** Serves requests from 2026-07-28 clients (version in `_meta`, no initialize). */
  stateless?: { dispatcher: StatelessDispatcher; profile: string };
  input: Readable;
  output: Writable;
  /** Bytes already read past a handshake (the shim's hello). */
  head?: Buffer;
  maxMessageBytes: number;
  /** Stateless calls one connection may have unanswered (limits.maxRequestsInFlight). */
  maxRequestsInFlight: number;
  transport: TransportKind;
  createSession: (send: SendFn) => Session;
  /**
   * When the input ends, how long answers still owed may take before the session closes (stdio:
   * the client may read on after closing its stdin). Default 0: it closes at once.
   */
  drainMs?: number;
}

export function attachLineSession(opts: LineSessionOptions): Session {
  const { input, output } = opts;
  // Created right after the session, which sends nothing before the client's first request.
  const out: { box?: Outbox } = {};
  /** Set once the input ended while answers were still owed: the session closes when they are out. */
  let draining: NodeJS.Timeout | undefined;
  const answered = () => {
    if (draining) setImmediate(closeIfDrained);
  };
  const write = (m: JsonRpcMessage) => {
    out.box?.send(encodeLine(m), isNotification(m));
    if (isResponse(m)) answered();
  };
  // Requests of 2025-03-26 batches still unanswered: their answers go out together, as one line.
  const batches = new Map<RequestId, BatchAnswers>();
  const answerBatch = (id: RequestId, settle: (batch: BatchAnswers) => boolean): boolean => {
    const batch = batches.get(id);
    if (!batch?.awaits(id)) return false;
    batches.delete(id);
    if (settle(batch) && batch.answers.length > 0) out.box?.send(batch.json() + '\n', false);
    answered();
    return true;
  };
  const session = opts.createSession((m) => {
    if (batches.size > 0 && isResponse(m) && answerBatch(m.id as RequestId, (b) => b.take(m))) return;
    write(m);
  });
  const outbox = (out.box = new Outbox(output, session.buffer));
  // Stateless calls in flight, by the client's id, so notifications/cancelled can reach them.
  const statelessCalls = new Map<RequestId, (reason: string, sent?: Params) => void>();
  // Those that are subscriptions/listen streams: they owe no answer when the input ends.
  const listens = new Set<RequestId>();
  const receive = (message: JsonRpcMessage) => {
    if (batches.size > 0 && isNotification(message) && message.method === 'notifications/cancelled') {
      // A cancelled request is never answered: its batch goes out without it.
      const id = message.params?.requestId as RequestId | undefined;
      if (id !== undefined) answerBatch(id, (b) => b.drop(id));
    } else if (batches.size > 0 && isRequest(message) && batches.has(message.id)) {
      return write(failure(message.id, { code: RpcCode.InvalidRequest, message: idInUse(message.id) }));
    }
    const stateless = opts.stateless;
    if (stateless && !session.initialized && isRequest(message) && isStatelessRequest(message)) {
      if (statelessCalls.has(message.id)) {
        return write(failure(message.id, { code: RpcCode.InvalidRequest, message: idInUse(message.id) }));
      }
      if (statelessCalls.size >= opts.maxRequestsInFlight) {
        const text = tooManyRequests(opts.maxRequestsInFlight);
        return write(failure(message.id, { code: RpcCode.TooManyRequests, message: text }));
      }
      let answered = false;
      let cancelled = false;
      const cancel = stateless.dispatcher.handle(stateless.profile, message, {
        notify: (m) => write(m),
        respond: (m) => {
          answered = true;
          statelessCalls.delete(message.id);
          listens.delete(message.id);
          // A request the client cancelled gets no answer (the spec: its receiver does not send one).
          if (!cancelled) write(m);
        },
      });
      // One answered at once (server/discover, a refusal) has nothing left to cancel.
      if (!answered) {
        statelessCalls.set(message.id, (reason, sent) => {
          cancelled = true;
          cancel(reason, sent);
        });
        if (message.method === 'subscriptions/listen') listens.add(message.id);
      }
      return;
    }
    if (statelessCalls.size && isNotification(message) && message.method === 'notifications/cancelled') {
      const id = message.params?.requestId as RequestId | undefined;
      const cancel = id === undefined ? undefined : statelessCalls.get(id);
      if (cancel) {
        statelessCalls.delete(id!);
        listens.delete(id!);
        // The client's reason reaches the server, as a stateful session's does; the record keeps its message.
        const reason = message.params?.reason;
        cancel(
          typeof reason === 'string' && reason !== '' ? reason : 'the client cancelled the request',
          message.params,
        );
        return;
      }
    }
    session.receive(message);
  };
  const receiveBatch = (values: unknown[]) => {
    const refusal = batchRefusal(session, values.length);
    if (refusal !== undefined) return write(failure(null, { code: RpcCode.InvalidRequest, message: refusal }));
    const { requests, others, refused } = readBatch(values, (id) => batches.has(id));
    const batch = new BatchAnswers(requests, refused);
    for (const request of requests) batches.set(request.id, batch);
    if (requests.length === 0 && refused.length > 0) out.box?.send(batch.json() + '\n', false);
    for (const message of others) receive(message);
    for (const request of requests) session.receive(request);
  };
  session.onClose(() => {
    batches.clear();
    for (const cancel of statelessCalls.values()) cancel('the client disconnected');
    statelessCalls.clear();
    listens.clear();
    outbox.clear();
  });
  const decoder = new LineDecoder({
    maxLineBytes: opts.maxMessageBytes,
    onLine: (line) => {
      const parsed = parseClientMessage(line);
      if ('error' in parsed) write(parsed.error);
      else if ('batch' in parsed) receiveBatch(parsed.batch);
      else receive(parsed.message);
    },
    onOverflow: (bytes, head) => {
      const id = ID_IN_HEAD.exec(head)?.[1];
      write(
        failure(id === undefined ? null : idFromText(id), {
          code: RpcCode.MessageTooLarge,
          message: `Message of ${bytes} bytes is over the ${opts.maxMessageBytes}-byte limit (limits.maxRequestBytes)`,
        }),
      );
    },
    onNotUtf8: () => write(NOT_UTF8),
  });
  if (opts.head && opts.head.length > 0) decoder.push(opts.head);
  input.on('data', (chunk: Buffer) => decoder.push(chunk));
  const owesNothing = () => session.requestsInFlight === 0 && statelessCalls.size === listens.size;
  // Once the last answer is written (a full pipe first takes what waits for it), or time is up.
  function closeIfDrained(): void {
    if (session.closed || !owesNothing()) return;
    if (outbox.busy) return void output.once('drain', () => setImmediate(closeIfDrained));
    clearTimeout(draining);
    session.close();
  }
  const end = () => {
    if (session.closed || draining) return;
    const ms = opts.drainMs ?? 0;
    if (ms <= 0 || owesNothing()) return session.close();
    draining = setTimeout(() => session.close(), ms);
    session.onClose(() => clearTimeout(draining));
  };
  const broken = () => session.close();
  input.on('end', end);
  input.on('close', end);
  input.on('error', broken);
  output.on('error', broken);
  return session;
}
