import { describe, expect, it } from 'vitest';
import { answerWhileNotStarted, STARTING_MESSAGE, type StartProblem } from '../../../../main/app/ipc/not-started.ts';

const ok = async (method: string) => ({ ok: true as const, result: method });

describe('answerWhileNotStarted', () => {
  it('answers every call gateway_not_started, with the message, while the gateway is not running', async () => {
    const dispatch = answerWhileNotStarted(ok, () => ({ message: 'it failed to start: EACCES' }));
    expect(await dispatch('listServers', [])).toEqual({
      ok: false,
      error: { code: 'gateway_not_started', message: 'it failed to start: EACCES' },
    });
  });

  it('passes calls through once it runs', async () => {
    expect(await answerWhileNotStarted(ok, () => undefined)('listServers', [])).toEqual({
      ok: true,
      result: 'listServers',
    });
  });

  it('tries the start again on getStatus only, and the calls made meanwhile wait for that try', async () => {
    let problem: StartProblem | undefined;
    let tries = 0;
    let finish!: () => void;
    problem = {
      message: 'another gateway runs',
      retry: () => {
        tries++;
        return new Promise<void>((resolve) => (finish = resolve)).then(() => (problem = undefined));
      },
    };
    const dispatch = answerWhileNotStarted(ok, () => problem);
    expect((await dispatch('listServers', [])).ok).toBe(false);
    expect(tries).toBe(0);
    const status = dispatch('getStatus', []);
    const servers = dispatch('listServers', []);
    const again = dispatch('getStatus', []);
    expect(tries).toBe(1);
    finish();
    expect(await Promise.all([status, servers, again])).toEqual([
      { ok: true, result: 'getStatus' },
      { ok: true, result: 'listServers' },
      { ok: true, result: 'getStatus' },
    ]);
  });

  it('still says why when the try failed', async () => {
    const problem: StartProblem = { message: 'another gateway runs', retry: () => Promise.reject(new Error('held')) };
    const reply = await answerWhileNotStarted(ok, () => problem)('getStatus', []);
    expect(reply).toEqual({ ok: false, error: { code: 'gateway_not_started', message: 'another gateway runs' } });
  });

  it('answers gateway_starting while the gateway starts, without waiting, then passes calls through', async () => {
    let starting = true;
    const dispatch = answerWhileNotStarted(
      ok,
      () => undefined,
      () => starting,
    );
    for (const method of ['getStatus', 'listServers'])
      expect(await dispatch(method, [])).toEqual({
        ok: false,
        error: { code: 'gateway_starting', message: STARTING_MESSAGE },
      });
    starting = false;
    expect(await dispatch('listServers', [])).toEqual({ ok: true, result: 'listServers' });
  });

  it("does not try again while a start runs (the tray's Try again): it says it is starting", async () => {
    let tries = 0;
    const problem: StartProblem = { message: 'another gateway runs', retry: async () => void tries++ };
    const reply = await answerWhileNotStarted(
      ok,
      () => problem,
      () => true,
    )('getStatus', []);
    expect(reply).toEqual({ ok: false, error: { code: 'gateway_starting', message: STARTING_MESSAGE } });
    expect(tries).toBe(0);
  });
});
