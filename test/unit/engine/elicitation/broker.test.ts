import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Question, QuestionEnded } from '../../../../preload/contract/index.ts';
import {
  QuestionAnswerError,
  QuestionBroker,
  type QuestionRequest,
} from '../../../../main/engine/elicitation/index.ts';
import { GatewayError, toRpcError } from '../../../../main/engine/protocol/errors.ts';

const FORM_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Your name', minLength: 2 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    email: { type: 'string', format: 'email' },
    color: { type: 'string', enum: ['red', 'green'], enumNames: ['Red', 'Green'] },
    size: {
      type: 'string',
      oneOf: [
        { const: 's', title: 'Small' },
        { const: 'l', title: 'Large' },
      ],
    },
    when: { type: 'string', format: 'date' },
    agree: { type: 'boolean', default: false },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, maxItems: 2 },
    site: { type: 'string', format: 'uri' },
    ratio: { type: 'number' },
  },
  required: ['name', 'agree'],
};

function formRequest(extra: Record<string, unknown> = {}): QuestionRequest {
  return {
    server: 'github',
    method: 'elicitation/create',
    params: { message: 'Who are you?', requestedSchema: FORM_SCHEMA, ...extra },
    client: { name: 'Zed', version: '0.190' },
    reason: 'the client (Zed) does not support elicitation',
  };
}

function urlRequest(url: string): QuestionRequest {
  return {
    server: 'auth',
    method: 'elicitation/create',
    params: { mode: 'url', message: 'Sign in to continue', url, elicitationId: 'el-1' },
    reason: 'the client predates URL elicitation',
  };
}

function samplingRequest(): QuestionRequest {
  return {
    server: 'writer',
    method: 'sampling/createMessage',
    params: {
      messages: [{ role: 'user', content: { type: 'text', text: 'Write a haiku' } }],
      systemPrompt: 'Be brief',
      maxTokens: 100,
      _meta: { x: 1 },
    },
    reason: 'the client (Zed) does not support sampling',
  };
}

function record(broker: QuestionBroker) {
  const added: Question[] = [];
  const settled: QuestionEnded[] = [];
  const logs: string[] = [];
  broker.on('added', (p) => added.push(p));
  broker.on('ended', (s) => settled.push(s));
  broker.on('log', (m) => logs.push(m));
  return { added, settled, logs };
}

/** Lets promise callbacks run, so a promise that settled is seen as settled. */
async function state(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return s;
}

describe('QuestionBroker: form elicitation', () => {
  it('lists the question with its normalised form, client, reason and times', async () => {
    const broker = new QuestionBroker();
    const { added } = record(broker);
    const before = Date.now();
    const asked = broker.ask(formRequest(), { timeoutMs: 60_000 });
    const [dto] = broker.list();
    expect(dto).toMatchObject({
      server: 'github',
      kind: 'elicitation',
      mode: 'form',
      message: 'Who are you?',
      client: { name: 'Zed', version: '0.190' },
      reason: 'the client (Zed) does not support elicitation',
      requestedSchema: { type: 'object', required: ['name', 'agree'] },
    });
    expect(dto!.kind === 'elicitation' && dto!.mode === 'form' && dto!.requestedSchema.properties.color).toEqual({
      type: 'string',
      enum: ['red', 'green'],
      enumNames: ['Red', 'Green'],
    });
    expect(dto!.createdAt).toBeGreaterThanOrEqual(before);
    expect(dto!.expiresAt).toBe(dto!.createdAt + 60_000);
    expect(added).toEqual([dto]);
    broker.answer(dto!.id, { action: 'cancel' });
    await asked;
  });

  it('refuses answers that do not fit the form, naming the field, and keeps the question open', async () => {
    const broker = new QuestionBroker();
    const asked = broker.ask(formRequest(), { timeoutMs: 60_000 });
    const id = broker.list()[0]!.id;
    const ok = { name: 'Ada', agree: true };
    const cases: [Record<string, unknown>, string | undefined, RegExp][] = [
      [{ ...ok, nickname: 'x' }, 'nickname', /unknown field "nickname" \(the form's fields are: "name", "age"/],
      [{ agree: true }, 'name', /field "name" is required/],
      [{ ...ok, name: 'A' }, 'name', /field "name" must be at least 2 characters long/],
      [{ ...ok, name: 42 }, 'name', /field "name" must be a string, got 42/],
      [{ ...ok, age: 3.5 }, 'age', /field "age" must be an integer, got 3.5/],
      [{ ...ok, age: '12' }, 'age', /field "age" must be a number, got "12"/],
      [{ ...ok, age: -1 }, 'age', /field "age" must be at least 0/],
      [{ ...ok, email: 'not-an-email' }, 'email', /field "email" must be an email address/],
      [{ ...ok, color: 'blue' }, 'color', /field "color" must be one of "red", "green", got "blue"/],
      [{ ...ok, size: 'm' }, 'size', /field "size" must be one of "s", "l"/],
      [{ ...ok, when: '2025-02-30' }, 'when', /field "when" must be a date/],
      [{ ...ok, agree: 'yes' }, 'agree', /field "agree" must be true or false/],
      [{ ...ok, tags: ['a', 'z'] }, 'tags', /field "tags" may only contain "a", "b", "c", got "z"/],
      [{ ...ok, tags: ['a', 'b', 'c'] }, 'tags', /field "tags" allows at most 2 selected/],
      [{ ...ok, site: 'no scheme' }, 'site', /field "site" must be a full link, such as https:\/\/example.com, got/],
      [{ ...ok, ratio: Number.NaN }, 'ratio', /field "ratio" must be a number/],
    ];
    for (const [content, field, message] of cases) {
      let error: unknown;
      try {
        broker.answer(id, { action: 'accept', content });
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(content)).toBeInstanceOf(QuestionAnswerError);
      expect((error as QuestionAnswerError).message).toMatch(message);
      expect((error as QuestionAnswerError).field).toBe(field);
      expect((error as QuestionAnswerError).code).toBe('invalid_request');
    }
    expect(() => broker.answer(id, { action: 'accept', content: ['x'] })).toThrow(/"content" must be an object/);
    expect(() => broker.answer(id, { action: 'maybe' })).toThrow(
      /"action" must be "accept", "decline" or "cancel", got "maybe"/,
    );
    expect(() => broker.answer(id, 'accept')).toThrow(/must be an object with an "action"/);
    expect(() => broker.answer(id, { action: 'accept', content: ok, extra: 1 })).toThrow(/unexpected "extra"/);
    expect(await state(asked)).toBe('pending');
    expect(broker.size).toBe(1);

    const content = {
      name: 'Ada',
      agree: true,
      age: 36,
      email: 'ada@example.org',
      color: 'green',
      size: 'l',
      when: '1815-12-10',
      tags: ['a', 'c'],
      site: 'https://ada.example',
      ratio: 0.5,
    };
    broker.answer(id, { action: 'accept', content });
    await expect(asked).resolves.toEqual({ action: 'accept', content });
  });

  it('accepts a date-time servers accept (with seconds and zone), and a field named __proto__ as such', async () => {
    const broker = new QuestionBroker();
    const asked = broker.ask(
      {
        ...formRequest(),
        params: {
          message: 'm',
          requestedSchema: {
            type: 'object',
            properties: { at: { type: 'string', format: 'date-time' }, ['__proto__']: { type: 'string' } },
          },
        },
      },
      { timeoutMs: 1000 },
    );
    const id = broker.list()[0]!.id;
    for (const at of ['yesterday', '2025-11-25T10:00', '2025-11-25T10:00:00', '2025-11-25T24:00:00Z'])
      expect(() => broker.answer(id, { action: 'accept', content: { at } })).toThrow(
        /field "at" must be a date and time/,
      );
    const content = JSON.parse('{"at":"2025-11-25T10:00:00Z","__proto__":"x"}') as Record<string, unknown>;
    broker.answer(id, { action: 'accept', content });
    const result = (await asked) as { content: Record<string, unknown> };
    expect(Object.keys(result.content)).toEqual(['at', '__proto__']);
    expect(Object.getPrototypeOf(result.content)).toBe(Object.prototype);
  });

  it('decline and cancel resolve as such, and settle with their outcome', async () => {
    const broker = new QuestionBroker();
    const { settled } = record(broker);
    const a = broker.ask(formRequest(), { timeoutMs: 1000 });
    const b = broker.ask(formRequest(), { timeoutMs: 1000 });
    const [pa, pb] = broker.list();
    expect(() => broker.answer(pa!.id, { action: 'decline', content: {} })).toThrow(
      /"decline" takes no other fields, got "content"/,
    );
    broker.answer(pa!.id, { action: 'decline' });
    broker.answer(pb!.id, { action: 'cancel' });
    await expect(a).resolves.toEqual({ action: 'decline' });
    await expect(b).resolves.toEqual({ action: 'cancel' });
    expect(settled).toEqual([
      { id: pa!.id, outcome: 'declined' },
      { id: pb!.id, outcome: 'cancelled' },
    ]);
    expect(broker.list()).toEqual([]);
    expect(() => broker.answer(pa!.id, { action: 'decline' })).toThrow(GatewayError);
    expect(() => broker.answer(pa!.id, { action: 'decline' })).toThrow(
      expect.objectContaining({ code: 'not_found', message: expect.stringMatching(/no waiting question/) }),
    );
  });

  it('gives each question a long random id', () => {
    const broker = new QuestionBroker();
    for (let i = 0; i < 20; i++) void broker.ask(formRequest(), { timeoutMs: 1000 }).catch(() => undefined);
    const ids = broker.list().map((p) => p.id);
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    broker.withdrawAll('test over');
  });

  it('refuses a malformed request as invalid params without showing it', async () => {
    const broker = new QuestionBroker();
    const { added, logs } = record(broker);
    const nested = broker.ask(
      {
        ...formRequest(),
        params: { message: 'm', requestedSchema: { type: 'object', properties: { address: { type: 'object' } } } },
      },
      { timeoutMs: 1000 },
    );
    await expect(nested).rejects.toThrow(/property "address" has unsupported type "object"/);
    expect(toRpcError(await nested.catch((e: unknown) => e)).code).toBe(-32602);
    await expect(broker.ask({ ...formRequest(), params: { message: 'm' } }, { timeoutMs: 1000 })).rejects.toThrow(
      /needs a requestedSchema/,
    );
    await expect(
      broker.ask(
        { ...formRequest(), params: { message: 'm', requestedSchema: { properties: {}, required: ['x'] } } },
        { timeoutMs: 1000 },
      ),
    ).rejects.toThrow(/required names "x"/);
    await expect(
      broker.ask({ ...formRequest(), params: { mode: 'telepathy', message: 'm' } }, { timeoutMs: 1000 }),
    ).rejects.toThrow(/unknown mode "telepathy"/);
    expect(added).toEqual([]);
    expect(logs).toHaveLength(4);
  });

  it('a throwing listener does not break the broker', async () => {
    const broker = new QuestionBroker();
    const { logs } = record(broker);
    broker.on('added', () => {
      throw new Error('boom');
    });
    const asked = broker.ask(formRequest(), { timeoutMs: 1000 });
    broker.answer(broker.list()[0]!.id, { action: 'decline' });
    await expect(asked).resolves.toEqual({ action: 'decline' });
    expect(logs).toEqual(['a question "added" listener failed: boom']);
  });
});

describe('QuestionBroker: timeouts and withdrawal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an unanswered elicitation resolves as cancel when it expires, noting that nobody answered', async () => {
    const broker = new QuestionBroker();
    const { settled } = record(broker);
    const asked = broker.ask(formRequest(), { timeoutMs: 30_000 });
    const id = broker.list()[0]!.id;
    vi.advanceTimersByTime(29_999);
    expect(await state(asked)).toBe('pending');
    vi.advanceTimersByTime(1);
    await expect(asked).resolves.toEqual({
      action: 'cancel',
      _meta: { 'switchboard/unanswered': 'nobody answered it in Switchboard within 30 s' },
    });
    expect(settled).toEqual([{ id, outcome: 'expired' }]);
    expect(broker.list()).toEqual([]);
    expect(() => broker.answer(id, { action: 'accept', content: { name: 'Ada', agree: true } })).toThrow(
      /no waiting question/,
    );
  });

  it('an abort (the server cancelled) withdraws the question', async () => {
    const broker = new QuestionBroker();
    const { settled } = record(broker);
    const ac = new AbortController();
    const asked = broker.ask(formRequest(), { timeoutMs: 30_000, signal: ac.signal });
    const id = broker.list()[0]!.id;
    ac.abort(new Error('cancelled by the server'));
    await expect(asked).rejects.toMatchObject({
      code: 'request_cancelled',
      message: '"github" withdrew its elicitation/create request: cancelled by the server',
    });
    expect(settled).toEqual([{ id, outcome: 'withdrawn' }]);
    expect(broker.list()).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(settled).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an already aborted request is never shown', async () => {
    const broker = new QuestionBroker();
    const { added } = record(broker);
    await expect(broker.ask(formRequest(), { timeoutMs: 1000, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'request_cancelled',
    });
    expect(added).toEqual([]);
  });

  it('an answer clears the timer', async () => {
    const broker = new QuestionBroker();
    const asked = broker.ask(formRequest(), { timeoutMs: 30_000 });
    broker.answer(broker.list()[0]!.id, { action: 'decline' });
    await asked;
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('QuestionBroker: URL mode', () => {
  it('shows the full URL and elicitation id; accepted with the action only', async () => {
    const broker = new QuestionBroker();
    const query = `client_id=switchboard&state=${'x'.repeat(500)}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb`;
    const long = `https://auth.example.com/authorize?${query}#frag`;
    const asked = broker.ask(urlRequest(long), { timeoutMs: 1000 });
    const [dto] = broker.list();
    expect(dto).toMatchObject({
      kind: 'elicitation',
      mode: 'url',
      url: long,
      elicitationId: 'el-1',
      message: 'Sign in to continue',
    });
    expect(() => broker.answer(dto!.id, { action: 'accept', content: { a: 1 } })).toThrow(
      /answered with the action only, got "content"/,
    );
    broker.answer(dto!.id, { action: 'accept' });
    await expect(asked).resolves.toEqual({ action: 'accept' });
  });

  it('allows http only to this machine, and shows an internationalised host as punycode', async () => {
    const broker = new QuestionBroker();
    void broker.ask(urlRequest('http://127.0.0.1:8080/cb'), { timeoutMs: 1000 }).catch(() => undefined);
    void broker.ask(urlRequest('http://localhost:3000/x'), { timeoutMs: 1000 }).catch(() => undefined);
    void broker.ask(urlRequest('https://exämple.com/'), { timeoutMs: 1000 }).catch(() => undefined);
    expect(broker.list().map((p) => (p.kind === 'elicitation' && p.mode === 'url' ? p.url : ''))).toEqual([
      'http://127.0.0.1:8080/cb',
      'http://localhost:3000/x',
      'https://xn--exmple-cua.com/',
    ]);
    broker.withdrawAll('done');
  });

  it.each([
    ['javascript:alert(1)', /javascript: URL/],
    ['file:///etc/passwd', /file: URL/],
    ['data:text/html,<script>1</script>', /data: URL/],
    ['ftp://example.com/x', /ftp: URL/],
    ['http://example.com/login', /plain http:\/\/ URL to example\.com/],
    ['https://accounts.example.com@evil.example/', /user name or password/],
    ['not a url', /does not parse/],
    [42, /has no url/],
  ])('refuses %s: answered decline, logged, never shown', async (url, why) => {
    const broker = new QuestionBroker();
    const { added, logs } = record(broker);
    await expect(broker.ask(urlRequest(url as string), { timeoutMs: 1000 })).resolves.toEqual({ action: 'decline' });
    expect(added).toEqual([]);
    expect(broker.list()).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(why);
    expect(logs[0]).toMatch(/^elicitation\/create from "auth" refused/);
  });
});

describe('QuestionBroker: sampling', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows the request and never resolves without an explicit answer', async () => {
    const broker = new QuestionBroker();
    const asked = broker.ask(samplingRequest(), { timeoutMs: 10 * 60_000 });
    const [dto] = broker.list();
    expect(dto).toMatchObject({
      kind: 'sampling',
      mode: 'form',
      server: 'writer',
      params: {
        messages: [{ role: 'user', content: { type: 'text', text: 'Write a haiku' } }],
        systemPrompt: 'Be brief',
        maxTokens: 100,
      },
    });
    expect(dto!.kind === 'sampling' && '_meta' in dto!.params).toBe(false);
    expect(dto!.message).toMatch(/asks for a model reply to 1 message/);
    vi.advanceTimersByTime(9 * 60_000);
    expect(await state(asked)).toBe('pending');

    expect(() => broker.answer(dto!.id, { action: 'accept' })).toThrow(/needs "content": \{ "type": "text"/);
    expect(() => broker.answer(dto!.id, { action: 'accept', content: { type: 'text', text: '  ' } })).toThrow(
      /reply is empty/,
    );
    expect(() =>
      broker.answer(dto!.id, { action: 'accept', role: 'user', content: { type: 'text', text: 'hi' } }),
    ).toThrow(/"role" of a sampling reply must be "assistant"/);
    expect(() => broker.answer(dto!.id, { action: 'accept', content: { type: 'image', data: '' } })).toThrow(
      QuestionAnswerError,
    );
    expect(await state(asked)).toBe('pending');

    broker.answer(dto!.id, {
      action: 'accept',
      role: 'assistant',
      content: { type: 'text', text: 'Old pond, frog jumps in' },
    });
    await expect(asked).resolves.toEqual({
      role: 'assistant',
      content: { type: 'text', text: 'Old pond, frog jumps in' },
      model: 'user',
      stopReason: 'endTurn',
    });
  });

  it('keeps a model name the user gives', async () => {
    const broker = new QuestionBroker();
    const asked = broker.ask(samplingRequest(), { timeoutMs: 1000 });
    broker.answer(broker.list()[0]!.id, {
      action: 'accept',
      content: { type: 'text', text: 'ok' },
      model: 'me-typing',
    });
    await expect(asked).resolves.toMatchObject({ model: 'me-typing' });
  });

  it('decline rejects with the JSON-RPC code -1 (user rejected sampling)', async () => {
    const broker = new QuestionBroker();
    const { settled } = record(broker);
    const asked = broker.ask(samplingRequest(), { timeoutMs: 1000 });
    const id = broker.list()[0]!.id;
    broker.answer(id, { action: 'decline' });
    const err = await asked.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(toRpcError(err)).toEqual({ code: -1, message: 'User rejected sampling request (declined in Switchboard)' });
    expect(settled).toEqual([{ id, outcome: 'declined' }]);
  });

  it('a timeout rejects with -1 too, never approving', async () => {
    const broker = new QuestionBroker();
    const { settled } = record(broker);
    const asked = broker.ask(samplingRequest(), { timeoutMs: 5000 });
    const rejected = asked.catch((e: unknown) => e);
    vi.advanceTimersByTime(5000);
    const err = await rejected;
    expect(err).toMatchObject({ code: 'request_timeout' });
    expect(toRpcError(err)).toEqual({
      code: -1,
      message: 'User rejected sampling request (no answer in Switchboard within 5 s)',
    });
    expect(settled).toEqual([{ id: expect.any(String), outcome: 'expired' }]);
  });

  it('refuses a request without messages as invalid params', async () => {
    const broker = new QuestionBroker();
    const err = await broker
      .ask({ ...samplingRequest(), params: { maxTokens: 10 } }, { timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(toRpcError(err)).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/"messages" must be a non-empty array/),
    });
  });
});

describe('QuestionBroker: bounded', () => {
  it('lets one server hold a quarter of the places, so a server asking in a loop leaves room for others', async () => {
    const broker = new QuestionBroker({ maxPending: 8 });
    const { logs } = record(broker);
    const waiting = [0, 1].map(() => broker.ask(formRequest(), { timeoutMs: 60_000 }));
    await expect(broker.ask(formRequest(), { timeoutMs: 60_000 })).resolves.toEqual({
      action: 'cancel',
      _meta: { 'switchboard/unanswered': '"github" already has 2 questions waiting for the user' },
    });
    expect(logs).toEqual([
      'elicitation/create from "github" refused: "github" already has 2 questions waiting for the user',
    ]);
    waiting.push(broker.ask({ ...formRequest(), server: 'linear' }, { timeoutMs: 60_000 }));
    expect(broker.size).toBe(3);
    broker.withdrawAll('test over');
    // The questions that were let in stay real questions: withdrawing them rejects each one.
    const settled = await Promise.allSettled(waiting);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('beyond maxPending, elicitation resolves as cancel and sampling rejects at once, with a log line', async () => {
    const broker = new QuestionBroker({ maxPending: 3 });
    const { added, logs } = record(broker);
    // From three servers: one server may hold only a quarter of the places (at least one).
    const pending = ['a', 'b', 'c'].map((server) => broker.ask({ ...formRequest(), server }, { timeoutMs: 60_000 }));
    expect(broker.size).toBe(3);
    await expect(broker.ask(formRequest(), { timeoutMs: 60_000 })).resolves.toEqual({
      action: 'cancel',
      _meta: { 'switchboard/unanswered': 'Switchboard already has 3 questions waiting for the user' },
    });
    const err = await broker.ask(samplingRequest(), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(toRpcError(err)).toEqual({
      code: -1,
      message: 'User rejected sampling request (Switchboard already has 3 questions waiting for the user)',
    });
    expect(added).toHaveLength(3);
    expect(logs).toEqual([
      'elicitation/create from "github" refused: Switchboard already has 3 questions waiting for the user',
      'sampling/createMessage from "writer" refused: Switchboard already has 3 questions waiting for the user',
    ]);
    // Room again once one is answered.
    broker.answer(broker.list()[0]!.id, { action: 'decline' });
    await pending[0];
    const again = broker.ask(formRequest(), { timeoutMs: 60_000 });
    expect(broker.size).toBe(3);
    broker.withdrawAll('test over');
    await expect(again).rejects.toMatchObject({ code: 'request_cancelled', message: 'test over' });
    await Promise.allSettled(pending);
  });
});
