import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../../../../main/engine/protocol/errors.ts';
import type { JsonRpcNotification, JsonRpcRequest } from '../../../../../main/engine/protocol/jsonrpc.ts';
import { HandlerError } from '../../../../../main/engine/upstreams/handler/errors.ts';
import { retryForever } from '../../../../../main/engine/upstreams/lifecycle.ts';
import type {
  HandlerExchange,
  HandlerReply,
  HandlerTransport,
} from '../../../../../main/engine/upstreams/handler/transport.ts';
import {
  createHandlerUpstream,
  type HandlerSpec,
  type HandlerUpstreamDeps,
} from '../../../../../main/engine/upstreams/handler/handler-upstream.ts';
import type { ReplyFn, Upstream, UpstreamStatus } from '../../../../../main/engine/upstreams/types.ts';

type Envelope = Record<string, unknown> & { type: string };
type Answer = (envelope: Envelope, exchange: HandlerExchange) => unknown;

/** A transport that answers from a function and records every envelope. */
function fakeTransport(
  answer: Answer,
): HandlerTransport & { sent: Envelope[]; exchanges: HandlerExchange[]; answer: Answer } {
  const t = {
    where: 'http://handler.test/',
    sent: [] as Envelope[],
    exchanges: [] as HandlerExchange[],
    answer,
    async send(exchange: HandlerExchange): Promise<HandlerReply> {
      const envelope = JSON.parse(exchange.body.toString('utf8')) as Envelope;
      t.sent.push(envelope);
      t.exchanges.push(exchange);
      const value = await t.answer(envelope, exchange);
      return { status: 200, body: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)) };
    },
    close: async () => undefined,
  };
  return t;
}

const SPEC: HandlerSpec = {
  kind: 'handler-http',
  name: 'desk',
  target: { url: 'http://handler.test/' },
  insecure: false,
  headers: {},
  timeoutMs: 1000,
  pool: 4,
  discoverTtlMs: 0,
};
/** As the gateway gives handlers their policy: retried for as long as they are configured. */
const BACKOFF = retryForever({ initialMs: 100, maxMs: 400, maxAttempts: 2, stableMs: 1000 });

const upstreams: Upstream[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const u of upstreams.splice(0)) await u.stop();
});

function make(answer: Answer, spec: Partial<HandlerSpec> = {}, deps: HandlerUpstreamDeps = {}) {
  const transport = fakeTransport(answer);
  const upstream = createHandlerUpstream({ ...SPEC, ...spec } as HandlerSpec, { backoff: BACKOFF, transport, ...deps });
  upstreams.push(upstream);
  return { upstream, transport };
}

async function started(answer: Answer, spec: Partial<HandlerSpec> = {}, deps: HandlerUpstreamDeps = {}) {
  const made = make(
    (e, x) => (e.type === 'discover' ? { tools: [{ name: 'book_flight' }] } : answer(e, x)),
    spec,
    deps,
  );
  made.upstream.start();
  await made.upstream.whenReady(1000);
  return made;
}

/** Answers server-to-client requests with a queue of replies. */
function answering(upstream: Upstream, replies: Parameters<ReplyFn>[0][]): JsonRpcRequest[] {
  const asked: JsonRpcRequest[] = [];
  upstream.on('request', (m, reply) => {
    asked.push(m);
    reply(replies.shift() ?? { error: { code: -32601, message: 'nobody home' } });
  });
  return asked;
}

const accept = (content: Record<string, unknown>) => ({ result: { action: 'accept', content } });

describe('envelopes', () => {
  it('discover has no session or client headers; call_tool gets a fresh request id and the session', async () => {
    const { upstream, transport } = await started(() => ({ content: [] }));
    await upstream.request(
      'tools/call',
      { name: 'book_flight', arguments: { destination: 'Oslo' } },
      { sessionId: 'sess-1', clientHeaders: [['X-Tenant', 'a']] },
    );
    await upstream.request('tools/call', { name: 'book_flight' });
    const [discover, first, second] = transport.sent;
    expect(discover).toEqual({
      type: 'discover',
      session_id: null,
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(transport.exchanges[0]!.clientHeaders).toBeUndefined();
    expect(first).toEqual({
      type: 'call_tool',
      session_id: 'sess-1',
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'book_flight',
      arguments: { destination: 'Oslo' },
    });
    expect(transport.exchanges[1]!.clientHeaders).toEqual([['X-Tenant', 'a']]);
    // Absent optional fields are left out, never null.
    expect(second).toEqual({
      type: 'call_tool',
      session_id: null,
      request_id: expect.any(String),
      name: 'book_flight',
    });
    expect(new Set([discover!.request_id, first!.request_id, second!.request_id]).size).toBe(3);
    expect(transport.exchanges.map((x) => x.idempotent)).toEqual([true, false, false]);
  });

  it('read_resource and get_prompt envelopes', async () => {
    const { upstream, transport } = await started(() => ({ content: [{ type: 'text', text: 'x' }] }));
    await upstream.request('resources/read', { uri: 'app://a' }, { sessionId: 's' });
    await upstream.request('prompts/get', { name: 'greet', arguments: { who: 'Ada' } });
    expect(transport.sent.slice(1)).toEqual([
      { type: 'read_resource', session_id: 's', request_id: expect.any(String), uri: 'app://a' },
      {
        type: 'get_prompt',
        session_id: null,
        request_id: expect.any(String),
        name: 'greet',
        arguments: { who: 'Ada' },
      },
    ]);
  });

  it('rejects bad params before bothering the handler', async () => {
    const { upstream, transport } = await started(() => ({ content: [] }));
    await expect(upstream.request('tools/call', { arguments: {} })).rejects.toMatchObject({
      rpc: { code: -32602, message: 'tools/call: "name" must be a string' },
    });
    await expect(upstream.request('tools/call', { name: 'x', arguments: [1] })).rejects.toMatchObject({
      rpc: { code: -32602 },
    });
    await expect(upstream.request('resources/read', {})).rejects.toMatchObject({
      rpc: { code: -32602, message: 'resources/read: "uri" must be a string' },
    });
    await expect(upstream.request('prompts/get', {})).rejects.toMatchObject({ rpc: { code: -32602 } });
    expect(transport.sent).toHaveLength(1);
  });
});

describe('multi-round elicitation', () => {
  const twoStep: Answer = (e) => {
    const results = (e.elicitation_results as Record<string, unknown>[] | undefined) ?? [];
    if (results.length === 0)
      return {
        elicit: {
          message: 'Which class?',
          schema: { type: 'object', properties: { class: { type: 'string' } } },
          context: { step: 1 },
        },
      };
    if (results.length === 1)
      return {
        elicit: {
          message: 'Which seat?',
          schema: { type: 'object', properties: { seat: { type: 'string' } } },
          context: { step: 2, class: results[0]!.class },
        },
      };
    return {
      content: [{ type: 'text', text: `booked ${String(results[0]!.class)} ${String(results[1]!.seat)}` }],
      structured_content: { context: e.context },
    };
  };

  it('asks, appends each answer, echoes the last context and reuses the request id', async () => {
    const { upstream, transport } = await started(twoStep);
    const asked = answering(upstream, [accept({ class: 'business' }), accept({ seat: '14A' })]);
    const result = await upstream.request(
      'tools/call',
      { name: 'book_flight', arguments: { to: 'Tokyo' } },
      { sessionId: 's1' },
    );
    expect(result).toEqual({
      content: [{ type: 'text', text: 'booked business 14A' }],
      structuredContent: { context: { step: 2, class: 'business' } },
    });
    expect(asked.map((m) => m.params)).toEqual([
      { message: 'Which class?', requestedSchema: { type: 'object', properties: { class: { type: 'string' } } } },
      { message: 'Which seat?', requestedSchema: { type: 'object', properties: { seat: { type: 'string' } } } },
    ]);
    expect(asked.every((m) => m.method === 'elicitation/create')).toBe(true);
    expect(new Set(asked.map((m) => m.id)).size).toBe(2);
    const calls = transport.sent.filter((e) => e.type === 'call_tool');
    expect(calls.map(({ request_id: _id, ...rest }) => rest)).toEqual([
      { type: 'call_tool', session_id: 's1', name: 'book_flight', arguments: { to: 'Tokyo' } },
      {
        type: 'call_tool',
        session_id: 's1',
        name: 'book_flight',
        arguments: { to: 'Tokyo' },
        elicitation_results: [{ class: 'business' }],
        context: { step: 1 },
      },
      {
        type: 'call_tool',
        session_id: 's1',
        name: 'book_flight',
        arguments: { to: 'Tokyo' },
        elicitation_results: [{ class: 'business' }, { seat: '14A' }],
        context: { step: 2, class: 'business' },
      },
    ]);
    expect(new Set(calls.map((c) => c.request_id)).size).toBe(1);
  });

  it.each([
    [
      'decline',
      { result: { action: 'decline' } },
      'The user declined to answer "Which seat?", so book_flight did not complete.',
    ],
    [
      'cancel',
      { result: { action: 'cancel' } },
      'The user cancelled the question "Which seat?", so book_flight did not complete.',
    ],
    [
      'unsupported',
      { error: { code: -32601, message: 'the client does not support elicitation' } },
      'Nobody could answer "Which seat?" (the client does not support elicitation), so book_flight did not complete.',
    ],
  ] as const)(
    '%s: tells the handler (elicitation_cancelled) and returns a tool error',
    async (action, reply, message) => {
      const { upstream, transport } = await started(twoStep);
      answering(upstream, [accept({ class: 'economy' }), reply]);
      const result = await upstream.request('tools/call', { name: 'book_flight', arguments: {} }, { sessionId: 's2' });
      expect(result).toEqual({
        content: [{ type: 'text', text: message }],
        isError: true,
        _meta: { 'switchboard/elicitation': { action } },
      });
      const callId = transport.sent.find((e) => e.type === 'call_tool')!.request_id;
      expect(transport.sent.at(-1)).toEqual({
        type: 'elicitation_cancelled',
        session_id: 's2',
        request_id: callId,
        name: 'book_flight',
        action,
        context: { step: 2, class: 'economy' },
      });
    },
  );

  it('with nobody listening for server requests the answer is "unsupported"', async () => {
    const { upstream, transport } = await started(twoStep);
    const result = await upstream.request('tools/call', { name: 'book_flight', arguments: {} });
    expect(result._meta).toEqual({ 'switchboard/elicitation': { action: 'unsupported' } });
    expect(transport.sent.at(-1)).toMatchObject({
      type: 'elicitation_cancelled',
      action: 'unsupported',
      context: { step: 1 },
    });
  });

  it('ignores what the handler answers to elicitation_cancelled, even an error', async () => {
    const logs: string[] = [];
    const { upstream, transport } = await started(
      (e) => (e.type === 'elicitation_cancelled' ? '<html>oops</html>' : twoStep(e, {} as HandlerExchange)),
      {},
      { log: (line) => logs.push(line) },
    );
    answering(upstream, [{ result: { action: 'decline' } }]);
    const result = await upstream.request('tools/call', { name: 'book_flight', arguments: {} });
    expect(result.isError).toBe(true);
    expect(transport.sent.at(-1)!.type).toBe('elicitation_cancelled');
    expect(logs).toEqual([
      'server "desk": elicitation_cancelled for book_flight failed (ignored): handler at ' +
        'http://handler.test/ answered HTML instead of JSON: oops',
    ]);
  });

  it('URL mode: an elicitation/create with mode url, the URL and an elicitation id', async () => {
    const { upstream } = await started((e) =>
      e.elicitation_results
        ? { content: [{ type: 'text', text: 'linked' }] }
        : { elicit: { mode: 'url', message: 'Sign in', url: 'https://login.example/x' } },
    );
    const asked = answering(upstream, [{ result: { action: 'accept' } }]);
    expect(await upstream.request('tools/call', { name: 'book_flight' })).toEqual({
      content: [{ type: 'text', text: 'linked' }],
    });
    expect(asked[0]!.params).toEqual({
      mode: 'url',
      message: 'Sign in',
      url: 'https://login.example/x',
      elicitationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('gives up after the round limit, telling the handler', async () => {
    const { upstream, transport } = await started(
      () => ({ elicit: { message: 'again?', context: { n: 1 } } }),
      {},
      { maxElicitRounds: 3 },
    );
    answering(
      upstream,
      Array.from({ length: 10 }, () => accept({ ok: true })),
    );
    const err = (await upstream
      .request('tools/call', { name: 'book_flight' })
      .catch((e: unknown) => e)) as GatewayError;
    expect(err.message).toBe(
      'server "desk": the handler asked for input more than 3 times in one call of book_flight; gave up',
    );
    expect(transport.sent.filter((e) => e.type === 'call_tool')).toHaveLength(4);
    expect(transport.sent.at(-1)).toMatchObject({ type: 'elicitation_cancelled', action: 'cancel' });
  });

  it('a call cancelled while the question is open withdraws it and tells the handler', async () => {
    const { upstream, transport } = await started(twoStep);
    const notes: JsonRpcNotification[] = [];
    upstream.on('notification', (n) => notes.push(n));
    let asked: JsonRpcRequest | undefined;
    upstream.on('request', (m) => {
      asked = m;
    });
    const controller = new AbortController();
    const call = upstream.request('tools/call', { name: 'book_flight' }, { signal: controller.signal });
    await vi.waitFor(() => expect(asked).toBeDefined());
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'request_cancelled' });
    expect(notes).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: asked!.id, reason: 'the tool call ended' },
      },
    ]);
    expect(transport.sent.at(-1)).toMatchObject({
      type: 'elicitation_cancelled',
      action: 'cancel',
      context: { step: 1 },
    });
  });
});

describe('reply mapping', () => {
  it('all three kinds, checked in order: elicit before error before content', async () => {
    const { upstream } = await started(() => ({
      content: [{ type: 'text', text: 'no' }],
      error: { code: 1, message: 'err wins over content' },
    }));
    expect(await upstream.request('tools/call', { name: 'book_flight' })).toMatchObject({
      isError: true,
      content: [{ text: 'Error 1: err wins over content' }],
    });
  });

  it('elicit on read_resource or get_prompt is an internal error', async () => {
    const { upstream } = await started(() => ({ elicit: { message: 'Really?' } }));
    await expect(upstream.request('resources/read', { uri: 'app://x' })).rejects.toMatchObject({
      rpc: {
        code: -32603,
        message:
          'server "desk": the handler asked for input (elicit) in reply to read_resource app://x; only ' +
          'call_tool may elicit',
      },
    });
    await expect(upstream.request('prompts/get', { name: 'p' })).rejects.toMatchObject({ rpc: { code: -32603 } });
  });

  it('resource contents from text, image and embedded blocks, with the mime type discover gave', async () => {
    const t = make((e) => {
      if (e.type === 'discover') return { resources: [{ uri: 'app://doc', name: 'doc', mime_type: 'text/markdown' }] };
      return {
        content: [
          { type: 'text', text: '# hi' },
          { type: 'image', data: 'AAAA', mime_type: 'image/png' },
          { type: 'resource', uri: 'app://other', mime_type: 'application/json', text: '{}' },
        ],
      };
    });
    t.upstream.start();
    await t.upstream.whenReady(1000);
    expect(await t.upstream.request('resources/read', { uri: 'app://doc' })).toEqual({
      contents: [
        { uri: 'app://doc', mimeType: 'text/markdown', text: '# hi' },
        { uri: 'app://doc', mimeType: 'image/png', blob: 'AAAA' },
        { uri: 'app://other', mimeType: 'application/json', text: '{}' },
      ],
    });
  });

  it('keeps the raw reply on a protocol error', async () => {
    const { upstream } = await started(() => ({ nothing: true }));
    const err = (await upstream
      .request('tools/call', { name: 'book_flight' })
      .catch((e: unknown) => e)) as HandlerError;
    expect(err).toBeInstanceOf(HandlerError);
    expect(err.message).toBe('server "desk": handler reply has no elicit, error or content (it has "nothing")');
    expect(err.raw).toBe('{"nothing":true}');
  });

  it('answers ping and completion itself, and refuses what a handler cannot do', async () => {
    const { upstream, transport } = await started(() => ({}));
    expect(await upstream.request('ping', {})).toEqual({});
    expect(
      await upstream.request('completion/complete', {
        ref: { type: 'ref/prompt', name: 'x' },
        argument: { name: 'a', value: '' },
      }),
    ).toEqual({ completion: { values: [], hasMore: false } });
    await expect(upstream.request('logging/setLevel', { level: 'info' })).rejects.toMatchObject({
      code: 'method_not_found',
      rpc: { code: -32601 },
    });
    expect(transport.sent).toHaveLength(1);
  });
});

describe('discover: single-flight, TTL, never caching failures', () => {
  it('coalesces concurrent lists into one discover; with TTL 0 every list asks again', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { upstream, transport } = make(async () => {
      await gate;
      return { tools: [{ name: 't' }], prompts: [{ name: 'p' }] };
    });
    upstream.start();
    const lists = Promise.all(
      ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'].map((m) => upstream.request(m, {})),
    );
    release();
    expect(await lists).toEqual([
      { tools: [{ name: 't', inputSchema: { type: 'object', properties: {} } }] },
      { prompts: [{ name: 'p' }] },
      { resources: [] },
      { resourceTemplates: [] },
    ]);
    expect(transport.sent.filter((e) => e.type === 'discover')).toHaveLength(1);
    await upstream.request('tools/list', {});
    expect(transport.sent.filter((e) => e.type === 'discover')).toHaveLength(2);
  });

  it('reuses an answer within discoverTtlMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { upstream, transport } = make(() => ({ tools: [] }), { discoverTtlMs: 5000 });
    upstream.start();
    await upstream.whenReady(1000);
    await upstream.request('tools/list', {});
    expect(transport.sent).toHaveLength(1);
    vi.setSystemTime(Date.now() + 5001);
    await upstream.request('tools/list', {});
    expect(transport.sent).toHaveLength(2);
  });

  it('does not cache a failed discover, even with a TTL', async () => {
    let fail = true;
    const { upstream } = make(() => (fail ? '<html>down</html>' : { tools: [{ name: 'back' }] }), {
      discoverTtlMs: 60_000,
    });
    upstream.start();
    await expect(upstream.request('tools/list', {})).rejects.toThrow(
      'server "desk": handler at http://handler.test/ answered HTML instead of JSON: down',
    );
    fail = false;
    expect(await upstream.request('tools/list', {})).toMatchObject({ tools: [{ name: 'back' }] });
  });
});

describe('lifecycle', () => {
  it('retries with backoff while the handler is down (never "failed"), then becomes ready', async () => {
    vi.useFakeTimers();
    let down = true;
    const { upstream } = make(() => {
      if (down)
        throw new HandlerError(
          'upstream_unavailable',
          'server "desk": cannot connect to http://handler.test/ (connection refused)',
        );
      return { tools: [] };
    });
    const states: UpstreamStatus[] = [];
    upstream.on('status', (s) => states.push(s));
    let readyEvents = 0;
    upstream.on('ready', () => readyEvents++);
    upstream.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(upstream.status()).toMatchObject({
      state: 'backoff',
      lastError: 'cannot connect to http://handler.test/ (connection refused)',
    });
    expect(upstream.status().retryAt).toBe(Date.now() + 100);
    expect(upstream.info()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 400 + 400);
    expect(upstream.status().state).toBe('backoff');
    // Delays double up to maxMs and stay there, past maxAttempts.
    const delays = states.filter((s) => s.state === 'backoff').map((s) => s.retryAt! - s.since);
    expect(delays).toEqual([100, 200, 400, 400, 400, 400]);
    down = false;
    await vi.advanceTimersByTimeAsync(400);
    expect(upstream.status()).toMatchObject({ state: 'ready' });
    expect(upstream.status().lastError).toBeUndefined();
    expect(readyEvents).toBe(1);
  });

  it('a ready handler whose discover fails: backoff, a restart counted, ready again when back', async () => {
    let down = false;
    const { upstream } = make(() =>
      down ? Promise.reject(new HandlerError('upstream_closed', 'server "desk": gone')) : { tools: [] },
    );
    let readyEvents = 0;
    upstream.on('ready', () => readyEvents++);
    upstream.start();
    await upstream.whenReady(1000);
    down = true;
    await expect(upstream.request('tools/list', {})).rejects.toThrow('gone');
    expect(upstream.status()).toMatchObject({ state: 'backoff', restarts: 1, lastError: 'gone' });
    down = false;
    await vi.waitFor(() => expect(upstream.status().state).toBe('ready'), { timeout: 2000 });
    expect(readyEvents).toBe(2);
  });

  it('a discover out of time while calls still run is a busy handler: it stays ready; alone, it is lost', async () => {
    let release!: () => void;
    const callDone = new Promise<void>((r) => (release = r));
    let slowDiscover = false;
    const busy = () =>
      Promise.reject(
        new HandlerError('request_timeout', 'server "desk": no complete reply within 1000 ms', { busy: true }),
      );
    const { upstream } = make(async (envelope) => {
      if (envelope.type === 'call_tool') {
        await callDone;
        return { content: [] };
      }
      return slowDiscover ? busy() : { tools: [{ name: 'go' }] };
    });
    upstream.start();
    await upstream.whenReady(1000);
    slowDiscover = true;
    const call = upstream.request('tools/call', { name: 'go', arguments: {} });
    await expect(upstream.request('tools/list', {})).rejects.toThrow('no complete reply');
    expect(upstream.status().state).toBe('ready');
    release();
    await call;
    // Nothing else running: a discover out of time says the handler is not answering.
    await expect(upstream.request('tools/list', {})).rejects.toThrow('no complete reply');
    expect(upstream.status().state).toBe('backoff');
  });

  it('busy, but nothing answered for as long as a request may take: hung, and lost', async () => {
    const { upstream } = make(
      async (envelope) => {
        if (envelope.type === 'call_tool') return new Promise(() => undefined);
        if (upstream.status().state === 'ready')
          throw new HandlerError('request_timeout', 'server "desk": no complete reply within 50 ms', { busy: true });
        return { tools: [{ name: 'go' }] };
      },
      { timeoutMs: 50 },
    );
    upstream.start();
    await upstream.whenReady(1000);
    void upstream.request('tools/call', { name: 'go', arguments: {} }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 80));
    await expect(upstream.request('tools/list', {})).rejects.toThrow('no complete reply');
    expect(upstream.status().state).toBe('backoff');
  });

  it('waiters: whenReady resolves on ready and rejects on stop', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { upstream } = make(async () => {
      await gate;
      return {};
    });
    upstream.start();
    const ready = upstream.whenReady(1000);
    release();
    expect((await ready).serverInfo).toEqual({ name: 'desk', version: '0.0.0' });
    await upstream.stop();
    await expect(upstream.whenReady(10)).rejects.toThrow('server "desk" is stopped');
  });

  it('a stop ends calls in flight and withdraws open questions', async () => {
    const { upstream } = await started(() => ({ elicit: { message: 'Sure?' } }));
    const notes: JsonRpcNotification[] = [];
    upstream.on('notification', (n) => notes.push(n));
    let asked = false;
    upstream.on('request', () => {
      asked = true;
    });
    const call = upstream.request('tools/call', { name: 'book_flight' });
    await vi.waitFor(() => expect(asked).toBe(true));
    await upstream.stop();
    await expect(call).rejects.toMatchObject({
      code: 'upstream_closed',
      message: 'server "desk" was stopped while book_flight waited for an answer',
    });
    expect(notes.map((n) => n.method)).toEqual(['notifications/cancelled']);
  });

  it('status is visible like other upstreams', () => {
    const { upstream } = make(() => ({}));
    expect(upstream.status()).toMatchObject({ name: 'desk', kind: 'handler-http', state: 'stopped', restarts: 0 });
    expect(upstream.kind).toBe('handler-http');
  });
});
