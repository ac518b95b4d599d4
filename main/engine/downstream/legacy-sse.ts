/**
 * The 2024-11-05 HTTP+SSE transport, for clients that predate Streamable HTTP: GET opens an
 * event stream whose first `endpoint` event names the URL to POST messages to; every answer
 * comes back on that stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { RpcCode } from '../protocol/errors.ts';
import { isNotification } from '../protocol/jsonrpc.ts';
import { parseOneClientMessageBytes } from '../protocol/refusals.ts';
import { messageJson } from '../protocol/json-text.ts';
import { Outbox } from './outbox.ts';
import type { Session } from './session.ts';
import { sendJson, sendRpcError, type SessionFactory } from './streamable-http.ts';

export class LegacySseEndpoint {
  /** By session id; each bound to the principal (token) that opened it. */
  private readonly sessions = new Map<string, { session: Session; res: ServerResponse; principal: string }>();
  private readonly createSession: SessionFactory;

  constructor(createSession: SessionFactory) {
    this.createSession = createSession;
  }

  get size(): number {
    return this.sessions.size;
  }

  open(_req: IncomingMessage, res: ServerResponse, profile: string, postPath: string, principal: string): void {
    const id = randomBytes(16).toString('hex');
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    res.write(`event: endpoint\ndata: ${postPath}?sessionId=${id}\n\n`);
    // Created right after the session, which sends nothing before the client's first request.
    const out: { box?: Outbox } = {};
    const session = this.createSession(
      profile,
      'sse',
      (m) => out.box?.send(`event: message\ndata: ${messageJson(m)}\n\n`, isNotification(m)),
      id,
    );
    const outbox = (out.box = new Outbox(res, session.buffer));
    this.sessions.set(id, { session, res, principal });
    res.on('close', () => {
      this.sessions.delete(id);
      outbox.clear();
      session.close();
    });
    // The gateway may end the session (its profile was removed): the stream ends with it.
    session.onClose(() => res.end());
  }

  post(req: IncomingMessage, res: ServerResponse, body: Buffer, principal: string): void {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('sessionId');
    const entry = id === null ? undefined : this.sessions.get(id);
    // Another principal's session is answered like one that does not exist.
    if (!entry || entry.principal !== principal)
      return sendRpcError(res, 404, RpcCode.InvalidRequest, 'Session not found: open the SSE stream first');
    const parsed = parseOneClientMessageBytes(body);
    if ('error' in parsed) return sendJson(res, 400, parsed.error);
    entry.session.receive(parsed.message);
    res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
  }

  closeAll(why?: string): void {
    for (const { session } of [...this.sessions.values()]) session.close(why);
  }
}
