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
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: 'x'.repeat(5000), method: 'm' }))).toEqual({});
    expect(s.noteClientLine(line({ jsonrpc: '2.0', id: null, method: 'm' }))).toEqual({});
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
