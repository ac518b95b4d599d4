/**
 * Remote servers that accept the connection and then say nothing: Streamable HTTP and the
 * stateless 2026-07-28 revision that never answer `initialize` or `server/discover`, a WebSocket
 * server that never answers `initialize`, one that never completes its upgrade (silent, or a byte
 * at a time), and one that answers its handshake but never a call.
 * Each is a real server on 127.0.0.1, in this process, counting the connections it has open.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Gateway } from '../../main/engine/index.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../helpers/gateway.ts';

/** Connections a server has open now, and has accepted in all. */
interface Counted {
  open: number;
  accepted: number;
}

function counting(server: http.Server): Counted {
  const counted = { open: 0, accepted: 0 };
  server.on('connection', (socket: Socket) => {
    counted.open++;
    counted.accepted++;
    socket.once('close', () => counted.open--);
  });
  return counted;
}

const listen = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

const rpcOf = async (req: IncomingMessage): Promise<{ id?: unknown; method?: string; params?: unknown }> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method?: string };
};

/** Reads every POST and answers none: the connection stays open until the client lets it go. */
function silentHttp(): { server: http.Server; counted: Counted; asked: string[] } {
  const asked: string[] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    void rpcOf(req).then((rpc) => asked.push(String(rpc.method)));
  });
  return { server, counted: counting(server), asked };
}

interface WsRpc {
  id?: unknown;
  method?: string;
  params?: { protocolVersion?: string; name?: string; requestId?: unknown };
}

/**
 * A WebSocket server that takes the upgrade; then, if `answersHandshake`, answers `initialize`,
 * `tools/list` and the tool `quick`, but never the tool `ponder`. `cancelled`: the request ids the
 * gateway said it gave up.
 */
function silentWs(answersHandshake: boolean): { server: http.Server; counted: Counted; cancelled: unknown[] } {
  const server = http.createServer((_req, res) => void res.writeHead(426).end());
  const counted = counting(server);
  const cancelled: unknown[] = [];
  const wss = new WebSocketServer({ server, handleProtocols: () => 'mcp' });
  wss.on('connection', (socket: WebSocket) => {
    socket.on('message', (data: Buffer) => {
      const rpc = JSON.parse(data.toString('utf8')) as WsRpc;
      if (rpc.method === 'notifications/cancelled') cancelled.push(rpc.params?.requestId);
      if (!answersHandshake || rpc.id === undefined) return;
      const reply = (result: unknown) => socket.send(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, result }));
      const info = { name: 'mute', version: '1' };
      if (rpc.method === 'initialize')
        reply({ protocolVersion: rpc.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: info });
      else if (rpc.method === 'tools/list')
        reply({ tools: ['ponder', 'quick'].map((name) => ({ name, inputSchema: { type: 'object' } })) });
      else if (rpc.method === 'tools/call' && rpc.params?.name === 'quick')
        reply({ content: [{ type: 'text', text: 'quick' }] });
    });
  });
  return { server, counted, cancelled };
}

/**
 * Takes TCP connections to be a WebSocket server and never completes the upgrade: says nothing, or
 * (`dribble`) begins its 101 answer and then sends one more header byte every 100 ms, for good.
 */
function stuckUpgrade(dribble: boolean): { server: net.Server; counted: Counted } {
  const counted = { open: 0, accepted: 0 };
  const server = net.createServer((socket) => {
    counted.open++;
    counted.accepted++;
    socket.resume();
    socket.on('error', () => undefined);
    if (!dribble) return void socket.once('close', () => counted.open--);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nX-Thinking: ');
    const timer = setInterval(() => socket.write('x'), 100);
    socket.once('close', () => {
      clearInterval(timer);
      counted.open--;
    });
  });
  return { server, counted };
}

const BACKOFF = { initialMs: 50, maxMs: 200, maxAttempts: 1000, stableMs: 60_000 };

describe('remote servers that never answer their start', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const silent = {
    http: silentHttp(),
    auto: silentHttp(),
    stateless: silentHttp(),
    ws: silentWs(false),
    mute_upgrade: stuckUpgrade(false),
    slow_upgrade: stuckUpgrade(true),
  };
  const urls: Record<keyof typeof silent, string> = {
    http: '',
    auto: '',
    stateless: '',
    ws: '',
    mute_upgrade: '',
    slow_upgrade: '',
  };

  beforeAll(async () => {
    dir = await tempDir('sb-silent-');
    urls.http = `http://127.0.0.1:${await listen(silent.http.server)}/mcp`;
    urls.auto = `http://127.0.0.1:${await listen(silent.auto.server)}/mcp`;
    urls.stateless = `http://127.0.0.1:${await listen(silent.stateless.server)}/mcp`;
    urls.ws = `ws://127.0.0.1:${await listen(silent.ws.server)}/mcp`;
    urls.mute_upgrade = `ws://127.0.0.1:${await listen(silent.mute_upgrade.server)}/mcp`;
    urls.slow_upgrade = `ws://127.0.0.1:${await listen(silent.slow_upgrade.server)}/mcp`;
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        http: { url: urls.http, protocol: 'stateful', startupTimeoutMs: 600 },
        // The era probe (server/discover) first, then initialize: the start is the one given up.
        auto: { url: urls.auto, startupTimeoutMs: 600 },
        stateless: { url: urls.stateless, protocol: 'stateless', startupTimeoutMs: 600 },
        ws: { url: urls.ws, protocol: 'stateful', startupTimeoutMs: 600 },
        mute_upgrade: { url: urls.mute_upgrade, protocol: 'stateful', startupTimeoutMs: 600 },
        slow_upgrade: { url: urls.slow_upgrade, protocol: 'stateful', startupTimeoutMs: 600 },
      },
    });
    gateway = await startGateway(config, { backoff: BACKOFF }, { settle: false });
  });

  afterAll(async () => {
    await gateway?.stop();
    for (const s of Object.values(silent)) {
      if (s.server instanceof http.Server) s.server.closeAllConnections();
      s.server.close();
    }
    await dir?.cleanup();
  });

  it.each([
    ['http', 'initialize'],
    ['auto', 'initialize'],
    ['stateless', 'server/discover'],
    ['ws', 'initialize'],
  ] as const)(
    '%s: given up at startupTimeoutMs, naming the URL and the limit; tried again, never more than one connection open',
    async (name, method) => {
      const { counted } = silent[name];
      await waitFor(() => counted.accepted >= 4, 20_000, `four attempts at ${name}`);
      const view = gateway.servers().find((s) => s.name === name)!;
      expect(view.lastError).toBe(
        `failed to start: server "${name}" at ${urls[name]} took the connection but did not answer ${method} ` +
          'within 600 ms (startupTimeoutMs)',
      );
      // Each attempt's connection closed when it was given up: one open at most, the current one.
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        samples.push(counted.open);
        await sleep(50);
      }
      expect(Math.max(...samples)).toBeLessThanOrEqual(1);
    },
    30_000,
  );

  it.each(['mute_upgrade', 'slow_upgrade'] as const)(
    '%s: a WebSocket upgrade never completed is given up at startupTimeoutMs, saying so; one connection at most',
    async (name) => {
      const { counted } = silent[name];
      await waitFor(() => counted.accepted >= 4, 20_000, `four attempts at ${name}`);
      expect(gateway.servers().find((s) => s.name === name)!.lastError).toBe(
        `failed to start: server "${name}" at ${urls[name]} did not complete the WebSocket handshake ` +
          'within 600 ms (startupTimeoutMs)',
      );
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        samples.push(counted.open);
        await sleep(50);
      }
      expect(Math.max(...samples)).toBeLessThanOrEqual(1);
    },
    30_000,
  );
});

describe('a WebSocket server that never answers a call', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  const silent = silentWs(true);

  beforeAll(async () => {
    dir = await tempDir('sb-silent-');
    const port = await listen(silent.server);
    const config = await writeConfig(dir.dir, {
      mcpServers: { ws: { url: `ws://127.0.0.1:${port}/mcp`, protocol: 'stateful', timeoutMs: 500 } },
    });
    gateway = await startGateway(config);
    client = await httpClient(gateway.httpUrl()!);
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    silent.server.closeAllConnections();
    silent.server.close();
    await dir?.cleanup();
  });

  it('each call times out at timeoutMs and is given up, telling the server; the connection carries on', async () => {
    for (let i = 0; i < 3; i++) {
      const failed = await client.callTool({ name: 'ws__ponder', arguments: {} }).then(
        (r) => (r.isError ? textOf(r) : 'the call worked'),
        (err: unknown) => String(err),
      );
      expect(failed).toMatch(/tools\/call to server "ws" timed out after 500 ms/);
    }
    // Each one given up at our end is given up at the server's too: nothing is left waiting there.
    await waitFor(() => silent.cancelled.length >= 3, 5000, 'three cancellations');
    expect(silent.cancelled).toHaveLength(3);
    expect(textOf(await client.callTool({ name: 'ws__quick', arguments: {} }))).toBe('quick');
    // The same connection all along: a timeout is not a lost connection.
    expect(silent.counted).toEqual({ open: 1, accepted: 1 });
    expect(gateway.servers().find((s) => s.name === 'ws')?.restarts ?? 0).toBe(0);
  }, 20_000);
});
