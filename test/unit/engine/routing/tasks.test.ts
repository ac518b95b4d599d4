import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import { MAX_TASKS, TaskOwners, type TaskUpstream } from '../../../../main/engine/routing/tasks.ts';

/** A backend answering tasks/list with `tasks` (or failing when `tasks` is an error). */
function backend(capabilities: Record<string, unknown>, tasks: unknown[] | Error = []) {
  const asked: (AbortSignal | undefined)[] = [];
  const upstream: TaskUpstream = {
    info: () => ({ protocolVersion: '2025-11-25', capabilities, serverInfo: { name: 'b', version: '1' } }),
    request(_method, _params, options) {
      asked.push(options?.signal);
      return tasks instanceof Error ? Promise.reject(tasks) : Promise.resolve({ tasks });
    },
  };
  return { upstream, asked };
}

describe('task owners', () => {
  it('remembers the upstream whose result created a task', () => {
    const owners = new TaskOwners();
    const { upstream } = backend({ tasks: {} });
    owners.noteResult({ task: { taskId: 't1', status: 'working' } }, upstream);
    owners.noteResult({ content: [] }, upstream);
    owners.noteResult({ task: { taskId: 7 } }, upstream);
    expect(owners.owner('t1')).toBe(upstream);
    expect(owners.owner('7')).toBeUndefined();
  });

  it('forgets the oldest task ids first', () => {
    const owners = new TaskOwners();
    const { upstream } = backend({ tasks: {} });
    for (let i = 0; i <= MAX_TASKS; i++) owners.noteResult({ task: { taskId: `t${i}` } }, upstream);
    expect(owners.owner('t0')).toBeUndefined();
    expect(owners.owner('t1')).toBe(upstream);
    expect(owners.owner(`t${MAX_TASKS}`)).toBe(upstream);
  });

  it('merges tasks/list of the upstreams that have tasks and remembers who owns each', async () => {
    const owners = new TaskOwners();
    const one = backend({ tasks: {} }, [{ taskId: 'a' }, { taskId: 'b' }]);
    const two = backend({ tasks: {} }, [{ taskId: 'c' }]);
    const broken = backend({ tasks: {} }, new GatewayError('upstream_closed', 'gone'));
    const none = backend({ tools: {} }, [{ taskId: 'x' }]);
    const signal = new AbortController().signal;
    expect(await owners.list([one.upstream, broken.upstream, two.upstream, none.upstream], signal)).toEqual({
      tasks: [{ taskId: 'a' }, { taskId: 'b' }, { taskId: 'c' }],
    });
    expect(one.asked).toEqual([signal]);
    expect(none.asked).toEqual([]);
    expect(owners.owner('b')).toBe(one.upstream);
    expect(owners.owner('c')).toBe(two.upstream);
    expect(owners.owner('x')).toBeUndefined();
  });
});
