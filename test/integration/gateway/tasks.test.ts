import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { EVERYTHING, NODE, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { rawSession } from '../../helpers/raw-http.ts';
import { statelessPost } from '../../helpers/stateless.ts';

describe('tasks (the tasks extension) in a profile of several servers', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { everything: { command: NODE, args: [EVERYTHING, 'stdio'] }, fx: fixtureServer('fx') },
      }),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('routes task status and results to the server that runs the task', async () => {
    const s = await rawSession(gateway.httpUrl()!, '2025-11-25');
    const started = await s.call({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'everything__simulate-research-query', arguments: { topic: 'gateways' }, task: { ttl: 60_000 } },
    });
    const task = (started.result as { task: { taskId: string; status: string } }).task;
    expect(task.taskId).toEqual(expect.any(String));
    const done = await waitFor(
      async () => {
        const got = await s.call({ jsonrpc: '2.0', id: 2, method: 'tasks/get', params: { taskId: task.taskId } });
        return (got.result as { status: string }).status === 'completed' ? got : undefined;
      },
      20_000,
      'the task to complete',
    );
    expect(done.result).toMatchObject({ taskId: task.taskId, status: 'completed' });
    const result = await s.call({ jsonrpc: '2.0', id: 3, method: 'tasks/result', params: { taskId: task.taskId } });
    expect(JSON.stringify(result.result)).toContain('Research Report: gateways');
    const list = await s.call({ jsonrpc: '2.0', id: 4, method: 'tasks/list', params: {} });
    expect((list.result as { tasks: { taskId: string }[] }).tasks.map((t) => t.taskId)).toContain(task.taskId);
    const unknown = await s.call({ jsonrpc: '2.0', id: 5, method: 'tasks/get', params: { taskId: 'nope' } });
    expect(unknown.error).toMatchObject({ code: -32602, message: 'Unknown task: nope' });
  });

  it('does not offer a 2026-07-28 client the tasks of 2025-11-25, whose tasks/* it does not serve it', async () => {
    const init = await fetch(gateway.httpUrl()!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    expect(((await init.json()) as { result: { capabilities: object } }).result.capabilities).toHaveProperty('tasks');
    const { body } = await statelessPost(gateway.httpUrl()!, 'server/discover');
    const capabilities = (body.result as { capabilities: Record<string, unknown> }).capabilities;
    expect(capabilities).toMatchObject({ tools: { listChanged: true } });
    expect(capabilities).not.toHaveProperty('tasks');
    // What it would have been offered: tasks/get answers "Method not found" to such a client.
    expect((await statelessPost(gateway.httpUrl()!, 'tasks/get', { taskId: 'x' })).body.error).toMatchObject({
      code: -32601,
    });
  });

  it("keeps each client's tasks to itself: another session can neither list, read nor cancel them", async () => {
    const alice = await rawSession(gateway.httpUrl()!, '2025-11-25');
    const mallory = await rawSession(gateway.httpUrl()!, '2025-11-25');
    const started = await alice.call({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'everything__simulate-research-query', arguments: { topic: 'secrets' }, task: { ttl: 60_000 } },
    });
    const taskId = (started.result as { task: { taskId: string } }).task.taskId;
    const ids = async (s: typeof alice) =>
      (
        (await s.call({ jsonrpc: '2.0', id: 9, method: 'tasks/list', params: {} })).result as {
          tasks: { taskId: string }[];
        }
      ).tasks.map((t) => t.taskId);
    expect(await ids(alice)).toContain(taskId);
    expect(await ids(mallory)).not.toContain(taskId);
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      const answer = await mallory.call({ jsonrpc: '2.0', id: 2, method, params: { taskId } });
      expect(answer.error, method).toMatchObject({ code: -32602, message: `Unknown task: ${taskId}` });
    }
    // The task was not cancelled by the attempt: its creator still follows it to the end.
    const done = await waitFor(
      async () => {
        const got = await alice.call({ jsonrpc: '2.0', id: 3, method: 'tasks/get', params: { taskId } });
        return (got.result as { status: string }).status === 'completed' ? got : undefined;
      },
      20_000,
      'the task to complete',
    );
    expect(done.result).toMatchObject({ taskId, status: 'completed' });
  });
});
