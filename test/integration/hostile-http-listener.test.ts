/**
 * A local process that opens connections and sends nothing, half a request, or a body that never
 * ends cannot starve the HTTP listener: every limit is shown with a misbehaving real socket.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../helpers/gateway.ts';
import { STATELESS, statelessMeta } from '../helpers/stateless.ts';

interface RawConn {
  socket: net.Socket;
  /** Everything the server sent. */
  received: () => string;
  closed: Promise<number>;
  connected: Promise<void>;
}

const opened: net.Socket[] = [];

/** A real TCP connection that writes `data` (if any) once connected and then just sits there. */
function rawConnect(port: number, data?: string, host = '127.0.0.1'): RawConn {
  const socket = net.connect(port, host);
  opened.push(socket);
  let text = '';
  const started = Date.now();
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.on('error', () => undefined); // a shed connection may be reset; 'close' says so
  const connected = new Promise<void>((resolve) => {
    socket.once('connect', () => {
      if (data !== undefined) socket.write(data);
      resolve();
    });
    socket.once('close', () => resolve());
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  return { socket, received: () => text, closed, connected };
}

/** Resolves once the server's answer to the request written on `conn` has arrived. */
async function waitForAnswer(conn: RawConn): Promise<void> {
  while (!/^HTTP\/1\.1 \d{3}/.test(conn.received())) await new Promise((r) => setTimeout(r, 5));
}

function destroyAll(): void {
  for (const s of opened.splice(0)) s.destroy();
}

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)),
  ]);

function openFileLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || 0;
}

describe('the HTTP listener cannot be starved', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let port: number;
  const host = () => `127.0.0.1:${port}`;

  beforeAll(async () => {
    dir = await tempDir('sb-hostile-http-');
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx') },
        listen: {
          http: {
            port: 0,
            limits: {
              headersTimeoutMs: 800,
              requestTimeoutMs: 1500,
              keepAliveTimeoutMs: 500,
              maxPendingConnections: 8,
            },
          },
        },
      }),
    );
    port = Number(new URL(gateway.httpUrl()!).port);
  });
  afterAll(async () => {
    destroyAll();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('answers 408 and closes a connection whose body stalls (Content-Length larger than what arrives)', async () => {
    const conn = rawConnect(
      port,
      `POST /mcp HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0",`,
    );
    const after = await within(conn.closed, 6000, 'the stalled body to be ended');
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(after).toBeGreaterThanOrEqual(1000);
    destroyAll();
  });

  it('answers 408 and closes a connection whose headers never end, or that sends nothing', async () => {
    const half = rawConnect(port, `POST /mcp HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: appl`);
    const silent = rawConnect(port);
    await within(Promise.all([half.closed, silent.closed]), 6000, 'the stalled connections to be closed');
    expect(half.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(silent.received()).toMatch(/^HTTP\/1\.1 408 /);
    destroyAll();
  });

  it('closes an idle kept-alive connection after keepAliveTimeoutMs', async () => {
    const conn = rawConnect(port, `GET /nowhere HTTP/1.1\r\nHost: ${host()}\r\nConnection: keep-alive\r\n\r\n`);
    const after = await within(conn.closed, 6000, 'the idle connection to be closed');
    expect(conn.received()).toMatch(/^HTTP\/1\.1 404 /);
    expect(after).toBeLessThan(5000);
    destroyAll();
  });

  it('refuses an over-long header block with 431', async () => {
    const conn = rawConnect(port, `GET /mcp HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await within(conn.closed, 6000, 'the connection to be closed');
    expect(conn.received()).toMatch(/^HTTP\/1\.1 431 /);
    destroyAll();
  });

  it('closes the connections waiting longest when more than maxPendingConnections wait', async () => {
    const stalled = Array.from({ length: 20 }, () => rawConnect(port));
    await Promise.all(stalled.map((c) => c.connected));
    // Well before the 800 ms header timeout, the 12 oldest are gone and the 8 newest remain.
    await new Promise((r) => setTimeout(r, 300));
    const closed = stalled.map((c) => c.socket.destroyed || c.socket.readyState === 'closed');
    expect(closed.filter(Boolean).length).toBeGreaterThanOrEqual(12);
    expect(closed.slice(-8).some(Boolean)).toBe(false);
    const client = await httpClient(gateway.httpUrl()!);
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'still here' } }))).toBe(
        'still here',
      );
    } finally {
      await client.close();
    }
    expect(gateway.httpConnectionStats()?.shed).toBeGreaterThanOrEqual(12);
    destroyAll();
  });

  it('never closes a kept-alive connection that was just answered: a busy client is not a staller', async () => {
    // Eight connections of a busy client, each just answered (and kept alive for its next request)...
    const busy = Array.from({ length: 8 }, () =>
      rawConnect(port, `GET /nowhere HTTP/1.1\r\nHost: ${host()}\r\nConnection: keep-alive\r\n\r\n`),
    );
    await Promise.all(busy.map((c) => within(waitForAnswer(c), 2000, 'an answer')));
    // ...then more connections than may wait: the stallers among them make room for each other.
    const stalled = Array.from({ length: 12 }, () => rawConnect(port));
    await Promise.all(stalled.map((c) => c.connected));
    await new Promise((r) => setTimeout(r, 100));
    expect(busy.filter((c) => c.socket.destroyed || c.socket.readyState === 'closed')).toEqual([]);
    expect(stalled.filter((c) => c.socket.destroyed || c.socket.readyState === 'closed').length).toBeGreaterThan(0);
    destroyAll();
  });
});

describe('event streams held open', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-hostile-http-');
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx') },
        listen: { http: { port: 0, limits: { maxConnections: 120, maxConnectionsPerClient: 120 } } },
      }),
    );
  });
  afterAll(async () => {
    destroyAll();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('keep a quarter of maxConnections for requests: a new client works while a process asks for 150', async () => {
    const port = Number(new URL(gateway.httpUrl()!).port);
    // Legacy SSE streams: each is a session with a real request behind it, never shed as stalled.
    const streams = Array.from({ length: 150 }, () =>
      rawConnect(port, `GET /sse HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`),
    );
    await Promise.all(streams.map((c) => c.connected));
    await waitFor(
      () => streams.every((c) => /event: endpoint|HTTP\/1\.1 503/.test(c.received()) || c.socket.destroyed),
      10_000,
      'every stream answered',
    );
    const open = streams.filter((c) => c.received().includes('event: endpoint')).length;
    const refused = streams.filter((c) => c.received().startsWith('HTTP/1.1 503'));
    expect(open).toBe(90);
    // The rest were told why (and closed), or closed at once while more than maxConnections were open.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.received()).toContain('Too many event streams open (90');
    const client = await httpClient(gateway.httpUrl()!);
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'got in' } }))).toBe('got in');
    } finally {
      await client.close();
    }
    destroyAll();
  });

  it('count 2026-07-28 subscriptions/listen streams (POSTs that stay open) the same way', async () => {
    const port = Number(new URL(gateway.httpUrl()!).port);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 'L',
      method: 'subscriptions/listen',
      params: { _meta: statelessMeta(), notifications: { toolsListChanged: true } },
    });
    const listen =
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: ${STATELESS}\r\n` +
      `Mcp-Method: subscriptions/listen\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const streams = Array.from({ length: 150 }, () => rawConnect(port, listen));
    await Promise.all(streams.map((c) => c.connected));
    await waitFor(
      () => streams.every((c) => /subscriptions\/acknowledged|HTTP\/1\.1 503/.test(c.received()) || c.socket.destroyed),
      10_000,
      'every stream answered',
    );
    expect(streams.filter((c) => c.received().includes('subscriptions/acknowledged')).length).toBe(90);
    const refused = streams.filter((c) => c.received().startsWith('HTTP/1.1 503'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.received()).toContain('Too many event streams open (90');
    const client = await httpClient(gateway.httpUrl()!);
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'got in' } }))).toBe('got in');
    } finally {
      await client.close();
    }
    destroyAll();
  });
});

describe('a thousand stalled connections, default limits', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const STALLED = 1100; // more than the global cap of 1024

  beforeAll(async () => {
    const limit = openFileLimit();
    // Both ends of every connection live in this process, plus the gateway's own files.
    if (limit < STALLED * 2 + 512)
      throw new Error(`this test needs ulimit -n of at least ${STALLED * 2 + 512} (it is ${limit})`);
    dir = await tempDir('sb-hostile-http-');
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') }, listen: { http: { port: 0 } } }),
    );
  });
  afterAll(async () => {
    destroyAll();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('lets a new client initialize and call a tool while 1100 connections stall', async () => {
    const url = gateway.httpUrl()!;
    const port = Number(new URL(url).port);
    const half =
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: 4096\r\n\r\n{"jsonrpc":"2.0","id":1,`;
    const stalled: RawConn[] = [];
    for (let i = 0; i < STALLED; i++) {
      // Nothing at all, half a header block, or whole headers with half a body.
      const data = i % 3 === 0 ? undefined : i % 3 === 1 ? half.slice(0, 40) : half;
      stalled.push(rawConnect(port, data));
      if (i % 100 === 99) await Promise.all(stalled.slice(-100).map((c) => c.connected));
    }
    await Promise.all(stalled.map((c) => c.connected));

    const started = Date.now();
    const client = await within(httpClient(url), 8000, 'the new client to initialize');
    try {
      const result = await within(
        client.callTool({ name: 'fx__echo', arguments: { message: 'through the flood' } }),
        8000,
        'the tool call',
      );
      expect(textOf(result)).toBe('through the flood');
    } finally {
      await client.close();
    }
    // Well inside the 10 s header timeout: the stallers were shed, not waited out.
    expect(Date.now() - started).toBeLessThan(8000);
    const stats = gateway.httpConnectionStats()!;
    expect(stats.shed).toBeGreaterThan(STALLED - 100);
    expect(stats.open).toBeLessThanOrEqual(1024);
    destroyAll();
  }, 60_000);
});

// The per-address limit applies to remote addresses that are not loopback; it needs one to dial.
const lanAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** A stand-in renderer build, so the web UI's page is there without npm run build. */
async function standInUi(parent: string): Promise<string> {
  const ui = path.join(parent, 'dist');
  await mkdir(ui, { recursive: true });
  await writeFile(path.join(ui, 'index.html'), '<!doctype html><title>Switchboard</title>');
  return ui;
}

describe.skipIf(lanAddress === undefined)('per remote address', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-hostile-http-');
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx') },
        listen: {
          http: {
            host: lanAddress!,
            port: 0,
            token: 'a-long-enough-test-token',
            limits: { maxConnectionsPerClient: 5, maxPendingConnections: 50 },
          },
        },
      }),
      { uiDir: await standInUi(dir.dir) },
    );
  });
  afterAll(async () => {
    destroyAll();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('refuses connections from one non-loopback address beyond maxConnectionsPerClient', async () => {
    const port = Number(new URL(gateway.httpUrl()!).port);
    const conns = Array.from({ length: 10 }, () => rawConnect(port, undefined, lanAddress));
    await Promise.all(conns.map((c) => c.connected));
    await new Promise((r) => setTimeout(r, 300));
    const closed = conns.filter((c) => c.socket.destroyed || c.socket.readyState === 'closed').length;
    expect(closed).toBe(5);
    expect(gateway.httpConnectionStats()?.refused).toBe(5);
    destroyAll();
  });

  it("answers the web UI and the control API to this machine at the listener's own address", async () => {
    // A browser on this machine, `switchboard ui`, or an `ssh -L` forward to the address it listens on.
    const origin = `http://${lanAddress}:${new URL(gateway.httpUrl()!).port}`;
    for (let i = 0; i < 100 && (gateway.httpConnectionStats()?.open ?? 0) > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const api = { authorization: `Bearer ${gateway.apiToken()!}` };
    expect((await fetch(`${origin}/api/status`, { headers: api })).status).toBe(200);
    const linked = await fetch(`${origin}/ui/login-link`, { method: 'POST', headers: api });
    expect(linked.status).toBe(200);
    const { url } = (await linked.json()) as { url: string };
    expect(url.startsWith(`${origin}/ui/#login=`)).toBe(true);
    const login = await fetch(`${origin}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: url.split('#login=')[1] }),
    });
    const { session } = (await login.json()) as { session: string };
    expect((await fetch(`${origin}/api/servers`, { headers: { authorization: `Bearer ${session}` } })).status).toBe(
      200,
    );
    expect((await fetch(`${origin}/ui/`)).status).toBe(200);
  });

  it('serves the web UI through an ssh -L tunnel to that address (a browser at 127.0.0.1, same port)', async () => {
    const port = Number(new URL(gateway.httpUrl()!).port);
    // What `ssh -L PORT:LAN-ADDRESS:PORT` does at the far end: connections to LAN-ADDRESS from this machine.
    const tunnel = net.createServer((c) => {
      const far = net.connect(port, lanAddress);
      c.pipe(far).pipe(c);
      far.on('error', () => c.destroy());
      c.on('error', () => far.destroy());
    });
    await new Promise<void>((resolve, reject) => tunnel.once('error', reject).listen(port, '127.0.0.1', resolve));
    try {
      const local = `http://127.0.0.1:${port}`;
      const linked = await fetch(`${local}/ui/login-link`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.apiToken()!}` },
      });
      expect(linked.status).toBe(200);
      const { url } = (await linked.json()) as { url: string };
      expect((await fetch(`${local}/ui/`)).status).toBe(200);
      const login = await fetch(`${local}/ui/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: local },
        body: JSON.stringify({ code: url.split('#login=')[1] }),
      });
      expect(login.status).toBe(200);
      const { session } = (await login.json()) as { session: string };
      const servers = await fetch(`${local}/api/servers`, {
        headers: { authorization: `Bearer ${session}`, origin: local },
      });
      expect(servers.status).toBe(200);
    } finally {
      tunnel.close();
    }
  });

  it('refuses them to another address, whatever token a request carries; MCP is served there', async () => {
    // Another machine, as the listener sees it: a peer address that is neither loopback nor the address
    // it reached (here this machine's LAN address dialling 127.0.0.1 on a listener bound to every interface).
    const other = await startGateway(
      await writeConfig(dir.dir, { listen: { http: { host: '0.0.0.0', port: 0, token: 'a-long-enough-test-token' } } }),
    );
    try {
      const port = Number(new URL(other.httpUrl()!).port);
      // Its address and login link name this machine as it reaches the listener (0.0.0.0 opens nothing on Windows).
      expect(other.httpUrl()).toBe(`http://127.0.0.1:${port}/mcp`);
      expect(other.uiLoginUrl()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/ui/#login=`));
      const request = (path: string, method: string, headers: Record<string, string>, body?: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port, path, method, headers, localAddress: lanAddress, agent: false },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode!, text }));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      for (const path of ['/api/status', '/ui/', '/ui/login-link']) {
        const res = await request(path, path === '/ui/login-link' ? 'POST' : 'GET', {
          authorization: `Bearer ${other.apiToken()!}`,
        });
        expect([path, res.status]).toEqual([path, 403]);
        expect(res.text).toContain('answer on this machine only');
      }
      const mcp = await request(
        '/mcp',
        'POST',
        {
          authorization: 'Bearer a-long-enough-test-token',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      );
      expect(mcp.status).not.toBe(403);
    } finally {
      await other.stop();
    }
  });
});
