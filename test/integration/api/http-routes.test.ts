import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenHttp, type HttpListener } from '../../../main/engine/downstream/http-server.ts';
import { createApiRoutes, type ApiRoutes } from '../../../main/engine/api/http-routes.ts';
import type { EngineApi, EngineServer, EngineTool } from '../../../main/engine/api/gateway-api.ts';
import { PromptBroker } from '../../../main/engine/elicitation/index.ts';
import { GatewayError } from '../../../main/engine/protocol/errors.ts';

const TOKEN = 'c0ffee'.repeat(10) + 'abcd';
const SERVERS: EngineServer[] = [
  { name: 'github', kind: 'stdio', state: 'ready', restarts: 0, toolCount: 2, pid: 42 },
  { name: 'linear', kind: 'http', state: 'backoff', restarts: 3, toolCount: 0, lastError: 'connection refused' },
];
const TOOLS: EngineTool[] = [
  { name: 'create_issue', server: 'github', originalName: 'create_issue' },
  { name: 'search', server: 'github', originalName: 'search', description: 'Search code' },
];

/** The collaborator of the unit under test: a small EngineApi with the real broker behind its prompt methods. */
function fakeApi(broker: PromptBroker) {
  const restarted: string[] = [];
  const known = (name: string) => {
    if (!SERVERS.some((s) => s.name === name)) throw new GatewayError('not_found', `no server named "${name}"`);
  };
  const api: EngineApi = {
    getStatus: async () => ({ version: '1.2.3', configPath: '/tmp/config.json', listen: ['http://127.0.0.1:1/mcp'] }),
    listServers: async () => SERVERS,
    listTools: async (server) => TOOLS.filter((t) => server === undefined || t.server === server),
    restartServer: async (name) => {
      known(name);
      restarted.push(name);
    },
    getServerLog: async (name) => {
      known(name);
      return [`${name}: line 1`, `${name}: line 2`];
    },
    listPrompts: async () => broker.list(),
    answerPrompt: async (id, answer) => broker.answer(id, answer),
  };
  return { api, restarted };
}

interface SseEvent {
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE response incrementally; `next(pred)` waits for the first matching event not yet consumed. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  let waiters: (() => void)[] = [];
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const ev: SseEvent = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) ev.comment = line.slice(1).trim();
          else if (line.startsWith('event: ')) ev.event = line.slice(7);
          else if (line.startsWith('data: ')) ev.data = line.slice(6);
        }
        events.push(ev);
      }
      const w = waiters;
      waiters = [];
      for (const fn of w) fn();
    }
  })();
  let consumed = 0;
  return {
    async next(pred: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = consumed; i < events.length; i++) {
          if (pred(events[i]!)) {
            consumed = i + 1;
            return events[i]!;
          }
        }
        if (Date.now() > deadline) throw new Error(`no matching SSE event; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

describe('control API over HTTP (/api)', () => {
  let listener: HttpListener;
  let routes: ApiRoutes;
  let broker: PromptBroker;
  let restarted: string[];
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${base}${path}`, { headers });
  const post = (path: string, body: unknown, headers: Record<string, string> = { ...auth, 'content-type': 'application/json' }) =>
    fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    broker = new PromptBroker();
    const fake = fakeApi(broker);
    restarted = fake.restarted;
    routes = createApiRoutes({ api: fake.api, broker, token: TOKEN, keepAliveMs: 100, maxEventStreams: 3 });
    listener = await listenHttp({
      host: '127.0.0.1',
      port: 0,
      allowedOrigins: [],
      maxRequestBytes: 1024 * 1024,
      createSession: () => {
        throw new Error('no MCP sessions in this test');
      },
      profileExists: () => false,
      extraRoutes: routes,
    });
    base = `http://127.0.0.1:${listener.port}`;
  });
  afterAll(async () => {
    routes?.close();
    broker?.withdrawAll('test over');
    await listener?.close();
  });

  it('refuses every route without the right bearer token (401), and a token in the URL (400)', async () => {
    for (const path of ['/api/status', '/api/servers', '/api/prompts', '/api/events', '/api/nope', '/api']) {
      const none = await get(path, {});
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await none.json()).toMatchObject({ code: 'unauthorized' });
      expect((await get(path, { authorization: `Bearer ${TOKEN.slice(0, -1)}0` })).status, path).toBe(401);
      expect((await get(path, { authorization: `Bearer ${TOKEN}x` })).status, path).toBe(401);
      expect((await get(path, { authorization: TOKEN })).status, path).toBe(401);
    }
    expect((await post('/api/servers/github/restart', {}, { 'content-type': 'application/json' })).status).toBe(401);
    expect(restarted).toEqual([]);
    const inUrl = await get(`/api/status?access_token=${TOKEN}`);
    expect(inUrl.status).toBe(400);
    expect(((await inUrl.json()) as { error: string }).error).toMatch(/never put the token in the URL/);
    // The scheme is case-insensitive.
    expect((await get('/api/status', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it('runs behind the listener\'s Host/Origin guard', async () => {
    const res = await fetch(`${base}/api/status`, { headers: { ...auth, origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
  });

  it('GET status, servers, tools (all or one server) and a server log as JSON', async () => {
    const status = await get('/api/status');
    expect(status.status).toBe(200);
    expect(status.headers.get('content-type')).toBe('application/json');
    expect(status.headers.get('cache-control')).toBe('no-store');
    expect(await status.json()).toEqual({ version: '1.2.3', configPath: '/tmp/config.json', listen: ['http://127.0.0.1:1/mcp'] });
    expect(await (await get('/api/servers')).json()).toEqual(SERVERS);
    expect(await (await get('/api/tools')).json()).toEqual(TOOLS);
    expect(await (await get('/api/tools?server=linear')).json()).toEqual([]);
    expect(await (await get('/api/tools/')).json()).toEqual(TOOLS);
    expect((await get('/api/tools?server=')).status).toBe(400);
    expect(await (await get('/api/servers/github/log')).json()).toEqual(['github: line 1', 'github: line 2']);
    const missing = await get('/api/servers/nope/log');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no server named "nope"', code: 'not_found' });
  });

  it('POST restart: JSON only, empty body or {}; 204; unknown server 404', async () => {
    expect((await post('/api/servers/github/restart', '')).status).toBe(204);
    expect((await post('/api/servers/github/restart', {})).status).toBe(204);
    expect(restarted).toEqual(['github', 'github']);
    const text = await post('/api/servers/github/restart', '{}', { ...auth, 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const form = await post('/api/servers/github/restart', 'a=1', { ...auth, 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect((await post('/api/servers/github/restart', { force: true })).status).toBe(400);
    expect((await post('/api/servers/nope/restart', {})).status).toBe(404);
    expect((await post('/api/servers/%E0%A4%A/restart', {})).status).toBe(400);
    expect(restarted).toEqual(['github', 'github']);
    const wrongMethod = await get('/api/servers/github/restart');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('unknown /api paths are 404 JSON; other paths are left to the MCP routes', async () => {
    const res = await get('/api/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Not found: /api/nope is not a control API route', code: 'not_found' });
    const mcp = await get('/mcp');
    expect(mcp.status).toBe(404);
    expect(((await mcp.json()) as { error: string }).error).toMatch(/Unknown profile/);
    expect((await get('/apix', {})).status).toBe(404);
  });

  it('lists a pending prompt and answers it: validation errors name the field, a good answer resolves the ask', async () => {
    const asked = broker.ask(
      {
        server: 'github',
        method: 'elicitation/create',
        params: { message: 'Which repository?', requestedSchema: { type: 'object', properties: { repo: { type: 'string' }, private: { type: 'boolean' } }, required: ['repo'] } },
        client: { name: 'Zed' },
        reason: 'the client (Zed) does not support elicitation',
      },
      { timeoutMs: 60_000 },
    );
    const list = (await (await get('/api/prompts')).json()) as { id: string }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ server: 'github', kind: 'elicitation', mode: 'form', message: 'Which repository?', client: { name: 'Zed' }, reason: 'the client (Zed) does not support elicitation' });
    const id = list[0]!.id;

    const bad = await post(`/api/prompts/${id}`, { action: 'accept', content: { repo: 'sb', private: 'yes' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'field "private" must be true or false, got "yes"', code: 'invalid_request', field: 'private' });
    const missing = await post(`/api/prompts/${id}`, { action: 'accept', content: {} });
    expect(await missing.json()).toMatchObject({ field: 'repo', error: 'field "repo" is required' });
    expect((await post(`/api/prompts/${id}`, '{"action":')).status).toBe(400);
    expect((await post(`/api/prompts/${id}`, '[]')).status).toBe(400);
    expect((await post(`/api/prompts/${id}`, '{"action":"decline"}', { ...auth, 'content-type': 'text/plain' })).status).toBe(415);

    const good = await post(`/api/prompts/${id}`, { action: 'accept', content: { repo: 'switchboard', private: true } });
    expect(good.status).toBe(204);
    await expect(asked).resolves.toEqual({ action: 'accept', content: { repo: 'switchboard', private: true } });
    const again = await post(`/api/prompts/${id}`, { action: 'decline' });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'not_found' });
    expect(await (await get('/api/prompts')).json()).toEqual([]);
  });

  it('a sampling prompt answered over HTTP; declining it rejects the ask with -1', async () => {
    const request = { server: 'writer', method: 'sampling/createMessage' as const, params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 }, reason: 'no sampling in this client' };
    const first = broker.ask(request, { timeoutMs: 60_000 });
    const [p1] = (await (await get('/api/prompts')).json()) as { id: string }[];
    expect((await post(`/api/prompts/${p1!.id}`, { action: 'accept', content: { type: 'text', text: 'hello' } })).status).toBe(204);
    await expect(first).resolves.toEqual({ role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'user', stopReason: 'endTurn' });

    const second = broker.ask(request, { timeoutMs: 60_000 });
    const rejected = second.catch((e: unknown) => e);
    const [p2] = (await (await get('/api/prompts')).json()) as { id: string }[];
    expect((await post(`/api/prompts/${p2!.id}`, { action: 'decline' })).status).toBe(204);
    expect(await rejected).toMatchObject({ rpc: { code: -1 } });
  });

  it('GET /api/events streams prompt-added, prompt-settled, servers and keep-alive comments', async () => {
    const res = await get('/api/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = sseReader(res);
    await sse.next((e) => e.comment === 'connected');
    await expect.poll(() => routes.streamCount()).toBe(1);

    const asked = broker.ask({ server: 'auth', method: 'elicitation/create', params: { mode: 'url', message: 'Sign in', url: 'https://auth.example/login?x=1', elicitationId: 'e1' }, reason: 'r' }, { timeoutMs: 60_000 });
    const added = await sse.next((e) => e.event === 'prompt-added');
    const dto = JSON.parse(added.data!) as { id: string; url: string };
    expect(dto).toMatchObject({ kind: 'elicitation', mode: 'url', url: 'https://auth.example/login?x=1', elicitationId: 'e1' });

    expect((await post(`/api/prompts/${dto.id}`, { action: 'accept' })).status).toBe(204);
    await expect(asked).resolves.toEqual({ action: 'accept' });
    const settled = await sse.next((e) => e.event === 'prompt-settled');
    expect(JSON.parse(settled.data!)).toEqual({ id: dto.id, outcome: 'answered' });

    routes.notifyServers();
    routes.notifyServers();
    const servers = await sse.next((e) => e.event === 'servers');
    expect(JSON.parse(servers.data!)).toEqual(SERVERS);

    await sse.next((e) => e.comment === 'keep-alive');
    await sse.cancel();
    await expect.poll(() => routes.streamCount()).toBe(0);
  });

  it('caps the number of event streams (503)', async () => {
    const open = await Promise.all([1, 2, 3].map(() => get('/api/events')));
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    const extra = await get('/api/events');
    expect(extra.status).toBe(503);
    expect(await extra.json()).toMatchObject({ code: 'too_many_streams' });
    await Promise.all(open.map((r) => r.body!.cancel()));
    await expect.poll(() => routes.streamCount()).toBe(0);
  });
});
