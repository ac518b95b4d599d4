/**
 * Nothing reaches a client before its initialize answer, and no list_changed before it said
 * notifications/initialized (the spec allows only pings and logging before that), whatever the
 * transport: `serve --stdio` read by a client that writes its handshake at once, the shim's socket
 * (its session exists from the connection on), legacy SSE (from the GET on).
 */
import path from 'node:path';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { LineSplitter } from '../../../main/shared/lines.ts';
import {
  CLI,
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { INITIALIZE, rawStdio } from '../../helpers/raw-stdio.ts';
import { connectShimSocket } from '../../helpers/shim-socket.ts';

const CHANGING = path.join(ROOT, 'test/fixtures/servers/changing-list-server.ts');
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };
type Message = Record<string, unknown>;

/** A raw line client on the shim's socket: every message it got, in order. */
async function shimClient(
  runDir: string,
): Promise<{ socket: net.Socket; messages: Message[]; send(m: unknown): void }> {
  const { socket, head } = await connectShimSocket(runDir, 'order-test');
  const messages: Message[] = [];
  const splitter = new LineSplitter(
    1024 * 1024,
    (line) => messages.push(JSON.parse(line.toString('utf8')) as Message),
    () => undefined,
  );
  if (head.length) splitter.push(head);
  socket.on('data', (c: Buffer) => splitter.push(c));
  socket.resume();
  return { socket, messages, send: (m) => socket.write(JSON.stringify(m) + '\n') };
}

/** The messages before the answer to request `id` (all of them when it has none yet). */
const before = (messages: Message[], id: number) =>
  messages.slice(0, messages.findIndex((m) => m.id === id) >>> 0).map((m) => m.method ?? m.id);

describe('the handshake comes first', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let runDir: string;
  let gateway: Gateway;
  let other: Client;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    dir = await tempDir('sb-order-');
    runDir = path.join(dir.dir, 'run');
    config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx'), ch: { command: NODE, args: [CHANGING] } },
    });
    gateway = await startGateway(config, { runtimeDir: runDir, socket: true });
    other = await httpClient(gateway.httpUrl()!);
  }, 60_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await other?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('serve --stdio, handshake and a list written at once while servers start: its answer comes first', async () => {
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'stdio-run'),
    });
    try {
      client.send(INITIALIZE(1));
      client.send(INITIALIZED);
      client.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      await client.response(2);
      // Both servers start now: once they are listed, whatever they announced has been sent.
      let id = 2;
      await waitFor(
        async () => {
          client.send({ jsonrpc: '2.0', id: id + 1, method: 'tools/list' });
          const { result } = (await client.response(++id, 10_000).catch(() => ({}))) as { result?: Message };
          const names = ((result?.tools as Message[] | undefined) ?? []).map((t) => t.name);
          return names.includes('fx__echo') && names.includes('ch__first');
        },
        20_000,
        'both servers listed',
      );
      expect(client.messages[0]).toMatchObject({ id: 1, result: { serverInfo: { name: 'switchboard' } } });
    } finally {
      client.close();
    }
  }, 30_000);

  it('a shim connection that has not said initialize hears no log of another client’s call', async () => {
    const quiet = await shimClient(runDir);
    sockets.push(quiet.socket);
    expect(textOf(await other.callTool({ name: 'fx__log', arguments: { level: 'info', text: 'hi' } }))).toBe('logged');
    quiet.send(INITIALIZE(1));
    await waitFor(() => quiet.messages.some((m) => m.id === 1), 10_000, 'the initialize answer');
    expect(quiet.messages[0]).toMatchObject({ id: 1, result: { protocolVersion: '2025-06-18' } });
  });

  it('notifications/initialized sent before initialize: no list_changed until the client has its answer', async () => {
    const early = await shimClient(runDir);
    sockets.push(early.socket);
    early.send(INITIALIZED);
    const extras = async () => (await other.listTools()).tools.filter((t) => t.name.startsWith('ch__extra')).length;
    const had = await extras();
    await other.callTool({ name: 'ch__grow', arguments: {} });
    // Listed with the new tool: its list_changed has gone to every session that was to hear it.
    await waitFor(async () => (await extras()) > had, 10_000, 'the grown list');
    early.send(INITIALIZE(1));
    await waitFor(() => early.messages.some((m) => m.id === 1), 10_000, 'the initialize answer');
    expect(before(early.messages, 1)).toEqual([]);
    // Answered, and having said initialized (early), it hears of the next change.
    await other.callTool({ name: 'ch__grow', arguments: {} });
    await waitFor(
      () => early.messages.some((m) => m.method === 'notifications/tools/list_changed'),
      10_000,
      'tools/list_changed after the answer',
    );
  });

  it('a legacy SSE client hears nothing on its stream before its initialize answer', async () => {
    const url = new URL(gateway.httpUrl()!);
    const res = await fetch(new URL('/sse', url), { headers: { accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: (t: string) => boolean) => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    try {
      await read((t) => t.includes('event: endpoint'));
      const endpoint = /event: endpoint\r?\ndata: (\S+)/.exec(text)![1]!;
      await other.callTool({ name: 'fx__log', arguments: { level: 'info', text: 'hi' } });
      await fetch(new URL(endpoint, url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(INITIALIZE(1)),
      });
      await read((t) => t.includes('"id":1'));
      const messages = [...text.matchAll(/^data: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as Message);
      expect(messages.map((m) => m.method ?? m.id)).toEqual([1]);
    } finally {
      await reader.cancel();
    }
  });
});
