import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import path from 'node:path';
import type { Gateway } from '../../../main/engine/index.ts';
import {
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
import { rawSession } from '../../helpers/raw-http.ts';
import { statelessPost } from '../../helpers/stateless.ts';
import { ElicitationCompleteNotificationSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const HOSTILE = path.join(ROOT, 'test/fixtures/servers/hostile-server.ts');

describe('misbehaving backends and clients', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          hostile: { command: NODE, args: [HOSTILE] },
          deaf: { command: NODE, args: [HOSTILE], timeoutMs: 2000 },
          fx: fixtureServer('fx'),
        },
      }),
    );
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('holds a bounded amount for a server that stopped reading its input, and refuses the rest', async () => {
    expect(textOf(await client.callTool({ name: 'deaf__deafen', arguments: {} }))).toBe('deaf now');
    const big = 'x'.repeat(4 * 1024 * 1024);
    // Each call waits in the gateway, unwritten; past 16 MiB the next ones are refused at once.
    const calls = await Promise.allSettled(
      Array.from({ length: 6 }, () => client.callTool({ name: 'deaf__poke', arguments: { big } })),
    );
    const errors = calls.map((c) => (c.status === 'rejected' ? String((c.reason as Error).message) : 'answered'));
    expect(
      errors.filter((e) => /server "deaf" is not reading its input: .* MiB sent to it earlier/.test(e)).length,
    ).toBeGreaterThanOrEqual(2);
    expect(errors.filter((e) => /timed out/.test(e)).length).toBeGreaterThanOrEqual(1);
    expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'alive' } }))).toBe('alive');
  }, 30_000);

  it('refuses a server the questions past 64 waiting for a client that does not answer, naming the limit', async () => {
    const silent = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    try {
      // Never answers: every question stays waiting.
      silent.setRequestHandler(ElicitRequestSchema, () => new Promise<never>(() => undefined));
      const result = textOf(await silent.callTool({ name: 'hostile__ask_many', arguments: { count: 100 } }));
      expect(result).toMatch(/^36 refused: client session [0-9a-f]{8} \(test-client 1\.0\.0, streamable-http, /);
      expect(result).toContain('profile default) already has 64 requests from servers waiting for its answer');
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'alive' } }))).toBe('alive');
    } finally {
      await silent.close();
    }
  });

  it('tells only the client that was asked to open a page that the sign-in there completed', async () => {
    const asker = await httpClient(gateway.httpUrl()!, { elicitation: { url: {} } });
    const other = await httpClient(gateway.httpUrl()!, { elicitation: { url: {} } });
    try {
      const completed: string[] = [];
      const otherCompleted: string[] = [];
      asker.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept' }));
      asker.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
        completed.push(n.params.elicitationId);
      });
      other.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
        otherCompleted.push(n.params.elicitationId);
      });
      expect(textOf(await asker.callTool({ name: 'hostile__sign_in', arguments: {} }))).toBe('signed in');
      await waitFor(() => completed.length === 1, 5000, 'the completion');
      expect(completed[0]).toMatch(/^e-/);
      await new Promise((r) => setTimeout(r, 200));
      expect(otherCompleted).toEqual([]);
    } finally {
      await asker.close();
      await other.close();
    }
  });

  it("skips junk list entries and tools clients would refuse, without losing anyone's tools, and says so", async () => {
    const logged: string[] = [];
    gateway.on('log', (line) => logged.push(line.text));
    // The SDK client checks the whole list: one malformed schema in it would fail this call.
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['hostile__poke', 'hostile__bye', 'fx__echo']));
    const loose = tools.find((t) => t.name === 'hostile__loose');
    expect(loose?.inputSchema).toEqual({ type: 'object', properties: { q: { type: 'string' } } });
    expect(loose?.title).toBeUndefined();
    for (const bad of ['props_string', 'required_map', 'prop_as_word', 'bad_output'])
      expect(names).not.toContain(`hostile__${bad}`);
    await gateway.restartServer('hostile');
    await waitFor(() => logged.some((l) => l.startsWith('server "hostile": left out of its tools')), 10_000, 'a note');
    const note = logged.find((l) => l.startsWith('server "hostile": left out of its tools'))!;
    expect(note).toContain('tool "props_string" (inputSchema.properties:');
    expect(note).toContain('tool "required_map" (inputSchema.required:');
    expect(note).toContain('tool "prop_as_word" (inputSchema.properties.city:');
    expect(note).toContain('tool "bad_output" (outputSchema.required.0:');
    expect(note).toContain('tool (name:');
    expect(note).toContain('tool "poke" (listed twice)');
    expect(names.filter((n) => n === 'hostile__poke')).toHaveLength(1);
  });

  it('survives notifications named like object internals and ignores progress it did not ask for', async () => {
    const progress: unknown[] = [];
    const slow = client.callTool({ name: 'fx__slow', arguments: { steps: 3, delayMs: 100 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(textOf(await client.callTool({ name: 'hostile__poke', arguments: {} }))).toBe('poked');
    await slow;
    // fx's own three progress reports, none of the injected ones.
    expect(progress).toHaveLength(3);
    expect(JSON.stringify(progress)).not.toContain('injected');
    expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'alive' } }))).toBe('alive');
  });

  it('reads a batch a server sends (its progress and its answer in one array), as 2025-03-26 allows', async () => {
    const progress: unknown[] = [];
    const result = await client.callTool({ name: 'hostile__batch', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p),
      timeout: 5000,
    });
    expect(textOf(result)).toBe('batched');
    expect(progress).toEqual([{ progress: 1 }]);
  });

  it('reads a resource a tool linked to and lists nowhere, from the server that linked it', async () => {
    const made = await client.callTool({ name: 'hostile__make', arguments: {} });
    const link = (made.content as { type: string; uri: string }[])[0]!;
    expect(link).toMatchObject({ type: 'resource_link', uri: expect.stringMatching(/^hostile:\/\/made\//) });
    // Three servers in this profile, none lists it: the one whose result named it is asked.
    const read = await client.readResource({ uri: link.uri });
    expect(read.contents[0]).toMatchObject({ uri: link.uri, text: `made ${link.uri.slice(15)}` });
    await expect(client.readResource({ uri: 'hostile://made/never-linked' })).rejects.toThrow(/Resource not found/);
  });

  it('fails a call whose input_required question nobody can answer, not as a missing method', async () => {
    // No person to ask either: the question has nowhere to go.
    const alone = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { hostile: { command: NODE, args: [HOSTILE] } } }, 'alone.json'),
      { askPeople: false },
    );
    const plain = await httpClient(alone.httpUrl()!); // no elicitation capability
    try {
      const err = (await plain.callTool({ name: 'hostile__book', arguments: {} }).catch((e: unknown) => e)) as {
        code: number;
        message: string;
      };
      // -32601 would tell the client its tools/call does not exist.
      expect(err.code).toBe(-32603);
      expect(err.message).toContain('server "hostile" needs an answer to elicitation/create to complete this call');
    } finally {
      await plain.close();
      await alone.stop();
    }
  });

  it('answers a stateless-style input_required for a stateful client by asking it, then retries', async () => {
    const asker = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    asker.setRequestHandler(ElicitRequestSchema, async (req) => {
      expect(req.params.message).toBe('Which class?');
      return { action: 'accept', content: { class: 'business' } };
    });
    try {
      expect(textOf(await asker.callTool({ name: 'hostile__book', arguments: {} }))).toBe('booked business');
    } finally {
      await asker.close();
    }
  });

  it("passes an upstream's own input_required through to a stateless client untouched", async () => {
    const first = await statelessPost(
      gateway.httpUrl()!,
      'tools/call',
      { name: 'hostile__book', arguments: {} },
      { capabilities: { elicitation: {} } },
    );
    expect(first.body.result).toMatchObject({
      resultType: 'input_required',
      requestState: 'booking-1',
      inputRequests: { seat: { method: 'elicitation/create' } },
    });
    const second = await statelessPost(
      gateway.httpUrl()!,
      'tools/call',
      {
        name: 'hostile__book',
        arguments: {},
        requestState: 'booking-1',
        inputResponses: { seat: { action: 'decline' } },
      },
      { capabilities: { elicitation: {} } },
    );
    expect(textOf(second.body.result)).toBe('not booked (decline)');
  });

  it('frees a request id the client cancelled, and ends its stream', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    const pending = s.post({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'fx__slow', arguments: { steps: 50, delayMs: 50 } },
    });
    await new Promise((r) => setTimeout(r, 150));
    await s.post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: 'stop' } });
    // An empty event stream, not a 204: a POST carrying a request is answered with JSON or a stream.
    const ended = await pending;
    expect(ended.status).toBe(200);
    expect(ended.headers.get('content-type')).toBe('text/event-stream');
    const again = await s.call({ jsonrpc: '2.0', id: 2, method: 'ping' });
    expect(again).toMatchObject({ id: 2, result: {} });
    // The SDK's client cancels the same way, and takes that answer without a transport error.
    const sdk = await httpClient(gateway.httpUrl()!);
    const transportErrors: string[] = [];
    sdk.onerror = (err) => transportErrors.push(err.message);
    try {
      const abort = new AbortController();
      const call = sdk.callTool({ name: 'fx__slow', arguments: { steps: 50, delayMs: 50 } }, undefined, {
        signal: abort.signal,
      });
      setTimeout(() => abort.abort(), 150);
      await expect(call).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 300));
      expect(transportErrors).toEqual([]);
    } finally {
      await sdk.close();
    }
  });

  it('refuses to resume a finished stream with 400, not the 404 that means "session gone"', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    const resumed = await fetch(gateway.httpUrl()!, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': s.sessionId, 'last-event-id': 'r99.3' },
      signal: AbortSignal.timeout(3000),
    });
    expect(resumed.status).toBe(400);
    expect(await resumed.text()).toMatch(/stream r99 is unknown or finished \(the session is still there\)/);
    expect(await s.call({ jsonrpc: '2.0', id: 7, method: 'ping' })).toMatchObject({ id: 7, result: {} });
  });

  it('sends headers again when a client reopens its GET stream', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    const open = () =>
      fetch(gateway.httpUrl()!, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': s.sessionId },
        signal: AbortSignal.timeout(3000),
      });
    const first = await open();
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    await first.body!.cancel();
    await new Promise((r) => setTimeout(r, 100));
    const second = await open();
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toBe('text/event-stream');
    await second.body!.cancel();
  });
  it(
    "a server flooding stderr costs the app's event stream at " +
      'most its live limit, and the gateway stays responsive',
    async () => {
      const live: string[] = [];
      const notes: string[] = [];
      const stop = gateway.events.on('log', (line) => {
        if (line.server !== 'fx') return;
        if (line.source === 'stderr') live.push(line.text);
        else notes.push(line.text);
      });
      try {
        expect(textOf(await client.callTool({ name: 'fx__stderr', arguments: { text: 'flood', times: 20_000 } }))).toBe(
          'printed 20000',
        );
        // Calls still go through while the flood is read.
        expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'still here' } }))).toBe(
          'still here',
        );
        // Every line is either shown live or counted in a note, and few are shown.
        const held = () => notes.reduce((sum, n) => sum + Number(/^(\d+) more stderr lines/.exec(n)?.[1] ?? 0), 0);
        await waitFor(
          () => live.filter((l) => l.startsWith('flood')).length + held() === 20_000,
          5000,
          'every line shown or counted',
        );
        expect(live.length).toBeLessThanOrEqual(3 * 200);
        // The server's own log keeps a bounded tail, ending with the last line.
        const log = await gateway.api.getServerLog('fx');
        expect(log.length).toBeLessThanOrEqual(600);
        expect(log.at(-1)).toMatch(/^\d\d:\d\d:\d\d\.\d{3} flood 20000$/);
      } finally {
        stop();
      }
    },
  );

  // Last: each round ends the server's process, and later tests would race its restart.
  it('delivers the last response of a server that exits right after writing it', async () => {
    const restarts = () => gateway.servers().find((s) => s.name === 'hostile')!.restarts;
    const before = restarts();
    // Three rounds: more would count as a crash loop (the test backoff gives up after four).
    for (let i = 0; i < 3; i++) {
      // Each call ends the process; wait for the gateway to have restarted it.
      await waitFor(
        () => restarts() === before + i && gateway.servers().find((s) => s.name === 'hostile')?.state === 'ready',
        10_000,
        'hostile restarted',
      );
      const result = await client.callTool({ name: 'hostile__bye', arguments: {} });
      expect(textOf(result).length).toBe(200_000);
    }
  });
});
