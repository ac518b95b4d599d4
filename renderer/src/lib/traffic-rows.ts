/**
 * The traffic table's rows as plain data: what a filter asks the gateway for, whether a live
 * entry fits it, and how live changes merge into rows that came from a list. No Svelte here, so
 * the rules are tested on their own (test/unit/renderer/traffic-rows.test.ts).
 */
import {
  FAILED_OUTCOMES,
  foldCase,
  payloadSizes,
  type TrafficEntry,
  type TrafficFilter,
} from '../../../preload/contract/index.ts';

/** Rows the table holds at most: live rows push the oldest out, and "Load older" stops here. */
export const MAX_ROWS = 5000;
/** Rows one list asks for. */
export const PAGE_ROWS = 1000;
/** "Slow" means at least this long. */
export const SLOW_MS = 1000;

/**
 * When: the last so many milliseconds (taken when the gateway is asked, so a list or an export
 * made later covers a later window), or from one time to another (epoch ms, inclusive; either may be open).
 */
export type TrafficTimeRange = { lastMs: number } | { from?: number; to?: number };

export interface TrafficChips {
  time?: TrafficTimeRange;
  client?: string;
  server?: string;
  method?: string;
  errorsOnly?: boolean;
  slowOnly?: boolean;
  text?: string;
}

export function filterOf(chips: TrafficChips, now = Date.now()): TrafficFilter {
  const filter: TrafficFilter = { limit: PAGE_ROWS };
  const { since, until } = timeBounds(chips.time, now);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (chips.client) filter.client = chips.client;
  if (chips.server) filter.server = chips.server;
  if (chips.method) filter.method = chips.method;
  if (chips.errorsOnly) filter.outcome = [...FAILED_OUTCOMES];
  if (chips.slowOnly) filter.minDurationMs = SLOW_MS;
  if (chips.text) filter.text = chips.text;
  return filter;
}

/** What an export asks for: the filter without a page size, which an export refuses (it holds all that match). */
export function exportFilterOf(chips: TrafficChips, now = Date.now()): TrafficFilter {
  const { limit: _pageSize, ...filter } = filterOf(chips, now);
  return filter;
}

/**
 * Whether a live entry fits the chips. Live entries come without payload text, so a text chip
 * is matched against their names only (method, target, server, client): `fitsBesidesText` says
 * whether the gateway, which searches payloads too, should be asked.
 */
export function fits(entry: TrafficEntry, chips: TrafficChips, now = Date.now()): boolean {
  if (!fitsBesidesText(entry, chips, now)) return false;
  if (!chips.text) return true;
  // Folded as the gateway's search folds (foldCase): a live row and a search of the history agree.
  const needle = foldCase(chips.text);
  const names = [entry.method, entry.target, entry.server, entry.session?.client?.name];
  return names.some((name) => name !== undefined && foldCase(name).includes(needle));
}

export function fitsBesidesText(entry: TrafficEntry, chips: TrafficChips, now = Date.now()): boolean {
  const { since, until } = timeBounds(chips.time, now);
  if (since !== undefined && entry.startedAt < since) return false;
  if (until !== undefined && entry.startedAt > until) return false;
  if (chips.client && entry.session?.client?.name !== chips.client) return false;
  if (chips.server && entry.server !== chips.server) return false;
  if (chips.method && entry.method !== chips.method) return false;
  if (chips.errorsOnly && !FAILED_OUTCOMES.includes(entry.outcome)) return false;
  if (chips.slowOnly && !((entry.durationMs ?? 0) >= SLOW_MS)) return false;
  return true;
}

/** The range's bounds now, epoch milliseconds, inclusive. */
export function timeBounds(range: TrafficTimeRange | undefined, now: number): { since?: number; until?: number } {
  if (range === undefined) return {};
  if ('lastMs' in range) return { since: now - range.lastMs };
  return {
    ...(range.from === undefined ? {} : { since: range.from }),
    ...(range.to === undefined ? {} : { until: range.to }),
  };
}

/**
 * `incoming` as a newer state of `current`: an exchange ends once and never waits again, so a
 * pending state that arrives after the end (a batch older than the list it lands on) is stale.
 */
export function isNewer(incoming: TrafficEntry, current: TrafficEntry): boolean {
  return !(incoming.outcome === 'pending' && current.outcome !== 'pending');
}

const newestFirst = (a: TrafficEntry, b: TrafficEntry) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Rows with live changes merged: an entry already shown is updated in place (unless the change is
 * stale), a new one that fits the chips is added in id order (newest first).
 */
export function mergeRows(
  rows: readonly TrafficEntry[],
  changes: readonly TrafficEntry[],
  chips: TrafficChips,
): TrafficEntry[] {
  const next = rows.slice();
  const index = new Map(next.map((row, i) => [row.id, i]));
  const added = new Map<string, TrafficEntry>();
  for (const entry of changes) {
    const at = index.get(entry.id);
    if (at !== undefined) {
      if (isNewer(entry, next[at]!)) next[at] = entry;
      continue;
    }
    const before = added.get(entry.id);
    if (before && !isNewer(entry, before)) continue;
    if (fits(entry, chips)) added.set(entry.id, entry);
    else added.delete(entry.id);
  }
  if (added.size > 0) {
    const fresh = [...added.values()].sort(newestFirst);
    next.unshift(...fresh);
    // Ids sort by start; an id made before a batch's first write can land below older rows.
    if (next.length > fresh.length && fresh.at(-1)!.id < next[fresh.length]!.id) next.sort(newestFirst);
  }
  return next;
}

/**
 * A listed entry as a row keeps it: sizes and cut marks, not the payload text (up to 64 KiB each
 * way, and 5000 rows), which the open exchange fetches with its tree. Live entries come so already.
 */
export function summary(entry: TrafficEntry): TrafficEntry {
  const row = { ...entry, request: payloadSizes(entry.request) };
  if (entry.response) row.response = payloadSizes(entry.response);
  return row;
}

/** How deep a thread is drawn at most (the tree in the detail goes as deep as the gateway keeps). */
export const MAX_THREAD_DEPTH = 32;

export interface Threads {
  /** The rows as the table shows them. */
  order: TrafficEntry[];
  /** How many of its causes are shown above each row, in its thread (0: the thread's first row). */
  depth: ReadonlyMap<string, number>;
}

/**
 * The rows (newest first) as threads, so that a row marked as caused sits under what caused it:
 * each row whose cause is also shown follows it, in the order they began, and the threads are
 * newest first. A row whose cause is not shown (filtered out, or older than the rows loaded)
 * starts a thread of its own.
 */
export function threaded(rows: readonly TrafficEntry[]): Threads {
  const shown = new Set(rows.map((row) => row.id));
  const children = new Map<string, TrafficEntry[]>();
  const roots: TrafficEntry[] = [];
  for (const row of rows) {
    const parent = row.parentId;
    if (parent === undefined || parent === row.id || !shown.has(parent)) {
      roots.push(row);
      continue;
    }
    let siblings = children.get(parent);
    if (!siblings) children.set(parent, (siblings = []));
    siblings.push(row);
  }
  const order: TrafficEntry[] = [];
  const depth = new Map<string, number>();
  const add = (row: TrafficEntry, level: number): void => {
    if (depth.has(row.id)) return;
    depth.set(row.id, level);
    order.push(row);
    const below = children.get(row.id);
    // Siblings came newest first: under their cause they read in the order they began.
    if (below) for (let i = below.length - 1; i >= 0; i--) add(below[i]!, Math.min(level + 1, MAX_THREAD_DEPTH));
  };
  for (const root of roots) add(root, 0);
  // Rows in a loop of causes (never made by the gateway, but the data is not ours to trust) are still shown.
  for (const row of rows) add(row, 0);
  return { order, depth };
}

/** Older rows from a next page, after the ones shown (any already shown are left out). */
export function appendOlder(rows: readonly TrafficEntry[], older: readonly TrafficEntry[]): TrafficEntry[] {
  const shown = new Set(rows.map((row) => row.id));
  return [...rows, ...older.filter((entry) => !shown.has(entry.id))];
}

/** The ranges offered as one choice each, shortest first. */
export const RECENT_RANGES: readonly { lastMs: number; label: string }[] = [
  { lastMs: 15 * 60_000, label: 'last 15 minutes' },
  { lastMs: 60 * 60_000, label: 'last hour' },
  { lastMs: 24 * 60 * 60_000, label: 'last 24 hours' },
];

/** A time of day, with its date when it is not today's (local time, as the table shows times). */
function when(ms: number, now: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${d.getSeconds() === 0 ? '' : `:${pad(d.getSeconds())}`}`;
  return d.toDateString() === new Date(now).toDateString()
    ? time
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** The range in words, for its chip: "last hour", "from 14:00 to 14:10", "until 2026-12-05 09:30". */
export function timeLabel(range: TrafficTimeRange, now = Date.now()): string {
  if ('lastMs' in range)
    return (
      RECENT_RANGES.find((r) => r.lastMs === range.lastMs)?.label ?? `last ${Math.round(range.lastMs / 60_000)} min`
    );
  // A "to" holds its whole minute (below): the chip shows the minute given.
  const to = range.to === undefined ? undefined : when(range.to - (range.to % 60_000 === 59_999 ? 59_999 : 0), now);
  if (range.from !== undefined && to !== undefined) return `from ${when(range.from, now)} to ${to}`;
  if (range.from !== undefined) return `since ${when(range.from, now)}`;
  return to === undefined ? 'any time' : `until ${to}`;
}

/**
 * A range from the From and To fields (`datetime-local` values, local time; either may be empty),
 * or what is wrong and with which field. To holds its whole minute: "to 14:10" takes 14:10:59.
 */
export function customRange(
  from: string,
  to: string,
): { range: TrafficTimeRange } | { field: 'from' | 'to'; message: string } {
  const parse = (text: string, end: boolean): number | undefined | false => {
    if (text.trim() === '') return undefined;
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? new Date(text).getTime() : NaN;
    if (Number.isNaN(at)) return false;
    return end ? at + (text.length === 16 ? 59_999 : 999) : at;
  };
  const since = parse(from, false);
  const until = parse(to, true);
  if (since === false) return { field: 'from', message: 'From is not a whole date and time.' };
  if (until === false) return { field: 'to', message: 'To is not a whole date and time.' };
  if (since === undefined && until === undefined)
    return { field: 'from', message: 'Give a From time, a To time, or both.' };
  if (since !== undefined && until !== undefined && since > until)
    return { field: 'to', message: 'To is before From.' };
  return {
    range: { ...(since === undefined ? {} : { from: since }), ...(until === undefined ? {} : { to: until }) },
  };
}
