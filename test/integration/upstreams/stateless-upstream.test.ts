import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../main/engine/protocol/errors.ts';
import type { JsonRpcNotification } from '../../../main/engine/protocol/jsonrpc.ts';
import { createMcpUpstream } from '../../../main/engine/upstreams/era.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import {
  STATELESS_SERVER,
  startStatelessHttp,
  type StatelessHttpServer,
} from '../../fixtures/servers/stateless-launch.ts';
import { reach } from '../../helpers/upstream-state.ts';

const FAST_BACKOFF = { initialMs: 100, maxMs: 400, maxAttempts: 30, stableMs: 60_000 };
const CLIENT = { name: 'switchboard-test', version: '0.0.1' };
const CAPABILITIES = { elicitation: { form: {} }, sampling: {} };
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': CAPABILITIES,
  'io.modelcontextprotocol/clientInfo': CLIENT,
};

type Transport = 'stdio' | 'http';

interface Harness {
  upstream: Upstream;
  notifications: JsonRpcNotification[];
  logs: string[];
}

const servers: StatelessHttpServer[] = [];

function create(transport: Transport, url?: string): Harness {
  const logs: string[] = [];
  const common = {
    clientInfo: CLIENT,
    capabilities: CAPABILITIES,
    backoff: FAST_BACKOFF,
    log: (line: string) => logs.push(line),
    listenRetry: { initialMs: 50, maxMs: 200 },
  };
  const upstream =
    transport === 'stdio'
      ? createMcpUpstream(
          {
            name: 'stateless',
            command: process.execPath,
            args: [STATELESS_SERVER],
            env: { STATELESS_NAME: 'stateless' },
            timeoutMs: 10_000,
            startupTimeoutMs: 10_000,
          },
          { ...common, maxMessageBytes: 16 * 1024 * 1024, path: () => Promise.resolve(process.env.PATH ?? '') },
        )
      : createMcpUpstream(
          {
            name: 'stateless',
            url: url!,
            headers: { 'X-Configured': 'yes' },
            transport: 'auto',
            timeoutMs: 10_000,
            startupTimeoutMs: 10_000,
          },
          common,
        );
  const notifications: JsonRpcNotification[] = [];
  upstream.on('notification', (m) => notifications.push(m));
  return { upstream, notifications, logs };
}

async function until<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function textOf(result: Record<string, unknown>): string {
  return ((result.content ?? []) as { type: string; text?: string }[])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

async function events(u: Upstream): Promise<{ events: string[]; headers: Record<string, string | undefined>[] }> {
  return JSON.parse(textOf(await u.request('tools/call', { name: 'events', arguments: {} }))) as {
    events: string[];
    headers: Record<string, string | undefined>[];
  };
}

describe.each<Transport>(['stdio', 'http'])('stateless (2026-07-28) upstream over %s', (transport) => {
  let server: StatelessHttpServer | undefined;
  let h: Harness;

  beforeAll(async () => {
    if (transport === 'http') {
      server = await startStatelessHttp();
      servers.push(server);
    }
    h = create(transport, server?.url);
    h.upstream.start();
    await h.upstream.whenReady(15_000);
  });

  afterAll(async () => {
    await h?.upstream.stop();
    for (const s of servers.splice(0)) await s.kill();
  });

  it('is detected as stateless: info comes from server/discover', () => {
    const info = h.upstream.info()!;
    expect(info.protocolVersion).toBe('2026-07-28');
    expect(info.serverInfo).toEqual({ name: 'stateless', version: '2.0.0' });
    expect(info.capabilities).toMatchObject({
      tools: { listChanged: true },
      resources: { subscribe: true },
      logging: {},
    });
    expect(info.instructions).toBe('A stateless-only test server.');
    expect(h.logs.join('\n')).not.toMatch(/speaks the stateful protocol/);
    expect(h.upstream.status().state).toBe('ready');
  });

  it('mirrors x-mcp-header arguments in Mcp-Param-* headers', async () => {
    // No tools/list first: over HTTP the server refuses the call (-32020), the upstream learns the
    // declarations from tools/list and sends the call again.
    expect(textOf(await h.upstream.request('tools/call', { name: 'regional', arguments: { region: 'eu-west' } }))).toBe(
      'region eu-west',
    );
    expect(textOf(await h.upstream.request('tools/call', { name: 'regional', arguments: { region: 'zürich ' } }))).toBe(
      'region zürich ',
    );
    if (transport === 'http') {
      const sent = (await events(h.upstream)).headers
        .map((hd) => hd['mcp-param-region'])
        .filter((v) => v !== undefined);
      expect(sent).toEqual(['eu-west', `=?base64?${Buffer.from('zürich ').toString('base64')}?=`]);
      const methods = (await events(h.upstream)).headers.map((hd) =>
        `${hd['mcp-method']} ${hd['mcp-name'] ?? ''}`.trim(),
      );
      const first = methods.indexOf('tools/call regional');
      expect(methods.slice(first, first + 3)).toEqual(['tools/call regional', 'tools/list', 'tools/call regional']);
    }
  });

  it("lists, calls, reads and gets with the _meta envelope on every request, keeping the caller's _meta", async () => {
    const tools = (await h.upstream.request('tools/list', {})).tools as { name: string }[];
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'slow', 'ask', 'log', 'add_tool']));

    const result = await h.upstream.request('tools/call', {
      name: 'echo',
      arguments: { message: 'hi' },
      _meta: { 'x.test/trace': 't-1' },
    });
    expect(textOf(result)).toBe('hi');
    expect(result.resultType).toBe('complete');
    const seen = result.structuredContent as {
      envelope: Record<string, unknown>;
      meta: Record<string, unknown> | null;
    };
    expect(seen.envelope).toEqual(ENVELOPE);
    expect(seen.meta).toEqual({ 'x.test/trace': 't-1' });

    const read = await h.upstream.request('resources/read', { uri: 'stateless://info' });
    expect((read.contents as { text: string }[])[0]!.text).toBe('about stateless');
    const prompt = await h.upstream.request('prompts/get', { name: 'greet', arguments: { who: 'Ada' } });
    expect(JSON.stringify(prompt.messages)).toContain('Say hello to Ada from stateless');
    expect((await h.upstream.request('resources/list', {})).resources).toEqual(
      expect.arrayContaining([expect.objectContaining({ uri: 'stateless://info' })]),
    );
  });

  it.runIf(transport === 'http')(
    'sends the standard headers on every POST, base64-encoding a non-ASCII Mcp-Name, and no session',
    async () => {
      await h.upstream.request('tools/call', { name: 'echo', arguments: { message: 'x' } });
      await h.upstream.request('prompts/get', { name: 'greet', arguments: { who: 'x' } });
      await h.upstream.request('resources/read', { uri: 'stateless://info' });
      // The server decodes the header and compares it with the body: a wrong encoding would be -32020.
      const err = await h.upstream.request('resources/read', { uri: 'stateless://ünïcødé' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).rpc?.code).not.toBe(-32020);
      const { headers } = await events(h.upstream);
      for (const hd of headers) {
        expect(hd['mcp-protocol-version']).toBe('2026-07-28');
        expect(hd['mcp-session-id']).toBeUndefined();
        expect(hd['x-configured']).toBe('yes');
      }
      const named = headers
        .filter((hd) => hd['mcp-name'] !== undefined)
        .map((hd) => `${hd['mcp-method']} ${hd['mcp-name']}`);
      expect(named).toEqual(
        expect.arrayContaining([
          'tools/call echo',
          'prompts/get greet',
          'resources/read stateless://info',
          `resources/read =?base64?${Buffer.from('stateless://ünïcødé').toString('base64')}?=`,
        ]),
      );
      expect(headers.some((hd) => hd['mcp-method'] === 'server/discover' && hd['mcp-name'] === undefined)).toBe(true);
      expect(headers.some((hd) => hd['mcp-method'] === 'subscriptions/listen')).toBe(true);
    },
  );

  it('delivers every progress notification, in order, before the result', async () => {
    const token = `p-${transport}`;
    let resolvedWith = -1;
    const progress = (): number[] =>
      h.notifications
        .filter((m) => m.method === 'notifications/progress' && m.params?.progressToken === token)
        .map((m) => m.params!.progress as number);
    const result = await h.upstream
      .request('tools/call', { name: 'slow', arguments: { steps: 5, delayMs: 5 }, _meta: { progressToken: token } })
      .then((r) => {
        resolvedWith = progress().length;
        return r;
      });
    expect(textOf(result)).toBe('done after 5 steps');
    expect(resolvedWith).toBe(5);
    expect(progress()).toEqual([1, 2, 3, 4, 5]);
  });

  it('returns input_required verbatim, and a retry with inputResponses and requestState completes', async () => {
    const first = await h.upstream.request('tools/call', { name: 'ask', arguments: {} });
    expect(first.resultType).toBe('input_required');
    const requests = first.inputRequests as Record<string, { method: string; params: { message: string } }>;
    expect(requests.user_name!.method).toBe('elicitation/create');
    expect(requests.user_name!.params.message).toBe('What is your name?');
    expect(first.requestState).toEqual(expect.any(String));

    const retry = await h.upstream.request('tools/call', {
      name: 'ask',
      arguments: {},
      inputResponses: { user_name: { action: 'accept', content: { name: 'Ada' } } },
      requestState: first.requestState,
    });
    expect(retry.resultType).toBe('complete');
    expect(textOf(retry)).toBe('Hello, Ada!');
  });

  it('sends log messages only once a level was set, at that level', async () => {
    const logged = (): unknown[] =>
      h.notifications.filter((m) => m.method === 'notifications/message').map((m) => m.params?.data);
    await h.upstream.request('tools/call', { name: 'log', arguments: { level: 'info', text: 'before setLevel' } });
    expect(await h.upstream.request('logging/setLevel', { level: 'info' })).toEqual({});
    await h.upstream.request('tools/call', { name: 'log', arguments: { level: 'debug', text: 'too detailed' } });
    await h.upstream.request('tools/call', { name: 'log', arguments: { level: 'warning', text: 'after setLevel' } });
    await until(() => logged().length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logged()).toEqual(['after setLevel']);
  });

  it('passes list_changed from the subscription stream (without its id), hides the acknowledgement', async () => {
    const name = `extra_${transport}`;
    await h.upstream.request('tools/call', { name: 'add_tool', arguments: { name } });
    const changed = await until(() => h.notifications.find((m) => m.method === 'notifications/tools/list_changed'));
    expect(changed.params?._meta).toBeUndefined();
    expect(h.notifications.some((m) => m.method === 'notifications/subscriptions/acknowledged')).toBe(false);
    const tools = (await h.upstream.request('tools/list', {})).tools as { name: string }[];
    expect(tools.map((t) => t.name)).toContain(name);
  });

  it('turns resources/subscribe into the subscription filter: updates arrive, and stop after unsubscribe', async () => {
    const updates = (): unknown[] =>
      h.notifications.filter((m) => m.method === 'notifications/resources/updated').map((m) => m.params?.uri);
    expect(await h.upstream.request('resources/subscribe', { uri: 'stateless://watched' })).toEqual({});
    await h.upstream.request('tools/call', { name: 'touch', arguments: { uri: 'stateless://watched' } });
    await h.upstream.request('tools/call', { name: 'touch', arguments: { uri: 'stateless://info' } });
    await until(() => updates().length > 0);
    expect(updates()).toEqual(['stateless://watched']);

    expect(await h.upstream.request('resources/unsubscribe', { uri: 'stateless://watched' })).toEqual({});
    await h.upstream.request('tools/call', { name: 'touch', arguments: { uri: 'stateless://watched' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(updates()).toEqual(['stateless://watched']);
  });

  it.runIf(transport === 'http')(
    'reopens a subscription stream that broke, and announces list changes it may have missed',
    async () => {
      const before = h.notifications.length;
      const listChanged = () =>
        h.notifications.slice(before).filter((m) => m.method === 'notifications/tools/list_changed');
      expect(textOf(await h.upstream.request('tools/call', { name: 'drop_streams', arguments: {} }))).toBe('dropped 1');
      await until(() => listChanged().length > 0);
      expect(h.logs.join('\n')).toMatch(/subscription stream ended .*reopening/);
      expect(h.upstream.status().state).toBe('ready');
      // The new stream carries real changes.
      const seen = listChanged().length;
      await h.upstream.request('tools/call', { name: 'add_tool', arguments: { name: 'after_drop' } });
      await until(() => listChanged().length > seen);
    },
  );

  it('answers ping with a server/discover round trip', async () => {
    expect(await h.upstream.request('ping', {})).toEqual({});
  });

  it('cancels a call when its signal aborts, and the server stops working on it', async () => {
    const token = `c-${transport}`;
    const ac = new AbortController();
    const call = h.upstream.request(
      'tools/call',
      { name: 'slow', arguments: { steps: 100, delayMs: 30 }, _meta: { progressToken: token } },
      { signal: ac.signal },
    );
    await until(() =>
      h.notifications.some((m) => m.method === 'notifications/progress' && m.params?.progressToken === token),
    );
    ac.abort();
    await expect(call).rejects.toMatchObject({ code: 'request_cancelled' });
    const cancelled = await (async () => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const { events: list } = await events(h.upstream);
        const hit = list.find((e) => e.startsWith('slow cancelled at step'));
        if (hit || Date.now() > deadline) return { hit, list };
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    expect(cancelled.hit).toBeDefined();
    expect(cancelled.list).not.toContain('slow finished 100 steps');
  });
});

describe('stateless upstream restarts', () => {
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.kill();
  });

  it('over stdio: a crash fails the call in flight, then backoff, a new process, ready again', async () => {
    const h = create('stdio');
    try {
      h.upstream.start();
      await h.upstream.whenReady(15_000);
      const pid = h.upstream.status().pid;
      await expect(h.upstream.request('tools/call', { name: 'crash', arguments: {} })).rejects.toMatchObject({
        code: 'upstream_closed',
      });
      await reach(h.upstream, 'ready');
      expect(h.upstream.status().restarts).toBe(1);
      expect(h.upstream.status().pid).not.toBe(pid);
      const echoed = await h.upstream.request('tools/call', { name: 'echo', arguments: { message: 'again' } });
      expect(textOf(echoed)).toBe('again');
      expect(h.upstream.info()?.protocolVersion).toBe('2026-07-28');
    } finally {
      await h.upstream.stop();
    }
  });

  it(
    'over HTTP: a server that stops answering sends the upstream ' +
      'to backoff; it is ready again once the server is back',
    async () => {
      let server = await startStatelessHttp();
      servers.push(server);
      const h = create('http', server.url);
      try {
        h.upstream.start();
        await h.upstream.whenReady(15_000);
        await server.kill();
        const failed = await h.upstream
          .request('tools/call', { name: 'echo', arguments: { message: 'lost' } })
          .catch((e: unknown) => e);
        expect(failed).toBeInstanceOf(GatewayError);
        expect(['upstream_closed', 'upstream_unavailable']).toContain((failed as GatewayError).code);
        await reach(h.upstream, 'backoff');
        expect(h.upstream.status().lastError).toMatch(/connection refused|lost the connection|closed/);
        server = await startStatelessHttp(server.port);
        servers.push(server);
        await reach(h.upstream, 'ready');
        expect(textOf(await h.upstream.request('tools/call', { name: 'echo', arguments: { message: 'back' } }))).toBe(
          'back',
        );
        // The subscription stream was reopened on the new server: list changes arrive again.
        await h.upstream.request('tools/call', { name: 'add_tool', arguments: { name: 'after_restart' } });
        await until(() => h.notifications.find((m) => m.method === 'notifications/tools/list_changed'));
      } finally {
        await h.upstream.stop();
      }
    },
  );
});
