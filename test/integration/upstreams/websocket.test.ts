/**
 * Remote servers over WebSocket, through the gateway as a client uses them: a real MCP server on
 * a real WebSocket (test/fixtures/servers/ws-server.ts). Calls work; a message over the size
 * limit fails only what it answered and the connection comes back; a server that goes away and
 * returns is reconnected; the egress rules hold for ws:// as for http://.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  NODE,
  ROOT,
  TEST_BACKOFF,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const SERVER = path.join(ROOT, 'test/fixtures/servers/ws-server.ts');

async function startWsServer(port?: number): Promise<{ child: ChildProcess; port: number }> {
  const env = { ...process.env, ...(port ? { PORT: String(port) } : {}) };
  const child = spawn(NODE, [SERVER], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', () => reject(new Error('the WebSocket fixture exited')));
  });
  return { child, port: Number(/^PORT (\d+)$/.exec(line)![1]) };
}

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill();
  });

describe('remote servers over WebSocket', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let server: { child: ChildProcess; port: number };
  let gateway: Gateway;
  let client: Client;
  const state = (name = 'ws') => gateway.servers().find((s) => s.name === name);

  beforeAll(async () => {
    dir = await tempDir('sb-ws-');
    server = await startWsServer();
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        ws: { url: `ws://127.0.0.1:${server.port}/mcp` },
        // Plain ws:// to a private address: refused before any connection, as for http://.
        lan: { url: 'ws://10.255.255.1:9/mcp' },
      },
      limits: { maxResponseBytes: 64 * 1024 },
    });
    // Enough attempts to outlast the restart of the server process below on a busy machine
    // (TEST_BACKOFF gives up after about half a second).
    gateway = await startGateway(config, { backoff: { ...TEST_BACKOFF, maxAttempts: 60 } });
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    if (server) await stopped(server.child);
    await dir?.cleanup();
  });

  it('lists and calls the tools of a server on a WebSocket', async () => {
    expect(state()?.state).toBe('ready');
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['ws__echo', 'ws__big']));
    expect(textOf(await client.callTool({ name: 'ws__echo', arguments: { message: 'hello' } }))).toMatch(
      /^hello \(connection \d+\)$/,
    );
  });

  it('refuses ws:// to a private address without allowPrivateNetwork, saying why', async () => {
    await waitFor(() => state('lan')?.lastError, 10_000, 'the refusal');
    expect(state('lan')?.lastError).toMatch(/refused to connect to ws:\/\/10\.255\.255\.1:9\/mcp: .*private network/);
  });

  it('a message over the size limit fails its call, and the server is back for the next one', async () => {
    const failed = await client.callTool({ name: 'ws__big', arguments: { bytes: 200_000 } }).then(
      (r) => (r.isError ? textOf(r) : 'the call worked'),
      (err: unknown) => String(err),
    );
    expect(failed).toMatch(/over the 65536-byte limit/);
    await waitFor(() => state()?.state === 'ready', 10_000, 'ready again');
    expect(textOf(await client.callTool({ name: 'ws__big', arguments: { bytes: 1000 } }))).toHaveLength(1000);
  });

  it('reconnects to a server that went away and came back', async () => {
    const before = textOf(await client.callTool({ name: 'ws__echo', arguments: { message: 'a' } }));
    await stopped(server.child);
    await waitFor(() => state()?.state !== 'ready', 10_000, 'the loss noticed');
    server = await startWsServer(server.port);
    await waitFor(() => state()?.state === 'ready', 15_000, 'reconnected');
    const after = textOf(await client.callTool({ name: 'ws__echo', arguments: { message: 'a' } }));
    expect(after).toMatch(/^a \(connection 1\)$/);
    expect(before).not.toBe('');
    expect(state()?.restarts).toBeGreaterThan(0);
  });
});

describe('a server on a WebSocket that stops reading', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let server: { child: ChildProcess; port: number };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir('sb-ws-');
    server = await startWsServer();
    const config = await writeConfig(dir.dir, {
      mcpServers: { deaf: { url: `ws://127.0.0.1:${server.port}/mcp`, timeoutMs: 2000 } },
    });
    gateway = await startGateway(config);
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    if (server) await stopped(server.child);
    await dir?.cleanup();
  });

  it('holds a bounded amount for it and refuses the rest at once, naming it', async () => {
    expect(textOf(await client.callTool({ name: 'deaf__deafen', arguments: {} }))).toBe('deaf now');
    const big = 'x'.repeat(4 * 1024 * 1024);
    // Each call waits in the gateway, unwritten; past 16 MiB the next ones are refused at once.
    const calls = await Promise.allSettled(
      Array.from({ length: 8 }, () => client.callTool({ name: 'deaf__echo', arguments: { message: big } })),
    );
    const errors = calls.map((c) => (c.status === 'rejected' ? String((c.reason as Error).message) : 'answered'));
    expect(
      errors.filter((e) => /server "deaf" is not reading its input: .* MiB sent to it earlier/.test(e)).length,
    ).toBeGreaterThanOrEqual(2);
    expect(errors.filter((e) => /timed out/.test(e)).length).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
