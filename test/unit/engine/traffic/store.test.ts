import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstKeyAt, idOfKey } from '../../../../main/engine/traffic/ids.ts';
import { matches, TrafficRecorder } from '../../../../main/engine/traffic/recorder.ts';
import { aggregateStats, isStatEntry, sampleOf, type StatSample } from '../../../../main/engine/traffic/stats.ts';
import {
  deleteTrafficHistory,
  TRAFFIC_SCHEMA_VERSION,
  TrafficStore,
  type TrafficStoreOptions,
} from '../../../../main/engine/traffic/store.ts';
import {
  FAILED_OUTCOMES,
  TRAFFIC_OUTCOMES,
  type TrafficEntry,
  type TrafficFilter,
  type TrafficOutcome,
  type TrafficPage,
  type TrafficTree,
} from '../../../../preload/contract/index.ts';

const T0 = Date.UTC(2026, 11, 4, 12);
const UNANSWERED = 'no answer recorded: Switchboard stopped before it came';

let dir: string;
let file: string;
let logs: { level: string; text: string }[];
const opened: TrafficStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sb-traffic-'));
  file = path.join(dir, 'history', 'traffic.db');
  logs = [];
  seq = 0;
});
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(options: Partial<TrafficStoreOptions> = {}): TrafficStore {
  const store = TrafficStore.open({
    file,
    maxAgeMs: 365 * 86_400_000,
    maxBytes: 1 << 30,
    log: (level, text) => logs.push({ level, text }),
    now: () => T0 + 60_000,
    batchMs: 60_000,
    ...options,
  });
  opened.push(store);
  return store;
}

function observer(): TrafficStore {
  const store = TrafficStore.openReadOnly(file);
  opened.push(store);
  return store;
}

let seq = 0;
/** An id as the recorder makes it: the time, then a sequence number within it. */
function idAt(ms: number): string {
  return idOfKey(firstKeyAt(ms) + (++seq % 4096));
}

function entry(startedAt: number, more: Partial<TrafficEntry> = {}): TrafficEntry {
  return {
    id: idAt(startedAt),
    edge: 'client',
    direction: 'in',
    kind: 'request',
    method: 'tools/call',
    startedAt,
    outcome: 'ok',
    request: { json: '{"name":"search"}', bytes: 17 },
    ...more,
  };
}

/** TrafficRecorder.list over an array: newest first by id, the same paging. */
function reference(all: TrafficEntry[], filter: TrafficFilter): TrafficPage {
  const limit = Math.min(Math.max(1, filter.limit ?? 100), 1000);
  const hits = [...all]
    .sort((a, b) => (a.id < b.id ? 1 : -1))
    .filter((e) => (filter.cursor === undefined || e.id < filter.cursor) && matches(e, filter));
  const entries = hits.slice(0, limit);
  return hits.length > limit ? { entries, nextCursor: entries.at(-1)!.id } : { entries };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Texts that trip naive SQL: LIKE wildcards, the escape character, non-ASCII case, and the two
// characters (İ, the Kelvin sign) whose lower case is ASCII.
const WORDS = ['Hello', 'WORLD', '50% off', 'snake_case', 'back\\slash', 'Çafé', 'İstanbul', '\u212aelvin', 'tools'];
const METHODS = ['tools/call', 'tools/list', 'resources/read', 'notifications/progress', 'Tools/Call', 'ping'];
const TARGETS = [undefined, 'search', 'read_file', '50%_off', 'a_b', 'aXb', 'C:\\path', 'Çafé', 'İD', '\u212aey'];
const OUTCOMES: TrafficOutcome[] = [...TRAFFIC_OUTCOMES];

/** A varied set of entries, the way the recorder makes them (an id's time is at or just before its start). */
function generate(count: number, seed = 7): TrafficEntry[] {
  const rnd = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const all: TrafficEntry[] = [];
  let t = T0;
  for (let i = 0; i < count; i++) {
    t += Math.floor(rnd() * 40);
    const e: TrafficEntry = {
      id: idAt(t - Math.floor(rnd() * 3)),
      edge: pick(['client', 'upstream', 'app'] as const),
      direction: pick(['in', 'out'] as const),
      kind: pick(['request', 'notification'] as const),
      method: pick(METHODS),
      startedAt: t,
      outcome: pick(OUTCOMES),
      request: { bytes: Math.floor(rnd() * 5000) },
    };
    if (all.length && rnd() < 0.4) e.parentId = pick(all).id;
    const target = pick(TARGETS);
    if (target !== undefined) e.target = target;
    if (rnd() < 0.7) {
      e.session = { id: `s${Math.floor(rnd() * 4)}`, transport: pick(['stdio', 'http']), profile: pick(['p1', 'p2']) };
      if (rnd() < 0.8) e.session.client = rnd() < 0.7 ? { name: pick(['c1', 'c2']), version: '1.2' } : { name: 'c3' };
      if (rnd() < 0.5) e.session.revision = '2025-06-18';
    }
    if (rnd() < 0.6) e.server = pick(['alpha', 'beta', '']);
    if (rnd() < 0.7) e.durationMs = Math.round(rnd() * 100_000) / 1000;
    if (rnd() < 0.2) e.error = { code: -32000 - Math.floor(rnd() * 10), message: pick(WORDS) };
    if (rnd() < 0.9) e.request.json = JSON.stringify({ q: `${pick(WORDS)} ${pick(WORDS)}` });
    if (rnd() < 0.1) e.request.truncated = true;
    if (rnd() < 0.6) {
      e.response = { bytes: Math.floor(rnd() * 5000) };
      if (rnd() < 0.9) e.response.json = JSON.stringify({ text: pick(WORDS) });
      if (rnd() < 0.1) e.response.truncated = rnd() < 0.5;
    }
    all.push(e);
  }
  return all;
}

describe('TrafficStore', () => {
  it('gives back exactly what it was given: required fields only, every optional field, truncated payloads', () => {
    const store = open();
    const bare = entry(T0, { request: { bytes: 0 } });
    const full: TrafficEntry = {
      id: idAt(T0 + 1),
      parentId: bare.id,
      edge: 'upstream',
      direction: 'out',
      kind: 'request',
      method: 'tools/call',
      target: 'search',
      session: {
        id: 's1',
        client: { name: 'claude', version: '1.0' },
        transport: 'http',
        profile: 'work',
        revision: 'r',
      },
      server: 'github',
      startedAt: T0 + 1,
      durationMs: 12.345,
      outcome: 'error',
      error: { code: -32001, message: 'Request timed out' },
      request: { json: '{"name":"search"}…[truncated: 9000 bytes in all]', bytes: 9000, truncated: true },
      response: { json: '{"error":{}}', bytes: 12, truncated: false },
    };
    const partial = entry(T0 + 2, {
      session: { id: 's2', client: { name: 'cursor' }, transport: 'stdio', profile: 'default' },
      response: { bytes: 40 },
      durationMs: 0,
    });
    const noClient = entry(T0 + 3, { session: { id: 's3', transport: 'stdio', profile: 'default' }, target: '' });
    const all = [bare, full, partial, noClient];
    for (const e of all) store.add(e);
    for (const e of all) expect(store.get(e.id)).toStrictEqual(e);
    expect(store.list({}).entries).toStrictEqual([...all].reverse());
    expect(store.get('no-such-id')).toBeUndefined();
  });

  it('keeps what a live recorder writes, the same as the recorder shows it', () => {
    const store = open();
    const recorder = new TrafficRecorder({ maxPayloadBytes: 40, redact: (t) => t.replaceAll('hunter2', '[secret]') });
    recorder.onEntry((e) => store.add(e));
    const session = { id: 'sess', transport: 'http', profile: 'default', clientInfo: { name: 'claude', version: '' } };
    const call = recorder.begin({ edge: 'client', direction: 'in', method: 'tools/call', params: { a: 1 }, session });
    recorder.flush();
    const up = recorder.begin({
      edge: 'upstream',
      direction: 'out',
      method: 'tools/call',
      target: 'search',
      server: 'github',
      parentId: call,
      params: { token: 'hunter2', text: 'x'.repeat(200) },
    });
    recorder.note({
      edge: 'upstream',
      direction: 'in',
      method: 'notifications/progress',
      parentId: up,
      server: 'github',
    });
    recorder.end(up, { error: new Error('boom') });
    recorder.end(call, { result: { content: [{ type: 'text', text: 'done' }] } });
    recorder.begin({ edge: 'client', direction: 'in', method: 'tools/list', session });
    recorder.flush();

    const mine = store.list({});
    expect(mine.entries).toHaveLength(4);
    expect(mine).toStrictEqual(recorder.list({}));
    expect(store.list({ rootsOnly: true })).toStrictEqual(recorder.list({ rootsOnly: true }));
    expect(store.list({ text: 'SECRET' })).toStrictEqual(recorder.list({ text: 'SECRET' }));
    expect(store.list({ outcome: 'pending' }).entries.map((e) => e.method)).toEqual(['tools/list']);
    expect(store.tree(call)).toStrictEqual(recorder.tree(call));
    const upstream = store.get(up)!;
    expect(upstream.request.truncated).toBe(true);
    expect(upstream.request.json).not.toContain('hunter2');
    expect(upstream.error).toEqual({ code: -32603, message: 'Internal error: boom' });
  });

  it('keeps one row per exchange: an entry added again when it ends replaces the first version', () => {
    const store = open();
    const pending = entry(T0, { outcome: 'pending' });
    store.add(pending);
    store.flush();
    const ended: TrafficEntry = { ...pending, outcome: 'ok', durationMs: 5, response: { json: '{}', bytes: 2 } };
    store.add(ended);
    expect(store.list({}).entries).toStrictEqual([ended]);
    expect(store.usage().entries).toBe(1);
    // Twice within one batch: the latest version wins.
    const next = entry(T0 + 1, { outcome: 'pending' });
    store.add(next);
    store.add({ ...next, outcome: 'cancelled' });
    expect(store.get(next.id)?.outcome).toBe('cancelled');
    expect(store.usage().entries).toBe(2);
  });

  it('keeps its running totals equal to the table: rows rewritten when they end, unanswered ones, deletions', () => {
    const actual = () => {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        const row = db.prepare('SELECT count(*) AS entries, coalesce(sum(size), 0) AS bytes FROM traffic').get()!;
        return { entries: Number(row.entries), bytes: Number(row.bytes) };
      } finally {
        db.close();
      }
    };
    const store = open();
    const all = Array.from({ length: 40 }, (_, i) => entry(T0 + i, { outcome: 'pending' }));
    for (const e of all) store.add(e);
    store.flush();
    expect(store.usage()).toEqual(actual());
    // Half end in a later batch, with answers that make their rows bigger.
    for (const e of all.slice(0, 20))
      store.add({ ...e, outcome: 'ok', response: { json: 'x'.repeat(500), bytes: 500 } });
    store.flush();
    expect(store.usage()).toEqual(actual());
    expect(store.usage().entries).toBe(40);
    store.close();
    // The next run marks the rest unanswered (their rows grow by the message).
    const next = open();
    expect(next.get(all[39]!.id)?.error?.message).toBe(UNANSWERED);
    expect(next.usage()).toEqual(actual());
    next.close();
    // Retention deletes by age: the totals follow.
    const later = open({ maxAgeMs: 60_000, now: () => T0 + 60_000 + 20 });
    expect(later.usage()).toEqual(actual());
    expect(later.usage().entries).toBeLessThan(40);
  });

  it('pages newest first with a cursor, 100 by default and 1000 at most', () => {
    const store = open();
    const all = Array.from({ length: 1100 }, (_, i) => entry(T0 + i));
    for (const e of all) store.add(e);
    const newestFirst = all.map((e) => e.id).reverse();

    const first = store.list({});
    expect(first.entries.map((e) => e.id)).toEqual(newestFirst.slice(0, 100));
    expect(first.nextCursor).toBe(newestFirst[99]);
    expect(store.list({ limit: 5000 }).entries).toHaveLength(1000);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.list({ limit: 300, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toEqual(newestFirst);
    expect(store.list({ limit: 1100 - 1000, cursor: newestFirst[999]! })).toEqual({
      entries: all.slice(0, 100).reverse(),
    });
  });

  it('filters exactly as the recorder does (matches), page by page', () => {
    const store = open();
    const all = generate(400);
    for (const e of all) store.add(e);
    const times = all.map((e) => e.startedAt);
    const mid = times[200]!;
    const pools: { [K in keyof TrafficFilter]-?: TrafficFilter[K][] } = {
      since: [T0, mid, mid + 1, times.at(-1)!, times.at(-1)! + 1, T0 - 3_600_000, NaN],
      until: [T0 - 1, T0, mid, mid - 1, times.at(-1)!, Number.MAX_SAFE_INTEGER],
      edge: ['client', 'upstream', 'app'],
      client: ['c1', 'c2', 'c3', 'nobody'],
      session: ['s0', 's1', 's3'],
      profile: ['p1', 'p2'],
      server: ['alpha', 'beta', '', 'gamma'],
      method: [...METHODS, 'TOOLS/CALL'],
      target: ['search', '50%_off', 'a_b', 'C:\\path', '', 'İD'],
      outcome: [...OUTCOMES, [...FAILED_OUTCOMES], ['ok']],
      minDurationMs: [0, 0.001, 50, 99.999, -1, -2, NaN],
      rootsOnly: [true, false],
      text: [
        ...['hello', 'HELLO', 'world', '50%', '%', '_', 'e_c', 'a_b', '\\', 'back\\\\slash', 'k:\\\\p', '"q"', ''],
        ...['ç', 'Ç', 'çafé', 'CAFÉ', 'é', 'i', 'İ', 'i\u0307', 'istanbul', 'k', 'K', '\u212a', 'kelvin', 'key'],
        ...['tools/call', 'TOOLS', 'zzz', '{"', 'ax', 'xb', 'ID', '\u0000', 'he\u0000llo'],
        // A server's or a client's name.
        ...['ALPHA', 'gam', 'c2', 'C3'],
      ],
      limit: [1, 7, 50, undefined],
      cursor: [undefined, all[300]!.id, all[10]!.id],
    };
    const filters: TrafficFilter[] = [{}];
    for (const [key, values] of Object.entries(pools)) {
      for (const value of values) filters.push({ [key]: value });
    }
    const rnd = mulberry32(99);
    const keys = Object.keys(pools) as (keyof TrafficFilter)[];
    for (let i = 0; i < 250; i++) {
      const filter: Record<string, unknown> = {};
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
        const key = keys[Math.floor(rnd() * keys.length)]!;
        const values = pools[key] as unknown[];
        filter[key] = values[Math.floor(rnd() * values.length)];
      }
      filters.push(filter as TrafficFilter);
    }
    let compared = 0;
    for (const filter of filters) {
      let page: TrafficFilter = filter;
      for (let n = 0; n < 5; n++) {
        const expected = reference(all, page);
        expect(store.list(page), JSON.stringify(page)).toStrictEqual(expected);
        compared++;
        if (!expected.nextCursor) break;
        page = { ...page, cursor: expected.nextCursor };
      }
    }
    expect(compared).toBeGreaterThan(filters.length);
    // The set is varied enough that the filters tell entries apart.
    const sizes = new Set(filters.map((f) => reference(all, { ...f, limit: 1000 }).entries.length));
    expect(sizes.size).toBeGreaterThan(40);
  });

  it('gives stat samples for the upstream calls in the window and filters, as isStatEntry and matches do', () => {
    const store = open();
    const all = generate(400, 3);
    for (const e of all) store.add(e);
    const key = (s: StatSample) => JSON.stringify(Object.entries(s).sort());
    const queries = [
      { since: T0, until: T0 + 100_000 },
      { since: all[100]!.startedAt, until: all[300]!.startedAt },
      { since: T0, until: T0 + 100_000, server: 'alpha' },
      { since: T0, until: T0 + 100_000, profile: 'p2', client: 'c1' },
      { since: T0 + 100_000, until: T0 + 200_000 },
    ];
    for (const q of queries) {
      const expected = all.filter((e) => isStatEntry(e) && matches(e, q)).map(sampleOf);
      const got = [...store.statSamples(q)];
      expect(got.map(key).sort(), JSON.stringify(q)).toEqual(expected.map(key).sort());
      expect(aggregateStats(store.statSamples(q), q)).toEqual(aggregateStats(expected, q));
    }
    expect([...store.statSamples(queries[0]!)].length).toBeGreaterThan(10);
  });

  it('gives an exchange with everything it caused, children in id order, as deep as the recorder goes', () => {
    const store = open();
    const root = entry(T0);
    const b = entry(T0 + 2, { parentId: root.id });
    const a = entry(T0 + 1, { parentId: root.id });
    const a1 = entry(T0 + 3, { parentId: a.id });
    const a2 = entry(T0 + 4, { parentId: a.id });
    const a1x = entry(T0 + 5, { parentId: a1.id });
    const other = entry(T0 + 6);
    for (const e of [root, b, a1x, a2, other, a, a1]) store.add(e);
    const leaf = (e: TrafficEntry): TrafficTree => ({ entry: e, children: [] });
    expect(store.tree(root.id)).toStrictEqual({
      entry: root,
      children: [{ entry: a, children: [{ entry: a1, children: [leaf(a1x)] }, leaf(a2)] }, leaf(b)],
    });
    expect(store.tree(a1.id)).toStrictEqual({ entry: a1, children: [leaf(a1x)] });
    expect(store.tree('missing')).toBeUndefined();

    // A chain of 40: the exchange and 32 levels below it, in the store as in the recorder.
    const chain = [entry(T0 + 100)];
    for (let i = 1; i < 40; i++) chain.push(entry(T0 + 100 + i, { parentId: chain[i - 1]!.id }));
    const recorder = new TrafficRecorder();
    for (const e of chain) {
      store.add(e);
      recorder.note({
        edge: 'client',
        direction: 'in',
        method: 'm',
        id: e.id,
        ...(e.parentId ? { parentId: e.parentId } : {}),
      });
    }
    const depth = (tree: TrafficTree | undefined): number => (tree?.children[0] ? 1 + depth(tree.children[0]) : 0);
    let levels = 0;
    for (let node = store.tree(chain[0]!.id); node; node = node.children[0]) {
      expect(node.entry).toStrictEqual(chain[levels]);
      levels++;
    }
    expect(levels).toBe(33);
    expect(depth(store.tree(chain[0]!.id))).toBe(32);
    expect(depth(recorder.tree(chain[0]!.id))).toBe(32);
  });

  it('still has its history after a restart', () => {
    const first = open();
    const all = generate(50);
    for (const e of all) first.add(e);
    first.close();
    first.close();
    expect(() => first.list({})).toThrow(/closed/);
    const again = open();
    const page = again.list({ limit: 1000 });
    expect(page.entries).toHaveLength(50);
    // Pending ones from the first run are now failed; the rest are as they were.
    for (const e of all) {
      const back = again.get(e.id)!;
      if (e.outcome === 'pending') expect(back.outcome).toBe('error');
      else expect(back).toStrictEqual(e);
    }
  });

  it('marks exchanges the last run left pending as unanswered errors', () => {
    const first = open();
    const pending = entry(T0, { outcome: 'pending', durationMs: undefined });
    delete pending.durationMs;
    const done = entry(T0 + 1, { outcome: 'ok', durationMs: 3 });
    first.add(pending);
    first.add(done);
    first.close();

    const again = open();
    expect(again.get(pending.id)).toStrictEqual({
      ...pending,
      outcome: 'error',
      error: { code: -32603, message: UNANSWERED },
    });
    expect(again.get(done.id)).toStrictEqual(done);
    expect(again.list({ outcome: 'pending' }).entries).toEqual([]);
    expect(logs).toContainEqual({
      level: 'info',
      text: expect.stringMatching(/1 exchange\(s\) the last run left unanswered/),
    });
  });

  it('deletes entries older than maxAgeMs, on prune and when opened later', () => {
    let now = T0;
    const store = open({ maxAgeMs: 60_000, now: () => now });
    const old = [entry(T0 - 50_000), entry(T0 - 40_000)];
    const recent = [entry(T0 - 5_000), entry(T0)];
    for (const e of [...old, ...recent]) store.add(e);
    expect(store.prune()).toEqual({ deleted: 0 });
    expect(store.list({}).entries).toHaveLength(4);

    now = T0 + 15_000;
    expect(store.prune()).toEqual({ deleted: 1 });
    expect(store.list({}).entries.map((e) => e.id)).toEqual([recent[1]!.id, recent[0]!.id, old[1]!.id]);
    expect(store.usage().entries).toBe(3);
    store.close();

    now = T0 + 58_000;
    const later = open({ maxAgeMs: 60_000, now: () => now });
    expect(later.list({}).entries.map((e) => e.id)).toEqual([recent[1]!.id]);
  });

  it('finds entries by start time when their ids ran ahead of it, after a restart too, and prunes them', () => {
    // Ids made while the history continued after one from a clock a day ahead, and from a clock
    // before 2026 (ids count from 0): time ranges, stats and retention still find them by start time.
    const ahead = [T0, T0 + 1].map((at, i) => entry(at, { id: idOfKey(firstKeyAt(T0 + 86_400_000) + i) }));
    const early = Date.UTC(2025, 5, 1);
    const before2026 = [entry(early, { id: idOfKey(7) }), entry(early + 1, { id: idOfKey(8), edge: 'upstream' })];
    const twoYears = 730 * 86_400_000;
    let now = T0 + 1000;
    const store = open({ maxAgeMs: twoYears, now: () => now });
    for (const e of [...ahead, ...before2026]) store.add(e);
    const until = (at: number) => store.list({ until: at }).entries.map((e) => e.id);
    expect(until(T0 + 1000)).toEqual([ahead[1]!.id, ahead[0]!.id, before2026[1]!.id, before2026[0]!.id]);
    expect(until(early + 1000)).toEqual([before2026[1]!.id, before2026[0]!.id]);
    expect(store.list({ since: T0 - 1000, until: T0 + 1000 }).entries).toHaveLength(2);
    store.close();

    const again = open({ maxAgeMs: twoYears, now: () => now });
    expect(again.list({ until: T0 + 1000 }).entries).toHaveLength(4);
    expect(again.list({ since: early, until: early + 1000 }).entries).toHaveLength(2);
    now = early + twoYears + 10_000;
    expect(again.prune()).toEqual({ deleted: 2 });
    now = T0 + twoYears + 60_000;
    expect(again.prune()).toEqual({ deleted: 2 });
    expect(again.usage().entries).toBe(0);
  });

  it('keeps the newest entries within maxBytes, and the file does not keep growing', () => {
    const maxBytes = 200_000;
    const store = open({ maxBytes });
    const text = 'y'.repeat(2000);
    const fileSize = () => statSync(file).size;
    let t = T0;
    const round = () => {
      const added: TrafficEntry[] = [];
      for (let i = 0; i < 1000; i++) {
        const e = entry(t++, { request: { json: JSON.stringify({ text }), bytes: 2011 } });
        added.push(e);
        store.add(e);
        if (i % 256 === 255) store.flush();
      }
      store.prune();
      return added;
    };
    const firstRound = round();
    const usage = store.usage();
    expect(usage.bytes).toBeLessThanOrEqual(maxBytes);
    expect(usage.bytes).toBeGreaterThan(maxBytes * 0.8);
    // The kept ones are the newest, without a gap.
    const kept = store.list({ limit: 1000 }).entries.map((e) => e.id);
    expect(kept).toEqual(
      firstRound
        .slice(-kept.length)
        .map((e) => e.id)
        .reverse(),
    );
    expect(store.get(firstRound[0]!.id)).toBeUndefined();
    const afterFirst = fileSize();

    for (let i = 0; i < 4; i++) round();
    expect(store.usage().bytes).toBeLessThanOrEqual(maxBytes);
    expect(store.usage().entries).toBe(kept.length);
    // 5 MB went through the file; it holds about 200 kB of entries and stays about that size.
    expect(fileSize()).toBeLessThan(Math.max(afterFirst * 1.5, 4 * maxBytes));
  });

  it('gives the space of what it deletes back to the disk', () => {
    const store = open();
    const text = 'z'.repeat(3000);
    for (let i = 0; i < 1000; i++) store.add(entry(T0 + i, { response: { json: text, bytes: 3000 } }));
    store.add(entry(T0 + 59_000));
    store.close();
    const full = statSync(file).size;
    expect(full).toBeGreaterThan(3_000_000);

    // A minute later with a one-minute limit: all but the last entry go when the history opens.
    const later = open({ maxAgeMs: 60_000, now: () => T0 + 61_000 });
    expect(later.usage().entries).toBe(1);
    expect(statSync(file).size).toBeLessThan(full / 10);
  });

  it('leaves nothing of what retention deleted readable in its files', () => {
    let now = T0;
    const store = open({ maxAgeMs: 60_000, now: () => now, batchMs: 1 });
    // Old exchanges mixed with newer ones in the same pages, as a day of traffic is.
    for (let i = 0; i < 200; i++) {
      const old = i % 2 === 0;
      const json = JSON.stringify({ note: old ? `FORGET-ME-${i}` : `keep-${i}`, pad: 'x'.repeat(300) });
      store.add(entry(old ? T0 - 30_000 + i : T0 + i, { response: { json, bytes: json.length } }));
    }
    store.flush();
    now = T0 + 40_000;
    expect(store.prune().deleted).toBe(100);
    const readable = () => [file, `${file}-wal`].filter((f) => existsSync(f) && readFileSync(f).includes('FORGET-ME-'));
    // While it runs (the WAL is in use), and after it stopped.
    expect(readable()).toEqual([]);
    store.close();
    expect(readable()).toEqual([]);
  });

  it('moves aside a file found damaged in use, keeping what this run wrote; the CLI names the file', () => {
    const before = open();
    const pad = 'x'.repeat(2000);
    for (let i = 0; i < 300; i++) before.add(entry(T0 + i, { request: { json: `{"old":"${i}${pad}"}`, bytes: 2010 } }));
    before.close();
    // Its header and schema read well (it opens), the pages of the middle do not.
    const bytes = readFileSync(file);
    const pages = bytes.length / 4096;
    bytes.fill(0xff, 4096 * Math.floor(pages / 4), 4096 * Math.floor((3 * pages) / 4));
    writeFileSync(file, bytes);
    expect(() => observer().list({ text: 'nothing', limit: 1000 })).toThrow(
      `the traffic history ${file} is damaged (database disk image is malformed)`,
    );

    const store = open();
    const mine = entry(T0 + 1000, { request: { json: '{"name":"this run"}', bytes: 19 } });
    store.add(mine);
    store.flush();
    // A search reads every row: it finds the damage, and answers from the new file.
    expect(store.list({ text: 'this run' }).entries).toStrictEqual([mine]);
    const aside = readdirSync(path.dirname(file)).filter((n) => /^traffic\.db\.corrupt-\d{8}T\d{6}-\d{3}Z$/.test(n));
    expect(aside).toHaveLength(1);
    expect(logs.filter((l) => l.level !== 'info').map((l) => l.text)).toEqual([
      `traffic history ${file} is damaged (database disk image is malformed); ` +
        `moved it to ${path.join(path.dirname(file), aside[0]!)}, starting anew`,
    ]);
    const later = entry(T0 + 2000);
    store.add(later);
    expect(store.list({}).entries).toStrictEqual([later, mine]);
    expect(store.usage().entries).toBe(2);
    expect(store.problem()).toBeUndefined();
  });

  it('moves aside a file that is not a database, says so, and starts a working one', () => {
    const garbage = Buffer.alloc(10_000, 'this is not a database ');
    rmSync(path.dirname(file), { recursive: true, force: true });
    const store0 = open();
    store0.close();
    writeFileSync(file, garbage);

    const store = open();
    const line = logs.find((l) => l.level === 'warn');
    expect(line?.text).toContain(file);
    const aside = /moved it to (\S+?),/.exec(line!.text)?.[1];
    expect(aside).toMatch(/traffic\.db\.corrupt-\d{8}T\d{6}-\d{3}Z$/);
    expect(readFileSync(aside!)).toEqual(garbage);
    const e = entry(T0);
    store.add(e);
    expect(store.list({}).entries).toStrictEqual([e]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });

  it('leaves a history it may not open where it is, says why, and keeps this run in memory', () => {
    const kept = entry(T0);
    const first = open();
    first.add(kept);
    first.close();
    opened.splice(opened.indexOf(first), 1);
    // The history of another user (a gateway once run with sudo); root may open any file, so for root
    // the path is a folder, which SQLite cannot open either.
    const root = process.getuid?.() === 0;
    if (root) {
      rmSync(file);
      mkdirSync(file);
    } else {
      chmodSync(file, 0);
    }
    const store = open();
    expect(logs).toEqual([
      {
        level: 'error',
        text:
          `traffic history ${file} cannot be used (unable to open database file); ` +
          `this run's traffic is kept in memory only`,
      },
    ]);
    // The app and the CLI say so too (the gateway's status), in words.
    expect(store.problem()).toBe(
      `${file} cannot be used: it cannot be opened (its folder is missing, or not this user's) ` +
        "(SQLite: unable to open database file); this run's traffic is kept in memory only",
    );
    // Not taken for damage: nothing was moved aside, to be deleted with old entries days later.
    expect(readdirSync(path.dirname(file)).filter((n) => n.includes('corrupt'))).toEqual([]);
    const e = entry(T0 + 1);
    store.add(e);
    expect(store.list({}).entries).toStrictEqual([e]);
    if (!root) {
      chmodSync(file, 0o600);
      expect(open().list({}).entries).toStrictEqual([kept]);
    }
  });

  it('moves aside a history of another schema version and starts a working one', () => {
    for (let round = 1; round <= 2; round++) {
      open().close();
      const other = new DatabaseSync(file);
      other.exec(`PRAGMA user_version = ${TRAFFIC_SCHEMA_VERSION + 98}`);
      other.close();
      logs = [];
      const store = open();
      const aside = `${file}.old-v${TRAFFIC_SCHEMA_VERSION + 98}${round === 2 ? '-2' : ''}`;
      expect(logs).toEqual([{ level: 'warn', text: expect.stringContaining(`moved it to ${aside}`) }]);
      expect(logs[0]!.text).toContain(`${file} has schema version ${TRAFFIC_SCHEMA_VERSION + 98}`);
      const kept = new DatabaseSync(aside, { readOnly: true });
      expect(kept.prepare('PRAGMA user_version').get()?.user_version).toBe(TRAFFIC_SCHEMA_VERSION + 98);
      kept.close();
      store.add(entry(T0));
      expect(store.list({}).entries).toHaveLength(1);
      store.close();
    }
  });

  it('deletes the history with everything moved aside beside it, and nothing else, when history is turned off', () => {
    open().close();
    const beside = path.dirname(file);
    const aside = [`${file}.old-v1`, `${file}.old-v1-wal`, `${file}.corrupt-20261205T064100-000Z`];
    for (const name of [...aside, path.join(beside, 'keep.txt'), `${file}x.old-v1`]) writeFileSync(name, 'x');
    expect(deleteTrafficHistory(file)).toBe(true);
    expect(readdirSync(beside).sort()).toEqual(['keep.txt', 'traffic.dbx.old-v1']);
    expect(deleteTrafficHistory(file)).toBe(false);
  });

  it('counts an answer as new when the row written while it waited was pruned meanwhile', () => {
    const store = open({ maxBytes: 20_000 });
    const pad = { json: 'x'.repeat(1000), bytes: 1000 };
    const waiting = entry(T0, { outcome: 'pending', request: pad });
    store.add(waiting);
    store.flush();
    for (let i = 1; i <= 40; i++) store.add(entry(T0 + i, { request: pad }));
    store.prune();
    expect(store.get(waiting.id)).toBeUndefined();
    store.add({ ...waiting, outcome: 'ok', durationMs: 5 });
    store.flush();
    const db = new DatabaseSync(file, { readOnly: true });
    const actual = db.prepare('SELECT count(*) AS entries, sum(size) AS bytes FROM traffic').get()!;
    db.close();
    expect(store.usage()).toEqual({ entries: Number(actual.entries), bytes: Number(actual.bytes) });
    store.prune();
    expect(store.usage().bytes).toBeLessThanOrEqual(20_000);
  });

  it('takes new retention limits without reopening: calls still waiting stay pending', () => {
    const store = open({ maxAgeMs: 10 * 86_400_000 });
    const waiting = entry(T0, { outcome: 'pending' });
    store.add(waiting);
    store.add(entry(T0 - 5 * 86_400_000));
    store.flush();
    store.setRetention({ maxAgeMs: 86_400_000, maxBytes: 1 << 30 });
    expect(store.list({}).entries.map((e) => e.outcome)).toEqual(['pending']);
    expect(logs).toEqual([]);
    store.add({ ...waiting, outcome: 'ok', durationMs: 1 });
    expect(store.get(waiting.id)?.outcome).toBe('ok');
    expect(store.usage().entries).toBe(1);
  });

  it('deletes what it moved aside once that is older than the retention age, and nothing else', () => {
    const day = 86_400_000;
    const beside = path.dirname(file);
    const inHistory = () => readdirSync(beside).filter((n) => n.startsWith('traffic.db.'));
    mkdirSync(beside, { recursive: true });
    writeFileSync(file, 'not a database');
    // Moved aside by an earlier run at T0, and a file that only looks like it (left alone).
    for (const name of [`${file}.old-v1`, `${file}.old-v1-wal`, `${file}x.old-v1`]) {
      writeFileSync(name, 'x');
      utimesSync(name, T0 / 1000, T0 / 1000);
    }
    // Damaged at T0 + 1 day: moved aside then, with that time, whatever time the file had.
    utimesSync(file, T0 / 1000 - 30 * day, T0 / 1000 - 30 * day);
    open({ maxAgeMs: 3 * day, now: () => T0 + day }).close();
    expect(inHistory()).toEqual([
      'traffic.db.corrupt-20261205T120000-000Z',
      'traffic.db.old-v1',
      'traffic.db.old-v1-wal',
    ]);

    open({ maxAgeMs: 3 * day, now: () => T0 + 3 * day + 1000 }).close();
    expect(inHistory()).toEqual(['traffic.db.corrupt-20261205T120000-000Z']);
    const store = open({ maxAgeMs: 3 * day, now: () => T0 + 4 * day + 1000 });
    expect(inHistory()).toEqual([]);
    expect(readdirSync(beside)).toContain('traffic.dbx.old-v1');
    store.add(entry(T0 + 4 * day));
    expect(store.list({}).entries).toHaveLength(1);
  });

  it('keeps this run in memory when the file cannot be made at all, and says so', () => {
    writeFileSync(path.join(dir, 'history'), 'a file where the directory should be');
    const store = open();
    expect(logs).toEqual([{ level: 'error', text: expect.stringContaining(`${file} cannot be used`) }]);
    const e = entry(T0);
    store.add(e);
    expect(store.list({}).entries).toStrictEqual([e]);
  });

  it('reads a missing file as empty without creating it, and refuses to write read-only', () => {
    const missing = path.join(dir, 'nothing', 'traffic.db');
    const store = TrafficStore.openReadOnly(missing);
    opened.push(store);
    expect(store.list({})).toEqual({ entries: [] });
    expect(store.get('x')).toBeUndefined();
    expect(store.tree('x')).toBeUndefined();
    expect([...store.statSamples({ since: 0, until: T0 })]).toEqual([]);
    expect(() => store.add(entry(T0))).toThrow(/read-only: cannot add/);
    expect(() => store.prune()).toThrow(/read-only: cannot prune/);
    expect(existsSync(path.dirname(missing))).toBe(false);

    writeFileSync(missing.replace('nothing/', ''), 'garbage '.repeat(1000));
    expect(() => TrafficStore.openReadOnly(missing.replace('nothing/', ''))).toThrow(/cannot read the traffic history/);
  });

  it('writes nothing until the batch timer fires, then all of it', async () => {
    const store = open({ batchMs: 250, batchEntries: 1000 });
    const watcher = observer();
    const e = entry(T0);
    store.add(e);
    store.add(entry(T0 + 1));
    expect(watcher.list({}).entries).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(watcher.list({}).entries).toEqual([]);
    await until('the batch to be written', () => watcher.list({}).entries.length === 2);
    expect(watcher.get(e.id)).toStrictEqual(e);
  });

  it('writes early once batchEntries distinct entries are queued', async () => {
    const store = open({ batchMs: 600_000, batchEntries: 10 });
    const watcher = observer();
    const first = entry(T0);
    for (let i = 0; i < 4; i++) store.add(first); // one entry, however often
    for (let i = 1; i < 9; i++) store.add(entry(T0 + i));
    await new Promise((r) => setImmediate(r));
    expect(watcher.usage().entries).toBe(0);
    store.add(entry(T0 + 9));
    await until('the early write', () => watcher.list({}).entries.length === 10);
  });

  it('drops what does not fit in the queue and says how much', () => {
    const store = open({ maxQueued: 50, batchEntries: 1000 });
    const all = Array.from({ length: 80 }, (_, i) => entry(T0 + i, { outcome: 'pending' }));
    for (const e of all) store.add(e);
    // An entry already queued may still change.
    store.add({ ...all[0]!, outcome: 'ok' });
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
    store.flush();
    expect(store.usage().entries).toBe(50);
    expect(store.get(all[0]!.id)?.outcome).toBe('ok');
    expect(store.get(all[49]!.id)).toBeDefined();
    expect(store.get(all[50]!.id)).toBeUndefined();
    expect(logs.map((l) => l.text)).toContainEqual(expect.stringContaining('30 exchanges were not saved'));
  });

  it('survives a failing write: logs the kind of failure once, keeps the queue and writes it later', () => {
    const store = open({ busyTimeoutMs: 5 });
    const locker = new DatabaseSync(file);
    locker.exec('BEGIN IMMEDIATE');
    try {
      const a = entry(T0);
      store.add(a);
      expect(() => store.flush()).not.toThrow();
      const b = entry(T0 + 1);
      store.add(b);
      store.flush();
      store.flush();
      const errors = logs.filter((l) => l.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.text).toMatch(/cannot write \(database is locked\)/);
      // What is held is read as if written, and a query does not wait on the lock again.
      expect(store.list({}).entries.map((e) => e.id)).toEqual([b.id, a.id]);
      expect(store.get(a.id)).toStrictEqual(a);
      expect(store.tree(a.id)?.entry).toStrictEqual(a);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    // The batch timer tries again.
    store.flush();
    expect(logs.at(-1)?.text).toMatch(/writing works again/);
    expect(store.list({}).entries).toHaveLength(2);
  });

  it('skips an entry the table refuses and writes the rest of its batch', () => {
    const store = open();
    const good = entry(T0);
    const bad = { ...entry(T0 + 1), method: undefined } as unknown as TrafficEntry;
    store.add(bad);
    store.add(good);
    expect(store.list({}).entries).toStrictEqual([good]);
    expect(logs).toContainEqual({ level: 'error', text: expect.stringContaining('skipped') });
  });
});
