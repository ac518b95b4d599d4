/**
 * Errors of JSON handler upstreams. Each names the server and the cause, and keeps the raw reply
 * (truncated) so the traffic log can show what the handler actually said.
 */
import { GatewayError, type GatewayErrorCode, type JsonRpcErrorObject } from '../../protocol/errors.ts';
import { displayUrl } from '../../egress/network-errors.ts';

/** How much of a raw reply an error keeps. */
export const RAW_REPLY_KEEP = 4096;

/**
 * What a transport keeps of a reply cut short, for its error: what a HandlerError shows, and a byte
 * more so that it knows the reply was cut. Not all of it: it can be up to limits.maxResponseBytes.
 */
export const PARTIAL_KEEP = RAW_REPLY_KEEP + 1;

/** The start of a reply received in chunks: a copy of at most PARTIAL_KEEP bytes. */
export function partialReply(chunks: readonly Buffer[]): Buffer {
  const head: Buffer[] = [];
  let length = 0;
  for (const chunk of chunks) {
    if (length >= PARTIAL_KEEP) break;
    head.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(head, Math.min(length, PARTIAL_KEEP));
}

export interface HandlerErrorDetails {
  cause?: unknown;
  rpc?: JsonRpcErrorObject;
  /** The handler's reply as received (any size; truncated here). */
  raw?: Buffer | string;
  /** HTTP status, or the CGI Status of a FastCGI reply. */
  status?: number;
  /** FastCGI stderr, as the connection kept it (its start, and a note of what was left out). */
  stderr?: string;
  /** The handler is there but did not answer in time, or every connection to it was taken. */
  busy?: boolean;
  /** The wait the handler asked for (Retry-After on an error status), in ms. */
  retryAfterMs?: number;
}

export class HandlerError extends GatewayError {
  /** Start of the raw reply (at most RAW_REPLY_KEEP bytes, decoded as UTF-8), for the traffic log. */
  readonly raw?: string;
  /** True when `raw` was cut. */
  readonly rawTruncated?: boolean;
  readonly status?: number;
  readonly stderr?: string;
  readonly busy?: boolean;
  readonly retryAfterMs?: number;

  constructor(code: GatewayErrorCode, message: string, details: HandlerErrorDetails = {}) {
    const options: { cause?: unknown; rpc?: JsonRpcErrorObject } = {};
    if (details.cause !== undefined) options.cause = details.cause;
    if (details.rpc) options.rpc = details.rpc;
    super(code, message, options);
    this.name = 'HandlerError';
    if (details.raw !== undefined) {
      const { text, truncated } = truncateRaw(details.raw);
      this.raw = text;
      if (truncated) this.rawTruncated = true;
    }
    if (details.status !== undefined) this.status = details.status;
    // Kept as the FastCGI connection cut it (STDERR_KEEP bytes), with its note of what it left out.
    if (details.stderr) this.stderr = details.stderr;
    if (details.busy) this.busy = true;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }

  /**
   * What the handler said, for the traffic record: its status, the start of its reply and its stderr.
   * A whole reply that is a JSON object or array is given as JSON, so the record hides its sensitive
   * fields as it does in every payload; anything else (HTML, text, malformed or cut JSON) as text.
   */
  override recordDetail(): Readonly<Record<string, unknown>> | undefined {
    const detail: Record<string, unknown> = {};
    if (this.status !== undefined) detail.status = this.status;
    if (this.raw !== undefined) {
      detail.reply = this.rawTruncated ? this.raw : replyForRecord(this.raw);
      if (this.rawTruncated) detail.replyTruncated = true;
    }
    if (this.stderr) detail.stderr = this.stderr;
    return Object.keys(detail).length > 0 ? detail : undefined;
  }
}

/** A reply as the record shows it: a JSON object or array parsed, any other text as it is. */
function replyForRecord(text: string): unknown {
  // A byte order mark (a PHP file saved by a Windows editor echoes it first) is left out, as the reply's reader does.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!/^\s*[[{]/.test(body)) return text;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return text;
  }
}

export function truncateRaw(raw: Buffer | string): { text: string; truncated: boolean } {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  if (bytes.length <= RAW_REPLY_KEEP) return { text: bytes.toString('utf8'), truncated: false };
  return { text: bytes.subarray(0, RAW_REPLY_KEEP).toString('utf8'), truncated: true };
}

/** A reply that breaks the contract (not JSON, none of the reply kinds...). */
export function protocolError(server: string, message: string, details: HandlerErrorDetails = {}): HandlerError {
  return new HandlerError('upstream_protocol', `server "${server}": ${message}`, details);
}

/** A transport failure: unreachable, closed, timed out, an HTTP error status. */
export function transportError(
  server: string,
  code: GatewayErrorCode,
  message: string,
  details: HandlerErrorDetails = {},
): HandlerError {
  return new HandlerError(code, `server "${server}": ${message}`, details);
}

/** A short, single-line excerpt of a reply body for messages. */
export function excerpt(body: string, max = 120): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/**
 * A redirect's Location as messages show it: without query or fragment (they can carry tokens),
 * and, against the URL it answered (`base`), made absolute and without credentials.
 */
export function shownLocation(location: string, base?: URL): string {
  if (base)
    try {
      return displayUrl(new URL(location, base));
    } catch {
      // Not a URL even against the handler's: shown as written, cut like one that is a path.
    }
  return excerpt(location.split(/[?#]/, 1)[0]!, 200);
}
