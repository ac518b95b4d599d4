import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError, RpcCode } from '../../../../main/engine/protocol/errors.ts';
import { createRedactor } from '../../../../main/engine/secrets/redactor.ts';
import { HandlerError } from '../../../../main/engine/upstreams/handler/errors.ts';
import {
  TrafficRecorder,
  type TrafficBegin,
  type TrafficSessionSource,
} from '../../../../main/engine/traffic/recorder.ts';
import type { TrafficEntry } from '../../../../preload/contract/index.ts';

const session: TrafficSessionSource = {
  id: 'sess-1',
  transport: 'http',
  profile: 'work',
  clientInfo: { name: 'Claude', version: '1.2' },
  protocolVersion: '2025-11-25',
};

const call = (extra: Partial<TrafficBegin> = {}): TrafficBegin => ({
  edge: 'client',
  direction: 'in',
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hi' } },
  target: 'echo',
  session,
  ...extra,
});

const upstreamCall = (extra: Partial<TrafficBegin> = {}): TrafficBegin => ({
  edge: 'upstream',
  direction: 'out',
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hi' } },
  target: 'echo',
  server: 'files',
  ...extra,
});

/** A value whose serialisation is counted (JSON.stringify calls toJSON). */
function counted<T>(value: T): { value: T; calls: () => number } {
  let n = 0;
  const wrapped = { toJSON: () => (n++, value) } as unknown as T;
  return { value: wrapped, calls: () => n };
}

const MARKER = /…\[truncated: (\d+) bytes in all\]$/;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('TrafficRecorder: exchanges', () => {
  it('joins a request with its answer, with the duration between them and the session as it is', () => {
    const now = vi.spyOn(performance, 'now');
    now.mockReturnValueOnce(1000);
    const r = new TrafficRecorder();
    const id = r.begin(call());
    expect(r.get(id)).toMatchObject({ outcome: 'pending', kind: 'request' });
    expect(r.get(id)!.durationMs).toBeUndefined();
    expect(r.get(id)!.response).toBeUndefined();
    now.mockReturnValueOnce(1250.5);
    r.end(id, { result: { content: [{ type: 'text', text: 'hi' }] } });
    const entry = r.get(id)!;
    expect(entry).toMatchObject({
      id,
      edge: 'client',
      direction: 'in',
      kind: 'request',
      method: 'tools/call',
      target: 'echo',
      outcome: 'ok',
      durationMs: 250.5,
      session: {
        id: 'sess-1',
        transport: 'http',
        profile: 'work',
        client: { name: 'Claude', version: '1.2' },
        revision: '2025-11-25',
      },
    });
    expect(entry.request.json).toBe('{"name":"echo","arguments":{"text":"hi"}}');
    expect(entry.request.bytes).toBe(entry.request.json!.length);
    expect(entry.response?.json).toBe('{"content":[{"type":"text","text":"hi"}]}');
    expect(entry.error).toBeUndefined();
    // A second end (a late answer) changes nothing.
    r.end(id, { error: new Error('late') });
    expect(r.get(id)!.outcome).toBe('ok');
  });

  it('tells an error, a timeout and a cancellation apart', () => {
    const r = new TrafficRecorder();
    const outcomes: [unknown, string, number][] = [
      [new GatewayError('upstream_unavailable', 'server "files" is not running'), 'error', RpcCode.UpstreamUnavailable],
      [
        new GatewayError('invalid_request', 'peer said no', { rpc: { code: RpcCode.InvalidParams, message: 'bad' } }),
        'error',
        RpcCode.InvalidParams,
      ],
      [new Error('boom'), 'error', RpcCode.InternalError],
      [new GatewayError('request_timeout', 'no answer in 30 s'), 'timeout', RpcCode.RequestTimeout],
      [new GatewayError('request_cancelled', 'the client withdrew it'), 'cancelled', RpcCode.RequestCancelled],
      [AbortSignal.abort().reason, 'cancelled', RpcCode.InternalError],
    ];
    const ids = outcomes.map(([error]) => {
      const id = r.begin(upstreamCall());
      r.end(id, { error });
      return id;
    });
    outcomes.forEach(([, outcome, code], i) => {
      const entry = r.get(ids[i]!)!;
      expect(entry.outcome, `outcome ${i}`).toBe(outcome);
      expect(entry.error?.code, `code ${i}`).toBe(code);
      expect(typeof entry.durationMs).toBe('number');
      // The answer recorded is the error the caller saw.
      expect(JSON.parse(entry.response!.json!)).toEqual({ error: entry.error });
    });
    expect(r.get(ids[0]!)!.error!.message).toBe('server "files" is not running');
    expect(r.get(ids[1]!)!.error!.message).toBe('bad');
  });

  it('records a notification as delivered, with no answer to wait for', () => {
    const r = new TrafficRecorder();
    r.note({ edge: 'upstream', direction: 'in', method: 'notifications/tools/list_changed', server: 'files' });
    const [entry] = r.list().entries;
    expect(entry).toMatchObject({
      kind: 'notification',
      outcome: 'delivered',
      server: 'files',
      method: 'notifications/tools/list_changed',
    });
    // No params: nothing to show, and nothing counted.
    expect(entry!.request).toEqual({ bytes: 0 });
    expect(entry!.response).toBeUndefined();
  });

  it('links what an exchange caused to it, and shows the whole tree', () => {
    const r = new TrafficRecorder();
    const root = r.begin(call());
    const upId = r.newId();
    const other = r.begin(call({ method: 'tools/list', params: {} }));
    expect(r.begin(upstreamCall({ id: upId, parentId: root }))).toBe(upId);
    r.note({ edge: 'upstream', direction: 'in', method: 'notifications/progress', server: 'files', parentId: upId });
    const question = r.begin({ edge: 'upstream', direction: 'in', method: 'elicitation/create', parentId: upId });
    r.begin({ edge: 'app', direction: 'out', method: 'elicitation/create', parentId: question });
    const tree = r.tree(root)!;
    const shape = (t: typeof tree): unknown => [t.entry.method, t.children.map(shape)];
    expect(shape(tree)).toEqual([
      'tools/call',
      [
        [
          'tools/call',
          [
            ['notifications/progress', []],
            ['elicitation/create', [['elicitation/create', []]]],
          ],
        ],
      ],
    ]);
    expect(tree.children[0]!.entry).toMatchObject({ id: upId, parentId: root, server: 'files' });
    expect(r.tree(other)).toEqual({ entry: r.get(other), children: [] });
    expect(r.tree('nope')).toBeUndefined();
    expect(r.list({ rootsOnly: true }).entries.map((e) => e.id)).toEqual([other, root]);
  });

  it('adds the server a client request was routed to, once', () => {
    const r = new TrafficRecorder();
    const id = r.begin(call());
    r.flush();
    r.annotate(id, { server: 'files' });
    r.annotate(id, { server: 'other' });
    r.annotate('unknown', { server: 'x' });
    r.annotate('', { server: 'x' });
    r.end(id, { result: {} });
    expect(r.get(id)!.server).toBe('files');
    expect(r.list({ server: 'files' }).entries.map((e) => e.id)).toEqual([id]);
    // After the end there is nothing more to learn.
    r.annotate(id, { server: 'late' });
    expect(r.get(id)!.server).toBe('files');
  });

  it('does nothing at all when disabled', () => {
    const r = new TrafficRecorder({ enabled: false });
    const seen: TrafficEntry[] = [];
    r.onEntry((e) => seen.push(e));
    const params = counted({ a: 1 });
    expect(r.enabled).toBe(false);
    const id = r.begin(call({ params: params.value }));
    expect(id).toBe('');
    r.end(id, { result: {} });
    r.note(call({ params: params.value }));
    r.flush();
    expect(r.size()).toBe(0);
    expect(r.list().entries).toEqual([]);
    expect(seen).toEqual([]);
    expect(params.calls()).toBe(0);
    r.configure({ enabled: true });
    expect(r.begin(call())).not.toBe('');
    r.flush();
    expect(r.size()).toBe(1);
  });

  it('makes ids that increase in creation order and are unique', () => {
    const r = new TrafficRecorder();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) ids.push(r.newId());
      else if (i % 3 === 1) ids.push(r.begin(call()));
      else {
        r.note(call());
        ids.push(r.list({ limit: 1 }).entries[0]!.id);
      }
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps ids increasing when the wall clock steps back', () => {
    const r = new TrafficRecorder();
    const clock = vi.spyOn(Date, 'now');
    clock.mockReturnValue(1_800_000_000_000);
    const a = r.begin(call());
    const b = r.begin(call());
    clock.mockReturnValue(1_799_999_000_000); // NTP stepped back by 1000 s
    const c = r.begin(call());
    const d = r.begin(call());
    expect([a, b, c, d].sort()).toEqual([a, b, c, d]);
    // Paging, which goes by id, still sees every entry once.
    const first = r.list({ limit: 2 });
    const second = r.list({ limit: 2, cursor: first.nextCursor! });
    expect([...first.entries, ...second.entries].map((e) => e.id)).toEqual([d, c, b, a]);
  });
});

describe('TrafficRecorder: payloads', () => {
  it('turns payloads into text only when it writes, on a later turn of the event loop, once each', async () => {
    const r = new TrafficRecorder();
    const seen: TrafficEntry[] = [];
    r.onEntry((e) => seen.push(e));
    const params = counted({ name: 'echo', arguments: { text: 'hi' } });
    const result = counted({ content: [] });
    const id = r.begin(call({ params: params.value }));
    r.end(id, { result: result.value });
    // The message path noted references only.
    expect(params.calls()).toBe(0);
    expect(result.calls()).toBe(0);
    expect(seen).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(params.calls()).toBe(1);
    expect(result.calls()).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.request.json).toBe('{"name":"echo","arguments":{"text":"hi"}}');
    // Nothing is turned into text again.
    r.flush();
    r.list();
    r.get(id);
    expect(params.calls()).toBe(1);
    expect(result.calls()).toBe(1);
  });

  it('writes what is pending on flush(), without waiting for the next turn', () => {
    const r = new TrafficRecorder();
    const params = counted({ a: 1 });
    r.note(call({ params: params.value }));
    expect(params.calls()).toBe(0);
    r.flush();
    expect(params.calls()).toBe(1);
  });

  it('cuts a payload over the limit, says so and keeps its whole size', () => {
    const r = new TrafficRecorder({ maxPayloadBytes: 100 });
    const params = { text: 'é'.repeat(300) };
    const full = JSON.stringify(params);
    const id = r.begin(call({ params }));
    r.end(id, { result: { ok: true } });
    const { request, response } = r.get(id)!;
    expect(request.truncated).toBe(true);
    expect(request.bytes).toBe(Buffer.byteLength(full));
    expect(request.bytes).toBe(611);
    expect(request.json).toMatch(MARKER);
    expect(request.json!.match(MARKER)![1]).toBe('611');
    // The cut is in bytes: 9 bytes of '{"text":"' and 45 two-byte characters, then half of one.
    const kept = request.json!.replace(MARKER, '');
    expect(kept).toBe(full.slice(0, 9 + 45) + '\uFFFD');
    // What is kept is bounded by the limit (plus the marker), not by the payload.
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(100 + 3);
    // A small payload is kept whole.
    expect(response).toEqual({ json: '{"ok":true}', bytes: 11 });
  });

  it('keeps a bounded text for a huge payload, not the payload', () => {
    const r = new TrafficRecorder({ maxPayloadBytes: 1024 });
    r.note(call({ params: { blob: 'x'.repeat(5_000_000) } }));
    const [entry] = r.list().entries;
    expect(entry!.request.truncated).toBe(true);
    expect(entry!.request.bytes).toBe(5_000_000 + '{"blob":""}'.length);
    expect(entry!.request.json!.length).toBeLessThan(1024 + 64);
  });

  it('hides secret values, in the payloads and in the error message', () => {
    const canary = 'sk-CANARY-7f3a9e2b1c';
    const redactor = createRedactor([{ label: 'api', value: canary }]);
    const r = new TrafficRecorder({ redact: (t) => redactor.redact(t) });
    const id = r.begin(upstreamCall({ params: { name: 'echo', arguments: { text: `use ${canary}` } } }));
    r.end(id, { error: new GatewayError('upstream_unavailable', `auth with ${canary} refused`) });
    const entry = r.get(id)!;
    expect(entry.request.json).toBe('{"name":"echo","arguments":{"text":"use [redacted:api]"}}');
    expect(entry.error!.message).toBe('auth with [redacted:api] refused');
    expect(JSON.stringify(entry)).not.toContain(canary);
    // The entry's bytes are those of the message that was sent, not of the redacted text.
    expect(entry.request.bytes).toBe(JSON.stringify({ name: 'echo', arguments: { text: `use ${canary}` } }).length);
  });

  it("shows what a failed handler said in the server exchange's answer, redacted and cut like any payload", () => {
    const canary = 'sk-CANARY-5e6f7a8b9c';
    const redactor = createRedactor([{ label: 'handler-key', value: canary }]);
    const r = new TrafficRecorder({ redact: (t) => redactor.redact(t), maxPayloadBytes: 2048 });
    const failed = new HandlerError('upstream_error', 'server "php": handler answered HTTP 500', {
      status: 500,
      raw: `<h1>Oops</h1> key=${canary} ${'x'.repeat(5000)}`,
      stderr: `PHP Fatal error:  Uncaught Error with ${canary}`,
    });
    const client = r.begin(call());
    const upstream = r.begin(upstreamCall({ parentId: client }));
    r.end(upstream, { error: failed });
    r.end(client, { error: failed });
    const sent = r.get(upstream)!;
    expect(sent.response!.truncated).toBe(true);
    const json = sent.response!.json!;
    expect(json).toContain('"status":500,"reply":"<h1>Oops</h1> key=[redacted:handler-key] xxx');
    expect(json).not.toContain(canary);
    expect(sent.error!.message).toBe('server "php": handler answered HTTP 500');
    // The client's exchange shows the error it was answered, nothing more.
    expect(JSON.parse(r.get(client)!.response!.json!)).toEqual({
      error: { code: RpcCode.InternalError, message: 'server "php": handler answered HTTP 500' },
    });

    // Within the size limit, the whole detail; a reply that is JSON has its sensitive fields hidden.
    const small = new TrafficRecorder({ redact: (t) => redactor.redact(t) });
    const id = small.begin(upstreamCall());
    small.end(id, {
      error: new HandlerError('upstream_error', 'HTTP 401', {
        status: 401,
        raw: JSON.stringify({ error: 'bad login', password: 'typed-by-the-user', key: canary }),
        stderr: 'PHP Warning:  Undefined array key "city"',
      }),
    });
    expect(JSON.parse(small.get(id)!.response!.json!)).toEqual({
      error: { code: RpcCode.InternalError, message: 'HTTP 401' },
      detail: {
        status: 401,
        reply: { error: 'bad login', password: '[redacted]', key: '[redacted:handler-key]' },
        stderr: 'PHP Warning:  Undefined array key "city"',
      },
    });
  });

  it('hides secrets in the method and the target too, and cuts long ones and long errors', () => {
    const canary = 'hunter2-CANARY-9d8c';
    const redactor = createRedactor([{ label: 'db', value: canary }]);
    const r = new TrafficRecorder({ redact: (t) => redactor.redact(t), maxPayloadBytes: 4096 });
    const uri = `postgres://admin:pw-in-url@db.internal/prod?key=${canary}`;
    const chatty = { ...session, clientInfo: { name: `client with ${canary}`, version: 'v'.repeat(5000) } };
    const read = r.begin(call({ method: 'resources/read', params: { uri }, target: uri, session: chatty }));
    r.end(read, { result: { contents: [] } });
    expect(r.get(read)!.target).toBe('postgres://[redacted:url-credentials]@db.internal/prod?key=[redacted:db]');
    expect(r.get(read)!.session!.client).toEqual({
      name: 'client with [redacted:db]',
      version: `${'v'.repeat(1024)}…[truncated: 5000 bytes in all]`,
    });
    // The text search sees what is kept: it cannot confirm a guessed secret.
    expect(r.list({ text: canary }).entries).toEqual([]);
    expect(r.list({ text: 'pw-in-url' }).entries).toEqual([]);

    const long = r.begin(call({ method: `m/${'x'.repeat(2_000_000)}`, target: 't'.repeat(2_000_000) }));
    r.end(long, { error: new GatewayError('upstream_unavailable', 'e'.repeat(3_000_000)) });
    const entry = r.get(long)!;
    expect(entry.target).toMatch(/^t{1024}…\[truncated: 2000000 bytes in all\]$/);
    expect(entry.method).toMatch(/^m\/x{1022}…\[truncated: 2000002 bytes in all\]$/);
    expect(entry.error!.message).toMatch(/^e{4096}…\[truncated: 3000000 bytes in all\]$/);
  });

  it('hides the values of sensitive fields, and those a server marked in its tool list', () => {
    const r = new TrafficRecorder({ redactFields: ['X-Tenant-Key'] });
    const list = r.begin(upstreamCall({ method: 'tools/list', params: {} }));
    r.end(list, {
      result: {
        tools: [
          { name: 'login', inputSchema: { type: 'object', properties: { pin: { type: 'string', writeOnly: true } } } },
        ],
      },
    });
    const id = r.begin(
      upstreamCall({
        params: { name: 'login', arguments: { pin: '4321', password: 'hunter2', 'x-tenant-key': 't-1' } },
      }),
    );
    r.end(id, { result: { content: [{ type: 'text', text: 'ok' }] } });
    const text = r.get(id)!.request.json!;
    expect(JSON.parse(text)).toEqual({
      name: 'login',
      arguments: { pin: '[redacted]', password: '[redacted]', 'x-tenant-key': '[redacted]' },
    });
  });

  it('says once when servers marked more fields sensitive than it hides', () => {
    const warnings: string[] = [];
    const r = new TrafficRecorder({ warn: (text) => warnings.push(text) });
    const properties = (from: number) =>
      Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${from + i}`, { type: 'string', writeOnly: true }]));
    for (const from of [0, 600, 1200]) {
      const list = r.begin(upstreamCall({ method: 'tools/list', params: {} }));
      r.end(list, {
        result: { tools: [{ name: 't', inputSchema: { type: 'object', properties: properties(from) } }] },
      });
      r.flush();
    }
    expect(warnings).toEqual([
      expect.stringMatching(/more fields sensitive than the 1000 it hides.*traffic\.redactFields/),
    ]);
  });

  it('remembers what servers marked sensitive across a config reload', () => {
    const r = new TrafficRecorder();
    const list = r.begin(upstreamCall({ method: 'tools/list', params: {} }));
    r.end(list, {
      result: {
        tools: [
          { name: 'login', inputSchema: { type: 'object', properties: { pin: { type: 'string', writeOnly: true } } } },
        ],
      },
    });
    r.flush();
    // Every config load passes the configured names again (an empty list by default).
    r.configure({ redactFields: [] });
    r.configure({ redactFields: ['extra'] });
    r.note(upstreamCall({ params: { name: 'login', arguments: { pin: '4321', extra: 'e' } } }));
    expect(JSON.parse(r.list({ limit: 1 }).entries[0]!.request.json!).arguments).toEqual({
      pin: '[redacted]',
      extra: '[redacted]',
    });
  });
});

describe('TrafficRecorder: a secret cut in two at the size limit', () => {
  const canary = 'sk-CANARY-7f3a9e2b1c5d';
  const redactor = createRedactor([{ label: 'api', value: canary }]);
  const withRedactor = (max: number) =>
    new TrafficRecorder({
      maxPayloadBytes: max,
      redact: (t) => redactor.redact(t),
      redactCutEnd: (t) => redactor.dropPartialAtEnd(t),
    });
  /** Every piece of the canary of 3 characters or more. */
  const pieces = (min: number) => {
    const out: string[] = [];
    for (let i = 0; i + min <= canary.length; i++) out.push(canary.slice(i, i + min));
    return out;
  };
  const leaks = (json: string) => {
    const kept = json.replace(MARKER, '');
    const tail = [...Array(canary.length).keys()].filter((k) => k >= 2 && kept.endsWith(canary.slice(0, k)));
    return { pieces: pieces(3).filter((p) => kept.includes(p)), tail };
  };

  it('leaves no part of a secret that straddles the cut, wherever the cut falls in it', () => {
    const max = 200;
    for (let before = max - canary.length; before <= max; before++) {
      const r = withRedactor(max);
      // '{"t":"' is 6 characters: the canary starts at `before`.
      const params = { t: `${'a'.repeat(before - 6)}${canary}${'b'.repeat(300)}` };
      r.note(call({ params }));
      const json = r.list().entries[0]!.request.json!;
      expect(json, `canary at ${before}`).toMatch(MARKER);
      expect(leaks(json), `canary at ${before}`).toEqual({ pieces: [], tail: [] });
    }
  });

  it('leaves no part of one when redaction before the cut shortened the text', () => {
    // Many copies of a long secret shrink to their label, so the text redacted before the cut
    // reaches past the margin it was redacted with: the secret cut there ends the kept text.
    const long = `${canary}-${'z'.repeat(200)}`;
    const r2 = createRedactor([{ label: 'k', value: long }]);
    const max = 8000;
    const r = new TrafficRecorder({
      maxPayloadBytes: max,
      redact: (t) => r2.redact(t),
      redactCutEnd: (t) => r2.dropPartialAtEnd(t),
    });
    const head = Array.from({ length: 40 }, () => long).join(' ');
    const cutAt = max + 4096;
    const pad = 'p'.repeat(cutAt - 6 - head.length - 1 - 10);
    const params = { t: `${head} ${pad}${long}${'q'.repeat(100)}` };
    r.note(call({ params }));
    const json = r.list().entries[0]!.request.json!;
    expect(json).toMatch(MARKER);
    const kept = json.replace(MARKER, '');
    for (let k = 2; k < long.length; k++) expect(kept.endsWith(long.slice(0, k)), `${k} chars left`).toBe(false);
    expect(kept.endsWith('p')).toBe(true);
  });
});

describe('TrafficRecorder: the ring', () => {
  const note = (r: TrafficRecorder, i: number, size = 0) =>
    r.note(call({ method: `m/${i}`, params: size ? { t: 'x'.repeat(size) } : undefined }));
  const methods = (r: TrafficRecorder) => r.list({ limit: 1000 }).entries.map((e) => e.method);

  it('drops the oldest entries beyond its count', () => {
    const r = new TrafficRecorder({ maxEntries: 3 });
    for (let i = 0; i < 5; i++) note(r, i);
    expect(methods(r)).toEqual(['m/4', 'm/3', 'm/2']);
    expect(r.size()).toBe(3);
  });

  it('drops the oldest entries beyond its bytes, keeping at least the newest', () => {
    // Each entry weighs 400 + 508 (its request text): two fit in 2000 bytes.
    const r = new TrafficRecorder({ maxBytes: 2000 });
    for (let i = 0; i < 5; i++) note(r, i, 500);
    expect(methods(r)).toEqual(['m/4', 'm/3']);
    const tiny = new TrafficRecorder({ maxBytes: 10 });
    note(tiny, 1, 500);
    note(tiny, 2, 500);
    expect(methods(tiny)).toEqual(['m/2']);
  });

  it('counts names and error messages in its bytes, not only payloads', () => {
    const r = new TrafficRecorder({ maxBytes: 1024 * 1024 });
    for (let i = 0; i < 50; i++) {
      const id = r.begin(call({ target: `${'t'.repeat(100_000)}${i}` }));
      r.end(id, { error: new GatewayError('upstream_unavailable', 'e'.repeat(60_000)) });
    }
    const held = r
      .list({ limit: 1000 })
      .entries.reduce((n, e) => n + e.method.length + e.target!.length + e.error!.message.length, 0);
    expect(held).toBeLessThanOrEqual(1024 * 1024);
    expect(r.size()).toBeGreaterThan(1);
  });

  it('counts an entry once when it is written again on its end', () => {
    const r = new TrafficRecorder({ maxBytes: 2000 });
    const id = r.begin(call({ params: { t: 'x'.repeat(500) } }));
    r.flush();
    r.end(id, { result: {} });
    r.flush();
    note(r, 1, 500);
    r.flush();
    // 908 + 2 bytes of answer for the call, 908 for the note: both fit.
    expect(r.size()).toBe(2);
  });

  it('shrinks at once when its limits are lowered', () => {
    const r = new TrafficRecorder();
    for (let i = 0; i < 10; i++) note(r, i, 500);
    r.flush();
    r.configure({ maxEntries: 4 });
    expect(r.size()).toBe(4);
    r.configure({ maxBytes: 2000 });
    expect(r.size()).toBe(2);
    expect(methods(r)).toEqual(['m/9', 'm/8']);
  });
});

describe('TrafficRecorder: listeners', () => {
  it('get each entry when it is written and again when it ends', () => {
    const r = new TrafficRecorder();
    const seen: string[] = [];
    const off = r.onEntry((e) => seen.push(`${e.method}:${e.outcome}`));
    const id = r.begin(call());
    r.flush();
    r.end(id, { result: {} });
    r.flush();
    // Begun and ended before a write: written once, ended.
    const quick = r.begin(call({ method: 'tools/list' }));
    r.end(quick, { result: { tools: [] } });
    r.flush();
    expect(seen).toEqual(['tools/call:pending', 'tools/call:ok', 'tools/list:ok']);
    off();
    r.note(call());
    r.flush();
    expect(seen).toHaveLength(3);
  });

  it('on their own, write a quick exchange once, answered, and a slow one also while it waits', async () => {
    const r = new TrafficRecorder();
    const seen: string[] = [];
    r.onEntry((e) => seen.push(`${e.method}:${e.outcome}`));
    const quick = r.begin(call({ method: 'quick' }));
    const slow = r.begin(call({ method: 'slow' }));
    await new Promise((resolve) => setImmediate(resolve));
    r.end(quick, { result: {} });
    await new Promise((resolve) => setImmediate(resolve));
    // The quick one is written once, answered; the slow one is not shown yet.
    expect(seen).toEqual(['quick:ok']);
    // Once it has waited 50 ms it is shown as pending, and again when its answer comes.
    await vi.waitFor(() => expect(seen).toEqual(['quick:ok', 'slow:pending']), { timeout: 2000, interval: 10 });
    r.end(slow, { result: {} });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['quick:ok', 'slow:pending', 'slow:ok']);
  });

  it('a throwing listener does not keep the entry from the others or from the ring', () => {
    const r = new TrafficRecorder();
    const seen: string[] = [];
    r.onEntry(() => {
      throw new Error('listener bug');
    });
    r.onEntry((e) => seen.push(e.method));
    r.note(call({ method: 'a' }));
    r.note(call({ method: 'b' }));
    expect(() => r.flush()).not.toThrow();
    expect(seen).toEqual(['a', 'b']);
    expect(r.size()).toBe(2);
  });
});

describe('TrafficRecorder: list', () => {
  function populated(): TrafficRecorder {
    const r = new TrafficRecorder();
    const now = vi.spyOn(performance, 'now');
    for (let i = 0; i < 25; i++) {
      now.mockReturnValueOnce(0);
      const id =
        i % 2 === 0
          ? r.begin(call({ params: { name: `tool${i}`, arguments: { text: i === 8 ? 'Needle' : 'hay' } } }))
          : r.begin(upstreamCall({ server: i % 3 === 0 ? 'files' : 'web', target: `tool${i}` }));
      now.mockReturnValueOnce(i * 10);
      if (i % 5 === 4) r.end(id, { error: new Error('x') });
      else if (i !== 24) r.end(id, { result: {} });
    }
    now.mockRestore();
    return r;
  }

  it('pages newest first with a cursor, each entry once', () => {
    const r = populated();
    const all: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = r.list({ limit: 10, ...(cursor ? { cursor } : {}) });
      expect(page.entries.length).toBeLessThanOrEqual(10);
      all.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(all).toHaveLength(25);
    expect([...all].reverse()).toEqual([...all].sort());
    // Exactly a page's worth left: no cursor to an empty page.
    expect(r.list({ limit: 25 }).nextCursor).toBeUndefined();
    expect(r.list({ limit: 24 }).nextCursor).toBe(all[23]);
  });

  it('keeps the page size within 1 and 1000', () => {
    const r = populated();
    expect(r.list({ limit: 0 }).entries).toHaveLength(1);
    expect(r.list().entries).toHaveLength(25);
    const big = new TrafficRecorder();
    for (let i = 0; i < 1005; i++) big.note(call());
    const page = big.list({ limit: 5000 });
    expect(page.entries).toHaveLength(1000);
    expect(page.nextCursor).toBeDefined();
  });

  it('filters by every condition given', () => {
    const r = populated();
    const count = (filter: Parameters<TrafficRecorder['list']>[0]) => r.list({ ...filter, limit: 1000 }).entries.length;
    expect(count({ edge: 'client' })).toBe(13);
    expect(count({ edge: 'upstream' })).toBe(12);
    expect(count({ server: 'files' })).toBe(4);
    expect(count({ server: 'web' })).toBe(8);
    expect(count({ outcome: 'error' })).toBe(5);
    expect(count({ outcome: 'pending' })).toBe(0);
    expect(count({ session: 'sess-1' })).toBe(13);
    expect(count({ client: 'Claude' })).toBe(13);
    expect(count({ profile: 'work' })).toBe(13);
    expect(count({ profile: 'home' })).toBe(0);
    expect(count({ target: 'tool3' })).toBe(1);
    expect(count({ method: 'tools/call', edge: 'upstream', server: 'web', outcome: 'ok' })).toBe(7);
    expect(count({ minDurationMs: 200 })).toBe(5);
    // Case-insensitive, in the method, the target or the payloads.
    expect(count({ text: 'needle' })).toBe(1);
    expect(count({ text: 'TOOL1' })).toBe(11);
    expect(count({ text: '' })).toBe(25);
    const times = r.list({ limit: 1000 }).entries.map((e) => e.startedAt);
    expect(count({ since: Math.max(...times) + 1 })).toBe(0);
    expect(count({ until: Math.min(...times) - 1 })).toBe(0);
    expect(count({ since: Math.min(...times), until: Math.max(...times) })).toBe(25);
  });
});
