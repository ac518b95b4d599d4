/**
 * A WebSocket upstream whose connection silently stops carrying anything (a NAT or load balancer
 * dropped it; here a real TCP proxy that stops forwarding): the heartbeat notices, and the upstream
 * reconnects instead of timing out every call until TCP gives up minutes later.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createMcpUpstream } from '../../../main/engine/upstreams/era.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import { waitFor } from '../../helpers/gateway.ts';

describe('a WebSocket connection that goes silent', () => {
  let wss: WebSocketServer;
  let proxy: Server;
  let silent = false;
  const sockets: Socket[] = [];
  let upstream: Upstream;

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mcp' });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) =>
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { id?: number; method: string };
        if (m.id === undefined) return;
        const result =
          m.method === 'initialize'
            ? { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'w', version: '1' } }
            : { content: [{ type: 'text', text: 'ok' }] };
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
      }),
    );
    // Forwards both ways until told to go silent (then swallows everything, as a dead path does).
    proxy = createServer((client) => {
      const server = connect((wss.address() as AddressInfo).port, '127.0.0.1');
      sockets.push(client, server);
      client.on('data', (d: Buffer) => void (silent || server.write(d)));
      server.on('data', (d: Buffer) => void (silent || client.write(d)));
      client.on('error', () => client.destroy());
      server.on('error', () => server.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    upstream = createMcpUpstream(
      {
        name: 'w',
        url: `ws://127.0.0.1:${(proxy.address() as AddressInfo).port}/`,
        headers: {},
        transport: 'websocket',
        protocol: 'stateful',
        timeoutMs: 2000,
        startupTimeoutMs: 3000,
        heartbeatMs: 300,
      },
      {
        clientInfo: { name: 'test', version: '0' },
        capabilities: {},
        backoff: { initialMs: 100, maxMs: 200, maxAttempts: 50, stableMs: 60_000 },
      },
    );
    upstream.start();
    await upstream.whenReady(5000);
  });
  afterAll(async () => {
    await upstream?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => proxy?.close(resolve));
    await new Promise((resolve) => wss?.close(resolve));
  });

  it('is ended by the heartbeat and connected again', async () => {
    silent = true;
    await waitFor(() => upstream.status().restarts >= 1, 5000, 'the silent connection ended');
    silent = false;
    await waitFor(() => upstream.status().state === 'ready', 5000, 'connected again');
    const result = await upstream.request('tools/call', { name: 'x', arguments: {} });
    expect(result).toEqual({ content: [{ type: 'text', text: 'ok' }] });
  });
});
