/**
 * The traffic table's rows as plain data: what a filter asks the gateway for, whether a live
 * entry fits it, and how live changes merge into rows that came from a list. No Svelte here, so
 * the rules are tested on their own (test/unit/renderer/traffic-rows.test.ts).
 */
import {
  payloadSizes,
  type TrafficEntry,
  type TrafficFilter,
  type TrafficOutcome,
} from '../../../preload/contract/index.ts';

/** Rows the table holds at most: live rows push the oldest out, and "Load older" stops here. */
export const MAX_ROWS = 5000;
/** Rows one list asks for. */
export const PAGE_ROWS = 1000;
/** "Slow" means at least this long. */
export const SLOW_MS = 1000;

export interface TrafficChips {
  client?: string;
  server?: string;
  method?: string;
  errorsOnly?: boolean;
  slowOnly?: boolean;
  text?: string;
}

const FAILED: TrafficOutcome[] = ['error', 'timeout'];

export function filterOf(chips: TrafficChips): TrafficFilter {
  const filter: TrafficFilter = { limit: PAGE_ROWS };
  if (chips.client) filter.client = chips.client;
  if (chips.server) filter.server = chips.server;
  if (chips.method) filter.method = chips.method;
  if (chips.errorsOnly) filter.outcome = FAILED;
  if (chips.slowOnly) filter.minDurationMs = SLOW_MS;
  if (chips.text) filter.text = chips.text;
  return filter;
}

/**
 * Whether a live entry fits the chips. Live entries come without payload text, so a text chip
 * is matched against their method and target only: `fitsBesidesText` says whether the gateway,
 * which searches payloads too, should be asked.
 */
export function fits(entry: TrafficEntry, chips: TrafficChips): boolean {
  if (!fitsBesidesText(entry, chips)) return false;
  if (!chips.text) return true;
  const needle = chips.text.toLowerCase();
  return `${entry.method} ${entry.target ?? ''}`.toLowerCase().includes(needle);
}

export function fitsBesidesText(entry: TrafficEntry, chips: TrafficChips): boolean {
  if (chips.client && entry.session?.client?.name !== chips.client) return false;
  if (chips.server && entry.server !== chips.server) return false;
  if (chips.method && entry.method !== chips.method) return false;
  if (chips.errorsOnly && !FAILED.includes(entry.outcome)) return false;
  if (chips.slowOnly && !((entry.durationMs ?? 0) >= SLOW_MS)) return false;
  return true;
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
