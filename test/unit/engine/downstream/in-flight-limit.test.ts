import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Session, type SessionHandler } from '../../../../main/engine/downstream/session.ts';
import type { JsonRpcMessage } from '../../../../main/engine/protocol/jsonrpc.ts';

/** A session whose requests wait until the test answers them, as calls to a slow server do. */
function slowSession(limit: number) {
  const waiting: (() => void)[] = [];
  const handler: SessionHandler = {
    attach: () => undefined,
    detach: () => undefined,
    handle: () => new Promise((resolve) => waiting.push(() => resolve({}))),
    handleNotification: () => undefined,
    serverCapabilities: () => ({}),
  };
  const sent: JsonRpcMessage[] = [];
  const logs: string[] = [];
  const session = new Session({
    profile: 'default',
    transport: 'stdio',
    send: (m) => sent.push(m),
    handler,
    serverInfo: { name: 'switchboard', version: 'test' },
    maxRequestsInFlight: limit,
    log: (line) => logs.push(line),
  });
  let id = 0;
  const call = (method = 'tools/call') => session.receive({ jsonrpc: '2.0', id: ++id, method, params: {} });
  const refused = () => sent.filter((m) => 'error' in m && m.error.code === -32004).length;
  const answer = async (n: number) => {
    for (const done of waiting.splice(0, n)) done();
    await tick();
  };
  return { session, call, refused, answer, logs, sent };
}

describe('requests a client has unanswered', () => {
  it('past the limit are refused at once; ping is always answered', async () => {
    const s = slowSession(4);
    for (let i = 0; i < 6; i++) s.call();
    expect(s.refused()).toBe(2);
    s.call('ping');
    await tick();
    expect(s.sent.at(-1)).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
    await s.answer(4);
    s.call();
    expect(s.refused()).toBe(2);
    s.session.close();
  });

  it('are logged once per run of refusals, not once per refusal under steady load', async () => {
    const s = slowSession(4);
    for (let i = 0; i < 5; i++) s.call();
    // Steady load: one answered, two more sent, one of them refused, again and again.
    for (let round = 0; round < 20; round++) {
      await s.answer(1);
      s.call();
      s.call();
    }
    expect(s.refused()).toBe(21);
    expect(s.logs).toHaveLength(1);
    // The client lets the count fall to half the limit: a later run is logged again.
    await s.answer(3);
    for (let i = 0; i < 4; i++) s.call();
    expect(s.refused()).toBe(22);
    expect(s.logs).toHaveLength(2);
    s.session.close();
  });
});
