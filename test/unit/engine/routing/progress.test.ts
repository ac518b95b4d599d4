import { describe, expect, it } from 'vitest';
import { MAX_TASK_PROGRESS, ProgressTokens } from '../../../../main/engine/routing/progress.ts';
import { FailedUpstream } from '../../../../main/engine/upstreams/failed.ts';
import { clientSession } from '../../../helpers/client-session.ts';

const upstream = (name: string) => new FailedUpstream(name, 'stdio', 'not started in unit tests');

describe('progress tokens', () => {
  it('leaves a request without a progress token as it is', () => {
    const tokens = new ProgressTokens();
    const params = { name: 'x', _meta: { other: 1 } };
    expect(tokens.bind(params, upstream('a'), clientSession().session, 1)).toEqual({ params });
  });

  it('replaces the client token with a fresh unguessable one and keeps the rest of _meta', () => {
    const tokens = new ProgressTokens();
    const { session } = clientSession();
    const a = upstream('a');
    const one = tokens.bind({ name: 'x', _meta: { progressToken: 0, other: 1 } }, a, session, 1);
    const two = tokens.bind({ _meta: { progressToken: 0 } }, a, session, 2);
    expect(one.token).toMatch(/^sb-\d+-[0-9a-f]{12}$/);
    expect(one.params).toEqual({ name: 'x', _meta: { progressToken: one.token, other: 1 } });
    expect(two.token).not.toBe(one.token);
  });

  it('brings progress back to the client under its own token, on the stream of its request', () => {
    const tokens = new ProgressTokens();
    const { session, sent } = clientSession();
    const a = upstream('a');
    const { token } = tokens.bind({ _meta: { progressToken: 'mine' } }, a, session, 7);
    tokens.deliver(a, 'notifications/progress', { progressToken: token, progress: 1, total: 2 });
    expect(sent).toEqual([
      {
        message: {
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken: 'mine', progress: 1, total: 2 },
        },
        related: 7,
      },
    ]);
  });

  it('drops progress from another upstream, on unknown tokens, and after the request ended', () => {
    const tokens = new ProgressTokens();
    const { session, sent } = clientSession();
    const a = upstream('a');
    const { token } = tokens.bind({ _meta: { progressToken: 1 } }, a, session, 1);
    tokens.deliver(upstream('b'), 'notifications/progress', { progressToken: token, progress: 1 });
    tokens.deliver(a, 'notifications/progress', { progressToken: 1, progress: 1 });
    tokens.deliver(a, 'notifications/progress', { progressToken: 'sb-1-000000000000', progress: 1 });
    tokens.release(token);
    tokens.deliver(a, 'notifications/progress', { progressToken: token, progress: 2 });
    expect(sent).toEqual([]);
  });

  it("keeps a task's token until the task ends, on the session's own stream, per upstream", () => {
    const tokens = new ProgressTokens();
    const { session, sent } = clientSession();
    const a = upstream('a');
    const b = upstream('b');
    const one = tokens.bind({ _meta: { progressToken: 'mine' } }, a, session, 7).token!;
    tokens.keepForTask(one, 't1');
    const two = tokens.bind({ _meta: { progressToken: 'other' } }, b, session, 8).token!;
    tokens.keepForTask(two, 't1');
    tokens.deliver(a, 'notifications/progress', { progressToken: one, progress: 1 });
    expect(sent.map((s) => [(s.message as { params?: unknown }).params, s.related])).toEqual([
      [{ progressToken: 'mine', progress: 1 }, undefined],
    ]);
    // The same task id at another upstream is another task.
    tokens.taskEnded(b, 't1');
    tokens.deliver(a, 'notifications/progress', { progressToken: one, progress: 2 });
    tokens.deliver(b, 'notifications/progress', { progressToken: two, progress: 2 });
    expect(sent).toHaveLength(2);
    tokens.taskEnded(a, 't1');
    tokens.deliver(a, 'notifications/progress', { progressToken: one, progress: 3 });
    expect(sent).toHaveLength(2);
  });

  it("forgets a task's token with its session, and past the limit the oldest first", () => {
    const tokens = new ProgressTokens();
    const ending = clientSession();
    const staying = clientSession();
    const a = upstream('a');
    const gone = tokens.bind({ _meta: { progressToken: 1 } }, a, ending.session, 1).token!;
    tokens.keepForTask(gone, 'gone');
    tokens.dropSession(ending.session);
    tokens.deliver(a, 'notifications/progress', { progressToken: gone, progress: 1 });
    expect(ending.sent).toEqual([]);

    const first = tokens.bind({ _meta: { progressToken: 1 } }, a, staying.session, 1).token!;
    tokens.keepForTask(first, 'first');
    for (let i = 0; i < MAX_TASK_PROGRESS; i++) {
      tokens.keepForTask(tokens.bind({ _meta: { progressToken: 1 } }, a, staying.session, 2).token!, `t${i}`);
    }
    tokens.deliver(a, 'notifications/progress', { progressToken: first, progress: 1 });
    expect(staying.sent).toEqual([]);
  });
});
