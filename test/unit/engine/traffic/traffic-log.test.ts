import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import { firstKeyAt, keyOfId } from '../../../../main/engine/traffic/ids.ts';
import type { TrafficBegin } from '../../../../main/engine/traffic/recorder.ts';
import {
  MAX_EXPORT,
  TrafficLog,
  type TrafficHistory,
  type TrafficLogOptions,
} from '../../../../main/engine/traffic/traffic-log.ts';
import { TrafficStore } from '../../../../main/engine/traffic/store.ts';
import type { TrafficBatch } from '../../../../preload/contract/index.ts';

const upstream = (extra: Partial<TrafficBegin> = {}): TrafficBegin => ({
  edge: 'upstream',
  direction: 'out',
  method: 'tools/call',
  params: { name: 'read', arguments: { path: '/tmp/x' } },
  target: 'read',
  server: 'files',
  ...extra,
});

function watched(opts: Partial<TrafficLogOptions> = {}) {
  const batches: TrafficBatch[] = [];
  let viewers = true;
  const log = new TrafficLog({
    version: '1.4.0',
    publish: (batch) => batches.push(batch),
    hasViewers: () => viewers,
    ...opts,
  });
  return {
    log,
    rec: log.recorder,
    batches,
    setViewers: (v: boolean) => (viewers = v),
  };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('TrafficLog: live batches', () => {
  it('sends the changes of a window in one batch, each entry once in its latest state', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { rec, batches } = watched({ batchMs: 100 });
    const id = rec.begin(upstream());
    rec.flush();
    vi.advanceTimersByTime(50);
    rec.end(id, { result: { content: [{ type: 'text', text: 'data' }] } });
    rec.note(upstream({ method: 'notifications/cancelled', params: { requestId: 1 } }));
    rec.flush();
    vi.advanceTimersByTime(49);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch!.skipped).toBe(0);
    expect(batch!.entries.map((e) => [e.id === id, e.outcome])).toEqual([
      [true, 'ok'],
      [false, 'delivered'],
    ]);
    vi.advanceTimersByTime(1000);
    expect(batches).toHaveLength(1);
  });

  it('sends at most one batch per window however busy it is', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { rec, batches } = watched({ batchMs: 100 });
    for (let t = 0; t < 1000; t += 10) {
      rec.note(upstream({ method: `m/${t}` }));
      rec.flush();
      vi.advanceTimersByTime(10);
    }
    expect(batches).toHaveLength(10);
    expect(batches.flatMap((b) => b.entries)).toHaveLength(100);
  });

  it('carries sizes and the cut mark, not the payload text', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { log, rec, batches } = watched();
    log.configure({ maxPayloadBytes: 50 });
    const id = rec.begin(upstream({ params: { name: 'read', arguments: { path: 'p'.repeat(100) } } }));
    rec.end(id, { result: { content: [] } });
    rec.flush();
    vi.advanceTimersByTime(100);
    const [entry] = batches[0]!.entries;
    const sent = JSON.stringify({ name: 'read', arguments: { path: 'p'.repeat(100) } });
    expect(entry!.request).toEqual({ bytes: sent.length, truncated: true });
    expect(entry!.response).toEqual({ bytes: 14 });
    expect(JSON.stringify(batches)).not.toContain('ppp');
    // The entry itself still has them.
    expect(log.get(id).request.json).toContain('ppp');
    expect(log.get(id).response!.json).toBe('{"content":[]}');
  });

  it('holds at most maxBatch changes, the newest, and says how many it left out', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { rec, batches } = watched({ maxBatch: 3 });
    for (let i = 0; i < 5; i++) rec.note(upstream({ method: `m/${i}` }));
    rec.flush();
    vi.advanceTimersByTime(100);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.entries.map((e) => e.method)).toEqual(['m/2', 'm/3', 'm/4']);
    expect(batches[0]!.skipped).toBe(2);
    // The count starts again with the next batch.
    rec.note(upstream());
    rec.flush();
    vi.advanceTimersByTime(100);
    expect(batches[1]!.skipped).toBe(0);
  });

  it('makes no batch while nobody watches', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { log, rec, batches, setViewers } = watched();
    setViewers(false);
    rec.note(upstream({ method: 'unseen' }));
    rec.flush();
    vi.advanceTimersByTime(1000);
    expect(batches).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    // Still recorded.
    expect(log.list().entries.map((e) => e.method)).toEqual(['unseen']);
    setViewers(true);
    rec.note(upstream({ method: 'seen' }));
    rec.flush();
    vi.advanceTimersByTime(100);
    expect(batches.flatMap((b) => b.entries.map((e) => e.method))).toEqual(['seen']);
  });

  it('sends what is pending when it closes', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { log, rec, batches } = watched();
    rec.note(upstream());
    log.close();
    expect(batches).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('TrafficLog: queries', () => {
  it('says clearly when an exchange is not (or no longer) in the record', () => {
    const { log } = watched();
    for (const ask of [() => log.get('0000-nope'), () => log.tree('0000-nope')]) {
      let error: unknown;
      try {
        ask();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('not_found');
      expect((error as GatewayError).message).toBe(
        'no exchange "0000-nope" in the traffic record ' +
          '(it may be older than what is kept; see traffic.history in the config)',
      );
    }
  });

  it('finds what the recorder has not written yet', () => {
    const { log, rec } = watched();
    const id = rec.begin(upstream());
    expect(log.get(id).outcome).toBe('pending');
    expect(log.tree(id).entry.id).toBe(id);
    expect(log.list().entries).toHaveLength(1);
  });

  it('computes stats over the calls to servers in the ring, within the window', () => {
    const { log, rec } = watched();
    const now = vi.spyOn(performance, 'now');
    const durations = [10, 20, 30, 40, 1000];
    for (const [i, d] of durations.entries()) {
      now.mockReturnValueOnce(0).mockReturnValueOnce(d);
      const id = rec.begin(upstream({ server: i < 4 ? 'files' : 'web' }));
      rec.end(id, i === 2 ? { error: new Error('x') } : { result: {} });
    }
    now.mockRestore();
    // Not calls to a server: a client's request, a server's question, a notification.
    rec.begin({ edge: 'client', direction: 'in', method: 'tools/call', target: 'read' });
    rec.begin(upstream({ direction: 'in', method: 'elicitation/create' }));
    rec.note(upstream({ method: 'notifications/cancelled' }));
    const at = Date.now();
    const stats = log.stats({}, at);
    expect(stats.since).toBe(at - 60 * 60 * 1000);
    expect(stats.until).toBe(at);
    expect(stats.servers).toEqual([
      {
        server: 'files',
        calls: 4,
        errors: 1,
        timeouts: 0,
        toolErrors: 0,
        cancelled: 0,
        p50Ms: 20,
        p95Ms: 40,
        requestBytes: 4 * JSON.stringify(upstream().params).length,
        responseBytes: 3 * 2 + JSON.stringify({ error: { code: -32603, message: 'Internal error: x' } }).length,
      },
      expect.objectContaining({ server: 'web', calls: 1, p50Ms: 1000 }),
    ]);
    expect(stats.tools.map((r) => [r.server, r.tool, r.calls])).toEqual([
      ['files', 'read', 4],
      ['web', 'read', 1],
    ]);
    expect(log.stats({ server: 'web' }, at).servers.map((r) => r.server)).toEqual(['web']);
    expect(log.stats({ since: at + 1, until: at + 2 }, at).servers).toEqual([]);
  });

  it('asks the history, when one is kept, and gives it every entry', () => {
    const added: string[] = [];
    // The history holds an entry from "tomorrow" (the clock was set back since): new ids sort after it.
    const kept = firstKeyAt(Date.now() + 86_400_000);
    const history: TrafficHistory = {
      add: (e) => added.push(e.id),
      flush: () => {},
      lastKey: () => kept,
      list: () => ({ entries: [] }),
      get: () => undefined,
      tree: () => undefined,
      statSamples: () => [],
      close: vi.fn(),
    };
    const { log, rec } = watched();
    log.useHistory(history);
    expect(log.hasHistory()).toBe(true);
    rec.note(upstream());
    log.flush();
    expect(added).toHaveLength(1);
    expect(keyOfId(added[0]!)).toBeGreaterThan(kept);
    // The history is asked, and no second copy is kept in memory meanwhile.
    expect(rec.size()).toBe(0);
    expect(log.list().entries).toEqual([]);
    expect(() => log.get(added[0]!)).toThrow(/no exchange/);
    log.useHistory(undefined);
    expect(history.close).toHaveBeenCalledOnce();
    // Without a history the recorder keeps recent entries again.
    rec.note(upstream());
    expect(log.list().entries).toHaveLength(1);
  });
});

describe('TrafficLog: a history opened while running', () => {
  it('keeps what was recorded before it opened (a reload that turns the history on)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-traffic-log-'));
    try {
      const { log, rec } = watched();
      const before = rec.begin(upstream());
      rec.end(before, { result: { ok: true } });
      const waiting = rec.begin(upstream({ target: 'slow' }));
      log.flush();
      const store = TrafficStore.open({ file: path.join(dir, 'traffic.db'), maxAgeMs: 86_400_000, maxBytes: 1 << 30 });
      log.useHistory(store);
      expect(log.list().entries.map((e) => [e.id, e.outcome])).toEqual([
        [waiting, 'pending'],
        [before, 'ok'],
      ]);
      rec.end(waiting, { result: {} });
      expect(log.get(waiting).outcome).toBe('ok');
      expect(store.usage().entries).toBe(2);
      log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TrafficLog: history turned off while running', () => {
  it('keeps the newest entries the history held in memory, as many as the ring holds', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-traffic-log-'));
    try {
      const { log, rec } = watched();
      log.configure({ maxEntries: 1500 });
      const store = TrafficStore.open({ file: path.join(dir, 'traffic.db'), maxAgeMs: 86_400_000, maxBytes: 1 << 30 });
      log.useHistory(store);
      for (let i = 0; i < 2000; i++) rec.note(upstream({ method: `notifications/m${i}` }));
      const waiting = rec.begin(upstream({ target: 'slow' }));
      log.flush();
      log.useHistory(undefined);
      // The list was 2001 entries a moment ago: it is not emptied, it keeps the newest 1500.
      const kept = log.list({ limit: 1000 });
      expect(kept.entries[0]!.id).toBe(waiting);
      expect(kept.entries[1]!.method).toBe('notifications/m1999');
      expect(rec.size()).toBe(1500);
      // And goes on from there: the call still waiting ends in the same entry.
      rec.end(waiting, { result: {} });
      log.flush();
      expect(log.get(waiting).outcome).toBe('ok');
      expect(rec.size()).toBe(1500);
      log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('still turns off when the history cannot be read, and says so', () => {
    const warnings: string[] = [];
    const { log, rec } = watched({ log: (_level, text) => warnings.push(text) });
    const close = vi.fn();
    log.useHistory({
      add: () => {},
      flush: () => {},
      lastKey: () => 0,
      list: () => {
        throw new Error('database disk image is malformed');
      },
      get: () => undefined,
      tree: () => undefined,
      statSamples: () => [],
      close,
    });
    expect(() => log.useHistory(undefined)).not.toThrow();
    expect(close).toHaveBeenCalledOnce();
    expect(log.hasHistory()).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/could not be read.*malformed/)]);
    // Recording goes on in memory.
    rec.note(upstream());
    expect(log.list().entries).toHaveLength(1);
  });
});

describe('TrafficLog: a large ring handed to a history', () => {
  it('writes every entry the ring held, once, however many there are', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-traffic-log-'));
    try {
      const { log, rec } = watched();
      log.configure({ maxEntries: 12_000 });
      for (let i = 0; i < 12_000; i++) rec.note(upstream({ method: `notifications/m${i}` }));
      const said: string[] = [];
      const file = path.join(dir, 'traffic.db');
      const store = TrafficStore.open({ file, maxAgeMs: 86_400_000, maxBytes: 1 << 30, log: (_l, t) => said.push(t) });
      log.useHistory(store);
      log.flush();
      expect(store.usage().entries).toBe(12_000);
      expect(said).toEqual([]);
      log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TrafficLog: export', () => {
  it('pages through more than a page of entries, oldest first', () => {
    const { log, rec } = watched();
    for (let i = 0; i < 2500; i++) rec.note(upstream({ method: i % 2 ? 'odd' : 'even', params: { i } }));
    const out = log.export({}, 'jsonl');
    expect(out.entries).toBe(2500);
    expect(out.truncated).toBe(false);
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(2500);
    expect(lines.map((l) => (JSON.parse(JSON.parse(l).request.json) as { i: number }).i)).toEqual([
      ...Array(2500).keys(),
    ]);
    const odd = log.export({ method: 'odd' }, 'har');
    expect(odd.entries).toBe(1250);
    expect(JSON.parse(odd.text).log.entries).toHaveLength(1250);
  });

  it(`keeps the newest ${MAX_EXPORT} and says it left some out`, () => {
    const { log, rec } = watched();
    log.configure({ maxEntries: MAX_EXPORT * 2 });
    for (let i = 0; i < MAX_EXPORT; i++) rec.note(upstream({ params: { i } }));
    const exact = log.export({}, 'jsonl');
    expect(exact.entries).toBe(MAX_EXPORT);
    expect(exact.truncated).toBe(false);
    rec.note(upstream({ params: { i: MAX_EXPORT } }));
    const over = log.export({}, 'jsonl');
    expect(over.entries).toBe(MAX_EXPORT);
    expect(over.truncated).toBe(true);
    const lines = over.text.trimEnd().split('\n');
    expect(JSON.parse(JSON.parse(lines[0]!).request.json)).toEqual({ i: 1 });
    expect(JSON.parse(JSON.parse(lines.at(-1)!).request.json)).toEqual({ i: MAX_EXPORT });
  });
});
