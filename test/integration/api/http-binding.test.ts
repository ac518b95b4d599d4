/**
 * What only the HTTP binding has: the bearer token, routes and status codes, JSON bodies, and
 * the event stream (keep-alive, a cap on streams, Last-Event-ID replay, resync). Served from a
 * real gateway's dispatcher and events, on a listener of its own so the limits can be small.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRoutes, type ApiRoutes } from '../../../main/engine/api/http-binding.ts';
import type { HttpListener } from '../../../main/engine/downstream/http-server.ts';
import type { Gateway } from '../../../main/engine/index.ts';
import { createApiClient, type Question, type TrafficBatch } from '../../../preload/contract/index.ts';
import { createHttpBridge } from '../../../preload/contract/http-bridge.ts';
import { listenApi } from '../../helpers/api-clients.ts';
import { fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const TOKEN = 'c0ffee'.repeat(10) + 'abcd';

interface SseEvent {
  id?: string;
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
          else if (line.startsWith('id: ')) ev.id = line.slice(4);
          else if (line.startsWith('event: ')) ev.event = line.slice(7);
          else if (line.startsWith('data: ')) ev.data = line.slice(6);
        }
        events.push(ev);
      }
    }
  })();
  let consumed = 0;
  return {
    events,
    async next(pred: (e: SseEvent) => boolean, what = 'an event'): Promise<SseEvent> {
      return waitFor(
        () => {
          const i = events.findIndex((e, index) => index >= consumed && pred(e));
          if (i === -1) return undefined;
          consumed = i + 1;
          return events[i];
        },
        5000,
        `${what} (got ${JSON.stringify(events)})`,
      );
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

describe('the control API over HTTP (/api)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let listener: HttpListener;
  let routes: ApiRoutes;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${base}${path}`, { headers });
  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { ...auth, 'content-type': 'application/json' },
  ) =>
    fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  /** A question as a server would put it, straight to the gateway's broker. */
  const ask = (
    schema: Record<string, unknown> = {
      type: 'object',
      properties: { repo: { type: 'string' }, private: { type: 'boolean' } },
      required: ['repo'],
    },
  ) =>
    gateway.questions.ask(
      {
        server: 'fx',
        method: 'elicitation/create',
        params: { message: 'Which repository?', requestedSchema: schema },
        client: { name: 'Zed' },
        reason: 'the client (Zed) does not support elicitation',
      },
      { timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }), {
      http: false,
    });
    routes = createApiRoutes({
      dispatch: gateway.dispatch,
      events: gateway.events,
      token: TOKEN,
      keepAliveMs: 100,
      maxEventStreams: 3,
      maxBodyBytes: 4096,
    });
    listener = await listenApi(routes);
    base = `http://127.0.0.1:${listener.port}`;
    await gateway.upstream('fx')!.whenReady(20_000);
  });
  afterAll(async () => {
    routes?.close();
    await listener?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('refuses every route without the right bearer token (401), and a token in the URL (400)', async () => {
    for (const path of ['/api/status', '/api/servers', '/api/questions', '/api/events', '/api/nope', '/api']) {
      const none = await get(path, {});
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await none.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect((await get(path, { authorization: `Bearer ${TOKEN.slice(0, -1)}0` })).status, path).toBe(401);
      expect((await get(path, { authorization: `Bearer ${TOKEN}x` })).status, path).toBe(401);
      expect((await get(path, { authorization: TOKEN })).status, path).toBe(401);
    }
    const before = gateway.servers()[0]!.pid;
    expect((await post('/api/servers/fx/restart', {}, { 'content-type': 'application/json' })).status).toBe(401);
    expect(gateway.servers()[0]!.pid).toBe(before);
    const inUrl = await get(`/api/status?access_token=${TOKEN}`);
    expect(inUrl.status).toBe(400);
    expect(((await inUrl.json()) as { error: { message: string } }).error.message).toMatch(
      /never put the token in the URL/,
    );
    // The scheme is case-insensitive.
    expect((await get('/api/status', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it("runs behind the listener's Host/Origin guard", async () => {
    const res = await fetch(`${base}/api/status`, { headers: { ...auth, origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
  });

  it('answers GETs as JSON, arguments from the path and the query string', async () => {
    const status = await get('/api/status');
    expect(status.status).toBe(200);
    expect(status.headers.get('content-type')).toBe('application/json');
    expect(status.headers.get('cache-control')).toBe('no-store');
    expect(await status.json()).toMatchObject({ version: 'test' });
    expect(await (await get('/api/servers')).json()).toEqual([expect.objectContaining({ name: 'fx', state: 'ready' })]);
    const tools = (await (await get('/api/tools')).json()) as { server: string }[];
    expect(tools.length).toBeGreaterThan(0);
    expect(await (await get('/api/tools/')).json()).toEqual(tools);
    expect(await (await get('/api/tools?server=fx')).json()).toEqual(tools);
    expect(await (await get('/api/tools?server=none')).json()).toEqual([]);
    const empty = await get('/api/tools?server=');
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'server' } });
    const typo = await get('/api/tools?srv=fx');
    expect(typo.status).toBe(400);
    expect(await typo.json()).toEqual({
      ok: false,
      error: { code: 'invalid_request', message: 'listTools takes no query parameter "srv" (it takes server)' },
    });
    expect(await (await get('/api/servers/fx/log')).json()).toEqual(
      expect.arrayContaining([expect.stringMatching(/ready/)]),
    );
  });

  it('POST restart: JSON only, no body or {}, 204; unknown server 404', async () => {
    expect((await post('/api/servers/fx/restart', '')).status).toBe(204);
    expect((await post('/api/servers/fx/restart', {})).status).toBe(204);
    const text = await post('/api/servers/fx/restart', '{}', { ...auth, 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ ok: false, error: { code: 'unsupported_media_type' } });
    const form = await post('/api/servers/fx/restart', 'a=1', {
      ...auth,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const extra = await post('/api/servers/fx/restart', { force: true });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toEqual({
      ok: false,
      error: { code: 'invalid_request', message: 'restartServer takes no body: send none, or {}' },
    });
    const unknown = await post('/api/servers/nope/restart', {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringMatching(/no server named "nope"/) },
    });
    expect((await post('/api/servers/%E0%A4%A/restart', {})).status).toBe(400);
    const wrongMethod = await get('/api/servers/fx/restart');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toMatchObject({ ok: false, error: { code: 'method_not_allowed' } });
    await waitFor(() => gateway.servers()[0]!.state === 'ready', 10_000, 'fx ready again');
  });

  it('refuses a body over the limit (413) and one that is not JSON (400)', async () => {
    const big = await post('/api/servers/fx/restart', JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ ok: false, error: { code: 'message_too_large' } });
    const broken = await post('/api/questions/abc', '{"action":');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringMatching(/not valid JSON/) },
    });
  });

  it('unknown /api paths are 404 JSON; other paths are left to the MCP routes', async () => {
    const res = await get('/api/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'Not found: /api/nope is not a control API route' },
    });
    const mcp = await get('/mcp');
    expect(mcp.status).toBe(404);
    expect(((await mcp.json()) as { error: string }).error).toMatch(/Unknown profile/);
    expect((await get('/apix', {})).status).toBe(404);
  });

  it('answers a question: errors name the form field; a good answer is 204, a second 404', async () => {
    const asked = ask();
    const [question] = (await (await get('/api/questions')).json()) as Question[];
    expect(question).toMatchObject({
      server: 'fx',
      kind: 'elicitation',
      mode: 'form',
      message: 'Which repository?',
      client: { name: 'Zed' },
    });
    const bad = await post(`/api/questions/${question!.id}`, {
      action: 'accept',
      content: { repo: 'sb', private: 'yes' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      ok: false,
      error: {
        code: 'invalid_request',
        field: 'private',
        message: 'field "private" must be true or false, got "yes"',
      },
    });
    expect((await post(`/api/questions/${question!.id}`, '[]')).status).toBe(400);
    const good = await post(`/api/questions/${question!.id}`, {
      action: 'accept',
      content: { repo: 'switchboard', private: true },
    });
    expect(good.status).toBe(204);
    await expect(asked).resolves.toEqual({ action: 'accept', content: { repo: 'switchboard', private: true } });
    const again = await post(`/api/questions/${question!.id}`, { action: 'decline' });
    expect(again.status).toBe(404);
    expect(await (await get('/api/questions')).json()).toEqual([]);
  });

  it('GET /api/events streams events with ids, and keep-alive comments', async () => {
    const res = await get('/api/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = sseReader(res);
    await sse.next((e) => e.comment === 'connected');
    // The first event is resync, with the id of the newest event at that moment (others, such as a
    // client session of an earlier test ending, may have come since).
    expect(await sse.next((e) => e.event !== undefined)).toEqual({
      id: expect.stringMatching(/^[0-9a-f]+-\d+$/),
      event: 'resync',
      data: '{}',
    });
    await expect.poll(() => routes.streamCount()).toBe(1);
    const asked = ask();
    const added = await sse.next((e) => e.event === 'question-added');
    expect(added.id).toMatch(/^[0-9a-f]+-\d+$/);
    const question = JSON.parse(added.data!) as Question;
    expect((await post(`/api/questions/${question.id}`, { action: 'decline' })).status).toBe(204);
    await expect(asked).resolves.toEqual({ action: 'decline' });
    const ended = await sse.next((e) => e.event === 'question-ended');
    expect(JSON.parse(ended.data!)).toEqual({ id: question.id, outcome: 'declined' });
    await sse.next((e) => e.comment === 'keep-alive');
    await sse.cancel();
    await expect.poll(() => routes.streamCount()).toBe(0);
  });

  it('replays what a stream missed after Last-Event-ID, and says resync when it cannot', async () => {
    const first = sseReader(await get('/api/events'));
    const asked = ask();
    const seen = await first.next((e) => e.event === 'question-added');
    await first.cancel();
    const question = JSON.parse(seen.data!) as Question;
    // While no stream is open: the question ends.
    expect((await post(`/api/questions/${question.id}`, { action: 'cancel' })).status).toBe(204);
    await asked;
    const resumed = sseReader(await get('/api/events', { ...auth, 'last-event-id': seen.id! }));
    const missed = await resumed.next((e) => e.event === 'question-ended');
    expect(JSON.parse(missed.data!)).toEqual({ id: question.id, outcome: 'cancelled' });
    expect(resumed.events.some((e) => e.event === 'question-added')).toBe(false);
    // Then: the traffic of the gap is not replayed, so the reader is told to list it.
    const traffic = await resumed.next((e) => e.event === 'traffic');
    expect(JSON.parse(traffic.data!)).toEqual({ entries: [], skipped: 0, resumed: true });
    await resumed.cancel();

    const stranger = sseReader(await get('/api/events', { ...auth, 'last-event-id': '0123abcd-7' }));
    const resync = await stranger.next((e) => e.event !== undefined);
    expect(resync.event).toBe('resync');
    expect(resync.id).toBe(gateway.events.lastId());
    await stranger.cancel();
  });

  it('the browser-side bridge reconnects its stream and misses nothing', async () => {
    const api = createApiClient(
      createHttpBridge({
        baseUrl: `${base}/api`,
        token: TOKEN,
        reconnect: { initialMs: 50, maxMs: 200 },
      }),
    );
    const added: Question[] = [];
    let resyncs = 0;
    const batches: TrafficBatch[] = [];
    const stops = [
      api.on('question-added', (q) => added.push(q)),
      api.on('resync', () => resyncs++),
      api.on('traffic', (batch) => batches.push(batch)),
    ];
    try {
      // A new stream starts with resync: from then on nothing is missed.
      await waitFor(() => resyncs === 1, 5000, 'the stream to open');
      const one = ask();
      await waitFor(() => added.length === 1, 5000, 'the first question');
      // The gateway drops every stream; a question arrives before the bridge is back.
      routes.close();
      const two = ask();
      await waitFor(() => added.length === 2, 5000, 'the second question, replayed');
      expect(new Set(added.map((q) => q.id)).size).toBe(2);
      // It resumed where it was: no resync needed. Live traffic is not replayed: it is told to list.
      expect(resyncs).toBe(1);
      await waitFor(() => batches.some((b) => b.resumed), 5000, 'the resumed traffic batch');
      expect(batches.filter((b) => b.resumed)).toEqual([{ entries: [], skipped: 0, resumed: true }]);
      for (const q of added) await api.answerQuestion(q.id, { action: 'decline' });
      await Promise.all([one, two]);
    } finally {
      for (const stop of stops) stop();
    }
    await expect.poll(() => routes.streamCount()).toBe(0);
  });

  it('delivers an event larger than the stream backlog limit whole', async () => {
    const sse = sseReader(await get('/api/events'));
    await sse.next((e) => e.event === 'resync', 'the stream to open');
    const text = 'x'.repeat(3 * 1024 * 1024);
    gateway.events.publish('log', { at: 1, level: 'info', source: 'gateway', text });
    const big = await sse.next((e) => e.event === 'log' && e.data!.length > text.length, 'the large event');
    expect((JSON.parse(big.data!) as { text: string }).text).toBe(text);
    await sse.cancel();
    await expect.poll(() => routes.streamCount()).toBe(0);
  });

  it('closes the event stream of a client that stops reading once 1 MiB waits for it; the others go on', async () => {
    const reading = sseReader(await get('/api/events'));
    await reading.next((e) => e.event === 'resync', 'the reading stream to open');
    // A client that opens its stream, reads the response head and never reads again.
    const stalled = net.connect(listener.port, '127.0.0.1');
    stalled.write(
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\nAuthorization: ${auth.authorization}\r\n\r\n`,
    );
    await new Promise((resolve) => stalled.once('data', resolve));
    stalled.pause();
    const closed = new Promise((resolve) => stalled.once('close', resolve));
    await expect.poll(() => routes.streamCount()).toBe(2);
    // 64 MiB of events: far more than the socket's own buffers can take.
    const text = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 64 && routes.streamCount() === 2; i++) {
      gateway.events.publish('log', { at: i, level: 'info', source: 'gateway', text });
      await reading.next((e) => e.event === 'log' && e.data!.includes(`"at":${i},`), `event ${i}`);
    }
    await expect.poll(() => routes.streamCount()).toBe(1);
    stalled.resume();
    await closed;
    gateway.events.publish('log', { at: 99, level: 'info', source: 'gateway', text: 'still here' });
    await reading.next((e) => e.event === 'log' && e.data!.includes('still here'), 'the event after');
    await reading.cancel();
    await expect.poll(() => routes.streamCount()).toBe(0);
  });

  it('the bridge starts over with resync when it subscribes again after being idle', async () => {
    const api = createApiClient(
      createHttpBridge({ baseUrl: `${base}/api`, token: TOKEN, reconnect: { initialMs: 50, maxMs: 200 } }),
    );
    const first: string[] = [];
    const stop = api.on('resync', () => first.push('resync'));
    await waitFor(() => first.length === 1, 5000, 'the first stream');
    stop();
    await expect.poll(() => routes.streamCount()).toBe(0);
    // While nobody listens, something happens; a new subscriber must not get it as news.
    gateway.events.publish('log', { at: 1, level: 'info', source: 'gateway', text: 'while idle' });
    const seen: string[] = [];
    const stops = [api.on('resync', () => seen.push('resync')), api.on('log', (l) => seen.push(l.text))];
    await waitFor(() => seen.length >= 1, 5000, 'the second stream');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['resync']);
    for (const s of stops) s();
  });

  it('caps the number of event streams (503)', async () => {
    const open = await Promise.all([1, 2, 3].map(() => get('/api/events')));
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    const extra = await get('/api/events');
    expect(extra.status).toBe(503);
    expect(await extra.json()).toMatchObject({ ok: false, error: { code: 'too_many_streams' } });
    await Promise.all(open.map((r) => r.body!.cancel()));
    await expect.poll(() => routes.streamCount()).toBe(0);
  });
});
