import { describe, expect, it } from 'vitest';
import type { TrafficEntry } from '../../../preload/contract/index.ts';
import {
  appendOlder,
  customRange,
  exportFilterOf,
  filterOf,
  fits,
  mergeRows,
  summary,
  threaded,
  timeLabel,
} from '../../../renderer/src/lib/traffic-rows.ts';

const entry = (id: string, more: Partial<TrafficEntry> = {}): TrafficEntry => ({
  id,
  edge: 'client',
  direction: 'in',
  kind: 'request',
  method: 'tools/call',
  target: 'fx__echo',
  startedAt: 1,
  outcome: 'ok',
  request: { bytes: 10 },
  ...more,
});
const ids = (rows: TrafficEntry[]) => rows.map((r) => `${r.id}:${r.outcome}`);

describe('the traffic table rows', () => {
  it('puts new exchanges on top, newest first, and updates the ones shown in place', () => {
    const rows = [entry('0002', { outcome: 'pending' }), entry('0001')];
    const next = mergeRows(rows, [entry('0004'), entry('0002'), entry('0003')], {});
    expect(ids(next)).toEqual(['0004:ok', '0003:ok', '0002:ok', '0001:ok']);
    expect(rows).toHaveLength(2);
  });

  it('never turns an ended exchange back to pending (a batch older than the list it lands on)', () => {
    const rows = [entry('0002'), entry('0001', { outcome: 'error' })];
    const late = [entry('0002', { outcome: 'pending' }), entry('0001', { outcome: 'pending' })];
    expect(ids(mergeRows(rows, late, {}))).toEqual(['0002:ok', '0001:error']);
    // Within one batch too: the last state of a new exchange that is not older than the one before it.
    const batch = [entry('0005', { outcome: 'ok' }), entry('0005', { outcome: 'pending' })];
    expect(ids(mergeRows([], batch, {}))).toEqual(['0005:ok']);
  });

  it('adds only what fits the chips, and keeps id order when an id made earlier is written late', () => {
    const rows = [entry('0009'), entry('0005')];
    const changes = [
      entry('0007', { server: 'fx' }),
      entry('0008', { server: 'other' }),
      entry('0006', { server: 'fx' }),
    ];
    expect(ids(mergeRows(rows, changes, { server: 'fx' }))).toEqual(['0009:ok', '0007:ok', '0006:ok', '0005:ok']);
  });

  it('matches a text chip on the names only for live rows, which carry no payloads', () => {
    expect(fits(entry('1', { target: 'github__search' }), { text: 'SEARCH' })).toBe(true);
    expect(fits(entry('1', { target: 'search', server: 'GitHub' }), { text: 'github' })).toBe(true);
    const fromCursor = entry('1', {
      session: { id: 's', transport: 'shim', profile: 'default', client: { name: 'cursor' } },
    });
    expect(fits(fromCursor, { text: 'Cursor' })).toBe(true);
    expect(fits(entry('1', { target: 'github__search' }), { text: 'acme/web' })).toBe(false);
    // As the gateway's search folds case: a capital Σ finds σ within a word (lower case reads it as ς at the end).
    expect(fits(entry('1', { target: 'Οδοσακης' }), { text: 'ΟΔΟΣ' })).toBe(true);
    expect(fits(entry('1', { server: 'ΟΔΟΣ' }), { text: 'οδοσ' })).toBe(true);
    expect(filterOf({ text: 'acme/web', errorsOnly: true })).toEqual({
      limit: 1000,
      text: 'acme/web',
      outcome: ['error', 'timeout', 'tool_error'],
    });
  });

  it('asks for a time range as since and until, and takes only live rows within it', () => {
    const now = new Date(2026, 11, 6, 14, 5).getTime();
    expect(filterOf({ time: { lastMs: 15 * 60_000 } }, now)).toEqual({ limit: 1000, since: now - 15 * 60_000 });
    const from = new Date(2026, 11, 6, 14, 0).getTime();
    const to = new Date(2026, 11, 6, 14, 10, 59, 999).getTime();
    expect(customRange('2026-12-06T14:00', '2026-12-06T14:10')).toEqual({ range: { from, to } });
    const time = { from, to };
    expect(filterOf({ time }, now)).toEqual({ limit: 1000, since: from, until: to });
    // An export holds all that match: the API refuses a page size for it.
    expect(exportFilterOf({ time, server: 'fx' }, now)).toEqual({ since: from, until: to, server: 'fx' });
    // A call at 14:10:30 is in "to 14:10"; one at 14:11 is not, however live it comes.
    expect(fits(entry('1', { startedAt: new Date(2026, 11, 6, 14, 10, 30).getTime() }), { time }, now)).toBe(true);
    expect(fits(entry('1', { startedAt: new Date(2026, 11, 6, 14, 11).getTime() }), { time }, now)).toBe(false);
    expect(fits(entry('1', { startedAt: new Date(2026, 11, 6, 13, 59).getTime() }), { time }, now)).toBe(false);
    expect(timeLabel(time, now)).toBe('from 14:00 to 14:10');
    expect(timeLabel({ from: new Date(2026, 11, 5, 9, 30).getTime() }, now)).toBe('since 2026-12-05 09:30');
    expect(timeLabel({ lastMs: 3_600_000 }, now)).toBe('last hour');
  });

  it('refuses a range it cannot use, naming the field', () => {
    expect(customRange('', '')).toEqual({ field: 'from', message: 'Give a From time, a To time, or both.' });
    expect(customRange('2026-12-06T14:10', '2026-12-06T14:00')).toEqual({ field: 'to', message: 'To is before From.' });
    expect(customRange('2026-12-06', '')).toEqual({ field: 'from', message: 'From is not a whole date and time.' });
    expect(customRange('', '2026-12-06T14:00')).toEqual({
      range: { to: new Date(2026, 11, 6, 14, 0, 59, 999).getTime() },
    });
  });

  it('keeps sizes and cut marks of a listed entry, not its payload text', () => {
    const listed = entry('1', {
      request: { json: '{"a":1}', bytes: 7 },
      response: { json: 'x…[truncated: 99 bytes in all]', bytes: 99, truncated: true },
    });
    expect(summary(listed)).toEqual({ ...listed, request: { bytes: 7 }, response: { bytes: 99, truncated: true } });
    expect(listed.request.json).toBe('{"a":1}');
  });

  it('appends an older page after the rows, leaving out any already shown', () => {
    const rows = [entry('0009'), entry('0008')];
    expect(ids(appendOlder(rows, [entry('0008'), entry('0007')]))).toEqual(['0009:ok', '0008:ok', '0007:ok']);
  });
});

describe('the traffic table as threads', () => {
  const order = (rows: TrafficEntry[]) => {
    const { order, depth } = threaded(rows);
    return order.map((r) => `${r.id}@${depth.get(r.id)}`);
  };

  it('puts what a call caused under it, in the order it began, and the calls newest first', () => {
    // Two calls in flight at once: their ids interleave, newest first as listed.
    const rows = [
      entry('0006', { parentId: '0004', edge: 'upstream', direction: 'in', kind: 'notification' }),
      entry('0005', { parentId: '0002' }),
      entry('0004', { parentId: '0001', edge: 'upstream', direction: 'out' }),
      entry('0003', { parentId: '0001' }),
      entry('0002'),
      entry('0001'),
    ];
    expect(order(rows)).toEqual(['0002@0', '0005@1', '0001@0', '0003@1', '0004@1', '0006@2']);
  });

  it('starts a thread with a row whose cause is not shown (filtered out, or not loaded yet)', () => {
    expect(order([entry('0003', { parentId: '0001' }), entry('0002')])).toEqual(['0003@0', '0002@0']);
  });

  it('shows every row once, even rows that name each other as their cause', () => {
    const rows = [entry('0002', { parentId: '0001' }), entry('0001', { parentId: '0002' }), entry('0000')];
    expect(
      threaded(rows)
        .order.map((r) => r.id)
        .sort(),
    ).toEqual(['0000', '0001', '0002']);
  });
});
