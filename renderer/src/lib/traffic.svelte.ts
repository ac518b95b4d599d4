/**
 * The traffic inspector's state: recent exchanges, newest first, kept live by the `traffic` event
 * (upsert by id) and reloaded from `listTraffic` when the filter changes or the stream resyncs.
 * Paused, live changes are held and applied on resume.
 */
import type { TrafficEntry, TrafficFilter, TrafficOutcome } from '../../../preload/contract/index.ts';
import { errorText, type Api } from './api.ts';

/** Rows the table holds at most: the oldest go. */
export const MAX_ROWS = 5000;
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
  const filter: TrafficFilter = { limit: 1000 };
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
 * matches their method and target here; the list fetched from the gateway searches payloads too.
 */
export function fits(entry: TrafficEntry, chips: TrafficChips): boolean {
  if (chips.client && entry.session?.client?.name !== chips.client) return false;
  if (chips.server && entry.server !== chips.server) return false;
  if (chips.method && entry.method !== chips.method) return false;
  if (chips.errorsOnly && !FAILED.includes(entry.outcome)) return false;
  if (chips.slowOnly && !((entry.durationMs ?? 0) >= SLOW_MS)) return false;
  if (chips.text) {
    const needle = chips.text.toLowerCase();
    const hay = `${entry.method} ${entry.target ?? ''}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

export class TrafficState {
  rows = $state.raw<TrafficEntry[]>([]);
  chips = $state<TrafficChips>({});
  paused = $state(false);
  loading = $state(false);
  problem = $state<string | undefined>();
  /** Live changes held while paused. */
  held = $state(0);
  private readonly api: Api;
  private pending: TrafficEntry[] = [];
  private generation = 0;

  constructor(api: Api) {
    this.api = api;
    api.on('traffic', (batch) => {
      if (this.paused) {
        this.pending.push(...batch.entries);
        this.held = this.pending.length;
        return;
      }
      this.apply(batch.entries);
      // Changes left out of a full batch: what the list says now covers them.
      if (batch.skipped > 0) void this.reload();
    });
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
    const held = this.pending;
    this.pending = [];
    this.held = 0;
    this.apply(held);
  }

  async reload(): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    try {
      const page = await this.api.listTraffic(filterOf(this.chips));
      if (generation !== this.generation) return;
      this.rows = page.entries;
      this.problem = undefined;
    } catch (err) {
      if (generation === this.generation) this.problem = errorText(err);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Upserts live entries (payload text absent: a row keeps what the list gave it). */
  private apply(entries: TrafficEntry[]): void {
    if (entries.length === 0) return;
    const chips = this.chips;
    const next = this.rows.slice();
    const index = new Map(next.map((row, i) => [row.id, i]));
    const added: TrafficEntry[] = [];
    for (const entry of entries) {
      const at = index.get(entry.id);
      if (at !== undefined) next[at] = entry;
      else if (fits(entry, chips)) added.push(entry);
    }
    if (added.length > 0) {
      added.sort((a, b) => (a.id < b.id ? 1 : -1));
      next.unshift(...added);
      // Ids sort by start time; an id made before a batch's first write can land out of order.
      if (next.length > added.length && added.at(-1)!.id < next[added.length]!.id)
        next.sort((a, b) => (a.id < b.id ? 1 : -1));
    }
    if (next.length > MAX_ROWS) next.length = MAX_ROWS;
    this.rows = next;
  }
}
