/**
 * A remote server whose event streams misbehave: its GET stream ends as soon as it opens and asks
 * for `retry: 0`, or is refused the first time; and some answers come as an event stream that
 * ends (or is reset) before the answer, with no event id to resume from, or with one whose
 * resumption the server refuses; or an answer stream that stays open after its answer; or a call
 * that never ends (an endless event, or no response headers at all) and is given up; or a legacy
 * SSE stream that never names the endpoint to post to, or that never answers a call. The gateway
 * runs as its own process (`serve --stdio`).
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, rawStdio, type RawStdio } from '../helpers/raw-stdio.ts';
import { CLI, NODE, tempDir, textOf, writeConfig } from '../helpers/gateway.ts';
import { startHostileHttpServer } from '../helpers/hostile-http.ts';

describe('a remote server whose event streams end early', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let server: { child: ChildProcess; port: number };
  let gateway: RawStdio;
  let nextId = 1;

  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const id = nextId++;
    gateway.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    return gateway.response(id, 180_000);
  };

  beforeAll(async () => {
    dir = await tempDir();
    server = await startHostileHttpServer();
    const base = `http://127.0.0.1:${server.port}`;
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        // A timeout far past the test's own: a call left to wait for it fails the test.
        web: { url: `${base}/mcp`, timeoutMs: 120_000 },
        flappy: { url: `${base}/flappy` },
        late: { url: `${base}/late` },
        impatient: { url: `${base}/mcp`, timeoutMs: 500 },
        mute: { url: `${base}/mute-sse`, transport: 'sse', startupTimeoutMs: 1000 },
        legacy: { url: `${base}/sse`, transport: 'sse', timeoutMs: 500 },
      },
    });
    gateway = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    gateway.send(INITIALIZE(0));
    await gateway.response(0);
    gateway.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    for (const s of ['web', 'flappy', 'late', 'impatient', 'legacy']) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const small = await call(`${s}__small`);
        if (small.result && textOf(small.result) === 'fine') break;
        if (Date.now() > deadline) throw new Error(`${s} never answered: ${JSON.stringify(small)}`);
        await sleep(200);
      }
    }
  }, 90_000);

  afterAll(async () => {
    gateway?.close();
    server?.child.kill();
    await dir?.cleanup();
  });

  it('an event stream that ends at once with `retry: 0` is reopened with growing waits, not in a loop', async () => {
    const first = Number(textOf((await call('flappy__stream_opens')).result));
    await sleep(4000);
    const opens = Number(textOf((await call('flappy__stream_opens')).result)) - first;
    // Paced: 1 s, then 2 s, then 4 s between opens. Unpaced, the SDK reopens it thousands of times.
    expect(opens).toBeGreaterThanOrEqual(1);
    expect(opens).toBeLessThanOrEqual(3);
    expect(textOf((await call('flappy__small')).result)).toBe('fine');
  }, 30_000);

  it('an event stream refused when the session begins is asked for again: what comes later arrives', async () => {
    // Refused once (503), the stream is asked for again a second later; until then nobody hears.
    const deadline = Date.now() + 10_000;
    while (textOf((await call('late__announce')).result) === '0') {
      if (Date.now() > deadline) throw new Error('the event stream was never asked for again');
      await sleep(200);
    }
    const heard = () =>
      gateway.messages.some(
        (m) => m.method === 'notifications/message' && (m.params as { data?: unknown }).data === 'announced',
      );
    const until = Date.now() + 5000;
    while (!heard() && Date.now() < until) await sleep(50);
    expect(heard()).toBe(true);
  }, 30_000);

  it.each([
    ['cut_sse_resumable', 'HTTP 405'],
    ['cut_sse_gone', 'HTTP 404'],
  ])(
    '%s: a call whose answer stream cannot be resumed fails then, not at its timeout',
    async (tool, status) => {
      const cut = await call(`web__${tool}`);
      expect(cut.error).toMatchObject({
        message: expect.stringMatching(
          new RegExp(`^server "web": could not resume the event stream of this request \\(${status}`),
        ),
      });
      expect(textOf((await call('web__small')).result)).toBe('fine');
    },
    20_000,
  );

  it('an answer stream kept open after the answer is closed: calls do not pile up connections', async () => {
    for (let i = 0; i < 5; i++) expect(textOf((await call('web__never_ends')).result)).toBe('answered');
    // Each kept a connection (and the server's stream) open for good before: five, and counting.
    const deadline = Date.now() + 5000;
    let open = '';
    while ((open = textOf((await call('web__open_never_ends')).result)) !== '0' && Date.now() < deadline)
      await sleep(100);
    expect(open).toBe('0');
  }, 20_000);

  /** Polls the server until every call that never ends has been let go by the gateway. */
  const unansweredLeft = async (): Promise<string> => {
    const deadline = Date.now() + 5000;
    let open = '';
    while ((open = textOf((await call('web__open_unanswered')).result)) !== '0' && Date.now() < deadline)
      await sleep(100);
    return open;
  };

  it.each(['dribble_forever', 'headers_never'])(
    '%s: a call that times out lets go of its connection; it was held for as long as the server kept it',
    async (tool) => {
      for (let i = 0; i < 3; i++) {
        const timedOut = await call(`impatient__${tool}`);
        expect(timedOut.error).toMatchObject({ message: expect.stringMatching(/timed out after 500 ms/) });
      }
      expect(await unansweredLeft()).toBe('0');
      expect(textOf((await call('impatient__small')).result)).toBe('fine');
    },
    20_000,
  );

  it('a legacy SSE call never answered times out at timeoutMs, the server is told, the session goes on', async () => {
    const before = Number(textOf((await call('legacy__cancelled')).result));
    for (let i = 0; i < 3; i++) {
      const timedOut = await call('legacy__silent');
      expect(timedOut.error).toMatchObject({
        message: expect.stringMatching(/tools\/call to server "legacy" timed out after 500 ms/),
      });
    }
    // Nothing of its own to close (answers come on the session's one stream): it is told instead.
    const deadline = Date.now() + 5000;
    let told = 0;
    while ((told = Number(textOf((await call('legacy__cancelled')).result)) - before) < 3 && Date.now() < deadline)
      await sleep(100);
    expect(told).toBe(3);
    expect(textOf((await call('legacy__small')).result)).toBe('fine');
  }, 20_000);

  it('a call its client cancels lets go of its endless answer stream', async () => {
    const id = nextId++;
    gateway.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'web__dribble_forever', arguments: {} } });
    const deadline = Date.now() + 5000;
    while (textOf((await call('web__open_unanswered')).result) !== '1' && Date.now() < deadline) await sleep(50);
    gateway.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'enough' } });
    expect(await unansweredLeft()).toBe('0');
  }, 20_000);

  it('a legacy SSE stream that never names its endpoint is given up at the start timeout and closed', async () => {
    const streams = async (): Promise<[number, number]> => {
      const [opened, open] = textOf((await call('web__mute_streams')).result)
        .split('/')
        .map(Number);
      return [opened!, open!];
    };
    const deadline = Date.now() + 15_000;
    while ((await streams())[0] < 3 && Date.now() < deadline) await sleep(200);
    const [opened, open] = await streams();
    // Tried again and again, each stream closed when its start timed out: never more than one open.
    expect(opened).toBeGreaterThanOrEqual(3);
    expect(open).toBeLessThanOrEqual(1);
    const refused = await call('mute__small');
    expect(JSON.stringify(refused.error)).toMatch(
      /no endpoint event from http:\/\/127\.0\.0\.1:\d+\/mute-sse within 1000 ms/,
    );
  }, 30_000);

  it.each(['cut_sse', 'cut_sse_reset'])(
    '%s: a call whose answer stream ends without its answer fails now, saying so, and the session goes on',
    async (tool) => {
      const cut = await call(`web__${tool}`);
      expect(cut.error).toMatchObject({
        message: expect.stringMatching(
          /^server "web": closed the event stream of this request without answering it \(no event id/,
        ),
      });
      expect(textOf((await call('web__small')).result)).toBe('fine');
    },
    20_000,
  );
});
