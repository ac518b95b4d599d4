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
    owners.noteResult({ task: { taskId: 't1', status: 'working' } }, upstream, 's1');
    owners.noteResult({ content: [] }, upstream, 's1');
    owners.noteResult({ task: { taskId: 7 } }, upstream, 's1');
    expect(owners.route('t1', 's1')?.upstream).toBe(upstream);
    expect(owners.route('t1', 's2')).toBeUndefined();
    expect(owners.creator('t1', upstream)).toBe('s1');
    expect(owners.route('7', 's1')).toBeUndefined();
    owners.dropOwner('s1');
    expect(owners.route('t1', 's1')).toBeUndefined();
  });

  it('forgets the oldest task ids first', () => {
    const owners = new TaskOwners();
    const { upstream } = backend({ tasks: {} });
    for (let i = 0; i <= MAX_TASKS; i++) owners.noteResult({ task: { taskId: `t${i}` } }, upstream, 's');
    expect(owners.route('t0', 's')).toBeUndefined();
    expect(owners.route('t1', 's')?.upstream).toBe(upstream);
    expect(owners.route(`t${MAX_TASKS}`, 's')?.upstream).toBe(upstream);
  });

  it("merges tasks/list of the upstreams that have tasks, showing only the caller's own", async () => {
    const owners = new TaskOwners();
    const one = backend({ tasks: {} }, [{ taskId: 'a' }, { taskId: 'b' }, { taskId: 'theirs' }]);
    const two = backend({ tasks: {} }, [{ taskId: 'c' }, { taskId: 'made-elsewhere' }]);
    const broken = backend({ tasks: {} }, new GatewayError('upstream_closed', 'gone'));
    const none = backend({ tools: {} }, [{ taskId: 'x' }]);
    for (const id of ['a', 'b']) owners.noteResult({ task: { taskId: id } }, one.upstream, 'me');
    owners.noteResult({ task: { taskId: 'c' } }, two.upstream, 'me');
    owners.noteResult({ task: { taskId: 'theirs' } }, one.upstream, 'someone else');
    const signal = new AbortController().signal;
    expect(await owners.list([one.upstream, broken.upstream, two.upstream, none.upstream], 'me', signal)).toEqual({
      tasks: [{ taskId: 'a' }, { taskId: 'b' }, { taskId: 'c' }],
    });
    expect(one.asked).toEqual([signal]);
    expect(none.asked).toEqual([]);
    expect(owners.route('made-elsewhere', 'me')).toBeUndefined();
  });

  it('gives a task whose id another upstream already uses an id of its own, translated both ways', () => {
    const owners = new TaskOwners();
    const a = backend({ tasks: {} }).upstream;
    const b = backend({ tasks: {} }).upstream;
    expect(owners.noteResult({ task: { taskId: 'task-1' } }, a, 's')).toEqual({ task: { taskId: 'task-1' } });
    expect(owners.noteResult({ task: { taskId: 'task-1', status: 'working' } }, b, 's')).toEqual({
      task: { taskId: 'task-1~2', status: 'working' },
    });
    expect(owners.route('task-1', 's')).toEqual({ upstream: a, original: 'task-1' });
    expect(owners.route('task-1~2', 's')).toEqual({ upstream: b, original: 'task-1' });
    expect(owners.toClient(b, { taskId: 'task-1', status: 'completed' })).toEqual({
      taskId: 'task-1~2',
      status: 'completed',
    });
    expect(owners.toClient(a, { taskId: 'task-1' })).toEqual({ taskId: 'task-1' });
    const related = { _meta: { 'io.modelcontextprotocol/related-task': { taskId: 'task-1' } }, x: 1 };
    expect(owners.toClient(b, related)).toEqual({
      _meta: { 'io.modelcontextprotocol/related-task': { taskId: 'task-1~2' } },
      x: 1,
    });
    expect(owners.creator('task-1', b)).toBe('s');
    // The same upstream handing out the same id again (after a restart) keeps its name.
    expect(owners.noteResult({ task: { taskId: 'task-1' } }, b, 's2')).toEqual({ task: { taskId: 'task-1~2' } });
    expect(owners.route('task-1~2', 's2')).toEqual({ upstream: b, original: 'task-1' });
  });
});
