/**
 * Where HTTP output goes. Each client request (POST) gets a response stream that starts
 * undecided: if its final response is the first thing to send, it is answered as plain JSON;
 * if anything comes before it (progress, an elicitation), it becomes an SSE stream. Events
 * carry ids so a client that lost a session's SSE stream can resume it with Last-Event-ID: such a
 * stream keeps its events until it ends. A stateless call's stream cannot be resumed, so it keeps
 * only what the client has not had yet.
 */
import type { ServerResponse } from 'node:http';
import { isNotification, type JsonRpcMessage, type JsonRpcResponse, type RequestId } from '../protocol/jsonrpc.ts';
import { messageJson } from '../protocol/json-text.ts';
import type { BatchAnswers } from './batch.ts';
import type { Held, SessionBuffer } from './outbox.ts';

interface StoredEvent {
  seq: number;
  /** Emptied when the session's buffer dropped the event to stay within its budget. */
  data: string;
  held: Held;
}

/**
 * Events kept for resumption: the standalone GET stream keeps recent ones; a request stream keeps its own until it
 * ends. Both count against the session's buffer (limits.maxSessionBufferBytes), which drops the oldest past it.
 */
const STANDALONE_HISTORY = 200;
const REQUEST_HISTORY = 1000;

export class ResponseStream {
  readonly id: string;
  private res?: ServerResponse;
  private mode: 'pending' | 'json' | 'sse' = 'pending';
  private seq = 0;
  /** Recent events, for a client that reconnects with Last-Event-ID, and those not yet written. */
  private events: StoredEvent[] = [];
  /** Highest sequence number written to a live connection. */
  private deliveredSeq = 0;
  /** A connection that took all it can for now: writing goes on at its 'drain'. */
  private waitingOn?: ServerResponse;
  private readonly standalone: boolean;
  /** Whether a client can come back for missed events (a session's streams); else delivered ones are let go. */
  private readonly resumable: boolean;
  private readonly canSse: boolean;
  private readonly headers: Record<string, string>;
  private readonly buffer: SessionBuffer;
  /** The stream of a JSON-RPC batch: its answers go out together, as one array, once all are in. */
  private readonly batch?: BatchAnswers;
  finished = false;
  /** Called once the final message was handed to a live connection. */
  onDone?: () => void;

  constructor(opts: {
    id: string;
    res?: ServerResponse;
    standalone: boolean;
    /** False for a stateless call: with no session, nothing can resume its stream. Default true. */
    resumable?: boolean;
    canSse: boolean;
    headers?: Record<string, string>;
    /** The session's buffer: what this stream keeps counts against it. */
    buffer: SessionBuffer;
    batch?: BatchAnswers;
  }) {
    this.id = opts.id;
    this.standalone = opts.standalone;
    this.resumable = opts.resumable ?? true;
    this.canSse = opts.canSse;
    this.headers = opts.headers ?? {};
    this.buffer = opts.buffer;
    this.batch = opts.batch;
    if (opts.res) this.attach(opts.res);
  }

  get connected(): boolean {
    return this.res !== undefined;
  }

  /** Whether a non-final message can go on this stream (a JSON-only client can't take one). */
  acceptsIntermediate(): boolean {
    return this.canSse || this.mode === 'sse';
  }

  write(message: JsonRpcMessage, final: boolean, status = 200): void {
    if (final && this.batch) {
      if (this.batch.take(message as JsonRpcResponse)) this.writeText(this.batch.json(), true, 200, false);
      return;
    }
    this.writeText(messageJson(message), final, status, isNotification(message));
  }

  private writeText(data: string, final: boolean, status: number, notification: boolean): void {
    if (this.mode === 'pending' && final && this.res && !this.standalone) {
      this.mode = 'json';
      // With a length the answer goes out in one write, not as a chunked stream.
      this.res.writeHead(status, {
        ...this.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(data)),
      });
      this.res.end(data);
      this.finish();
      return;
    }
    const event: StoredEvent = { seq: ++this.seq, data, held: undefined as unknown as Held };
    event.held = this.buffer.hold(data.length, notification, () => {
      event.data = '';
    });
    this.remember(event);
    if (final) this.finished = true;
    this.pump();
  }

  /**
   * Takes a (re)connected response: replays what the client has not seen (after `lastSeq`
   * from Last-Event-ID, else whatever was never delivered), then streams on.
   */
  attach(res: ServerResponse, lastSeq?: number): void {
    this.res = res;
    res.on('close', () => {
      if (this.res === res) this.res = undefined;
    });
    const after = lastSeq ?? this.deliveredSeq;
    if (this.standalone || lastSeq !== undefined || this.seq > after || this.finished) this.openSse();
    this.deliveredSeq = after;
    this.pump();
  }

  /**
   * The request was cancelled: no response will come. Ends the connection cleanly: as an event
   * stream with nothing in it, since a POST carrying a request must be answered with JSON or an
   * event stream (a 204 made clients fail on its missing content type). A batch's stream waits
   * for its other requests, then sends the answers it has. True when the stream is gone.
   */
  abandon(id?: RequestId): boolean {
    if (this.batch && id !== undefined) {
      if (!this.batch.drop(id)) return false;
      if (this.batch.answers.length > 0) {
        this.writeText(this.batch.json(), true, 200, false);
        return false; // onDone once the client has it
      }
    }
    this.finished = true;
    if (!this.res) {
      this.discard();
      return true;
    }
    this.openSse();
    this.res.end();
    this.finish();
    return true;
  }

  /** The session ended: a client still waiting gets an error, not an empty 200. */
  close(): void {
    this.discard();
    const res = this.res;
    this.res = undefined;
    if (!res || res.writableEnded) return;
    if (!res.headersSent && !this.standalone) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'Session ended before the request was answered' },
        }),
      );
      return;
    }
    res.end();
  }

  /** Lets go of every kept event (the stream can no longer be resumed). */
  discard(): void {
    for (const event of this.events) event.held.release();
    this.events = [];
  }

  /** Writes what the connection has not had, as far as it takes it; ends it once the final message is out. */
  private pump(): void {
    const res = this.res;
    // A connection already ending keeps what it missed for a resume.
    if (!res || res.writableEnded || res.destroyed || this.waitingOn === res) return;
    const first = this.events.length > 0 ? this.events[0]!.seq : this.seq + 1;
    let i = Math.max(0, this.deliveredSeq + 1 - first);
    for (; i < this.events.length; i++) {
      const event = this.events[i]!;
      this.deliveredSeq = event.seq;
      if (event.data === '') continue;
      this.openSse();
      const more = res.write(formatEvent(this.id, event));
      event.held.delivered();
      if (!more) {
        this.forgetDelivered(i + 1);
        this.waitingOn = res;
        res.once('drain', () => {
          if (this.waitingOn !== res) return;
          this.waitingOn = undefined;
          this.pump();
        });
        return;
      }
    }
    this.forgetDelivered(i);
    this.deliveredSeq = Math.max(this.deliveredSeq, this.seq);
    if (this.finished) {
      this.openSse();
      res.end();
      this.finish();
    }
  }

  private openSse(): void {
    if (!this.res || this.res.headersSent) return;
    this.mode = 'sse';
    this.res.writeHead(200, {
      ...this.headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
  }

  /** Lets go of the first `count` events, delivered, when nothing can ask for them again. */
  private forgetDelivered(count: number): void {
    if (this.resumable || count === 0) return;
    for (let k = 0; k < count; k++) this.events[k]!.held.release();
    this.events.splice(0, count);
  }

  private remember(event: StoredEvent): void {
    this.events.push(event);
    if (this.events.length > (this.standalone ? STANDALONE_HISTORY : REQUEST_HISTORY))
      this.events.shift()!.held.release();
  }

  private finish(): void {
    this.res = undefined;
    if (!this.standalone) this.discard();
    this.onDone?.();
  }
}

export function formatEvent(streamId: string, event: { seq: number; data: string }): string {
  return `id: ${streamId}.${event.seq}\nevent: message\ndata: ${event.data}\n\n`;
}

/** Splits a Last-Event-ID into stream id and sequence number. */
export function parseEventId(value: string | undefined): { streamId: string; seq: number } | undefined {
  if (!value) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const seq = Number(value.slice(dot + 1));
  if (!Number.isInteger(seq) || seq < 0) return undefined;
  return { streamId: value.slice(0, dot), seq };
}
