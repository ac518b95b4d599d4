import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../../../main/engine/api/events.ts';
import type { LogLine } from '../../../../preload/contract/index.ts';

const line = (text: string): LogLine => ({ at: 0, level: 'info', source: 'gateway', text });

describe('EventHub', () => {
  afterEach(() => vi.useRealTimers());

  it('numbers events within its epoch and delivers them to listeners of their name', () => {
    const hub = new EventHub();
    const logs: string[] = [];
    const all: string[] = [];
    hub.on('log', (l) => logs.push(l.text));
    hub.onAny((e) => all.push(`${e.name}:${e.json}`));
    hub.publish('log', line('a'));
    hub.publish('question-ended', { id: 'q', outcome: 'expired' });
    expect(logs).toEqual(['a']);
    expect(all).toEqual([`log:${JSON.stringify(line('a'))}`, 'question-ended:{"id":"q","outcome":"expired"}']);
    expect(hub.lastId()).toMatch(/^[0-9a-f]{12}-2$/);
  });

  it('replays what came after an id, and says gone for another epoch, a future id or one older than it keeps', () => {
    const hub = new EventHub({ replayCount: 3 });
    const ids: string[] = [];
    hub.onAny((e) => ids.push(e.id));
    for (const t of ['1', '2', '3', '4', '5']) hub.publish('log', line(t));
    const texts = (after: string) => {
      const r = hub.since(after);
      return r === 'gone' ? r : r.map((e) => (e.payload as LogLine).text);
    };
    expect(texts(ids[1]!)).toEqual(['3', '4', '5']);
    expect(texts(ids[3]!)).toEqual(['5']);
    expect(texts(ids[4]!)).toEqual([]);
    // 1 and 2 were dropped: what came after 1 cannot be told any more.
    expect(texts(ids[0]!)).toBe('gone');
    expect(texts(`${ids[0]!.split('-')[0]}-9`)).toBe('gone');
    expect(texts('ffffffffffff-3')).toBe('gone');
    expect(texts('nonsense')).toBe('gone');
  });

  it('keeps the replay buffer within its byte budget', () => {
    const size = JSON.stringify(line('x'.repeat(50))).length;
    const hub = new EventHub({ replayBytes: size * 2 + 1 });
    const epoch = hub.lastId().split('-')[0];
    for (let i = 0; i < 10; i++) hub.publish('log', line('x'.repeat(50)));
    // Two events fit: 9 and 10.
    expect(hub.since(`${epoch}-8`)).toHaveLength(2);
    expect(hub.since(`${epoch}-7`)).toBe('gone');
  });

  it('a throwing listener is reported, and the others still get the event', () => {
    const reported: string[] = [];
    const hub = new EventHub({ onListenerError: (m) => reported.push(m) });
    const got: string[] = [];
    hub.on('log', () => {
      throw new Error('boom');
    });
    hub.on('log', (l) => got.push(l.text));
    hub.publish('log', line('a'));
    expect(got).toEqual(['a']);
    expect(reported).toEqual(['a listener of the "log" event failed: boom']);
  });

  it('a listener failing on every event (its failure published too) neither recurses nor stops the others', () => {
    const reported: string[] = [];
    // As in the gateway: a reported failure becomes a log event, which the failing listener gets too.
    const hub: EventHub = new EventHub({
      onListenerError: (m) => {
        reported.push(m);
        hub.publish('log', line(m));
      },
    });
    hub.onAny(() => {
      throw new Error('always');
    });
    const got: string[] = [];
    hub.on('log', (l) => got.push(l.text));
    hub.publish('log', line('a'));
    // The report comes in between (it is published while "a" is being delivered); nothing more.
    expect(got.sort()).toEqual(['a', 'a listener of the "log" event failed: always']);
    expect(reported).toEqual(['a listener of the "log" event failed: always']);
  });

  it('publishLatest reports a producer or listener failure instead of rejecting', async () => {
    const reported: string[] = [];
    const hub = new EventHub({ onListenerError: (m) => reported.push(m) });
    hub.publishLatest('servers', () => {
      throw new Error('no list');
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(reported).toEqual(['could not publish the "servers" event: no list']);
  });

  it('publishLatest sends a burst as one event with the state at send time', async () => {
    const hub = new EventHub();
    const sent: number[] = [];
    hub.on('servers', (list) => sent.push(list.length));
    let state = 0;
    for (let i = 0; i < 5; i++) {
      state++;
      hub.publishLatest('servers', () =>
        Array.from({ length: state }, (_, n) => ({
          name: `s${n}`,
          kind: 'stdio' as const,
          state: 'ready' as const,
          restarts: 0,
          toolCount: 0,
        })),
      );
    }
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([5]);
  });

  it('keeps only the newest snapshot of a state for replay, so churn never pushes other events out', async () => {
    const hub = new EventHub({ replayCount: 4 });
    const tick = () => new Promise((r) => setImmediate(r));
    const start = hub.lastId();
    hub.publish('log', line('before'));
    const sessions = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `s${i}`,
        transport: 'streamable-http',
        profile: 'default',
        since: 0,
        lastHeard: 0,
      }));
    for (let n = 1; n <= 10; n++) {
      hub.publishLatest('sessions', () => sessions(n));
      await tick();
      await tick();
    }
    hub.publish('log', line('after'));
    // Ten session lists were published, one is kept: a reader from the start misses nothing it needs.
    const replayed = hub.since(start);
    expect(replayed).not.toBe('gone');
    const got = (replayed as { name: string; payload: unknown }[]).map((e) =>
      e.name === 'log' ? (e.payload as LogLine).text : `sessions:${(e.payload as unknown[]).length}`,
    );
    expect(got).toEqual(['before', 'sessions:10', 'after']);
  });

  it('unsubscribing stops delivery', () => {
    const hub = new EventHub();
    const got: string[] = [];
    const stop = hub.on('log', (l) => got.push(l.text));
    hub.publish('log', line('a'));
    stop();
    hub.publish('log', line('b'));
    expect(got).toEqual(['a']);
  });
});
