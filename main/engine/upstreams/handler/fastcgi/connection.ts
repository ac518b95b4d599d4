/**
 * One FastCGI connection (TCP or Unix socket) carrying one request at a time. Requests ask the
 * server to keep the connection (FCGI_KEEP_CONN) so the pool can reuse it. Every failure is a
 * FastcgiError with words for people; a socket error never escapes as an unhandled event.
 */
import net from 'node:net';
import {
  ProtocolStatus,
  RecordParser,
  RecordType,
  decodeEndRequest,
  encodeBeginRequest,
  encodeNameValuePairs,
  encodeRecord,
  encodeStream,
} from './records.ts';
import { notASocket, socketPermissionFacts } from '../socket-path.ts';
import { MAX_HEADER_BYTES, oversizedHeaders } from './cgi-response.ts';
import { PARTIAL_KEEP } from '../errors.ts';

export type FastcgiTarget = { host: string; port: number } | { socketPath: string };

export type FastcgiErrorKind =
  /** No connection could be made. */
  | 'connect'
  /** The server closed or reset the connection before the request ended. */
  | 'closed'
  /** Bytes that are not FastCGI, or a protocol status other than "complete". */
  | 'protocol'
  /** The reply grew past the size limit. */
  | 'too_large'
  /** Ended with a non-zero application status. */
  | 'app_status'
  | 'timeout'
  | 'busy'
  | 'cancelled';

export class FastcgiError extends Error {
  readonly kind: FastcgiErrorKind;
  /** What the server wrote to stderr (truncated), when it wrote anything. */
  readonly stderr?: string;
  /**
   * Start of stdout received before the failure: a copy of at most PARTIAL_KEEP bytes (the error travels
   * on as the `cause` of the HandlerError made from it, and all of stdout can be up to limits.maxResponseBytes).
   */
  readonly partial?: Buffer;
  /** The request could not be written at all: the server never saw it, so sending it again is safe. */
  readonly notSent?: boolean;

  constructor(
    kind: FastcgiErrorKind,
    message: string,
    extra: { stderr?: string; partial?: Buffer; cause?: unknown; notSent?: boolean } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'FastcgiError';
    this.kind = kind;
    if (extra.stderr) this.stderr = extra.stderr;
    if (extra.partial && extra.partial.length) this.partial = Buffer.from(extra.partial.subarray(0, PARTIAL_KEEP));
    if (extra.notSent) this.notSent = true;
  }
}

export function describeTarget(target: FastcgiTarget): string {
  if ('socketPath' in target) return target.socketPath;
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

const CONNECT_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the FastCGI server running?)',
  // php-fpm does not notice its socket file deleted (a cleanup of /run, a second pool on the same
  // path stopping): it runs on, and only a restart makes the file again.
  ENOENT:
    'no socket at that path (is the FastCGI server running, and listening there? A socket deleted while it ' +
    'runs stays gone until it restarts)',
  EACCES: 'permission denied on the socket',
  ENOTSOCK: 'that path is not a socket',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

const PROTOCOL_STATUS_TEXT: Record<number, string> = {
  [ProtocolStatus.CantMultiplex]: 'it cannot multiplex connections (FCGI_CANT_MPX_CONN)',
  [ProtocolStatus.Overloaded]: 'it is overloaded (FCGI_OVERLOADED)',
  [ProtocolStatus.UnknownRole]: 'it does not support the responder role (FCGI_UNKNOWN_ROLE)',
};

/** stderr kept per request: enough to show a PHP warning or stack trace. */
const STDERR_KEEP = 4096;

export interface FastcgiReply {
  stdout: Buffer;
  stderr: string;
  appStatus: number;
}

interface Pending {
  resolve(reply: FastcgiReply): void;
  reject(err: FastcgiError): void;
  /** The reply so far, in one buffer grown as it fills: its first `stdoutBytes` bytes. */
  stdout: Buffer;
  stdoutBytes: number;
  /** Its CGI headers were checked for their size (once MAX_HEADER_BYTES of output came). */
  headersChecked: boolean;
  /**
   * What whole records took on the wire, headers and padding included, by what they were: together
   * the size the limit applies to. A server can send a record per byte, empty ones without end,
   * or records that are not the reply at all (stderr, another request id's), whose contents alone
   * never reach the limit. A record not yet complete counts when it is: the parser holds at most one.
   */
  counted: Counted;
  /** Every byte that came while it was in flight, whole records of it or not. */
  wireBytes: number;
  /** The first request id other than ours (and not 0, management) that records came for. */
  foreignId?: number;
  /** Records came for more than one request id other than ours. */
  foreignIds?: boolean;
  /** The start of its stderr (at most STDERR_KEEP bytes), and how many bytes after it were left out. */
  stderr: Buffer[];
  stderrBytes: number;
  stderrDropped: number;
  maxBytes: number;
}

interface Counted {
  /** STDOUT records: the reply. */
  stdout: number;
  stderr: number;
  /** Records for request ids other than ours. */
  foreign: number;
  /** Management records (request id 0). */
  management: number;
  /** Records of ours of other types (DATA, unknown ones). */
  other: number;
}

function countedTotal(c: Counted): number {
  return c.stdout + c.stderr + c.foreign + c.management + c.other;
}

/** What came, for the error when it passed the limit. */
function describeCounted(pending: Pending): string {
  const { stdout, stderr, foreign, management, other } = pending.counted;
  const ids = pending.foreignIds
    ? `request ids other than this request's (${REQUEST_ID}), the first ${pending.foreignId}`
    : `request id ${pending.foreignId} (this request is id ${REQUEST_ID})`;
  return [
    stdout && `${stdout} bytes of its output`,
    stderr && `${stderr} bytes of stderr`,
    foreign && `${foreign} bytes of records for ${ids}`,
    management && `${management} bytes of management records (request id 0)`,
    other && `${other} bytes of records of types a reply does not use`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** The reply received so far. */
/** Keeps the start of a reply's stderr; a copy, as the record's content is a view of the socket's data. */
function keepStderr(pending: Pending, content: Buffer): void {
  const room = STDERR_KEEP - pending.stderrBytes;
  const kept = content.length <= room ? content : content.subarray(0, room);
  if (kept.length > 0) pending.stderr.push(Buffer.from(kept));
  pending.stderrBytes += kept.length;
  pending.stderrDropped += content.length - kept.length;
}

/**
 * The stderr kept, as text: decoded whole (a character can span two records), cut where a character
 * starts, and saying how much was left out (a stack trace that stops mid-line looks complete otherwise).
 */
function stderrOf(pending: Pending): string {
  const bytes = Buffer.concat(pending.stderr, pending.stderrBytes);
  if (pending.stderrDropped === 0) return bytes.toString('utf8');
  const end = bytes.length - incompleteTail(bytes);
  const left = pending.stderrDropped + bytes.length - end;
  return `${bytes.toString('utf8', 0, end)}\n[${left} more bytes of stderr not kept]`;
}

/** How many bytes at the end of `bytes` are a UTF-8 character cut short (0 to 3). */
function incompleteTail(bytes: Buffer): number {
  let continuation = 0;
  while (continuation < 3 && (bytes[bytes.length - 1 - continuation]! & 0xc0) === 0x80) continuation++;
  const lead = bytes[bytes.length - 1 - continuation];
  if (lead === undefined || lead < 0xc0) return 0;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return length > continuation + 1 ? continuation + 1 : 0;
}

function stdoutOf(pending: Pending): Buffer {
  return pending.stdout.subarray(0, pending.stdoutBytes);
}

/** Adds a record's content to the reply, doubling the buffer when it is full (never past the limit). */
function appendStdout(pending: Pending, content: Buffer): void {
  const needed = pending.stdoutBytes + content.length;
  if (needed > pending.stdout.length) {
    const grown = Buffer.allocUnsafe(Math.min(pending.maxBytes, Math.max(needed, pending.stdout.length * 2, 4096)));
    pending.stdout.copy(grown, 0, 0, pending.stdoutBytes);
    pending.stdout = grown;
  }
  content.copy(pending.stdout, pending.stdoutBytes);
  pending.stdoutBytes = needed;
}

/** Every request is id 1: a connection carries one at a time. */
export const REQUEST_ID = 1;

/** How a connection ended, so the pool can learn whether the server keeps connections open. */
export interface CloseInfo {
  /** The server closed it (not us). */
  byServer: boolean;
  /** Time from the end of the last reply to the close, when it was idle. */
  msAfterReply?: number;
}

export class FastcgiConnection {
  readonly target: FastcgiTarget;
  private readonly socket: net.Socket;
  private readonly parser = new RecordParser();
  private pending?: Pending;
  private closed = false;
  private destroyedByUs = false;
  private lastReplyAt?: number;
  private closeInfo: CloseInfo = { byServer: false };
  private closeListeners: ((info: CloseInfo) => void)[] = [];
  /** Requests completed on this connection (a reused one has served at least one). */
  served = 0;

  private constructor(target: FastcgiTarget, socket: net.Socket) {
    this.target = target;
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.onClose(err));
    socket.on('close', () => this.onClose());
    socket.on('end', () => this.onClose());
  }

  /** Connects; rejects with a FastcgiError('connect') naming the cause. */
  static connect(target: FastcgiTarget, timeoutMs: number): Promise<FastcgiConnection> {
    return new Promise((resolve, reject) => {
      const socket =
        'socketPath' in target
          ? net.connect({ path: target.socketPath })
          : net.connect({ host: target.host, port: target.port });
      const fail = (err: NodeJS.ErrnoException | undefined, text?: string): void => {
        clearTimeout(timer);
        socket.destroy();
        const code = err?.code;
        const notSocket = code === 'ECONNREFUSED' && 'socketPath' in target ? notASocket(target.socketPath) : undefined;
        const denied =
          code === 'EACCES' && 'socketPath' in target ? socketPermissionFacts(target.socketPath) : undefined;
        const why =
          text ??
          notSocket ??
          (denied &&
            (denied.folder
              ? `permission denied: ${denied.facts}`
              : `permission denied on the socket: ${denied.facts}; who may connect is what php-fpm's ` +
                'listen.owner, listen.group and listen.mode (in the pool) make it')) ??
          (code ? (CONNECT_TEXT[code] ?? `${err.message}`) : (err?.message ?? 'connection failed'));
        reject(
          new FastcgiError('connect', `cannot connect to FastCGI server ${describeTarget(target)}: ${why}`, {
            cause: err,
          }),
        );
      };
      const timer = setTimeout(() => fail(undefined, `connection timed out after ${timeoutMs} ms`), timeoutMs);
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(new FastcgiConnection(target, socket));
      });
    });
  }

  /** Open, idle and not half-closed: safe to send the next request on. */
  get reusable(): boolean {
    return (
      !this.closed && !this.pending && !this.socket.destroyed && this.socket.writable && !this.socket.readableEnded
    );
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /**
   * What came so far for the request in progress, for a timeout's message: its bytes (whole records
   * or not, ours or not), and the request id of records that were for another request.
   */
  get received(): { bytes: number; foreignId?: number } {
    if (!this.pending) return { bytes: 0 };
    const { wireBytes: bytes, foreignId } = this.pending;
    return foreignId === undefined ? { bytes } : { bytes, foreignId };
  }

  /** Called once when the connection ends for any reason (the pool drops it). */
  onClosed(listener: (info: CloseInfo) => void): void {
    if (this.closed) listener(this.closeInfo);
    else this.closeListeners.push(listener);
  }

  /**
   * Sends one responder request and resolves when the server ends it. `keepConn` asks the
   * server to leave the connection open afterwards (FCGI_KEEP_CONN).
   */
  request(
    params: Iterable<readonly [string, string]>,
    body: Buffer,
    maxBytes: number,
    keepConn = true,
  ): Promise<FastcgiReply> {
    if (this.pending)
      return Promise.reject(
        new FastcgiError('protocol', 'internal: a FastCGI connection was given two requests at once'),
      );
    if (!this.reusable)
      return Promise.reject(
        new FastcgiError(
          'closed',
          `FastCGI server ${describeTarget(this.target)} closed the connection before the request was sent`,
        ),
      );
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve,
        reject,
        stdout: Buffer.alloc(0),
        stdoutBytes: 0,
        headersChecked: false,
        counted: { stdout: 0, stderr: 0, foreign: 0, management: 0, other: 0 },
        wireBytes: 0,
        stderr: [],
        stderrBytes: 0,
        stderrDropped: 0,
        maxBytes,
      };
      const records = [
        encodeBeginRequest(REQUEST_ID, keepConn),
        ...encodeStream(RecordType.Params, REQUEST_ID, encodeNameValuePairs(params)),
        ...encodeStream(RecordType.Stdin, REQUEST_ID, body),
      ];
      this.socket.write(Buffer.concat(records));
    });
  }

  /**
   * Ends the connection, failing a request in flight with `reason`. Asks the server to abort
   * the request first, so a slow script stops instead of running on for nobody.
   */
  destroy(reason?: FastcgiError): void {
    if (!this.closed) this.destroyedByUs = true;
    if (this.pending && reason && !this.socket.destroyed) {
      try {
        this.socket.write(encodeRecord(RecordType.AbortRequest, REQUEST_ID));
      } catch {
        // Already gone: destroying is all that is left.
      }
    }
    const pending = this.pending;
    this.pending = undefined;
    if (pending && reason) pending.reject(this.withOutput(reason, pending));
    this.socket.destroy();
    this.onClose();
  }

  private onData(chunk: Buffer): void {
    const pending = this.pending;
    if (!pending) {
      // Bytes nobody asked for: the connection is no longer in a known state.
      this.destroy();
      return;
    }
    pending.wireBytes += chunk.length;
    let records;
    try {
      records = this.parser.push(chunk);
    } catch (err) {
      this.fail(
        new FastcgiError(
          'protocol',
          `FastCGI server ${describeTarget(this.target)} sent bytes that are not FastCGI: ${(err as Error).message}`,
        ),
      );
      return;
    }
    for (const record of records) {
      const { counted } = pending;
      // Every record counts toward the limit, ours or not: a server sending only others' records,
      // or stderr, without end, would otherwise keep the gateway reading until the timeout. Only
      // our END_REQUEST does not: there is one, and it ends the request.
      if (record.requestId === 0) counted.management += record.size;
      else if (record.requestId !== REQUEST_ID) {
        counted.foreign += record.size;
        if (pending.foreignId !== undefined && record.requestId !== pending.foreignId) pending.foreignIds = true;
        pending.foreignId ??= record.requestId;
      } else if (record.type === RecordType.Stdout) counted.stdout += record.size;
      else if (record.type === RecordType.Stderr) counted.stderr += record.size;
      else if (record.type !== RecordType.EndRequest) counted.other += record.size;
      if (countedTotal(counted) > pending.maxBytes) {
        const target = describeTarget(this.target);
        this.fail(
          new FastcgiError(
            'too_large',
            countedTotal(counted) === counted.stdout
              ? `the reply from FastCGI server ${target} is larger than ${pending.maxBytes} bytes ` +
                  '(limits.maxResponseBytes)'
              : `FastCGI server ${target} sent more than ${pending.maxBytes} bytes for one request ` +
                  `(limits.maxResponseBytes): ${describeCounted(pending)}`,
          ),
        );
        return;
      }
      if (record.requestId !== REQUEST_ID) continue;
      if (record.type === RecordType.Stdout) {
        appendStdout(pending, record.content);
        // Checked as the output comes: headers without end would otherwise be read up to the size limit.
        if (!pending.headersChecked && pending.stdoutBytes >= MAX_HEADER_BYTES) {
          pending.headersChecked = true;
          const why = oversizedHeaders(stdoutOf(pending));
          if (why) {
            this.fail(new FastcgiError('protocol', `FastCGI server ${describeTarget(this.target)} ${why}`));
            return;
          }
        }
      } else if (record.type === RecordType.Stderr) {
        keepStderr(pending, record.content);
      } else if (record.type === RecordType.EndRequest) {
        this.finish(pending, record.content);
        // Bytes after the end, as for bytes nobody asked for: the next reply would be read with them.
        if (record !== records.at(-1) || this.parser.pending() > 0) this.destroy();
        return;
      }
    }
  }

  private finish(pending: Pending, content: Buffer): void {
    this.pending = undefined;
    let end;
    try {
      end = decodeEndRequest(content);
    } catch (err) {
      pending.reject(
        this.withOutput(
          new FastcgiError(
            'protocol',
            `FastCGI server ${describeTarget(this.target)} sent a malformed END_REQUEST: ${(err as Error).message}`,
          ),
          pending,
        ),
      );
      this.destroy();
      return;
    }
    if (end.protocolStatus !== ProtocolStatus.RequestComplete) {
      const why = PROTOCOL_STATUS_TEXT[end.protocolStatus] ?? `protocol status ${end.protocolStatus}`;
      pending.reject(
        this.withOutput(
          new FastcgiError('protocol', `FastCGI server ${describeTarget(this.target)} refused the request: ${why}`),
          pending,
        ),
      );
      this.destroy();
      return;
    }
    this.served++;
    this.lastReplyAt = Date.now();
    const stdout = stdoutOf(pending);
    if (end.appStatus !== 0) {
      const stderr = stderrOf(pending).trim();
      pending.reject(
        this.withOutput(
          new FastcgiError(
            'app_status',
            `the script ended with status ${end.appStatus}${stderr ? `: ${firstLine(stderr)}` : ''}`,
          ),
          pending,
        ),
      );
      return;
    }
    pending.resolve({ stdout, stderr: stderrOf(pending), appStatus: end.appStatus });
  }

  private fail(err: FastcgiError): void {
    this.destroyedByUs = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) pending.reject(this.withOutput(err, pending));
    this.socket.destroy();
    this.onClose();
  }

  private onClose(err?: NodeJS.ErrnoException): void {
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      // A write refused because the server had already gone: it never saw the request.
      const notSent = pending.stdoutBytes === 0 && pending.stderrBytes === 0 && err?.syscall === 'write';
      const how =
        err?.code === 'ECONNRESET'
          ? 'reset the connection'
          : notSent
            ? 'had closed the connection when the request was sent'
            : 'closed the connection';
      const when = notSent
        ? ''
        : pending.stdoutBytes > 0
          ? ` mid-reply (after ${pending.stdoutBytes} bytes of output)`
          : ' before replying';
      pending.reject(
        this.withOutput(
          new FastcgiError('closed', `FastCGI server ${describeTarget(this.target)} ${how}${when}`, {
            cause: err,
            notSent,
          }),
          pending,
        ),
      );
    } else if (!this.closed && !this.destroyedByUs) {
      this.closeInfo = {
        byServer: true,
        ...(this.lastReplyAt !== undefined ? { msAfterReply: Date.now() - this.lastReplyAt } : {}),
      };
    }
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const listener of this.closeListeners.splice(0)) listener(this.closeInfo);
  }

  private withOutput(err: FastcgiError, pending: Pending): FastcgiError {
    if (err.stderr || err.partial) return err;
    const extra: { stderr?: string; partial?: Buffer; cause?: unknown; notSent?: boolean } = {
      cause: err.cause,
      ...(err.notSent ? { notSent: true } : {}),
    };
    if (pending.stderrBytes) extra.stderr = stderrOf(pending);
    if (pending.stdoutBytes) extra.partial = stdoutOf(pending);
    return new FastcgiError(err.kind, err.message, extra);
  }
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
