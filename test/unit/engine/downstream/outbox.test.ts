import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { Outbox, SessionBuffer, dropReporter } from '../../../../main/engine/downstream/outbox.ts';
import {
  MAX_PENDING_CLIENT_REQUESTS,
  Session,
  type SessionHandler,
} from '../../../../main/engine/downstream/session.ts';

describe('SessionBuffer', () => {
  it('drops the oldest notifications first, then the oldest of the rest, and keeps the newest', () => {
    const rounds: [number, number][] = [];
    const buffer = new SessionBuffer(100, (m, b) => rounds.push([m, b]));
    const dropped: string[] = [];
    const hold = (name: string, size: number, note: boolean) => buffer.hold(size, note, () => dropped.push(name));
    hold('response-1', 30, false);
    hold('log-1', 30, true);
    hold('log-2', 30, true);
    expect(buffer.size).toBe(90);
    hold('response-2', 30, false);
    expect(dropped).toEqual(['log-1']);
    hold('big', 500, true);
    // Every other message goes, notifications first; the newest stays although it is over the budget.
    expect(dropped).toEqual(['log-1', 'log-2', 'response-1', 'response-2']);
    expect(buffer.size).toBe(500);
    expect(rounds).toEqual([
      [1, 30],
      [3, 90],
    ]);
  });

  it('lets what the client has had go first, and does not report it as dropped', () => {
    const rounds: [number, number][] = [];
    const buffer = new SessionBuffer(100, (m, b) => rounds.push([m, b]));
    const dropped: string[] = [];
    const hold = (name: string, size: number, note: boolean) => buffer.hold(size, note, () => dropped.push(name));
    hold('log-waiting', 30, true);
    hold('response-had', 30, false).delivered();
    hold('log-had', 30, true).delivered();
    hold('log-new', 30, true);
    // The oldest the client has had goes, not the older one it is still waiting for; nothing is reported.
    expect(dropped).toEqual(['response-had']);
    expect(rounds).toEqual([]);
    hold('log-newer', 60, true);
    expect(dropped).toEqual(['response-had', 'log-had', 'log-waiting']);
    expect(rounds).toEqual([[1, 30]]);
    expect(buffer.size).toBe(90);
  });

  it('forgets what was released, once', () => {
    const buffer = new SessionBuffer(100, () => undefined);
    const a = buffer.hold(60, true, () => undefined);
    a.release();
    a.release();
    expect(buffer.size).toBe(0);
    const onDrop = vi.fn();
    buffer.hold(60, true, onDrop);
    buffer.hold(60, true, () => undefined);
    expect(onDrop).toHaveBeenCalledTimes(1);
    expect(buffer.size).toBe(60);
  });
});

describe('Outbox', () => {
  it('writes straight through while the connection takes data, holds and drops while it does not', async () => {
    const target = new PassThrough({ highWaterMark: 10 });
    const buffer = new SessionBuffer(25, () => undefined);
    const box = new Outbox(target, buffer);
    box.send('0123456789ab', true); // fills the connection
    box.send('held-1....', true);
    box.send('held-2....', false);
    box.send('held-3....', true);
    // 30 characters waiting over a budget of 25: the oldest notification went.
    expect(buffer.size).toBe(20);
    const read: string[] = [];
    target.on('data', (c: Buffer) => read.push(c.toString()));
    await new Promise((r) => setTimeout(r, 20));
    expect(read.join('')).toBe('0123456789abheld-2....held-3....');
    expect(buffer.size).toBe(0);
  });
});

describe('dropReporter', () => {
  it('reports the first drop at once and sums up the rest, at most once per interval', () => {
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      const report = dropReporter(
        (l) => lines.push(l),
        () => 'client session abcd1234 (x, socket, profile p)',
        1000,
      );
      report(1, 10);
      report(2, 20);
      report(3, 30);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^client session abcd1234 .* dropped 1 messages \(10 bytes\)/);
      expect(lines[0]).toMatch(/limits\.maxSessionBufferBytes/);
      vi.advanceTimersByTime(10_000);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/dropped 5 messages \(50 bytes\) .*\(6 so far\)/);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Session', () => {
  it('refuses server requests past the number one client may have waiting', async () => {
    const handler: SessionHandler = {
      attach: () => undefined,
      detach: () => undefined,
      handle: () => Promise.resolve({}),
      handleNotification: () => undefined,
      serverCapabilities: () => ({}),
    };
    const sent: unknown[] = [];
    const session = new Session({
      profile: 'default',
      transport: 'socket',
      send: (m) => sent.push(m),
      handler,
      serverInfo: { name: 'sb', version: '1' },
    });
    const waiting = Array.from({ length: MAX_PENDING_CLIENT_REQUESTS }, () => session.request('roots/list', {}));
    await expect(session.request('roots/list', {})).rejects.toThrow(/already has 64 requests from servers waiting/);
    expect(sent).toHaveLength(MAX_PENDING_CLIENT_REQUESTS);
    session.close();
    await Promise.allSettled(waiting);
  });
});
