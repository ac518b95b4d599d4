/**
 * One Streamable HTTP session for the scale benchmark. Like rpc.ts's HttpRpc (raw JSON-RPC, no
 * SDK), but it reports each answer's size on the wire and can hold the session's GET stream,
 * which needs the session id HttpRpc keeps to itself. Answers are read whole, then parsed: JSON,
 * or SSE events of which the one carrying the request's id is the answer.
 */
import http from 'node:http';
import type { Message } from './rpc.ts';

export interface Answer {
  msg: Message;
  /** Body bytes as received (SSE framing included). */
  bytes: number;
}

export class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`HTTP ${status}: ${body.slice(0, 200)}`);
    this.status = status;
  }
}

const PROTOCOL = '2025-06-18';

/** `data:` payloads of the complete SSE events in `text` (events end with a blank line). */
function sseData(text: string): string[] {
  const out: string[] = [];
  for (const event of text.replace(/\r\n?/g, '\n').split('\n\n')) {
    const data = event
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(l[5] === ' ' ? 6 : 5))
      .join('\n');
    if (data !== '') out.push(data);
  }
  return out;
}

export class Session {
  private readonly url: URL;
  private agent: http.Agent;
  private sessionId: string | undefined;
  private nextId = 0;

  /** `agent`: keep-alive for a busy client; one without keep-alive leaves an idle session no socket. */
  constructor(url: string, agent: http.Agent) {
    this.url = new URL(url);
    this.agent = agent;
  }

  /** Later requests go through `agent` (an idle session turning busy gets keep-alive). */
  useAgent(agent: http.Agent): void {
    this.agent = agent;
  }

  async initialize(timeoutMs = 10_000): Promise<void> {
    const { msg } = await this.request(
      'initialize',
      { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'bench-scale', version: '1.0.0' } },
      timeoutMs,
    );
    if (!msg.result) throw new Error(`initialize: ${JSON.stringify(msg.error)}`);
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, timeoutMs);
  }

  async request(method: string, params: Record<string, unknown>, timeoutMs = 30_000): Promise<Answer> {
    const id = this.nextId++;
    const answer = await this.post({ jsonrpc: '2.0', id, method, params }, timeoutMs);
    if (!answer) throw new Error(`${method}: no answer (202)`);
    return answer;
  }

  private headers(extra: http.OutgoingHttpHeaders = {}): http.OutgoingHttpHeaders {
    return {
      accept: 'application/json, text/event-stream',
      ...(this.sessionId ? { 'mcp-session-id': this.sessionId, 'mcp-protocol-version': PROTOCOL } : {}),
      ...extra,
    };
  }

  private post(body: Message, timeoutMs: number): Promise<Answer | undefined> {
    const payload = JSON.stringify(body);
    const headers = this.headers({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    return new Promise<Answer | undefined>((resolve, reject) => {
      const req = http.request(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const session = res.headers['mcp-session-id'];
        if (typeof session === 'string' && body.method === 'initialize') this.sessionId = session;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          const status = res.statusCode ?? 0;
          if (status === 202 && body.id === undefined) return resolve(undefined);
          if (status !== 200) return reject(new HttpStatusError(status, text));
          const sse = String(res.headers['content-type']).includes('event-stream');
          const msgs = (sse ? sseData(text) : [text]).map((d) => JSON.parse(d) as Message);
          const msg = msgs.find((m) => m.method === undefined && m.id === body.id);
          if (!msg)
            return reject(new Error(`${body.method}: no answer with id ${String(body.id)} in ${text.slice(0, 200)}`));
          resolve({ msg, bytes: raw.length });
        });
      });
      const timer = setTimeout(
        () => req.destroy(new Error(`${body.method} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }

  /**
   * Opens the session's GET stream (its own connection); `onMessage` hears every message on it.
   * Resolves once the stream is open, with a function that closes it.
   */
  openStream(onMessage: (msg: Message) => void, timeoutMs = 10_000): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.url, {
        method: 'GET',
        headers: this.headers({ accept: 'text/event-stream' }),
        agent: false,
      });
      const timer = setTimeout(() => req.destroy(new Error('GET stream: no answer')), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new HttpStatusError(res.statusCode ?? 0, 'GET stream refused'));
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk.replace(/\r\n?/g, '\n');
          const end = buffer.lastIndexOf('\n\n');
          if (end === -1) return;
          const complete = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const data of sseData(complete)) onMessage(JSON.parse(data) as Message);
        });
        res.on('error', () => undefined);
        resolve(() => req.destroy());
      });
      req.end();
    });
  }

  /** Ends the session (DELETE); errors are ignored, the gateway may be gone already. */
  close(): Promise<void> {
    if (!this.sessionId) return Promise.resolve();
    return new Promise((resolve) => {
      const req = http.request(this.url, { method: 'DELETE', headers: this.headers(), agent: this.agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.setTimeout(2000, () => req.destroy());
      req.on('error', () => resolve());
      req.end();
    });
  }
}

/** Text of a tools/call answer's first content item. */
export function textOf(msg: Message): string | undefined {
  const content = msg.result?.content as { type?: string; text?: string }[] | undefined;
  return Array.isArray(content) && content[0]?.type === 'text' ? content[0].text : undefined;
}
