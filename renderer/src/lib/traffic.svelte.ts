/**
 * The traffic inspector's state: exchanges newest first, kept live by the `traffic` event and
 * listed again from the gateway when the filter changes, or when live changes were left out (a
 * full batch, a break in the event stream, a resync). How changes merge is in traffic-rows.ts.
 */
import type { TrafficBatch, TrafficEntry } from '../../../preload/contract/index.ts';
import { errorText, type Api } from './api.ts';
import {
  MAX_ROWS,
  PAGE_ROWS,
  appendOlder,
  filterOf,
  fits,
  fitsBesidesText,
  isNewer,
  mergeRows,
  summary,
  type TrafficChips,
} from './traffic-rows.ts';

export {
  MAX_ROWS,
  RECENT_RANGES,
  SLOW_MS,
  customRange,
  exportFilterOf,
  threaded,
  timeLabel,
  type TrafficChips,
  type TrafficTimeRange,
} from './traffic-rows.ts';

/** New exchanges told apart while paused, at most (beyond, one may be counted twice). */
const MAX_COUNTED = 50_000;
/** With a text filter, how long live changes wait before the gateway searches their payloads. */
const TEXT_SEARCH_DELAY_MS = 1000;

export class TrafficState {
  rows = $state.raw<TrafficEntry[]>([]);
  chips = $state<TrafficChips>({});
  paused = $state(false);
  loading = $state(false);
  problem = $state<string | undefined>();
  /** Exchanges not in the table that came in while paused. */
  held = $state(0);
  /** While paused, changes were left out: Resume lists again (so `held` is a lower bound). */
  heldIncomplete = $state(false);
  /** Older entries match than the table shows. */
  hasOlder = $state(false);
  private cursor: string | undefined;
  private readonly api: Api;
  /** While paused: the latest state of each exchange that changed. */
  private readonly holding = new Map<string, TrafficEntry>();
  /** While paused: the new exchanges counted in `held` (once each, when a state of it first fits). */
  private readonly counted = new Set<string>();
  /** Changes that came while a list was read: applied on top of it, as the list may predate them. */
  private duringReload: Map<string, TrafficEntry> | undefined;
  private reloadAgain = false;
  private generation = 0;
  private textSearch: { since: number; timer: ReturnType<typeof setTimeout> } | undefined;
  private shown: { rows: TrafficEntry[]; ids: Set<string> } | undefined;

  constructor(api: Api) {
    this.api = api;
    api.on('traffic', (batch) => this.receive(batch));
    api.on('resync', () => void this.reload());
    void this.reload();
  }

  setChips(chips: TrafficChips): void {
    this.chips = chips;
    void this.reload();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = [...this.holding.values()];
    const incomplete = this.heldIncomplete;
    this.holding.clear();
    this.counted.clear();
    this.held = 0;
    this.heldIncomplete = false;
    if (incomplete) return void this.reload();
    // A list being read may predate them: they are applied on top of it too.
    if (this.duringReload) for (const entry of held) keepNewest(this.duringReload, entry);
    this.apply(held);
  }

  async reload(): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    this.duringReload = new Map();
    this.reloadAgain = false;
    try {
      const page = await this.api.listTraffic(filterOf(this.chips));
      if (generation !== this.generation) return;
      const later = [...(this.duringReload?.values() ?? [])];
      this.duringReload = undefined;
      this.cursor = page.nextCursor;
      this.rows = page.entries.map(summary);
      this.apply(later);
      this.problem = undefined;
    } catch (err) {
      if (generation !== this.generation) return;
      this.duringReload = undefined;
      // Rows of another filter under the new chips would mislead: the banner says why there are none.
      this.rows = [];
      this.cursor = undefined;
      this.problem = errorText(err);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.hasOlder = this.cursor !== undefined;
        if (this.reloadAgain) void this.reload();
      }
    }
  }

  /** The next older page, as far as the table has room. */
  async loadOlder(): Promise<void> {
    const cursor = this.cursor;
    const room = MAX_ROWS - this.rows.length;
    if (cursor === undefined || room <= 0) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await this.api.listTraffic({ ...filterOf(this.chips), limit: Math.min(PAGE_ROWS, room), cursor });
      if (generation !== this.generation) return;
      this.rows = appendOlder(this.rows, page.entries.map(summary));
      this.cursor = page.nextCursor;
      this.hasOlder = this.cursor !== undefined;
    } catch (err) {
      if (generation === this.generation) this.problem = errorText(err);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  private receive(batch: TrafficBatch): void {
    const gap = batch.skipped > 0 || batch.resumed === true;
    if (this.paused) {
      this.hold(batch.entries);
      if (gap) this.heldIncomplete = true;
      return;
    }
    if (this.duringReload) {
      for (const entry of batch.entries) keepNewest(this.duringReload, entry);
      if (this.duringReload.size > MAX_ROWS) {
        this.duringReload.clear();
        this.reloadAgain = true;
      }
    }
    this.apply(batch.entries);
    // What the gateway lists now covers what was left out; a list already being read is let finish
    // (under a flood, restarting it at every batch would never show one) and read once more after.
    if (gap && this.duringReload) this.reloadAgain = true;
    else if (gap) void this.reload();
    else if (this.chips.text) this.searchPayloads(batch.entries);
  }

  /** Live changes into the rows; rows pushed past MAX_ROWS become "older" again. */
  private apply(changes: TrafficEntry[], chips: TrafficChips = this.chips): void {
    if (changes.length === 0) return;
    const next = mergeRows(this.rows, changes, chips);
    if (next.length > MAX_ROWS) {
      next.length = MAX_ROWS;
      this.cursor = next.at(-1)!.id;
      this.hasOlder = true;
    }
    this.rows = next;
  }

  private hold(entries: TrafficEntry[]): void {
    const ids = this.shownIds();
    for (const entry of entries) {
      if (!keepNewest(this.holding, entry)) continue;
      // A call that waited shows "pending" first, which errors-only or slow-only do not fit; its end does.
      if (ids.has(entry.id) || this.counted.has(entry.id) || !fits(entry, this.chips)) continue;
      this.counted.add(entry.id);
      this.held++;
    }
    // Past this, Resume lists again; the count goes on (ids only, capped) as a lower bound.
    if (this.holding.size > MAX_ROWS) {
      this.holding.clear();
      this.heldIncomplete = true;
    }
    if (this.counted.size > MAX_COUNTED) this.counted.clear();
  }

  /**
   * Live entries carry no payload text: with a text filter, the ones that fit every other chip
   * are searched by the gateway, which has the payloads (at most once a second, from the oldest).
   */
  private searchPayloads(entries: TrafficEntry[]): void {
    const ids = this.shownIds();
    const unsure = entries.filter((e) => !ids.has(e.id) && fitsBesidesText(e, this.chips) && !fits(e, this.chips));
    if (unsure.length === 0) return;
    const since = Math.min(...unsure.map((e) => e.startedAt));
    if (this.textSearch) {
      this.textSearch.since = Math.min(this.textSearch.since, since);
      return;
    }
    this.textSearch = { since, timer: setTimeout(() => void this.runTextSearch(), TEXT_SEARCH_DELAY_MS) };
  }

  private async runTextSearch(): Promise<void> {
    const since = this.textSearch?.since;
    this.textSearch = undefined;
    const generation = this.generation;
    if (since === undefined || !this.chips.text) return;
    try {
      const page = await this.api.listTraffic({ ...filterOf(this.chips), since });
      // The gateway found the text in their payloads: they fit, though their names do not say so.
      if (generation === this.generation && !this.paused)
        this.apply(page.entries.map(summary), { ...this.chips, text: undefined });
    } catch (err) {
      if (generation === this.generation) this.problem = errorText(err);
    }
  }

  private shownIds(): Set<string> {
    if (this.shown?.rows !== this.rows) this.shown = { rows: this.rows, ids: new Set(this.rows.map((r) => r.id)) };
    return this.shown.ids;
  }
}

/** Keeps `entry` unless a newer state of it is there already; whether it was kept. */
function keepNewest(map: Map<string, TrafficEntry>, entry: TrafficEntry): boolean {
  const before = map.get(entry.id);
  if (before && !isNewer(entry, before)) return false;
  map.set(entry.id, entry);
  return true;
}
