import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { EVERYTHING, NODE, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { rawSession } from '../../helpers/raw-http.ts';

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
});
