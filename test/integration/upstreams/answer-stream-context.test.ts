/**
 * What a remote server sends is credited to a call only when it came on that call's answer
 * stream. The SDK reads a resumed answer stream in the call's async context; when a resumed stream
 * ends before naming a new event id (a server that polls, SEP-1699), the SDK reconnects with a
 * plain GET in that same context, which is the session's own stream. What arrives on it belongs to
 * no call. A real server on 127.0.0.1 and the real channel.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHttpChannel } from '../../../main/engine/upstreams/mcp-http/channel.ts';
import type { JsonRpcMessage, RequestId } from '../../../main/engine/protocol/jsonrpc.ts';
import { waitFor } from '../../helpers/gateway.ts';

describe("a stream the SDK opens in a call's context after losing its event id", () => {
  const gets: string[] = [];
  const sessionStreams: http.ServerResponse[] = [];
  let server: http.Server;
  let url: URL;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const sse = () => res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 's1' });
        if (req.method === 'GET') {
          const last = req.headers['last-event-id'];
          gets.push(typeof last === 'string' ? last : '(none)');
          sse();
          res.write(': open\n\n');
          // The call's resumed stream closes again before any new event: the SDK loses the id.
          if (last === 'p1') return void res.end();
          sessionStreams.push(res);
          return;
        }
        if (req.method === 'DELETE') return void res.writeHead(200).end();
        const message = JSON.parse(body) as { id?: RequestId; method?: string };
        if (message.method === 'initialize') {
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' });
          const result = {
            protocolVersion: '2025-06-18',
            capabilities: {},
            serverInfo: { name: 'poll', version: '1' },
          };
          return void res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
        }
        if (message.id === undefined) return void res.writeHead(202).end();
        // The call: a priming event, then the stream ends (the client is to poll for the answer).
        sse();
        res.end('id: p1\nretry: 100\ndata: \n\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });
  afterAll(() => {
    for (const s of sessionStreams) s.end();
    server.closeAllConnections();
    server.close();
  });

  it('carries what the server sends outside any call, credited to no call', async () => {
    const heard: { method?: string; answering?: RequestId }[] = [];
    const logs: string[] = [];
    const channel = await openHttpChannel({
      name: 'poll',
      url,
      headers: {},
      mode: 'streamable-http',
      startupTimeoutMs: 5000,
      maxMessageBytes: 1_000_000,
      handlers: {
        onMessage: (m: JsonRpcMessage, answering?: RequestId) =>
          heard.push({
            ...('method' in m ? { method: m.method } : {}),
            ...(answering === undefined ? {} : { answering }),
          }),
        onClose: () => undefined,
      },
      onInitialized: () => undefined,
      onAbandoned: () => undefined,
      log: (line) => logs.push(line),
    });
    try {
      const clientInfo = { name: 'test', version: '1' };
      channel.send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo },
      });
      await waitFor(() => heard.length > 0, 5000, 'the initialize answer');
      channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      channel.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow', arguments: {} } });
      // The session stream, the call's resume (p1), then the plain GET the SDK makes in the call's context.
      await waitFor(() => gets.length >= 3 && sessionStreams.length >= 2, 10_000, 'the plain GET');
      expect(gets.slice(0, 3)).toEqual(['(none)', 'p1', '(none)']);
      const line = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'outside' } };
      sessionStreams.at(-1)!.write(`event: message\ndata: ${JSON.stringify(line)}\n\n`);
      const logged = await waitFor(() => heard.find((m) => m.method === 'notifications/message'), 5000, 'the line');
      expect(logged).toEqual({ method: 'notifications/message' });
    } finally {
      await channel.close();
    }
  });
});
