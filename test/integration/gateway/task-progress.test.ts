/**
 * Progress of a task-augmented call: the tasks extension keeps the request's progress token valid
 * for the task's whole life, after the call itself was answered with the task. The gateway passes
 * that progress on to the client that created the task, under the client's own token, until the
 * task ends. And a question a task asks (after its call was answered) goes to the client that
 * created the task, not to whichever client happens to have a call in flight on that server.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, rawStdio, type RawStdio } from '../../helpers/raw-stdio.ts';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  CLI,
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const TASK_SERVER = path.join(ROOT, 'test/fixtures/servers/task-server.ts');

describe('progress of a task', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: RawStdio;

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, {
      mcpServers: { tasks: { command: NODE, args: [TASK_SERVER] }, fx: fixtureServer('fx') },
    });
    gateway = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    gateway.send(INITIALIZE(0, '2025-11-25'));
    await gateway.response(0);
    gateway.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }, 30_000);
  afterAll(async () => {
    gateway?.close();
    await dir?.cleanup();
  });

  it('reaches the client after the call was answered with the task, and stops when the task ends', async () => {
    gateway.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'tasks__job', arguments: {}, task: { ttl: 60_000 }, _meta: { progressToken: 'mine' } },
    });
    const created = (await gateway.response(1)) as { result?: { task?: { taskId: string } } };
    const taskId = created.result?.task?.taskId;
    expect(taskId).toEqual(expect.any(String));

    const progress = () =>
      gateway.messages
        .filter((m) => m.method === 'notifications/progress')
        .map((m) => m.params as { progressToken: unknown; progress: number });
    const ended = () =>
      gateway.messages.some(
        (m) => m.method === 'notifications/tasks/status' && (m.params as { status: string }).status === 'completed',
      );
    await waitFor(() => ended() && progress().length >= 3, 10_000, 'the task to report progress and end');
    // The server's progress after the task ended is not passed on.
    await new Promise((r) => setTimeout(r, 300));
    expect(progress()).toEqual([1, 2, 3].map((step) => ({ progressToken: 'mine', progress: step, total: 3 })));

    gateway.send({ jsonrpc: '2.0', id: 2, method: 'tasks/result', params: { taskId } });
    expect(await gateway.response(2)).toMatchObject({ result: { content: [{ text: `result of ${taskId}` }] } });
  }, 20_000);
});

describe('two servers that count their tasks the same way', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: RawStdio;

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, {
      mcpServers: { one: { command: NODE, args: [TASK_SERVER] }, two: { command: NODE, args: [TASK_SERVER] } },
    });
    gateway = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    gateway.send(INITIALIZE(0, '2025-11-25'));
    await gateway.response(0);
    gateway.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }, 30_000);
  afterAll(async () => {
    gateway?.close();
    await dir?.cleanup();
  });

  it('keeps both tasks reachable: the second is known to the client by an id of its own', async () => {
    const start = async (id: number, server: string, token: string) => {
      gateway.send({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: `${server}__job`, arguments: {}, task: { ttl: 60_000 }, _meta: { progressToken: token } },
      });
      return ((await gateway.response(id)) as { result: { task: { taskId: string } } }).result.task.taskId;
    };
    const first = await start(1, 'one', 'p-one');
    const second = await start(2, 'two', 'p-two');
    expect(first).toBe('task-1');
    expect(second).toBe('task-1~2');
    const completed = () =>
      gateway.messages
        .filter((m) => m.method === 'notifications/tasks/status')
        .map((m) => (m.params as { taskId: string }).taskId)
        .sort();
    await waitFor(() => completed().length === 2, 10_000, 'both tasks to end');
    expect(completed()).toEqual(['task-1', 'task-1~2']);
    gateway.send({ jsonrpc: '2.0', id: 3, method: 'tasks/get', params: { taskId: second } });
    expect(await gateway.response(3)).toMatchObject({ result: { taskId: 'task-1~2', status: 'completed' } });
    gateway.send({ jsonrpc: '2.0', id: 4, method: 'tasks/list', params: {} });
    const listed = ((await gateway.response(4)) as { result: { tasks: { taskId: string }[] } }).result.tasks;
    expect(listed.map((t) => t.taskId).sort()).toEqual(['task-1', 'task-1~2']);
  }, 20_000);
});

describe("a task's question", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];

  /** A client that answers form questions itself, recording what it was asked. */
  async function answering(pin: string): Promise<{ client: Client; asked: string[] }> {
    const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      return { action: 'accept', content: { pin } };
    });
    clients.push(client);
    return { client, asked };
  }

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { tasks: { command: NODE, args: [TASK_SERVER] }, fx: fixtureServer('fx') },
      }),
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('goes to the client that created the task, even while another has a call in flight there', async () => {
    const alice = await answering('1111');
    const bob = await answering('2222');
    const created = await alice.client.request(
      { method: 'tools/call', params: { name: 'tasks__job_ask', arguments: {}, task: { ttl: 60_000 } } },
      z.object({ task: z.object({ taskId: z.string() }) }).passthrough(),
    );
    const taskId = created.task.taskId;
    // Bob's call is the only one in flight on the server when it asks about Alice's task.
    const waiting = bob.client.callTool({ name: 'tasks__wait', arguments: { ms: 1500 } });
    await waitFor(() => alice.asked.length > 0 || bob.asked.length > 0, 10_000, 'the question');
    expect(alice.asked).toEqual([`Card PIN for ${taskId}?`]);
    expect(bob.asked).toEqual([]);
    await waiting;
    const result = await alice.client.request(
      { method: 'tasks/result', params: { taskId } },
      z.object({ content: z.array(z.object({ text: z.string() })) }).passthrough(),
    );
    expect(result.content[0]?.text).toBe('pin 1111');
  });
});
