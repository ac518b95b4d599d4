/**
 * Where HTTP output goes. Each client request (POST) gets a response stream that starts
 * undecided: if its final response is the first thing to send, it is answered as plain JSON;
 * if anything comes before it (progress, an elicitation), it becomes an SSE stream. Events
 * carry ids so a client that lost an SSE stream can resume it with Last-Event-ID, and a stream
 * keeps its events only until the client has them.
 */
import type { ServerResponse } from 'node:http';
import type { JsonRpcMessage } from '../protocol/jsonrpc.ts';

interface StoredEvent {
  seq: number;
  data: string;
}

/**
 * Events kept for resumption: the standalone GET stream keeps recent ones; a request stream keeps its own until it
 * ends.
 */
const STANDALONE_HISTORY = 200;
const REQUEST_HISTORY = 1000;

export class ResponseStream {
  readonly id: string;
  private res?: ServerResponse;
  private mode: 'pending' | 'json' | 'sse' = 'pending';
  private seq = 0;
  /** Recent events, for a client that reconnects with Last-Event-ID. */
  private events: StoredEvent[] = [];
  /** Highest sequence number written to a live connection. */
  private deliveredSeq = 0;
  private readonly standalone: boolean;
  private readonly canSse: boolean;
  private readonly headers: Record<string, string>;
  finished = false;
  /** Called once the final message was handed to a live connection. */
  onDone?: () => void;

  constructor(opts: {
    id: string;
    res?: ServerResponse;
    standalone: boolean;
    canSse: boolean;
    headers?: Record<string, string>;
  }) {
    this.id = opts.id;
    this.standalone = opts.standalone;
    this.canSse = opts.canSse;
    this.headers = opts.headers ?? {};
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
    const data = JSON.stringify(message);
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
    const event: StoredEvent = { seq: ++this.seq, data };
    this.remember(event);
    if (this.res) {
      this.openSse();
      this.res.write(formatEvent(this.id, event));
      this.deliveredSeq = event.seq;
    }
    if (final) {
      this.finished = true;
      if (this.res) {
        this.res.end();
        this.finish();
      }
    }
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
    for (const e of this.events) if (e.seq > after) res.write(formatEvent(this.id, e));
    this.deliveredSeq = this.seq;
    if (this.finished) {
      res.end();
      this.finish();
    }
  }

  /** The request was cancelled: no response will come. Ends the connection cleanly. */
  abandon(): void {
    this.finished = true;
    if (!this.res) return;
    if (this.mode === 'pending') this.res.writeHead(204).end();
    else this.res.end();
    this.finish();
  }

  /** The session ended: a client still waiting gets an error, not an empty 200. */
  close(): void {
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

  private remember(event: StoredEvent): void {
    this.events.push(event);
    if (this.events.length > (this.standalone ? STANDALONE_HISTORY : REQUEST_HISTORY)) this.events.shift();
  }

  private finish(): void {
    this.res = undefined;
    if (!this.standalone) this.events = [];
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
