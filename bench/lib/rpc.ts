/**
 * The lean load client: raw JSON-RPC, no SDK. Over stdio it writes newline-delimited JSON to a
 * child's stdin and splits its stdout; over HTTP it POSTs with node:http (keep-alive) and parses
 * SSE only when the answer is an event stream. Progress notifications are routed to the call
 * that owns their token; anything that cannot be routed is counted, never dropped silently.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { lineSplitter } from './lines.ts';

export type Id = string | number;

export interface Message {
  jsonrpc?: string;
  id?: Id | null;
  method?: string;
  params?: Record<string, unknown> & { progressToken?: Id; progress?: number };
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Called for each notifications/progress whose token is params._meta.progressToken. */
  onProgress?: (msg: Message) => void;
}

/** What the client saw that belongs to no call: the evidence of misrouting. */
export interface Strays {
  /** Responses whose id matches no call in flight. */
  responses: number;
  /** Progress notifications for no token in flight (late: after their result, or unknown). */
  progress: number;
  /** Other notifications and server requests (counted, not checked). */
  other: number;
}

export interface RpcClient {
  readonly transport: 'stdio' | 'http';
  request(method: string, params: Record<string, unknown>, opts?: RequestOptions): Promise<Message>;
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  /** Restart the id sequence (two clients with the same ids in flight test the router). */
  resetIds(next: number): void;
  readonly strays: Strays;
  close(): Promise<void>;
}

export class RpcTimeout extends Error {}

const DEFAULT_TIMEOUT_MS = 30_000;

interface Pending {
  resolve: (msg: Message) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  token: Id | undefined;
}

function tokenOf(params: Record<string, unknown>): Id | undefined {
  const meta = params._meta as { progressToken?: Id } | undefined;
  return meta?.progressToken;
}

/** JSON-RPC over a child's stdio (the child is a server, a relay, a shim or a gateway). */
export class StdioRpc implements RpcClient {
  readonly transport = 'stdio' as const;
  readonly strays: Strays = { responses: 0, progress: 0, other: 0 };
  private nextId = 0;
  private readonly pending = new Map<Id, Pending>();
  private readonly progress = new Map<Id, (msg: Message) => void>();
  private closed: Error | undefined;
  private readonly child: ChildProcess;

  constructor(child: ChildProcess) {
    this.child = child;
    if (!child.stdin || !child.stdout) throw new Error('StdioRpc needs piped stdin and stdout');
    child.stdout.on(
      'data',
      lineSplitter((line) => this.onLine(line)),
    );
    child.stdin.on('error', () => undefined);
    child.once('exit', (code, signal) => this.fail(new Error(`process exited (${signal ?? code})`)));
  }

  resetIds(next: number): void {
    this.nextId = next;
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const msg = JSON.parse(line) as Message;
    if (msg.method !== undefined) {
      if (msg.method === 'notifications/progress') {
        const route = msg.params?.progressToken === undefined ? undefined : this.progress.get(msg.params.progressToken);
        if (route) route(msg);
        else this.strays.progress++;
      } else {
        this.strays.other++;
        // A server request we do not serve (ping, roots): answer so nothing waits on us.
        if (msg.id !== undefined && msg.id !== null)
          this.write({
            jsonrpc: '2.0',
            id: msg.id,
            ...(msg.method === 'ping'
              ? { result: {} }
              : { error: { code: -32601, message: 'not supported by the bench client' } }),
          });
      }
      return;
    }
    const waiting = msg.id === undefined || msg.id === null ? undefined : this.pending.get(msg.id);
    if (!waiting) {
      this.strays.responses++;
      return;
    }
    this.pending.delete(msg.id as Id);
    if (waiting.token !== undefined) this.progress.delete(waiting.token);
    clearTimeout(waiting.timer);
    waiting.resolve(msg);
  }

  private write(msg: Message): void {
    this.child.stdin!.write(JSON.stringify(msg) + '\n');
  }

  request(method: string, params: Record<string, unknown>, opts: RequestOptions = {}): Promise<Message> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    const token = tokenOf(params);
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        if (token !== undefined) this.progress.delete(token);
        reject(new RpcTimeout(`${method} timed out`));
      }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer, token });
      if (token !== undefined && opts.onProgress) this.progress.set(token, opts.onProgress);
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    this.write({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  }

  private fail(err: Error): void {
    this.closed ??= err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.fail(new Error('closed'));
    this.child.stdin?.end();
  }
}

export class HttpError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, status: number | undefined, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Streamable HTTP: one POST per message; JSON or SSE answers; the session id from initialize. */
export class HttpRpc implements RpcClient {
  readonly transport = 'http' as const;
  readonly strays: Strays = { responses: 0, progress: 0, other: 0 };
  private nextId = 0;
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly target: URL;

  constructor(url: string) {
    this.target = new URL(url);
  }

  resetIds(next: number): void {
    this.nextId = next;
  }

  async request(method: string, params: Record<string, unknown>, opts: RequestOptions = {}): Promise<Message> {
    const id = this.nextId++;
    const msg = await this.post({ jsonrpc: '2.0', id, method, params }, id, opts);
    if (!msg) throw new HttpError(`${method}: no response`, 202);
    if (method === 'initialize' && msg.result && typeof msg.result.protocolVersion === 'string')
      this.protocolVersion = msg.result.protocolVersion;
    return msg;
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    await this.post({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }, undefined, {});
  }

  private post(body: Message, id: Id | undefined, opts: RequestOptions): Promise<Message | undefined> {
    const payload = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'content-length': Buffer.byteLength(payload),
    };
    if (this.sessionId) headers['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion) headers['mcp-protocol-version'] = this.protocolVersion;
    const token = body.params ? tokenOf(body.params) : undefined;
    return new Promise<Message | undefined>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, msg?: Message) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(msg);
      };
      const req = http.request(
        {
          host: this.target.hostname,
          port: this.target.port,
          path: this.target.pathname + this.target.search,
          method: 'POST',
          headers,
          agent: this.agent,
        },
        (res) => {
          const session = res.headers['mcp-session-id'];
          if (typeof session === 'string' && body.method === 'initialize') this.sessionId = session;
          const status = res.statusCode ?? 0;
          const type = String(res.headers['content-type'] ?? '');
          if (status === 202 || (status === 200 && id === undefined && !type.includes('event-stream'))) {
            res.resume();
            res.on('end', () => finish(undefined, undefined));
            return;
          }
          if (status !== 200 || (!type.includes('application/json') && !type.includes('event-stream'))) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.length < 4 && chunks.push(c));
            res.on('end', () =>
              finish(
                new HttpError(
                  `HTTP ${status} ${type}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`,
                  status,
                ),
              ),
            );
            return;
          }
          if (type.includes('application/json')) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Message;
              if (msg.id !== id) {
                this.strays.responses++;
                finish(
                  new HttpError(
                    `response id ${JSON.stringify(msg.id)} for request ${JSON.stringify(id)}`,
                    status,
                    'misrouted',
                  ),
                );
              } else finish(undefined, msg);
            });
            return;
          }
          // SSE: events separated by a blank line; data lines joined by "\n".
          let buffer = '';
          res.setEncoding('utf8');
          const onEvent = (raw: string) => {
            let data = '';
            for (const line of raw.split('\n')) {
              if (line.startsWith('data:'))
                data += (data ? '\n' : '') + (line[5] === ' ' ? line.slice(6) : line.slice(5));
            }
            if (data === '') return;
            const msg = JSON.parse(data) as Message;
            if (msg.method !== undefined) {
              if (
                msg.method === 'notifications/progress' &&
                token !== undefined &&
                msg.params?.progressToken === token &&
                !settled &&
                opts.onProgress
              )
                opts.onProgress(msg);
              else if (msg.method === 'notifications/progress') this.strays.progress++;
              else this.strays.other++;
              return;
            }
            if (msg.id !== id) {
              this.strays.responses++;
              return;
            }
            finish(undefined, msg);
          };
          // Scan only the new text for the blank line, so a 10 MB event costs linear time.
          let scanFrom = 0;
          let lastWasCr = false;
          res.on('data', (chunk: string) => {
            if (chunk.includes('\r')) {
              if (lastWasCr && chunk[0] === '\n') chunk = chunk.slice(1);
              lastWasCr = chunk.endsWith('\r');
              chunk = chunk.replace(/\r\n?/g, '\n');
            } else lastWasCr = false;
            buffer += chunk;
            let end = buffer.indexOf('\n\n', scanFrom);
            while (end !== -1) {
              onEvent(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf('\n\n');
            }
            scanFrom = Math.max(0, buffer.length - 1);
          });
          res.on('end', () => {
            if (buffer.trim()) onEvent(buffer);
            finish(new HttpError('event stream ended without the response', status));
          });
          res.on('error', (err) => finish(err));
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish(new RpcTimeout(`${body.method ?? 'message'} timed out`));
      }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      req.on('error', (err: NodeJS.ErrnoException) => finish(new HttpError(err.message, undefined, err.code)));
      req.end(payload);
    });
  }

  async close(): Promise<void> {
    if (this.sessionId) {
      await new Promise<void>((resolve) => {
        const req = http.request(
          {
            host: this.target.hostname,
            port: this.target.port,
            path: this.target.pathname,
            method: 'DELETE',
            agent: this.agent,
            headers: {
              'mcp-session-id': this.sessionId,
              ...(this.protocolVersion ? { 'mcp-protocol-version': this.protocolVersion } : {}),
            },
            timeout: 2000,
          },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', () => resolve());
        req.on('timeout', () => req.destroy());
        req.end();
      });
    }
    this.agent.destroy();
  }
}
