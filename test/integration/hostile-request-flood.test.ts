/**
 * Clients that send requests without waiting for answers: over the shim socket (stateful and
 * 2026-07-28 stateless), over Streamable HTTP and over legacy SSE. Each unanswered request holds memory across the
 * gateway (~9 KB; 50,000 of them took the gateway to 517 MB before this limit), so a session may
 * have limits.maxRequestsInFlight unanswered: past that each request is refused at once with
 * -32004, the first refusal of a run is logged naming the session, the requests let in are
 * answered, and the session and everyone else carry on. The gateway runs as its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { LineSplitter } from '../../main/shared/lines.ts';
import { connectShimSocket } from '../helpers/shim-socket.ts';
import { statelessMeta } from '../helpers/stateless.ts';
import { CLI, NODE, fixtureServer, httpClient, tempDir, textOf, waitFor, writeConfig } from '../helpers/gateway.ts';

const LIMIT = 10;
const SENT = 40;
const SLOW = { name: 'fx__slow', arguments: { steps: 1, delayMs: 1500 } };

interface LineClient {
  send(message: unknown): void;
  messages: Record<string, unknown>[];
  answers(ids: number[]): Promise<Record<string, unknown>[]>;
}

function lineClient(socket: net.Socket, head: Buffer): LineClient {
  const messages: Record<string, unknown>[] = [];
  const splitter = new LineSplitter(
    64 * 1024 * 1024,
    (line) => messages.push(JSON.parse(line.toString('utf8')) as Record<string, unknown>),
    () => undefined,
  );
  if (head.length) splitter.push(head);
  socket.on('data', (c: Buffer) => splitter.push(c));
  socket.resume();
  const answerOf = (id: number) => messages.find((m) => m.id === id && ('result' in m || 'error' in m));
  return {
    messages,
    send: (m) => socket.write(`${JSON.stringify(m)}\n`),
    answers: (ids) =>
      waitFor(() => (ids.every(answerOf) ? ids.map((id) => answerOf(id)!) : undefined), 20_000, 'the answers'),
  };
}

const ids = (from: number) => Array.from({ length: SENT }, (_, i) => from + i);

describe('a client that sends requests without waiting for the answers', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: ChildProcess;
  let stderr = '';
  let runDir: string;
  let url: string;
  const sockets: net.Socket[] = [];
  let bystander: Client;

  beforeAll(async () => {
    dir = await tempDir();
    runDir = path.join(dir.dir, 'run');
    const config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx') },
      limits: { maxRequestsInFlight: LIMIT },
    });
    gateway = spawn(NODE, [CLI, 'serve', '--port', '0', '--config', config], {
      env: { ...process.env, SWITCHBOARD_RUNTIME_DIR: runDir, SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    gateway.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    url = await waitFor(() => /HTTP (http:\/\/\S+\/mcp)/.exec(stderr)?.[1], 30_000, 'the gateway URL');
    bystander = await httpClient(url);
    await waitFor(async () => textOf(await bystander.callTool({ name: 'fx__echo', arguments: { message: 'up' } })));
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await bystander?.close();
    gateway?.kill();
    await dir?.cleanup();
  });

  const shim = async (): Promise<LineClient> => {
    const { socket, head } = await connectShimSocket(runDir, 'flooding-shim');
    sockets.push(socket);
    return lineClient(socket, head);
  };

  /** Of the answers: how many are the slow tool's result, and the refusals. */
  const sort = (answers: Record<string, unknown>[]) => ({
    done: answers.filter((a) => a.result && textOf(a.result) === 'done after 1 steps').length,
    refused: answers.filter((a) => (a.error as { code?: number } | undefined)?.code === -32004),
  });

  it('over the shim: the first ones are answered, the rest refused at once, and the session goes on', async () => {
    const client = await shim();
    client.send({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } },
    });
    await client.answers([0]);
    client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    for (const id of ids(1)) client.send({ jsonrpc: '2.0', id, method: 'tools/call', params: SLOW });
    // The refusals come before any slow answer could.
    const refusedAtOnce = await client.answers(ids(1).slice(LIMIT));
    expect(sort(refusedAtOnce).refused).toHaveLength(SENT - LIMIT);
    expect((refusedAtOnce[0]!.error as { message: string }).message).toBe(
      `too many requests in flight from this client: ${LIMIT} are unanswered (limits.maxRequestsInFlight); ` +
        'wait for answers before sending more',
    );
    // Everyone else is served meanwhile.
    expect(textOf(await bystander.callTool({ name: 'fx__echo', arguments: { message: 'still here' } }))).toBe(
      'still here',
    );
    expect(sort(await client.answers(ids(1))).done).toBe(LIMIT);
    client.send({ jsonrpc: '2.0', id: 100, method: 'tools/call', params: SLOW });
    expect(sort(await client.answers([100])).done).toBe(1);
    const logged = stderr.match(/has 10 requests unanswered \(limits\.maxRequestsInFlight\)/g) ?? [];
    expect(logged).toHaveLength(1);
  }, 30_000);

  it('over the shim, 2026-07-28 calls without a session: the same limit per connection', async () => {
    const client = await shim();
    const _meta = statelessMeta();
    for (const id of ids(1)) client.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { ...SLOW, _meta } });
    const answers = await client.answers(ids(1));
    expect(sort(answers).done).toBe(LIMIT);
    expect(sort(answers).refused).toHaveLength(SENT - LIMIT);
  }, 30_000);

  it('over the shim, 2026-07-28 calls that all use one id: only one is let in at a time', async () => {
    const client = await shim();
    const _meta = statelessMeta();
    for (let i = 0; i < SENT; i++)
      client.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { ...SLOW, _meta } });
    await waitFor(() => client.messages.length >= SENT, 20_000, 'an answer to each');
    const errors = client.messages.filter((m) => m.error).map((m) => (m.error as { message: string }).message);
    expect(errors).toEqual(Array(SENT - 1).fill('request id 7 is already in use by a request in flight'));
    expect(client.messages.filter((m) => m.result).map((m) => textOf(m.result))).toEqual(['done after 1 steps']);
  }, 30_000);

  it('over Streamable HTTP: the calls past the limit fail with -32004 while the others are answered', async () => {
    const client = await httpClient(url);
    try {
      const calls = await Promise.allSettled(ids(1).map(() => client.callTool(SLOW)));
      const done = calls.filter((c) => c.status === 'fulfilled' && textOf(c.value) === 'done after 1 steps');
      const refused = calls.filter((c) => c.status === 'rejected' && (c.reason as { code?: number }).code === -32004);
      expect(done).toHaveLength(LIMIT);
      expect(refused).toHaveLength(SENT - LIMIT);
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'again' } }))).toBe('again');
    } finally {
      await client.close();
    }
  }, 30_000);

  it('over legacy SSE: the same limit, the refusals on its stream, and the session goes on', async () => {
    const client = new Client({ name: 'flooding-sse', version: '1' });
    await client.connect(new SSEClientTransport(new URL(url.replace(/\/mcp$/, '/sse'))));
    try {
      const calls = await Promise.allSettled(ids(1).map(() => client.callTool(SLOW)));
      const done = calls.filter((c) => c.status === 'fulfilled' && textOf(c.value) === 'done after 1 steps');
      const refused = calls.filter((c) => c.status === 'rejected' && (c.reason as { code?: number }).code === -32004);
      expect(done).toHaveLength(LIMIT);
      expect(refused).toHaveLength(SENT - LIMIT);
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'again' } }))).toBe('again');
    } finally {
      await client.close();
    }
  }, 30_000);
});
