import { describe, expect, it } from 'vitest';
import { ClientSession } from '../../../main/shim/session.ts';

const line = (m: unknown) => JSON.stringify(m);

describe('ClientSession', () => {
  it('tracks requests, not notifications or responses', () => {
    const s = new ClientSession();
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 1, method: 'tools/list' }))).toEqual({ requestId: 1 });
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: {} }))).toEqual({
      requestId: 'a',
    });
    expect(s.noteClientLine(line({ jsonrpc: '2.0', method: 'notifications/progress' }))).toEqual({});
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 5, result: {} }))).toEqual({});
    expect(s.noteClientLine('not json')).toEqual({});
    expect(s.noteClientLine('[{"jsonrpc":"2.0","id":9,"method":"x"}]')).toEqual({});
  });

  it('refuses, as the gateway would, a request whose id it could not answer for', () => {
    const s = new ClientSession();
    const invalid = { id: null, code: -32600, message: 'Invalid request: "id" must be a string or a number' };
    for (const id of [null, { n: 1 }, [1], true])
      expect(s.noteClientLine(line({ jsonrpc: '2.0', id, method: 'm' }))).toEqual({ refusal: invalid });
    // A number past what a double holds is kept as written, as the gateway keeps it: it can be answered.
    expect(JSON.stringify(s.noteClientLine('{"jsonrpc":"2.0","id":1e400,"method":"m"}'))).toBe('{"requestId":1e400}');
    const long = 'x'.repeat(1025);
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: long, method: 'm' }))).toEqual({
      refusal: {
        id: long,
        code: -32600,
        message: 'request id of 1025 characters is longer than the 1024 Switchboard accepts: use a shorter id',
      },
    });
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 'y'.repeat(1024), method: 'm' }))).toEqual({
      requestId: 'y'.repeat(1024),
    });
    // The shim's own requests to the gateway have such ids.
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 'switchboard-shim-replay-1', method: 'm' }))).toEqual({
      refusal: {
        id: 'switchboard-shim-replay-1',
        code: -32600,
        message:
          'request id "switchboard-shim-replay-1" starts with "switchboard-shim-", kept for the Switchboard ' +
          "shim's own requests: use another id",
      },
    });
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 'my-switchboard-shim-1', method: 'm' }))).toEqual({
      requestId: 'my-switchboard-shim-1',
    });
    s.inFlight.add(3);
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 3, method: 'initialize', params: {} }))).toEqual({
      refusal: { id: 3, code: -32600, message: 'request id 3 is already in use by a request in flight' },
    });
    // Nothing of the refused initialize is kept for a replay.
    expect(s.noteResponse(3)).toBe(false);
    // A response the client sends (to the gateway's request) is never refused for its id.
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: null, error: { code: 1, message: 'm' } }))).toEqual({});
  });

  it('refuses in a 2025-03-26 batch what it refuses alone, and an id used twice; the rest is sent', () => {
    const s = new ClientSession();
    s.protocolVersion = '2025-03-26';
    s.inFlight.add(7);
    const call = (id: unknown) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: {} });
    const note = { jsonrpc: '2.0', method: 'notifications/progress' };
    const inUse = (id: number) => ({
      id,
      code: -32600,
      message: `request id ${id} is already in use by a request in flight`,
    });
    expect(s.noteClientLine(line([call(7), call(8), note, call(8), call(null)]))).toEqual({
      requestId: [8],
      batch: {
        refusals: [inUse(7), inUse(8), { id: null, code: -32600, message: expect.stringContaining('"id" must be') }],
        rest: line([call(8), note]),
      },
    });
    // Nothing left to send.
    expect(s.noteClientLine(line([call(7)]))).toEqual({ batch: { refusals: [inUse(7)], rest: undefined } });
    // A batch with nothing refused is sent as it came.
    expect(s.noteClientLine(line([call(9), note]))).toEqual({ requestId: [9] });
  });

  it('forgets a cancelled request', () => {
    const s = new ClientSession();
    s.inFlight.add(7);
    s.noteClientLine(line({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7 } }));
    expect(s.inFlight.has(7)).toBe(false);
  });

  it('replays nothing until the client initialize was answered', () => {
    const s = new ClientSession();
    s.noteClientLine(line({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18' } }));
    expect(s.replayPlan('r', () => 'n')).toBeUndefined();
    expect(s.noteResponse(99)).toBe(false);
    expect(s.noteResponse(0)).toBe(true);
    expect(s.noteResponse(0)).toBe(false);
    expect(s.replayPlan('r', () => 'n')).toEqual({
      initialize: '{"jsonrpc":"2.0","id":"r","method":"initialize","params":{"protocolVersion":"2025-06-18"}}\n',
      after: [],
    });
  });

  it('replays initialized, log level and subscriptions', () => {
    const s = new ClientSession();
    s.noteClientLine(line({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }));
    s.noteResponse(1);
    s.noteClientLine(line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    s.noteClientLine(line({ jsonrpc: '2.0', id: 2, method: 'logging/setLevel', params: { level: 'debug' } }));
    s.noteClientLine(line({ jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri: 'file:///a' } }));
    s.noteClientLine(line({ jsonrpc: '2.0', id: 4, method: 'resources/subscribe', params: { uri: 'file:///b' } }));
    s.noteClientLine(line({ jsonrpc: '2.0', id: 5, method: 'resources/unsubscribe', params: { uri: 'file:///a' } }));
    let n = 0;
    const plan = s.replayPlan('reinit', () => `r${++n}`);
    expect(plan?.after.map((l) => JSON.parse(l))).toEqual([
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'r1', method: 'logging/setLevel', params: { level: 'debug' } },
      { jsonrpc: '2.0', id: 'r2', method: 'resources/subscribe', params: { uri: 'file:///b' } },
    ]);
  });

  it('a new initialize starts a new session', () => {
    const s = new ClientSession();
    s.noteClientLine(line({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }));
    s.noteResponse(1);
    s.noteClientLine(line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    s.noteClientLine(line({ jsonrpc: '2.0', id: 2, method: 'initialize', params: { again: true } }));
    expect(s.replayPlan('r', () => 'n')).toBeUndefined();
  });
});
