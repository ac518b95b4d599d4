import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../../preload/contract/index.ts';
import { sessionRows } from '../../../renderer/src/lib/session-rows.ts';

const session = (id: string, name: string | undefined, since: number, lastHeard: number): SessionView => ({
  id,
  ...(name === undefined ? {} : { client: { name, version: '1' } }),
  transport: 'streamable-http',
  profile: 'default',
  revision: '2025-06-18',
  since,
  lastHeard,
});

describe('sessionRows', () => {
  it('makes one row of sessions alike, from the first start to the last time one was heard from', () => {
    const { rows, more } = sessionRows(
      [
        session('a', 'job', 10, 20),
        session('b', 'job', 5, 50),
        session('c', 'cursor', 1, 40),
        session('d', 'job', 7, 8),
      ],
      10,
    );
    expect(rows.map((r) => [r.client?.name, r.count, r.since, r.lastHeard, r.key])).toEqual([
      ['job', 3, 5, 50, 'a'],
      ['cursor', 1, 1, 40, 'c'],
    ]);
    expect(more).toBe(0);
  });

  it('keeps apart sessions on another profile, and clients not introduced yet from those that are', () => {
    const other = { ...session('b', 'job', 1, 1), profile: 'work' };
    const rows = sessionRows([session('a', 'job', 1, 1), other, session('c', undefined, 1, 1)], 10).rows;
    expect(rows.map((r) => `${r.client?.name ?? '-'} ${r.profile}`)).toEqual(['job default', 'job work', '- default']);
  });

  it('counts the sessions of the rows heard from least recently past the ones shown', () => {
    const sessions = [
      session('a', 'quiet', 1, 1),
      session('b', 'quiet', 2, 2),
      session('c', 'busy', 3, 30),
      session('d', 'other', 4, 20),
    ];
    const { rows, more } = sessionRows(sessions, 2);
    expect(rows.map((r) => r.client?.name)).toEqual(['busy', 'other']);
    expect(more).toBe(2);
  });
});
