/**
 * The Overview's connected clients as rows a person can read: a script that opened 200 sessions is one
 * row counting them, and past `shown` rows the ones heard from least recently are only counted.
 */
import type { SessionView } from '../../../preload/contract/index.ts';

export interface SessionRow {
  /** The first session's id: stable while that session lasts. */
  key: string;
  client: SessionView['client'];
  transport: string;
  profile: string;
  revision: string | undefined;
  /** How many sessions the row stands for. */
  count: number;
  /** The earliest of their starts, the latest time one of them was heard from (epoch ms). */
  since: number;
  lastHeard: number;
}

export function sessionRows(sessions: SessionView[], shown: number): { rows: SessionRow[]; more: number } {
  const byKind = new Map<string, SessionRow>();
  for (const s of sessions) {
    // Sessions alike in everything the table shows but their times.
    const kind = JSON.stringify([s.client?.name, s.client?.version, s.transport, s.profile, s.revision]);
    const row = byKind.get(kind);
    if (row) {
      row.count++;
      row.since = Math.min(row.since, s.since);
      row.lastHeard = Math.max(row.lastHeard, s.lastHeard);
    } else {
      byKind.set(kind, {
        key: s.id,
        client: s.client,
        transport: s.transport,
        profile: s.profile,
        revision: s.revision,
        count: 1,
        since: s.since,
        lastHeard: s.lastHeard,
      });
    }
  }
  // The clients at work first: an HTTP client that went away unsaid is listed, quiet, for two hours.
  const all = [...byKind.values()].sort((a, b) => b.lastHeard - a.lastHeard || a.since - b.since);
  const rows = all.slice(0, shown);
  return { rows, more: all.slice(shown).reduce((n, row) => n + row.count, 0) };
}
