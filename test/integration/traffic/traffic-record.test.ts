/**
 * The traffic record against real clients and real servers: the MCP SDK client over HTTP and a
 * client through the shim (spawned as Claude Desktop spawns it), the fixture server, the
 * reference "everything" server from npm, a stateless (2026-07-28) server and a JSON handler.
 * What is asserted is what a user reads in the traffic view: trees, attribution, outcomes.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import type { TrafficEntry, TrafficTree } from '../../../preload/contract/index.ts';
import {
  CLI,
  EVERYTHING,
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
import { rawStdio } from '../../helpers/raw-stdio.ts';
import { STATELESS_SERVER } from '../../fixtures/servers/stateless-launch.ts';
import { jsonResponder, startHttpHandler, travelDesk, type TestServer } from '../../fixtures/handlers/servers.ts';

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let desk: TestServer;
const runtimeDir = () => path.join(dir.dir, 'run');

beforeAll(async () => {
  dir = await tempDir('sb-traffic-');
  const handle = await travelDesk();
  desk = await startHttpHandler(jsonResponder(({ envelope, headers }) => handle(envelope, headers)));
  const config = await writeConfig(dir.dir, {
    mcpServers: {
      fx: fixtureServer('fx'),
      tight: { ...fixtureServer('tight'), timeoutMs: 400 },
      everything: { command: NODE, args: [EVERYTHING, 'stdio'] },
      stateless: { command: NODE, args: [STATELESS_SERVER], env: { STATELESS_NAME: 'stateless' } },
      desk: { handler: desk.address },
    },
  });
  gateway = await startGateway(config, { runtimeDir: runtimeDir(), socket: true });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await desk?.close();
  await dir?.cleanup();
});

/** The tree of the newest client call of `tool` (waits until it has ended). */
async function callTree(tool: string, where: (e: TrafficEntry) => boolean = () => true): Promise<TrafficTree> {
  const entry = await waitFor(
    () =>
      gateway.traffic
        .list({ edge: 'client', method: 'tools/call', target: tool })
        .entries.find((e) => e.outcome !== 'pending' && where(e)),
    10_000,
    `the recorded call of ${tool}`,
  );
  return gateway.traffic.tree(entry.id);
}

function childrenOf(tree: TrafficTree, edge: string, direction: string, method: string): TrafficTree[] {
  return tree.children.filter(
    (c) => c.entry.edge === edge && c.entry.direction === direction && c.entry.method === method,
  );
}

function only(trees: TrafficTree[], what: string): TrafficTree {
  expect(trees, what).toHaveLength(1);
  return trees[0]!;
}

/** A child began no earlier than its parent and, having ended first, took no longer. */
function expectWithin(child: TrafficEntry, parent: TrafficEntry): void {
  expect(child.parentId).toBe(parent.id);
  expect(child.startedAt).toBeGreaterThanOrEqual(parent.startedAt);
  if (child.kind === 'request') expect(child.durationMs!).toBeLessThanOrEqual(parent.durationMs!);
}

/** The upstream request has one child: the gateway's notifications/cancelled naming it, with `reason`. */
function expectServerTold(upstream: TrafficTree, reason: string): void {
  const told = only(childrenOf(upstream, 'upstream', 'out', 'notifications/cancelled'), 'the cancellation sent');
  expect(told.entry).toMatchObject({ kind: 'notification', outcome: 'delivered', server: upstream.entry.server });
  expect(told.entry.session?.id).toBe(upstream.entry.session?.id);
  const sent = JSON.parse(told.entry.request.json!) as { requestId: unknown; reason: unknown };
  expect(sent.reason).toBe(reason);
  expect(typeof sent.requestId).toBe('number');
}

/** A client through the shim, as an AI client spawns it. */
async function shimClient(name: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: NODE,
    args: [CLI, 'shim'],
    env: {
      ...(process.env as Record<string, string>),
      SWITCHBOARD_RUNTIME_DIR: runtimeDir(),
      // The gateway runs in this test process: the shim must not start another one.
      SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, '-e', 'process.exit(1)']),
    },
    stderr: 'pipe',
  });
  const client = new Client({ name, version: '2.0.0' });
  await client.connect(transport);
  return client;
}

describe('the traffic record', () => {
  it('shows a call with progress and an elicitation round as one tree, with parent links and durations', async () => {
    const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Ada', pin: '4711-9183' },
    }));
    const progress: number[] = [];
    try {
      const result = await client.callTool({ name: 'fx__survey', arguments: {} }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(textOf(result)).toBe('surveyed Ada');
    } finally {
      await client.close();
    }
    expect(progress).toEqual([1, 2]);

    const tree = await callTree('fx__survey');
    const root = tree.entry;
    expect(root).toMatchObject({
      edge: 'client',
      direction: 'in',
      kind: 'request',
      target: 'fx__survey',
      server: 'fx',
      outcome: 'ok',
      session: { transport: 'streamable-http', profile: 'default', client: { name: 'test-client', version: '1.0.0' } },
    });
    expect(root.parentId).toBeUndefined();
    expect(root.durationMs).toBeGreaterThan(50); // the survey pauses 50 ms before it answers
    expect(root.request.bytes).toBeGreaterThan(0);
    expect(JSON.parse(root.response!.json!)).toEqual({ content: [{ type: 'text', text: 'surveyed Ada' }] });

    // The upstream request it became: the tool under its own name, on its server.
    const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
    expect(upstream.entry).toMatchObject({ target: 'survey', server: 'fx', outcome: 'ok' });
    expectWithin(upstream.entry, root);
    // Progress to the client hangs off the client's call; progress from the server off the upstream call.
    const toClient = childrenOf(tree, 'client', 'out', 'notifications/progress');
    expect(toClient.map((p) => JSON.parse(p.entry.request.json!).progress)).toEqual([1, 2]);
    for (const p of toClient) expectWithin(p.entry, root);
    const fromServer = childrenOf(upstream, 'upstream', 'in', 'notifications/progress');
    expect(fromServer.map((p) => JSON.parse(p.entry.request.json!).progress)).toEqual([1, 2]);

    // The server's question, and the client's answer to it below.
    const asked = only(childrenOf(upstream, 'upstream', 'in', 'elicitation/create'), "the server's question");
    expectWithin(asked.entry, upstream.entry);
    expect(asked.entry.outcome).toBe('ok');
    const answered = only(childrenOf(asked, 'client', 'out', 'elicitation/create'), 'the question to the client');
    expectWithin(answered.entry, asked.entry);
    expect(answered.entry.session?.id).toBe(root.session!.id);
    // The PIN field is marked writeOnly by the server: its value is recorded nowhere.
    const answer = JSON.parse(answered.entry.response!.json!) as { content: Record<string, unknown> };
    expect(answer.content).toEqual({ name: 'Ada', pin: '[redacted]' });
    expect(JSON.stringify(tree)).not.toContain('4711-9183');

    // Every entry of the tree is the client's, so a filter by its session (or name) finds them all.
    const all: TrafficEntry[] = [];
    const walk = (t: TrafficTree) => (all.push(t.entry), t.children.forEach(walk));
    walk(tree);
    expect(all.filter((e) => e.session?.id !== root.session!.id).map((e) => `${e.edge} ${e.method}`)).toEqual([]);
    const bySession = gateway.traffic.list({ session: root.session!.id, limit: 1000 }).entries.map((e) => e.id);
    expect(all.map((e) => e.id).filter((id) => !bySession.includes(id))).toEqual([]);
  });

  it("shows the user's answer in the app as a question on the app edge when the client cannot answer", async () => {
    const client = await httpClient(gateway.httpUrl()!); // no elicitation capability
    try {
      const call = client.callTool({ name: 'fx__ask', arguments: {} });
      const question = await waitFor(async () => (await gateway.api.listQuestions())[0], 10_000, 'the question');
      await gateway.api.answerQuestion(question.id, { action: 'accept', content: { name: 'Grace' } });
      expect(textOf(await call)).toBe('hello Grace');
    } finally {
      await client.close();
    }
    const tree = await callTree('fx__ask');
    const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
    const asked = only(childrenOf(upstream, 'upstream', 'in', 'elicitation/create'), "the server's question");
    const inApp = only(childrenOf(asked, 'app', 'out', 'elicitation/create'), 'the question put to the user');
    expectWithin(inApp.entry, asked.entry);
    expect(inApp.entry).toMatchObject({ server: 'fx', outcome: 'ok' });
    expect(JSON.parse(inApp.entry.response!.json!)).toEqual({ action: 'accept', content: { name: 'Grace' } });
  });

  it("records a stateless server's input_required rounds, answered for a stateful client, under the call", async () => {
    const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Linus' } }));
    try {
      expect(textOf(await client.callTool({ name: 'stateless__ask', arguments: {} }))).toBe('Hello, Linus!');
    } finally {
      await client.close();
    }
    const tree = await callTree('stateless__ask');
    const rounds = childrenOf(tree, 'upstream', 'out', 'tools/call');
    expect(rounds).toHaveLength(2);
    const [first, second] = rounds as [TrafficTree, TrafficTree];
    expect(JSON.parse(first.entry.response!.json!)).toMatchObject({ resultType: 'input_required' });
    // The question the first round asked, answered by the client, under that round.
    const question = only(childrenOf(first, 'client', 'out', 'elicitation/create'), "the round's question");
    // Asked once the round has answered input_required (its answer is what asks): after it, not within it.
    expect(question.entry.parentId).toBe(first.entry.id);
    expect(question.entry.startedAt).toBeGreaterThanOrEqual(first.entry.startedAt);
    expect(question.entry.outcome).toBe('ok');
    expect(second.entry.startedAt).toBeGreaterThanOrEqual(question.entry.startedAt);
    expect(JSON.parse(second.entry.request.json!)).toMatchObject({ inputResponses: { user_name: {} } });
    expect(second.entry.outcome).toBe('ok');
  });

  it("attributes two clients' calls to the right client, transport and session (HTTP and the shim)", async () => {
    const viaHttp = await httpClient(gateway.httpUrl()!);
    const viaShim = await shimClient('shim-client');
    try {
      await waitFor(async () => (await viaShim.listTools()).tools.some((t) => t.name === 'fx__echo'), 20_000);
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 5; i++) {
        calls.push(viaHttp.callTool({ name: 'fx__echo', arguments: { message: `from-http-${i}` } }));
        calls.push(viaShim.callTool({ name: 'fx__echo', arguments: { message: `from-shim-${i}` } }));
      }
      calls.push(viaHttp.callTool({ name: 'desk__get_weather', arguments: { city: 'Lisbon' } }));
      calls.push(viaShim.callTool({ name: 'everything__echo', arguments: { message: 'from-shim-everything' } }));
      await Promise.all(calls);
    } finally {
      await viaHttp.close();
      await viaShim.close();
    }
    gateway.traffic.flush();
    const roots = gateway.traffic
      .list({ edge: 'client', method: 'tools/call', limit: 1000 })
      .entries.filter((e) => /from-(http|shim)|Lisbon/.test(e.request.json ?? ''));
    expect(roots).toHaveLength(12);
    const sessions = { http: new Set<string>(), shim: new Set<string>() };
    for (const root of roots) {
      const who = /from-shim/.test(root.request.json!) ? 'shim' : 'http';
      expect(root.session, root.request.json).toMatchObject(
        who === 'shim'
          ? { transport: 'socket', client: { name: 'shim-client', version: '2.0.0' } }
          : { transport: 'streamable-http', client: { name: 'test-client' } },
      );
      sessions[who].add(root.session!.id);
      // The request upstream is this call's, with this call's message, on the server named.
      const tree = gateway.traffic.tree(root.id);
      const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
      expect(upstream.entry.server).toBe(root.server);
      // ...made for the same client session, so a server's calls can be told apart by client.
      expect(upstream.entry.session).toEqual(root.session);
      const args = (JSON.parse(upstream.entry.request.json!) as { arguments: Record<string, string> }).arguments;
      expect(JSON.parse(root.request.json!).arguments).toEqual(args);
    }
    expect(sessions.http.size).toBe(1);
    expect(sessions.shim.size).toBe(1);
    expect([...sessions.http][0]).not.toBe([...sessions.shim][0]);
    const servers = new Set(roots.map((r) => r.server));
    expect(servers).toEqual(new Set(['fx', 'desk', 'everything']));
    // Filters find each client's calls.
    const shimOnly = gateway.traffic.list({ client: 'shim-client', method: 'tools/call', limit: 1000 }).entries;
    expect(shimOnly.length).toBeGreaterThanOrEqual(6);
    expect(shimOnly.every((e) => e.session?.client?.name === 'shim-client')).toBe(true);
    const desks = gateway.traffic.list({ server: 'desk', edge: 'upstream', method: 'tools/call' }).entries;
    expect(desks[0]).toMatchObject({ target: 'get_weather', outcome: 'ok' });
    // Stats per client count what each client's calls cost at the servers.
    const fxCalls = (client: string) =>
      gateway.traffic
        .stats({ client, server: 'fx' })
        .tools.filter((row) => row.tool === 'echo')
        .reduce((n, row) => n + row.calls, 0);
    expect(fxCalls('shim-client')).toBeGreaterThanOrEqual(5);
    expect(fxCalls('test-client')).toBeGreaterThanOrEqual(5);
    expect(gateway.traffic.stats({ client: 'shim-client' }).servers.map((row) => row.server)).not.toContain('desk');
  }, 60_000);

  it("records a cancelled call as cancelled on both edges, and the client's cancellation", async () => {
    const client = await httpClient(gateway.httpUrl()!);
    const controller = new AbortController();
    try {
      const call = client.callTool({ name: 'fx__slow', arguments: { steps: 100, delayMs: 50 } }, undefined, {
        signal: controller.signal,
      });
      await new Promise((r) => setTimeout(r, 300));
      controller.abort('user pressed stop');
      await expect(call).rejects.toThrow();
      const tree = await callTree('fx__slow', (e) => e.outcome === 'cancelled');
      expect(tree.entry).toMatchObject({ outcome: 'cancelled', server: 'fx' });
      // The client's own reason, not a fixed text.
      expect(tree.entry.error?.message).toBe('cancelled: user pressed stop');
      const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
      expect(upstream.entry.outcome).toBe('cancelled');
      expect(tree.entry.durationMs).toBeGreaterThanOrEqual(250);
      const sessionId = tree.entry.session!.id;
      const fromClient = gateway.traffic.list({
        session: sessionId,
        edge: 'client',
        method: 'notifications/cancelled',
      }).entries;
      expect(fromClient.map((e) => [e.edge, e.direction])).toEqual([['client', 'in']]);
      // Read as part of the call it cancelled.
      expect(fromClient[0]!.parentId).toBe(tree.entry.id);
      expect(tree.children.map((c) => c.entry.method)).toContain('notifications/cancelled');
      // And what the gateway told the server, under the request it withdrew, with the client's reason.
      expectServerTold(upstream, 'cancelled: user pressed stop');
    } finally {
      await client.close();
    }
  });

  it('shows what the server and the client were told when a call is cancelled as its question waits', async () => {
    const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    let asked = false;
    client.setRequestHandler(ElicitRequestSchema, () => {
      asked = true;
      return new Promise(() => {});
    });
    const controller = new AbortController();
    try {
      const call = client.callTool({ name: 'fx__ask', arguments: {} }, undefined, { signal: controller.signal });
      await waitFor(() => asked, 10_000, 'the question at the client');
      controller.abort('never mind');
      await expect(call).rejects.toThrow();
      const tree = await callTree('fx__ask', (e) => e.outcome === 'cancelled');
      const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
      expectServerTold(upstream, 'cancelled: never mind');
      // The server's question was withdrawn from the client, not from the server: nothing under it was sent the server.
      const question = only(childrenOf(upstream, 'upstream', 'in', 'elicitation/create'), "the server's question");
      expect(question.entry.outcome).toBe('cancelled');
      expect(childrenOf(question, 'upstream', 'out', 'notifications/cancelled')).toEqual([]);
      // What the client was told: the question put to it was withdrawn, under that question.
      const put = only(childrenOf(question, 'client', 'out', 'elicitation/create'), 'the question put to the client');
      expect(put.entry.outcome).toBe('cancelled');
      const told = only(childrenOf(put, 'client', 'out', 'notifications/cancelled'), 'the withdrawal sent the client');
      expect(told.entry).toMatchObject({ kind: 'notification', outcome: 'delivered' });
      expect(told.entry.session?.id).toBe(tree.entry.session?.id);
      const sent = JSON.parse(told.entry.request.json!) as { requestId: unknown; reason: unknown };
      expect(sent).toMatchObject({ requestId: expect.any(Number), reason: 'the call that asked it has ended' });
    } finally {
      await client.close();
    }
  });

  it('files a cancellation that crossed the answer on the wire under the call it names', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const ids: unknown[] = [];
      const transport = client.transport!;
      const send = transport.send.bind(transport);
      transport.send = (message, options) => {
        if ('id' in message && 'method' in message && message.method === 'tools/call') ids.push(message.id);
        return send(message, options);
      };
      // The client gave up as the answer was on its way: its cancellation comes after the call ended.
      await client.callTool({ name: 'fx__echo', arguments: { message: 'answered as it was cancelled' } });
      const tree = await callTree('fx__echo', (e) => e.request.json!.includes('answered as it was cancelled'));
      expect(ids).toHaveLength(1);
      const requestId = ids[0] as string | number;
      await client.notification({ method: 'notifications/cancelled', params: { requestId, reason: 'too late' } });
      const late = await waitFor(
        () =>
          gateway.traffic
            .list({ session: tree.entry.session!.id, method: 'notifications/cancelled' })
            .entries.find((e) => e.request.json?.includes('too late')),
        5000,
        'the late cancellation',
      );
      expect(late.parentId).toBe(tree.entry.id);
      expect(childrenOf(gateway.traffic.tree(tree.entry.id), 'client', 'in', 'notifications/cancelled')).toHaveLength(
        1,
      );
    } finally {
      await client.close();
    }
  });

  it('records a call in flight when its client ends the session as cancelled for that reason', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    const call = client.callTool({ name: 'fx__slow', arguments: { steps: 100, delayMs: 50 } }).catch((e: unknown) => e);
    await waitFor(
      () => gateway.traffic.list({ edge: 'upstream', target: 'slow', outcome: 'pending' }).entries.length > 0,
      5000,
      'the call upstream',
    );
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await client.close();
    await call;
    const tree = await callTree('fx__slow', (e) => e.error?.message === 'the client session ended');
    expect(tree.entry.outcome).toBe('cancelled');
    const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
    expectServerTold(upstream, 'the client session ended');
  });

  it("files a 2026-07-28 stdio client's cancellation under its call, and what the server was told", async () => {
    const client = rawStdio(NODE, [CLI, 'shim'], {
      ...process.env,
      SWITCHBOARD_RUNTIME_DIR: runtimeDir(),
      SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, '-e', 'process.exit(1)']),
    });
    try {
      const meta = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'stateless-stdio', version: '1' },
      };
      const params = { name: 'fx__slow', arguments: { steps: 100, delayMs: 50 }, _meta: meta };
      client.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params });
      await waitFor(
        () =>
          gateway.traffic
            .list({ edge: 'upstream', target: 'slow', outcome: 'pending' })
            .entries.some((e) => e.session?.client?.name === 'stateless-stdio'),
        10_000,
        'the call upstream',
      );
      client.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'stop it' } });
      const tree = await callTree('fx__slow', (e) => e.session?.client?.name === 'stateless-stdio');
      expect(tree.entry.outcome).toBe('cancelled');
      const fromClient = only(childrenOf(tree, 'client', 'in', 'notifications/cancelled'), "the client's cancellation");
      expect(JSON.parse(fromClient.entry.request.json!)).toEqual({ requestId: 7, reason: 'stop it' });
      const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
      expectServerTold(upstream, 'cancelled: stop it');
    } finally {
      client.close();
    }
  });

  it('records a 2026-07-28 call as answered, with the result the client got (not as cancelled)', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'stateless-client', version: '1' },
    };
    const res = await fetch(gateway.httpUrl()!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'fx__echo',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'fx__echo', arguments: { message: 'stateless hello' }, _meta: meta },
      }),
    });
    const answer = await res.text();
    expect(answer).toContain('stateless hello');
    const tree = await callTree('fx__echo', (e) => e.session?.client?.name === 'stateless-client');
    expect(tree.entry).toMatchObject({ outcome: 'ok' });
    expect(tree.entry.error).toBeUndefined();
    expect(tree.entry.response?.json).toContain('stateless hello');
  });

  it('records a call that outlives its timeout as a timeout on both edges', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const result = client.callTool({ name: 'tight__slow', arguments: { steps: 20, delayMs: 100 } });
      await expect(result).rejects.toThrow(/timed out|timeout/i);
    } finally {
      await client.close();
    }
    const tree = await callTree('tight__slow');
    expect(tree.entry.outcome).toBe('timeout');
    expect(tree.entry.error?.message).toMatch(/timed out|timeout/i);
    const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
    expect(upstream.entry).toMatchObject({ outcome: 'timeout', server: 'tight' });
    expect(upstream.entry.durationMs).toBeGreaterThanOrEqual(390);
    expect(upstream.entry.durationMs).toBeLessThan(2000);
    expectServerTold(upstream, 'timed out');
    // Slowest first: the stats show the timeout against the tool.
    const stats = gateway.traffic.stats({ server: 'tight' });
    expect(stats.tools.find((t) => t.tool === 'slow')).toMatchObject({ calls: 1, errors: 1, timeouts: 1 });
  });

  it('keeps the head of a large answer, cut at 64 KiB, with the size the client received, on both edges', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    let received: string;
    try {
      const result = await client.callTool({ name: 'fx__big', arguments: { bytes: 3_000_000 } });
      received = JSON.stringify(result);
    } finally {
      await client.close();
    }
    const tree = await callTree('fx__big');
    const upstream = only(childrenOf(tree, 'upstream', 'out', 'tools/call'), 'the call upstream');
    for (const entry of [tree.entry, upstream.entry]) {
      expect(entry.response).toMatchObject({ bytes: Buffer.byteLength(received), truncated: true });
      expect(entry.response!.json).toMatch(/^\{"content":\[\{"type":"text","text":"x{60000,}/);
      expect(entry.response!.json).toMatch(
        new RegExp(`…\\[truncated: ${Buffer.byteLength(received)} bytes in all\\]$`),
      );
      expect(Buffer.byteLength(entry.response!.json!)).toBeLessThan(64 * 1024 + 100);
    }
  });
});

describe('the traffic record turned on while the gateway runs', () => {
  it('hides the fields a server marked sensitive in its tool list before recording began', async () => {
    const own = await tempDir('sb-traffic-later-');
    const servers = { leaky: { command: NODE, args: [path.join(ROOT, 'test/fixtures/servers/leaky-server.ts')] } };
    const later = await startGateway(await writeConfig(own.dir, { mcpServers: servers, traffic: { enabled: false } }));
    try {
      await waitFor(() => later.servers()[0]?.state === 'ready', 10_000, 'leaky ready');
      await writeConfig(own.dir, { mcpServers: servers });
      await later.reload();
      const client = await httpClient(later.httpUrl()!);
      try {
        await client.callTool({ name: 'leaky__leak', arguments: { pin: '8642-2468' } });
      } finally {
        await client.close();
      }
      const [call] = later.traffic.list({ edge: 'client', target: 'leaky__leak' }).entries;
      expect(JSON.parse(call!.request.json!)).toEqual({ name: 'leaky__leak', arguments: { pin: '[redacted]' } });
      expect(JSON.stringify(later.traffic.list({ limit: 1000 }))).not.toContain('8642-2468');
    } finally {
      await later.stop();
      await own.cleanup();
    }
  });
});
