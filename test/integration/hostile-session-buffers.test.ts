/**
 * A server floods large log messages while several clients sit idle: a Streamable HTTP session
 * with no GET stream, one whose GET stream is never read, a legacy SSE client that never reads,
 * and a shim connection that never reads (each past its initialize: none hears anything before).
 * What the gateway holds for each is bounded by limits.maxSessionBufferBytes: its peak memory
 * (read from /proc, the gateway runs as its own process) stays far below what the flood would cost
 * if held, the drops are logged naming the session, and the sessions still work afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LineSplitter } from '../../main/shared/lines.ts';
import { connectShimSocket } from '../helpers/shim-socket.ts';
import { rawSession, type RawSession } from '../helpers/raw-http.ts';
import { CLI, NODE, fixtureServer, httpClient, tempDir, textOf, waitFor, writeConfig } from '../helpers/gateway.ts';

const MiB = 1024 * 1024;
const FLOOD_COUNT = 300;
const FLOOD_BYTES = MiB;
/** What one idle client would cost if the gateway kept the whole flood for it. */
const PER_CLIENT = FLOOD_COUNT * FLOOD_BYTES;
const IDLE_CLIENTS = 4;

function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/**
 * A raw HTTP request on its own socket, which is then never read from once what was read
 * (from the response head on) satisfies `enough`.
 */
function stalledRequest(
  url: URL,
  lines: string[],
  enough: (read: string) => boolean = () => true,
): Promise<{ socket: net.Socket; read: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      socket.write([...lines, `Host: ${url.host}`, '', ''].join('\r\n'));
      let read = '';
      const onData = (c: Buffer) => {
        read += c.toString('utf8');
        if (!enough(read)) return;
        socket.off('data', onData);
        socket.pause();
        resolve({ socket, read });
      };
      socket.on('data', onData);
    });
    socket.once('error', reject);
  });
}

const post = (url: URL, message: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'idle', version: '1' } },
};
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };

describe('per-session buffers while a server floods and clients sit idle', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: ChildProcess;
  let stderr = '';
  let url: URL;
  let runDir: string;
  const sockets: net.Socket[] = [];
  let noStream: RawSession;
  let active: Client;

  beforeAll(async () => {
    dir = await tempDir();
    runDir = path.join(dir.dir, 'run');
    const config = await writeConfig(dir.dir, {
      // The default limits: limits.maxSessionBufferBytes is 8 MiB.
      mcpServers: { fx: fixtureServer('fx') },
    });
    gateway = spawn(NODE, [CLI, 'serve', '--port', '0', '--config', config], {
      env: { ...process.env, SWITCHBOARD_RUNTIME_DIR: runDir, SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    gateway.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const found = await waitFor(() => /HTTP (http:\/\/\S+\/mcp)/.exec(stderr)?.[1], 30_000, 'the gateway URL');
    url = new URL(found);
    active = await httpClient(url.href);
    await waitFor(
      async () => textOf(await active.callTool({ name: 'fx__echo', arguments: { message: 'up' } })) === 'up',
      30_000,
      'fx ready',
    );

    // Idle client 1: a Streamable HTTP session that never opens its GET stream.
    noStream = await rawSession(url.href);
    // Idle client 2: a session whose GET stream is open but never read.
    const reading = await rawSession(url.href);
    const getStream = await stalledRequest(url, [
      `GET ${url.pathname} HTTP/1.1`,
      'Accept: text/event-stream',
      `Mcp-Session-Id: ${reading.sessionId}`,
    ]);
    sockets.push(getStream.socket);
    // Idle client 3: a legacy SSE client that initializes and then never reads its stream.
    const sse = await stalledRequest(url, ['GET /sse HTTP/1.1', 'Accept: text/event-stream'], (read) =>
      /data: (\S+)\n/.test(read),
    );
    sockets.push(sse.socket);
    const endpoint = new URL(/data: (\S+)\n/.exec(sse.read)![1]!, url);
    await post(endpoint, INITIALIZE);
    await post(endpoint, INITIALIZED);
    // Idle client 4: a shim connection that says hello, initializes and then never reads.
    const { socket: shim } = await connectShimSocket(runDir, 'idle-shim');
    shim.write(JSON.stringify(INITIALIZE) + '\n' + JSON.stringify(INITIALIZED) + '\n');
    sockets.push(shim);
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await active?.close();
    gateway?.kill();
    await dir?.cleanup();
  });

  it('holds at most the budget per idle client, logs the drops, and every session still works', async () => {
    const before = peakRss(gateway.pid!);
    const flooded = await active.callTool(
      { name: 'fx__log_flood', arguments: { count: FLOOD_COUNT, bytes: FLOOD_BYTES } },
      undefined,
      { timeout: 120_000 },
    );
    expect(textOf(flooded)).toBe(`logged ${FLOOD_COUNT}`);
    const grew = peakRss(gateway.pid!) - before;
    // Held, the flood would cost IDLE_CLIENTS * PER_CLIENT (1200 MiB); bounded, a few budgets
    // plus what the garbage collector has not yet reclaimed of the messages passing through
    // (about 300 MiB here whatever the flood: each message is serialised once per session).
    expect(grew).toBeLessThan((IDLE_CLIENTS * PER_CLIENT) / 2);

    // Each idle session's drops are logged, naming it.
    await waitFor(() => (stderr.match(/client session [0-9a-f]{8} .*dropped \d+ messages/g) ?? []).length >= 3);
    expect(stderr).toMatch(/limits\.maxSessionBufferBytes/);

    // The idle HTTP session still answers, and so does the shim connection once it reads again.
    const echoed = (await noStream.call({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { message: 'still here' } },
    })) as { result: unknown };
    expect(textOf(echoed.result)).toBe('still here');
    const shim = sockets[2]!;
    const lines: Record<string, unknown>[] = [];
    const splitter = new LineSplitter(
      64 * MiB,
      (line) => lines.push(JSON.parse(line.toString('utf8')) as Record<string, unknown>),
      () => undefined,
    );
    shim.on('data', (c: Buffer) => splitter.push(c));
    shim.resume();
    shim.write(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'after',
        method: 'tools/call',
        params: { name: 'fx__echo', arguments: { message: 'shim too' } },
      }) + '\n',
    );
    await waitFor(() => lines.some((l) => l.id === 'after'), 30_000, 'the shim answer');
    expect(textOf(lines.find((l) => l.id === 'after')!.result)).toBe('shim too');
    // It got what fitted in its budget (and the socket's own buffers), not the whole flood.
    const logs = lines.filter((l) => l.method === 'notifications/message');
    expect(logs.length).toBeLessThan(FLOOD_COUNT);
  }, 180_000);
});
