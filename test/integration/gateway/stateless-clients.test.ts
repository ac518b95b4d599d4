import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Gateway } from '../../../main/engine/index.ts';
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
import { STATELESS, statelessMeta, statelessPost } from '../../helpers/stateless.ts';
import { rawStdio } from '../../helpers/raw-stdio.ts';
import { startExample } from '../../fixtures/handlers/example-process.ts';

const HOSTILE = path.join(ROOT, 'test/fixtures/servers/hostile-server.ts');
const STATELESS_SERVER = path.join(ROOT, 'test/fixtures/servers/stateless-server.ts');

describe('stateless 2026-07-28 clients', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    dir = await tempDir();
    config = await writeConfig(dir.dir, {
      mcpServers: {
        fx: fixtureServer('fx'),
        hostile: { command: NODE, args: [HOSTILE] },
        sl: { command: NODE, args: [STATELESS_SERVER, '--stdio'] },
      },
    });
    gateway = await startGateway(config);
    url = gateway.httpUrl()!;
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('discovers the gateway without initialize or a session', async () => {
    const { status, body } = await statelessPost(url, 'server/discover');
    expect(status).toBe(200);
    expect(body.result).toMatchObject({
      resultType: 'complete',
      supportedVersions: expect.arrayContaining([STATELESS, '2025-11-25']),
      capabilities: { tools: { listChanged: true } },
      ttlMs: 0,
      cacheScope: 'private',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'switchboard' } },
    });
  });

  it('lists and calls tools with resultType and cache hints', async () => {
    const list = await statelessPost(url, 'tools/list');
    expect(list.body.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect((list.body.result as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain('fx__echo');
    const call = await statelessPost(url, 'tools/call', { name: 'fx__echo', arguments: { message: 'stateless' } });
    expect(call.body.result).toMatchObject({ resultType: 'complete', structuredContent: { message: 'stateless' } });
    expect(textOf(call.body.result)).toBe('stateless');
  });

  it('streams progress on the request before its result', async () => {
    const call = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__slow', arguments: { steps: 3 }, _meta: undefined },
      { meta: { progressToken: 'pt' } },
    );
    const order = call.messages.map((m) =>
      m.method === 'notifications/progress' ? `p${(m.params as { progress: number }).progress}` : 'result',
    );
    expect(order).toEqual(['p1', 'p2', 'p3', 'result']);
  });

  it("turns a server's elicitation into input_required and finishes the same call on retry", async () => {
    const first = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__ask', arguments: {} },
      { capabilities: { elicitation: {} } },
    );
    const result = first.body.result as {
      resultType: string;
      inputRequests: Record<string, { method: string; params: { message: string } }>;
      requestState: string;
    };
    expect(result.resultType).toBe('input_required');
    const [key, question] = Object.entries(result.inputRequests)[0]!;
    expect(question).toMatchObject({ method: 'elicitation/create', params: { message: 'What is your name?' } });
    expect(first.messages.every((m) => !('method' in m && 'id' in m))).toBe(true);
    const second = await statelessPost(
      url,
      'tools/call',
      {
        name: 'fx__ask',
        arguments: {},
        inputResponses: { [key]: { action: 'accept', content: { name: 'Lin' } } },
        requestState: result.requestState,
      },
      { capabilities: { elicitation: {} } },
    );
    expect(second.body.result).toMatchObject({ resultType: 'complete' });
    expect(textOf(second.body.result)).toBe('hello Lin');
  });

  it("takes each round's _meta as the client's: its progress comes under that round's token", async () => {
    const caps = { capabilities: { elicitation: {} } };
    const tokensOf = (call: { messages: Record<string, unknown>[] }) =>
      call.messages
        .filter((m) => m.method === 'notifications/progress')
        .map((m) => (m.params as { progressToken: unknown }).progressToken);
    const first = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__survey', arguments: {} },
      { ...caps, meta: { progressToken: 'round-1' } },
    );
    expect(tokensOf(first)).toEqual(['round-1']);
    const round = first.body.result as { requestState: string; inputRequests: Record<string, unknown> };
    const [key] = Object.keys(round.inputRequests);
    const second = await statelessPost(
      url,
      'tools/call',
      {
        name: 'fx__survey',
        arguments: {},
        inputResponses: { [key!]: { action: 'accept', content: { name: 'Lin' } } },
        requestState: round.requestState,
      },
      { ...caps, meta: { progressToken: 'round-2' } },
    );
    expect(tokensOf(second)).toEqual(['round-2']);
    expect(textOf(second.body.result)).toBe('surveyed Lin');
  });

  it('lets a call finish that runs on past the time a parked call may wait, once its client came back', async () => {
    // A gateway whose parked calls wait 1 s: the client answers at once, the tool then needs 1.5 s.
    const quick = await startGateway(config, { statelessParkedTtlMs: 1000 });
    try {
      const quickUrl = quick.httpUrl()!;
      const caps = { capabilities: { elicitation: {} } };
      const first = await statelessPost(quickUrl, 'tools/call', { name: 'fx__ask', arguments: { thenMs: 1500 } }, caps);
      const asked = first.body.result as { inputRequests: Record<string, unknown>; requestState: string };
      const [key] = Object.keys(asked.inputRequests);
      const second = await statelessPost(
        quickUrl,
        'tools/call',
        {
          name: 'fx__ask',
          arguments: { thenMs: 1500 },
          inputResponses: { [key!]: { action: 'accept', content: { name: 'Kai' } } },
          requestState: asked.requestState,
        },
        caps,
      );
      expect(textOf(second.body.result)).toBe('hello Kai');
      // The same requestState cannot be used again: the call is no longer parked.
      const again = await statelessPost(
        quickUrl,
        'tools/call',
        { name: 'fx__ask', arguments: { thenMs: 1500 }, inputResponses: {}, requestState: asked.requestState },
        caps,
      );
      expect(again.body.error).toMatchObject({ code: -32602 });
    } finally {
      await quick.stop();
    }
  });

  it('fails the call with -32021 when the server asks for something the client did not declare', async () => {
    const call = await statelessPost(url, 'tools/call', { name: 'fx__ask', arguments: {} }, { capabilities: {} });
    expect(call.status).toBe(400);
    expect(call.body.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { elicitation: {} } } });
    // The gateway and the server are fine afterwards.
    expect(
      textOf((await statelessPost(url, 'tools/call', { name: 'fx__echo', arguments: { message: 'ok' } })).body.result),
    ).toBe('ok');
  });

  it('fails the call with -32021 naming the mode when a client of form questions is asked to open a page', async () => {
    const call = await statelessPost(
      url,
      'tools/call',
      { name: 'hostile__sign_in', arguments: {} },
      { capabilities: { elicitation: { form: {} } } },
    );
    expect(call.status).toBe(400);
    expect(call.body.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { elicitation: { url: {} } } },
    });
  });

  it('refuses a tampered requestState and a retry of another tool', async () => {
    const first = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__ask', arguments: {} },
      { capabilities: { elicitation: {} } },
    );
    const state = (first.body.result as { requestState: string }).requestState;
    const tampered = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__ask', arguments: {}, inputResponses: {}, requestState: `${state}-TAMPERED` },
      { capabilities: { elicitation: {} } },
    );
    expect(tampered.status).toBe(400);
    expect(tampered.body.error).toMatchObject({ code: -32602 });
    const other = await statelessPost(url, 'tools/call', {
      name: 'fx__echo',
      arguments: { message: 'x' },
      requestState: state,
    });
    expect(other.body.error).toMatchObject({ code: -32602 });
  });

  it("validates _meta and the standard headers with the revision's codes", async () => {
    const noMeta = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'mcp-protocol-version': STATELESS,
        'mcp-method': 'server/discover',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 101, method: 'server/discover', params: {} }),
    });
    expect(noMeta.status).toBe(400);
    expect(await noMeta.json()).toMatchObject({ id: 101, error: { code: -32602 } });
    const unsupported = await statelessPost(
      url,
      'server/discover',
      {},
      {
        meta: { 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' },
        headers: { 'mcp-protocol-version': 'v999.0.0' },
        id: 301,
      },
    );
    expect(unsupported.status).toBe(400);
    expect(unsupported.body).toMatchObject({
      id: 301,
      error: { code: -32022, data: { requested: 'v999.0.0', supported: expect.arrayContaining([STATELESS]) } },
    });
    const mismatch = await statelessPost(
      url,
      'server/discover',
      {},
      { meta: { 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }, id: 302 },
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ id: 302, error: { code: -32020 } });
    const wrongName = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__echo', arguments: { message: 'x' } },
      { headers: { 'mcp-name': 'fx__other' } },
    );
    expect(wrongName.body.error).toMatchObject({ code: -32020 });
    const encoded = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__echo', arguments: { message: 'x' } },
      { headers: { 'mcp-name': `=?base64?${Buffer.from('fx__echo').toString('base64')}?=` } },
    );
    expect(encoded.status).toBe(200);
    for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'unknown/method']) {
      const removed = await statelessPost(url, method, {});
      expect(removed.status, method).toBe(404);
      expect(removed.body.error).toMatchObject({ code: -32601 });
    }
  });

  it('sends logs only when the request asks for a level', async () => {
    const silent = await statelessPost(url, 'tools/call', {
      name: 'fx__log',
      arguments: { level: 'error', text: 'hush' },
    });
    expect(silent.messages.filter((m) => m.method === 'notifications/message')).toEqual([]);
    const loud = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__log', arguments: { level: 'error', text: 'shout' } },
      { meta: { 'io.modelcontextprotocol/logLevel': 'info' } },
    );
    expect(
      loud.messages.filter((m) => m.method === 'notifications/message').map((m) => (m.params as { data: string }).data),
    ).toEqual(['shout']);
  });

  it('refuses a log level that is none of them, naming it (it meant no log line, without a word)', async () => {
    const call = await statelessPost(
      url,
      'tools/call',
      { name: 'fx__log', arguments: { level: 'error', text: 'shout' } },
      { meta: { 'io.modelcontextprotocol/logLevel': 'warn' } },
    );
    expect(call.status).toBe(400);
    expect(call.body.error).toEqual({
      code: -32602,
      message:
        'Invalid params: _meta io.modelcontextprotocol/logLevel "warn" is not a log level: use one of debug, info, ' +
        'notice, warning, error, critical, alert, emergency',
    });
    const stateful = await httpClient(url);
    try {
      await expect(stateful.setLoggingLevel('warn' as 'warning')).rejects.toThrow(
        'Invalid params: logging/setLevel: level "warn" is not a log level: use one of debug,',
      );
    } finally {
      await stateful.close();
    }
  });

  it('gets the logs its request asks for from a server another client made quieter', async () => {
    const stateful = await httpClient(url);
    try {
      await stateful.setLoggingLevel('error');
      const call = await statelessPost(
        url,
        'tools/call',
        { name: 'fx__log', arguments: { level: 'info', text: 'detail' } },
        { meta: { 'io.modelcontextprotocol/logLevel': 'info' } },
      );
      expect(
        call.messages
          .filter((m) => m.method === 'notifications/message')
          .map((m) => (m.params as { data: string }).data),
      ).toEqual(['detail']);
    } finally {
      await stateful.close();
    }
  });

  it('checks Mcp-Param headers against the arguments they mirror (x-mcp-header), and refuses a mismatch', async () => {
    const call = (headers: Record<string, string>, args: Record<string, unknown> = { region: 'eu' }) =>
      statelessPost(url, 'tools/call', { name: 'sl__regional', arguments: args }, { headers });
    const plain = await call({ 'mcp-param-region': 'eu' });
    expect(plain.status).toBe(200);
    expect(textOf(plain.body.result as never)).toBe('region eu');
    expect((await call({ 'mcp-param-region': '=?base64?ZXU=?=' })).status).toBe(200);
    const refusals: [Record<string, string>, RegExp][] = [
      [{}, /the Mcp-Param-Region header is missing \(arguments.region is given\)/],
      [{ 'mcp-param-region': 'us' }, /Mcp-Param-Region does not match arguments.region/],
      [{ 'mcp-param-region': '=?base64?ZXU?=' }, /Mcp-Param-Region is not valid base64/],
      [{ 'mcp-param-region': '=?base64?Z!U=?=' }, /Mcp-Param-Region is not valid base64/],
    ];
    for (const [headers, message] of refusals) {
      const refused = await call(headers);
      expect(refused.status, JSON.stringify(headers)).toBe(400);
      expect(refused.body.error).toMatchObject({ code: -32020, message: expect.stringMatching(message) });
    }
  });

  it("passes a stateless client's headers on to a JSON handler that forwards them", async () => {
    const example = await startExample('node');
    const own = await writeConfig(
      dir.dir,
      { mcpServers: { travel: { handler: example.url, forwardHeaders: ['X-Tenant'] } } },
      'handler.json',
    );
    const gw = await startGateway(own);
    try {
      const call = await statelessPost(
        gw.httpUrl()!,
        'tools/call',
        { name: 'travel__whoami', arguments: {} },
        { headers: { 'x-tenant': 'acme' } },
      );
      expect(textOf(call.body.result as never)).toContain('"tenant":"acme"');
    } finally {
      await gw.stop();
      await example.stop();
    }
  });

  it('opens a subscriptions/listen stream that starts with the acknowledgement', async () => {
    const controller = new AbortController();
    const res = await fetch(url, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': STATELESS,
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'L1',
        method: 'subscriptions/listen',
        params: { _meta: statelessMeta(), notifications: { toolsListChanged: true, promptsListChanged: true } },
      }),
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const first = JSON.parse(/data: (.+)/.exec(text)![1]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      method: 'notifications/subscriptions/acknowledged',
      params: {
        _meta: { 'io.modelcontextprotocol/subscriptionId': 'L1' },
        notifications: { toolsListChanged: true, promptsListChanged: true },
      },
    });
  });

  it('serves a stateless client over stdio, probing with server/discover', async () => {
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    try {
      client.send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: statelessMeta() } });
      expect((await client.response(1)).result).toMatchObject({
        supportedVersions: expect.arrayContaining([STATELESS]),
      });
      client.send({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'fx__ask', arguments: {}, _meta: statelessMeta({ elicitation: {} }) },
      });
      const asked = (await client.response(2)).result as {
        inputRequests: Record<string, unknown>;
        requestState: string;
      };
      const key = Object.keys(asked.inputRequests)[0]!;
      client.send({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: {
          name: 'fx__ask',
          arguments: {},
          inputResponses: { [key]: { action: 'decline' } },
          requestState: asked.requestState,
          _meta: statelessMeta({ elicitation: {} }),
        },
      });
      expect(textOf((await client.response(3)).result)).toBe('no answer (decline)');
    } finally {
      client.close();
    }
  });

  it('over stdio, closing stdin with only a subscriptions/listen open ends serve --stdio at once', async () => {
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    try {
      const params = { notifications: { toolsListChanged: true }, _meta: statelessMeta() };
      client.send({ jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params });
      await waitFor(
        () => client.messages.some((m) => m.method === 'notifications/subscriptions/acknowledged'),
        20_000,
        'the acknowledgement',
      );
      const exited = new Promise<void>((resolve) => client.child.on('exit', () => resolve()));
      const closed = Date.now();
      client.child.stdin!.end();
      await exited;
      // A stream is no answer owed: serve --stdio does not wait for it as it does for a call.
      expect(Date.now() - closed).toBeLessThan(4000);
    } finally {
      client.close();
    }
  });

  it('over stdio, a call the client cancels gets no answer, and its server is told the reason', async () => {
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    try {
      client.send({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name: 'sl__slow',
          arguments: { steps: 400, delayMs: 50 },
          _meta: statelessMeta({}, { progressToken: 'p' }),
        },
      });
      await waitFor(() => client.messages.some((m) => m.method === 'notifications/progress'), 20_000, 'progress');
      const reason = 'the user pressed stop';
      client.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason } });
      const events = async () => {
        client.send({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'sl__events', arguments: {}, _meta: statelessMeta() },
        });
        const list = JSON.parse(textOf((await client.response(2)).result)) as { events: string[] };
        client.messages.splice(
          client.messages.findIndex((m) => m.id === 2),
          1,
        );
        return list.events.find((e) => e.startsWith('slow cancelled'));
      };
      expect(await waitFor(events, 10_000, 'the server to stop')).toMatch(
        /^slow cancelled at step \d+ \(cancelled: the user pressed stop\)$/,
      );
      // The spec: a receiver of notifications/cancelled does not answer the request it cancels.
      expect(client.messages.filter((m) => m.id === 1)).toEqual([]);
    } finally {
      client.close();
    }
  });
});

describe('a stateless call while a shared server asks for roots on its own', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    const fx = fixtureServer('fx', { FIXTURE_ROOTS_LATER: '1' });
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx } }));
    await gateway.upstream('fx')!.whenReady(15_000);
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is not failed for roots it never asked for: the server is told none come', async () => {
    // Another client's call makes the server ask for roots a little later, of nobody in
    // particular; the stateless call in flight then is taken to be the one asking.
    const other = await httpClient(gateway.httpUrl()!, { roots: { listChanged: true } });
    try {
      await other.callTool({ name: 'fx__roots_later', arguments: { afterMs: 300 } });
      const since = Date.now();
      const done = await statelessPost(
        gateway.httpUrl()!,
        'tools/call',
        { name: 'fx__slow', arguments: { steps: 3, delayMs: 400 } },
        { capabilities: {} },
      );
      expect(done.body.error).toBeUndefined();
      expect(textOf(done.body.result)).toBe('done after 3 steps');
      const asked = gateway.traffic
        .list({ method: 'roots/list', edge: 'upstream' })
        .entries.filter((e) => e.startedAt >= since);
      expect(asked.map((e) => e.outcome)).toEqual(['error']);
    } finally {
      await other.close();
    }
  });
});
