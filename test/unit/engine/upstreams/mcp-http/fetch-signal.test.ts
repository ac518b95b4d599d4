/**
 * Every request the SDK sends carries its transport's one long-lived signal. observingFetch gives
 * each request a signal of its own and leaves nothing behind on the shared one once the answer is
 * read, so a busy remote server does not make each call slower than the last; aborting the shared
 * signal still stops what is in flight.
 */
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observingFetch } from '../../../../../main/engine/upstreams/mcp-http/fetch.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/stream') {
      // An SSE answer that stays open until the client goes away.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n');
      return;
    }
    const body = '{"jsonrpc":"2.0","id":1,"result":{}}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const limits = { server: 'remote', maxBytes: 1 << 20, log: () => undefined };

describe('observingFetch and the transport-wide signal', () => {
  it('leaves no listener on the shared signal once each answer is read', async () => {
    const shared = new AbortController();
    const fetchOnce = observingFetch(limits);
    for (let i = 0; i < 50; i++) {
      const response = await fetchOnce(`${base}/mcp`, { method: 'POST', body: '{}', signal: shared.signal });
      expect(await response.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('keeps one listener while a streamed answer is open, stops it when the shared signal aborts', async () => {
    const shared = new AbortController();
    const response = await observingFetch(limits)(`${base}/stream`, { method: 'GET', signal: shared.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('notifications/message');
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    shared.abort(new Error('transport closed'));
    await expect(reader.read()).rejects.toThrow();
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });
});
