/**
 * Size and encoding checks on what a remote server sends, applied while the body streams in and
 * before anything parses it. A plain body (JSON, an error page) is counted and cut off past the
 * limit; an SSE stream is cut into whole events, each held to the limit on its own, so a stream
 * may run forever but no single message can be larger than limits.maxResponseBytes. An event
 * that is too large or not UTF-8 is dropped without being held (only its first and last bytes
 * are kept, to recover the id of a response and fail exactly that request).
 */
import { isUtf8 } from 'node:buffer';
import type { JsonRpcErrorObject } from '../protocol/errors.ts';
import { failure, type RequestId } from '../protocol/jsonrpc.ts';
import { looksLikeResponse, responseIdOf, responseNotUtf8, responseTooLarge } from '../protocol/refusals.ts';
import { NULL_BODY_STATUSES, rebuilt } from '../egress/response-body.ts';

/** Room for an event's `id:`/`event:` lines on top of its data, which is held to the limit itself. */
export const SSE_FIELD_ALLOWANCE = 4096;
/** How much of a dropped event's start and end is kept. */
const EDGE = 512;
const LF = 10;
const CR = 13;
const CRCR = Buffer.from('\r\r');
const EMPTY = Buffer.alloc(0);

export interface RefusedEvent {
  /** 'size': over the limit; 'utf8': not valid UTF-8. */
  reason: 'size' | 'utf8';
  /** The event's size as far as it was read. */
  bytes: number;
  head: Buffer;
  tail: Buffer;
}

/**
 * Cuts an SSE byte stream into whole events (each ends with its blank line), without decoding
 * it. Only new bytes are scanned, so an event arriving in many chunks costs one pass.
 */
export class SseEventSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private skipped = 0;
  private head: Buffer = EMPTY;
  private tail: Buffer = EMPTY;
  /** The last two bytes of the previous chunk, for a blank line split across chunks. */
  private last1 = -1;
  private last2 = -1;
  private readonly maxEventBytes: number;
  private readonly onEvent: (event: Buffer) => void;
  private readonly onRefused: (event: RefusedEvent) => void;

  constructor(maxEventBytes: number, onEvent: (event: Buffer) => void, onRefused: (event: RefusedEvent) => void) {
    this.maxEventBytes = maxEventBytes;
    this.onEvent = onEvent;
    this.onRefused = onRefused;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const end = this.boundary(chunk, start);
      if (end === -1) break;
      this.take(chunk.subarray(start, end), true);
      start = end;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), false);
    if (chunk.length >= 2) {
      this.last2 = chunk[chunk.length - 2]!;
      this.last1 = chunk[chunk.length - 1]!;
    } else if (chunk.length === 1) {
      this.last2 = this.last1;
      this.last1 = chunk[0]!;
    }
  }

  /** End of the stream: an oversized event cut off by it is still reported; returns any partial event. */
  end(): Buffer | undefined {
    if (this.skipping) {
      this.refuse('size');
      return undefined;
    }
    if (this.size === 0) return undefined;
    const rest = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return rest;
  }

  /** Index just past the next blank line at or after `from` (LF LF, LF CR LF, CR CR), or -1. */
  private boundary(chunk: Buffer, from: number): number {
    const at = (i: number): number => (i >= 0 ? chunk[i]! : i === -1 ? this.last1 : this.last2);
    let found = -1;
    for (let lf = chunk.indexOf(LF, from); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
      const p1 = at(lf - 1);
      if (p1 === LF || (p1 === CR && at(lf - 2) === LF)) {
        found = lf + 1;
        break;
      }
    }
    // Streams that end lines with a bare CR (allowed, rare): CR CR, within the chunk or across two.
    if (from === 0 && this.last1 === CR && chunk[0] === CR) return 1;
    const crcr = chunk.indexOf(CRCR, from);
    if (crcr !== -1 && (found === -1 || crcr + 2 < found)) return crcr + 2;
    return found;
  }

  private take(piece: Buffer, complete: boolean): void {
    if (this.skipping) {
      this.skipped += piece.length;
      this.tail = edge(this.tail, piece);
      if (complete) this.refuse('size');
      return;
    }
    if (this.size + piece.length > this.maxEventBytes) {
      this.skipping = true;
      this.skipped = this.size + piece.length;
      this.head = headOf([...this.parts, piece]);
      this.tail = edge(EMPTY, piece);
      this.parts = [];
      this.size = 0;
      if (complete) this.refuse('size');
      return;
    }
    if (!complete) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    const event = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece], this.size + piece.length);
    this.parts = [];
    this.size = 0;
    if (isUtf8(event)) this.onEvent(event);
    else this.onRefused({ reason: 'utf8', bytes: event.length, head: headOf([event]), tail: edge(EMPTY, event) });
  }

  private refuse(reason: 'size'): void {
    const refused: RefusedEvent = { reason, bytes: this.skipped, head: this.head, tail: this.tail };
    this.skipping = false;
    this.skipped = 0;
    this.head = EMPTY;
    this.tail = EMPTY;
    this.onRefused(refused);
  }
}

/** The first EDGE bytes of `parts` (copied: the parts themselves are let go). */
function headOf(parts: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let size = 0;
  for (const part of parts) {
    if (size >= EDGE) break;
    const piece = part.subarray(0, EDGE - size);
    out.push(piece);
    size += piece.length;
  }
  return Buffer.from(Buffer.concat(out, size));
}

/** The last EDGE bytes of `before` followed by `more` (copied). */
function edge(before: Buffer, more: Buffer): Buffer {
  if (more.length >= EDGE) return Buffer.from(more.subarray(more.length - EDGE));
  return Buffer.from(Buffer.concat([before, more]).subarray(-EDGE));
}

/** What a refused event was, read from its edges: its SSE id and type, and the ends of its data. */
export interface RefusedEventInfo {
  eventId?: string;
  type?: string;
  dataHead: string;
  dataTail: string;
}

export function describeRefused(refused: RefusedEvent): RefusedEventInfo {
  const info: RefusedEventInfo = { dataHead: '', dataTail: '' };
  const field = (line: string): boolean => {
    const m = /^(id|event|retry):\s?(.*)$/.exec(line);
    if (!m) return line.startsWith(':');
    if (m[1] === 'id') info.eventId = m[2]!;
    if (m[1] === 'event') info.type = m[2]!;
    return true;
  };
  for (const line of refused.head.toString('utf8').split(/\r\n|\r|\n/)) {
    if (line.startsWith('data:')) {
      info.dataHead = line.slice(line.startsWith('data: ') ? 6 : 5);
      break;
    }
    field(line);
  }
  const lines = refused.tail.toString('utf8').split(/\r\n|\r|\n/);
  while (lines.length > 0 && (lines[lines.length - 1] === '' || field(lines[lines.length - 1]!))) lines.pop();
  const last = lines[lines.length - 1] ?? '';
  info.dataTail = last.startsWith('data:') ? last.slice(last.startsWith('data: ') ? 6 : 5) : last;
  return info;
}

/** Who is sending, the limit, and what to do with what gets refused. */
export interface BodyGuardOptions {
  server: string;
  maxBytes: number;
  /** The request a POST carried: a refused response on its stream that names no id is its answer. */
  requestId?: RequestId;
  /** A plain body was refused: the error its request should fail with. */
  onRefused?: (error: JsonRpcErrorObject) => void;
  /** Called once, for the first SSE event with an `id:` field (the stream can then be resumed). */
  onEventId?: () => void;
  /** Dropped SSE events are logged here. */
  log(line: string): void;
}

/** The error a refused event stands for. */
export function refusedError(refused: RefusedEvent, server: string, maxBytes: number): JsonRpcErrorObject {
  return refused.reason === 'size' ? responseTooLarge(server, refused.bytes, maxBytes) : responseNotUtf8(server);
}

/**
 * The id a refused SSE event answered, when it was a response: read from its edges, else the
 * POST's own request when the event starts like a response. Logs the drop either way.
 */
export function refusedResponseId(
  refused: RefusedEvent,
  info: RefusedEventInfo,
  opts: BodyGuardOptions,
): RequestId | undefined {
  const what =
    refused.reason === 'size'
      ? `a ${refused.bytes}-byte message: over the ${opts.maxBytes}-byte limit (limits.maxResponseBytes)`
      : 'a message that is not valid UTF-8';
  opts.log(`dropped ${what}`);
  if (info.type !== undefined && info.type !== 'message') return undefined;
  const id = responseIdOf(info.dataHead, info.dataTail);
  if (id !== undefined) return id;
  return looksLikeResponse(info.dataHead) ? opts.requestId : undefined;
}

/** SSE: whole events within the limit pass; a refused response becomes an error event for its request. */
function sseGuard(opts: BodyGuardOptions): TransformStream<Uint8Array, Uint8Array> {
  let out: TransformStreamDefaultController<Uint8Array> | undefined;
  let onEventId = opts.onEventId;
  const splitter = new SseEventSplitter(
    opts.maxBytes + SSE_FIELD_ALLOWANCE,
    (event) => {
      if (onEventId && hasIdField(event)) {
        onEventId();
        onEventId = undefined;
      }
      out?.enqueue(event);
    },
    (refused) => {
      const info = describeRefused(refused);
      const id = refusedResponseId(refused, info, opts);
      if (id === undefined) return;
      const data = JSON.stringify(failure(id, refusedError(refused, opts.server, opts.maxBytes)));
      const eventId = info.eventId === undefined ? '' : `id: ${info.eventId}\n`;
      out?.enqueue(Buffer.from(`${eventId}event: message\ndata: ${data}\n\n`));
    },
  );
  return new TransformStream({
    transform(chunk, controller) {
      out = controller;
      splitter.push(asBuffer(chunk));
    },
    flush(controller) {
      out = controller;
      const rest = splitter.end();
      if (rest) controller.enqueue(rest);
    },
  });
}

const LF_ID_FIELD = Buffer.from('\nid:');
const CR_ID_FIELD = Buffer.from('\rid:');

/** Whether a whole SSE event has an `id:` line. */
function hasIdField(event: Buffer): boolean {
  const startsWithId = event[0] === 0x69 && event[1] === 0x64 && event[2] === 0x3a; // "id:"
  return startsWithId || event.includes(LF_ID_FIELD) || event.includes(CR_ID_FIELD);
}

/** A plain body: counted (and checked against its Content-Length first), cut off past the limit. */
function plainGuard(
  opts: BodyGuardOptions,
  declared: number,
  checkUtf8: boolean,
): TransformStream<Uint8Array, Uint8Array> {
  let received = 0;
  const utf8 = checkUtf8 ? new Utf8Check() : undefined;
  const refuse = (controller: TransformStreamDefaultController<Uint8Array>, error: JsonRpcErrorObject): void => {
    opts.onRefused?.(error);
    controller.error(new Error(error.message));
  };
  const tooLarge = (): JsonRpcErrorObject =>
    responseTooLarge(opts.server, Number.isFinite(declared) ? declared : undefined, opts.maxBytes);
  return new TransformStream({
    start(controller) {
      if (declared > opts.maxBytes) refuse(controller, tooLarge());
    },
    transform(chunk, controller) {
      received += chunk.length;
      if (received > opts.maxBytes) return refuse(controller, tooLarge());
      if (utf8 && !utf8.push(chunk)) return refuse(controller, responseNotUtf8(opts.server));
      controller.enqueue(chunk);
    },
    flush(controller) {
      if (utf8 && !utf8.end()) refuse(controller, responseNotUtf8(opts.server));
    },
  });
}

/** Statuses whose responses have no body (a Response with one cannot be built). */
/** `response` with its body checked as it streams in (see the module comment). */
/** The guarded response, and whether its body was already read whole (nothing left in flight). */
export interface GuardedResponse {
  response: Response;
  whole: boolean;
}

export async function guardResponse(response: Response, opts: BodyGuardOptions): Promise<GuardedResponse> {
  if (!response.body || NULL_BODY_STATUSES.has(response.status) || response.status < 200)
    return { response, whole: true };
  const type = response.headers.get('content-type') ?? '';
  if (/^\s*text\/event-stream/i.test(type))
    return { response: rebuilt(response, response.body.pipeThrough(sseGuard(opts))), whole: false };
  const declared = declaredLength(response);
  if (!(declared <= opts.maxBytes))
    return {
      response: rebuilt(response, response.body.pipeThrough(plainGuard(opts, declared, response.ok))),
      whole: false,
    };
  // The common case, a JSON answer of a declared size within the limit: read it in one go (HTTP
  // framing holds it to that size) and check it once, without a stream transform per chunk.
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.ok && !isUtf8(bytes)) {
    const error = responseNotUtf8(opts.server);
    opts.onRefused?.(error);
    const failed = new ReadableStream({ start: (controller) => controller.error(new Error(error.message)) });
    return { response: rebuilt(response, failed), whole: true };
  }
  return { response: rebuilt(response, bytes), whole: true };
}

function declaredLength(response: Response): number {
  const raw = response.headers.get('content-length');
  return raw === null ? NaN : Number(raw);
}

/** A whole plain body as text, read up to the limit; refused when larger or not UTF-8. */
export async function readBodyText(
  response: Response,
  server: string,
  maxBytes: number,
): Promise<{ text: string } | { refused: JsonRpcErrorObject }> {
  const declared = declaredLength(response);
  const body = response.body;
  if (!body) return { text: '' };
  if (declared > maxBytes) {
    await body.cancel();
    return { refused: responseTooLarge(server, declared, maxBytes) };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      return { refused: responseTooLarge(server, Number.isFinite(declared) ? declared : undefined, maxBytes) };
    }
    chunks.push(asBuffer(value));
  }
  const bytes = Buffer.concat(chunks, size);
  if (!isUtf8(bytes)) return response.ok ? { refused: responseNotUtf8(server) } : { text: bytes.toString('utf8') };
  return { text: bytes.toString('utf8') };
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Checks UTF-8 across chunk boundaries without decoding: each chunk is checked natively up to
 * the start of a character it cuts in two; that character is checked once the next chunk
 * completes it.
 */
export class Utf8Check {
  private carry: Buffer | undefined;

  push(input: Uint8Array): boolean {
    let chunk = asBuffer(input);
    if (this.carry) {
      const need = sequenceLength(this.carry[0]!) - this.carry.length;
      if (chunk.length < need) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return true;
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, need)]);
      this.carry = undefined;
      if (!isUtf8(joined)) return false;
      chunk = chunk.subarray(need);
    }
    let cut = chunk.length;
    for (let i = chunk.length - 1; i >= 0 && i >= chunk.length - 3; i--) {
      const byte = chunk[i]!;
      if ((byte & 0xc0) === 0x80) continue;
      if (byte >= 0xc0 && i + sequenceLength(byte) > chunk.length) cut = i;
      break;
    }
    if (!isUtf8(chunk.subarray(0, cut))) return false;
    if (cut < chunk.length) this.carry = Buffer.from(chunk.subarray(cut));
    return true;
  }

  /** True when the input did not end inside a character. */
  end(): boolean {
    return this.carry === undefined;
  }
}

/** Length of the UTF-8 sequence a lead byte starts; 1 for bytes that cannot lead (isUtf8 refuses those). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc2) return 2;
  return 1;
}
