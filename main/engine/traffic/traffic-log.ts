/**
 * The traffic record as the gateway and the control API use it: the recorder (every message,
 * redacted, in a bounded ring), the history on disk when there is one, live batches for the UI,
 * queries, stats and exports. Queries go to the history when it is kept (it holds everything the
 * ring does and more), else to the ring.
 */
import {
  payloadSizes,
  type TrafficBatch,
  type TrafficEntry,
  type TrafficExport,
  type TrafficExportFormat,
  type TrafficFilter,
  type TrafficPage,
  type TrafficStats,
  type TrafficStatsQuery,
  type TrafficTree,
} from '../../../preload/contract/index.ts';
import { GatewayError } from '../protocol/errors.ts';
import { exportTraffic } from './export.ts';
import { TrafficRecorder, matches, type RecordedEntry, type TrafficRecorderOptions } from './recorder.ts';
import { aggregateStats, isStatEntry, sampleOf, type StatSample } from './stats.ts';
import { TrafficStore } from './store.ts';

/** The history on disk (store.ts): what the log needs of it. */
export interface TrafficHistory {
  add(entry: Readonly<TrafficEntry>): void;
  flush(): void;
  /** The key of the newest entry it holds (ids.ts), 0 when none. */
  lastKey(): number;
  list(filter: TrafficFilter): TrafficPage;
  get(id: string): TrafficEntry | undefined;
  tree(id: string): TrafficTree | undefined;
  statSamples(query: TrafficStatsQuery & { since: number; until: number }): Iterable<StatSample>;
  /** Replaces a file found damaged while reading it: true when it did (read again). */
  recoverFrom?(err: unknown): boolean;
  close(): void;
}

export interface TrafficLogOptions {
  /** Sends a live batch to the UI (the `traffic` event). */
  publish?: (batch: TrafficBatch) => void;
  /** Whether anyone would see a live batch: none is made otherwise. */
  hasViewers?: () => boolean;
  /** How often live batches go out, at most. Default 100 ms. */
  batchMs?: number;
  /** Entries in one live batch, at most. Default 500. */
  maxBatch?: number;
  version: string;
  /** Where a problem with the history is told (the gateway's log). */
  log?: (level: 'warn', text: string) => void;
}

/** One export holds at most this many exchanges (the newest). */
export const MAX_EXPORT = 10_000;
const HOUR_MS = 60 * 60 * 1000;

export class TrafficLog {
  readonly recorder = new TrafficRecorder();
  private history?: TrafficHistory;
  private readonly opts: TrafficLogOptions;
  private readonly live = new Map<string, TrafficEntry>();
  private skipped = 0;
  private timer?: NodeJS.Timeout;

  constructor(opts: TrafficLogOptions) {
    this.opts = opts;
    this.recorder.onEntry((entry) => this.onEntry(entry));
  }

  /** The history a stopped gateway left, read-only (the CLI when no gateway runs). */
  static readHistory(file: string, version: string): TrafficLog {
    const log = new TrafficLog({ version });
    log.configure({ enabled: false });
    log.useHistory(TrafficStore.openReadOnly(file));
    return log;
  }

  configure(options: TrafficRecorderOptions): void {
    this.recorder.configure(options);
  }

  /** Keeps history in `history` from now on (undefined: none); the previous one is closed. */
  useHistory(history: TrafficHistory | undefined): void {
    if (history === this.history) return;
    // Written out first, so what the recorder still held reaches the history once (below), not twice.
    this.recorder.flush();
    const previous = this.history;
    // History turned off: the newest of what it held stays in memory, as much as the ring keeps.
    const kept = previous && !history ? this.newestKept(previous) : [];
    previous?.close();
    this.history = history;
    if (history) {
      // What was recorded before (a reload that turned the history on) is kept in it too, written as
      // it goes: a ring larger than the history's write queue must not read as writes falling behind.
      let added = 0;
      for (const entry of this.recorder.recent()) {
        history.add(entry);
        if (++added % 1000 === 0) history.flush();
      }
      // A clock set back since the last run must not make new ids sort before the kept ones.
      this.recorder.continueAfter(history.lastKey());
    }
    this.recorder.keepRecent(history === undefined, kept);
  }

  /** What a history being closed still shows, as much as the ring keeps; none if it cannot be read. */
  private newestKept(history: TrafficHistory): TrafficEntry[] {
    try {
      return newestOf(history, this.recorder.ringLimit);
    } catch (err) {
      // Turning the history off must not fail on it: the record goes on in memory, without the past.
      this.opts.log?.('warn', `traffic history could not be read while closing it: ${(err as Error).message}`);
      return [];
    }
  }

  hasHistory(): boolean {
    return this.history !== undefined;
  }

  list(filter: TrafficFilter = {}): TrafficPage {
    return this.source().list(filter);
  }

  tree(id: string): TrafficTree {
    const tree = this.source().tree(id);
    if (!tree) throw notFound(id);
    return tree;
  }

  get(id: string): TrafficEntry {
    const entry = this.find(id);
    if (!entry) throw notFound(id);
    return entry;
  }

  /** The exchange, or undefined when it is not (or no longer) in the record. */
  find(id: string): TrafficEntry | undefined {
    return this.source().get(id);
  }

  stats(query: TrafficStatsQuery = {}, now = Date.now()): TrafficStats {
    const window = { ...query, since: query.since ?? now - HOUR_MS, until: query.until ?? now };
    this.recorder.flush();
    const history = this.history;
    if (!history) return aggregateStats(this.ringSamples(window), window);
    try {
      return aggregateStats(history.statSamples(window), window);
    } catch (err) {
      // The samples are read as they are counted: damage found halfway is counted again on the new file.
      if (!history.recoverFrom?.(err)) throw err;
      return aggregateStats(history.statSamples(window), window);
    }
  }

  export(filter: TrafficFilter, format: TrafficExportFormat, now = Date.now()): TrafficExport {
    const newestFirst: TrafficEntry[] = [];
    let cursor = filter.cursor;
    let more = true;
    while (more && newestFirst.length < MAX_EXPORT) {
      const page = this.list({ ...filter, limit: Math.min(1000, MAX_EXPORT - newestFirst.length), cursor });
      newestFirst.push(...page.entries);
      cursor = page.nextCursor;
      more = cursor !== undefined;
    }
    return exportTraffic({
      format,
      entries: newestFirst.reverse(),
      truncated: more,
      version: this.opts.version,
      now,
    });
  }

  /** Writes what is pending (the ring and the history) now. */
  flush(): void {
    this.recorder.flush();
    this.history?.flush();
  }

  close(): void {
    this.recorder.flush();
    this.sendBatch();
    this.useHistory(undefined);
  }

  /** The history writes what it holds before it answers, or reads it held while writing fails. */
  private source(): Pick<TrafficHistory, 'list' | 'get' | 'tree'> {
    this.recorder.flush();
    return this.history ?? this.recorder;
  }

  private *ringSamples(window: TrafficStatsQuery & { since: number; until: number }): Iterable<StatSample> {
    const filter: TrafficFilter = { since: window.since, until: window.until };
    if (window.server !== undefined) filter.server = window.server;
    if (window.profile !== undefined) filter.profile = window.profile;
    if (window.client !== undefined) filter.client = window.client;
    let cursor: string | undefined;
    do {
      const page = this.recorder.list({ ...filter, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const entry of page.entries) if (isStatEntry(entry) && matches(entry, filter)) yield sampleOf(entry);
      cursor = page.nextCursor;
    } while (cursor);
  }

  private onEntry(entry: RecordedEntry): void {
    this.history?.add(entry);
    if (!this.opts.publish || !(this.opts.hasViewers?.() ?? true)) return;
    this.live.delete(entry.id);
    this.live.set(entry.id, withoutPayloads(entry));
    const max = this.opts.maxBatch ?? 500;
    if (this.live.size > max) {
      // The oldest change gives way: a viewer this far behind lists again (skipped says so).
      this.live.delete(this.live.keys().next().value!);
      this.skipped++;
    }
    this.timer ??= setTimeout(() => this.sendBatch(), this.opts.batchMs ?? 100);
  }

  private sendBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.live.size === 0) return;
    const batch: TrafficBatch = { entries: [...this.live.values()], skipped: this.skipped };
    this.live.clear();
    this.skipped = 0;
    this.opts.publish?.(batch);
  }
}

/** An entry without its payload text (sizes and the cut mark stay). */
export function withoutPayloads(recorded: RecordedEntry | TrafficEntry): TrafficEntry {
  // toEntry already made a copy of its own: only a plain entry is copied here.
  const out = 'toEntry' in recorded ? recorded.toEntry() : { ...recorded };
  out.request = payloadSizes(out.request);
  if (out.response) out.response = payloadSizes(out.response);
  return out;
}

function notFound(id: string): GatewayError {
  return new GatewayError(
    'not_found',
    `no exchange "${id}" in the traffic record (it may be older than what is kept; see traffic.history in the config)`,
  );
}

/** The newest `limit` entries a history holds, oldest first. */
function newestOf(history: TrafficHistory, limit: number): TrafficEntry[] {
  const newestFirst: TrafficEntry[] = [];
  let cursor: string | undefined;
  if (limit <= 0) return newestFirst;
  do {
    const page = history.list({ limit: Math.min(1000, limit - newestFirst.length), ...(cursor ? { cursor } : {}) });
    newestFirst.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor && newestFirst.length < limit);
  return newestFirst.reverse();
}
