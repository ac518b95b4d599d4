/**
 * JSON-RPC batches from 2025-03-26 clients, which that revision says a server must take, over
 * Streamable HTTP, `serve --stdio` and the shim, against the fixture server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { probeSocket, type Gateway } from '../../../main/engine/index.ts';
import { runtimePaths } from '../../../main/shared/paths.ts';
import { CLI, NODE, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { INITIALIZE, rawStdio, type RawStdio } from '../../helpers/raw-stdio.ts';
import { rawSession, sseData, type RawSession } from '../../helpers/raw-http.ts';

type Answer = { id: number | string | null; result?: Record<string, unknown>; error?: { message: string } };

const call = (id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});
const echo = (id: number, message: string) => call(id, 'fx__echo', { message });
const textOf = (answer: Answer | undefined) =>
  (answer?.result?.content as { text: string }[] | undefined)?.[0]?.text ?? answer?.error?.message;
const byId = (answers: Answer[]) => new Map(answers.map((a) => [a.id, a]));

/** The first line a raw line client got that is a batch's answers. */
async function batchLine(client: RawStdio): Promise<Answer[]> {
  return waitFor(() => client.messages.find((m) => Array.isArray(m)) as Answer[] | undefined, 20_000, 'a batch answer');
}

describe('JSON-RPC batches from 2025-03-26 clients', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;
  let http: RawSession;

  beforeAll(async () => {
    dir = await tempDir('sb-batch-');
    config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    gateway = await startGateway(config, { runtimeDir: path.join(dir.dir, 'run'), socket: true });
    http = await rawSession(gateway.httpUrl()!, '2025-03-26');
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('over HTTP: a batch of requests and a notification is answered with one JSON array', async () => {
    const res = await http.post(
      [echo(1, 'one'), { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, echo(2, 'two')],
      { accept: 'application/json' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const answers = (await res.json()) as Answer[];
    expect(answers).toHaveLength(2);
    const ids = byId(answers);
    expect(textOf(ids.get(1))).toBe('one');
    expect(textOf(ids.get(2))).toBe('two');
  });

  it("over HTTP with SSE: a call's progress streams first, then the batch's answers in one event", async () => {
    const res = await http.post([call(1, 'fx__slow', { steps: 3 }, { progressToken: 'p' }), echo(2, 'beside')]);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = sseData(await res.text());
    const progress = events.filter((e) => (e as { method?: string }).method === 'notifications/progress');
    expect(progress.map((p) => (p as { params: { progress: number } }).params.progress)).toEqual([1, 2, 3]);
    const last = events.at(-1) as Answer[];
    expect(Array.isArray(last)).toBe(true);
    expect(textOf(byId(last).get(1))).toBe('done after 3 steps');
    expect(textOf(byId(last).get(2))).toBe('beside');
  });

  it('over HTTP: elements that cannot be taken are answered in the array, the rest are handled', async () => {
    const res = await http.post([
      INITIALIZE(5, '2025-03-26'),
      echo(6, 'fine'),
      { jsonrpc: '2.0', foo: 1 },
      echo(6, 'x'),
    ]);
    const answers = (await res.json()) as Answer[];
    expect(answers).toHaveLength(4);
    expect(answers.find((a) => a.id === 5)?.error?.message).toBe('initialize must not be part of a JSON-RPC batch');
    expect(answers.find((a) => a.id === null)?.error?.message).toMatch(/Invalid request/);
    const six = answers.filter((a) => a.id === 6);
    expect(six.map(textOf).sort()).toEqual(['fine', 'request id 6 is already in use by a request in flight']);
  });

  it('over HTTP: a batch of notifications only is accepted with 202', async () => {
    const res = await http.post([{ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }]);
    expect(res.status).toBe(202);
  });

  it('over HTTP: a batch of more than 1 000 messages is refused whole, and the session goes on', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => echo(i + 10, 'x'));
    const res = await http.post(many);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Answer).error?.message).toBe(
      'Bad Request: a JSON-RPC batch of 1001 messages is over the 1000 one batch may hold',
    );
    const after = (await (await http.post([echo(1, 'still here')], { accept: 'application/json' })).json()) as Answer[];
    expect(textOf(after[0])).toBe('still here');
  });

  it('over HTTP: a cancelled request is left out and the batch answers with the others', async () => {
    const pending = http.post([call(1, 'fx__slow', { steps: 200, delayMs: 20 }), echo(2, 'kept')], {
      accept: 'application/json',
    });
    await new Promise((r) => setTimeout(r, 300));
    const cancel = await http.post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    expect(cancel.status).toBe(202);
    const answers = (await (await pending).json()) as Answer[];
    expect(answers.map((a) => a.id)).toEqual([2]);
    expect(textOf(answers[0])).toBe('kept');
  });

  it('over HTTP: a session of a later revision is told batches are 2025-03-26 only', async () => {
    const later = await rawSession(gateway.httpUrl()!, '2025-06-18');
    const res = await later.post([echo(1, 'one')]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Answer).error?.message).toBe(
      'Bad Request: JSON-RPC batches are part of MCP 2025-03-26 only; this session speaks 2025-06-18: ' +
        'send one message at a time',
    );
  });

  it('over stdio: the answers come back as one line holding an array; a later revision is refused', async () => {
    const env = { ...process.env, SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state') };
    for (const version of ['2025-03-26', '2025-11-25']) {
      const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--no-socket', '--config', config], env);
      try {
        client.send(INITIALIZE(0, version));
        await client.response(0);
        client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        client.send([echo(1, 'a'), echo(2, 'b')]);
        if (version === '2025-11-25') {
          const refused = await waitFor(() => client.messages.find((m) => m.id === null && 'error' in m), 20_000);
          expect((refused.error as { message: string }).message).toContain('this session speaks 2025-11-25');
          continue;
        }
        const answers = await batchLine(client);
        expect([textOf(byId(answers).get(1)), textOf(byId(answers).get(2))]).toEqual(['a', 'b']);
        // Nothing of the batch came on a line of its own.
        expect(client.messages.filter((m) => m.id === 1 || m.id === 2)).toEqual([]);
      } finally {
        client.close();
      }
    }
  });

  it('through the shim: the answers reach the client even when its input ends before they come', async () => {
    const env = { ...process.env, SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run') };
    await waitFor(() => probeSocket(runtimePaths(env).socket), 10_000, 'the shim socket');
    const client = rawStdio(NODE, [CLI, 'shim'], env);
    try {
      client.send(INITIALIZE(0, '2025-03-26'));
      await client.response(0);
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      client.send([call(1, 'fx__slow', { steps: 5, delayMs: 40 }), echo(2, 'b')]);
      client.child.stdin!.end();
      const answers = await batchLine(client);
      expect(textOf(byId(answers).get(1))).toBe('done after 5 steps');
      expect(textOf(byId(answers).get(2))).toBe('b');
    } finally {
      client.close();
    }
  });
});
