/**
 * The traffic history: the recorder's entries kept in a SQLite file (node:sqlite), so they outlive
 * a restart. `add` only queues (the message path never waits on the disk); the queue is written in
 * one transaction per batch. Old entries go by age and by total size, and the file gives the space
 * back. A file that is not a history this version reads is moved aside, never fatal.
 *
 * Rows are keyed by the integer an id stands for (ids.ts). Time ranges use the key as well as
 * `started_at`: keys grow with their creation time, made just before the exchange begins, so a
 * range of keys bounds a range of start times — widened by how far keys ever ran ahead of their
 * start time (`ahead`, kept with the totals).
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import type {
  TrafficEntry,
  TrafficFilter,
  TrafficOutcome,
  TrafficPage,
  TrafficPayload,
  TrafficStatsQuery,
  TrafficTree,
} from '../../../preload/contract/index.ts';
import { errorMessage } from '../protocol/errors.ts';
import { cursorKey, firstKeyAt, idOfKey, keyOfId } from './ids.ts';
import { matches } from './recorder.ts';
import { isStatEntry, sampleOf, type StatSample } from './stats.ts';
import { foldCase, textNeedles } from './text-search.ts';

export type TrafficStoreLog = (level: 'info' | 'warn' | 'error', text: string) => void;

export interface TrafficStoreOptions {
  /** The database file; its directory is created private (0700), the file 0600. */
  file: string;
  /** Entries that started longer ago than this are deleted. */
  maxAgeMs: number;
  /** The entries' stored size (approximately the text they hold) is kept under this. */
  maxBytes: number;
  log?: TrafficStoreLog;
  now?: () => number;
  /** How often queued entries are written (a crash loses at most this much). Default 1000. */
  batchMs?: number;
  /** Write early once this many distinct entries are queued. Default 256. */
  batchEntries?: number;
  /** Queued entries kept while writes fail; new ones past this are dropped (and counted). Default 10 000. */
  maxQueued?: number;
  /**
   * How long a write waits for a lock another program holds (a database browser with the file open), default 50.
   * It waits on the gateway's thread, holding up every message; what it could not write is tried again later.
   */
  busyTimeoutMs?: number;
  /** Called when `problem()` changes: writing began to fail, or works again. */
  onProblem?: () => void;
}

export const TRAFFIC_SCHEMA_VERSION = 2;

const MAX_PAGE = 1000;
/** Levels below an exchange a tree shows (as the recorder's does). */
const TREE_DEPTH = 32;
/** Ids are made at most this long before their exchange starts (or the clock was set back this much). */
const ID_SLACK_MS = 10 * 60_000;
/** A row's weight beyond its text: numbers, flags, index entries. */
const ROW_OVERHEAD = 100;
const PRUNE_EVERY_MS = 60_000;
const UNANSWERED = { code: -32603, message: 'no answer recorded: Switchboard stopped before it came' };
/** How long opening the file waits for a lock another program holds (once, at start or on a reload). */
const OPEN_BUSY_MS = 2000;
const WRITE_BUSY_MS = 50;

// Small columns first and the payload text last: a query that reads only the small ones (stats,
// retention) never walks a row's overflow pages.
const COLUMNS = (
  'id parent_id started_at size ascii_folds edge direction kind method target session_id client_name client_version ' +
  'transport profile revision server duration_ms outcome error_code error_message request_bytes request_truncated ' +
  'response_bytes response_truncated request_json response_json'
).split(' ');
const SIZE_COLUMN = COLUMNS.indexOf('size');
const FOLDS_COLUMN = COLUMNS.indexOf('ascii_folds');
const OUTCOME_COLUMN = COLUMNS.indexOf('outcome');
const SELECT_ENTRY = `SELECT ${COLUMNS.join(', ')} FROM traffic`;

const SCHEMA = `
CREATE TABLE traffic (
  id INTEGER PRIMARY KEY NOT NULL,
  parent_id INTEGER,
  started_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  ascii_folds INTEGER NOT NULL,
  edge TEXT NOT NULL,
  direction TEXT NOT NULL,
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  target TEXT,
  session_id TEXT,
  client_name TEXT,
  client_version TEXT,
  transport TEXT,
  profile TEXT,
  revision TEXT,
  server TEXT,
  duration_ms REAL,
  outcome TEXT NOT NULL,
  error_code INTEGER,
  error_message TEXT,
  request_bytes INTEGER NOT NULL,
  request_truncated INTEGER,
  response_bytes INTEGER,
  response_truncated INTEGER,
  request_json TEXT,
  response_json TEXT
);
-- Trees: an entry's children. Roots are most entries and are never looked up by parent.
CREATE INDEX traffic_parent ON traffic(parent_id) WHERE parent_id IS NOT NULL;
-- Found on open to mark what the last run left unanswered; holds only entries still pending.
CREATE INDEX traffic_pending ON traffic(id) WHERE outcome = 'pending';
-- Running totals, so retention by size does not sum the table. Writes add to them once per batch
-- (a trigger per row cost a fifth of each write); deletes, which are rare and in bulk, by trigger.
-- ahead: how far keys ran ahead of their start time, at most (ids.ts: a clock set back, a history
-- continued after one from a clock that was ahead); time ranges widen their key bounds by it.
CREATE TABLE totals (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  entries INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  ahead INTEGER NOT NULL
);
INSERT INTO totals VALUES (1, 0, 0, 0);
CREATE TRIGGER traffic_deleted AFTER DELETE ON traffic
  BEGIN UPDATE totals SET entries = entries - 1, bytes = bytes - old.size; END;
`;

const UPSERT =
  `INSERT INTO traffic (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ` +
  `ON CONFLICT(id) DO UPDATE SET ${COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

const TREE = `
WITH RECURSIVE under(id, depth) AS (
  SELECT id, 0 FROM traffic WHERE id = ?
  UNION
  SELECT c.id, under.depth + 1 FROM traffic AS c JOIN under ON c.parent_id = under.id WHERE under.depth < ${TREE_DEPTH}
)
${SELECT_ENTRY} WHERE id IN (SELECT id FROM under) ORDER BY id`;

/** The calls stats count (isStatEntry in stats.ts), reading only the columns a sample needs. */
const SELECT_SAMPLE =
  'SELECT id, edge, server, method, target, outcome, duration_ms, request_bytes, response_bytes FROM traffic';
const STAT_ENTRY =
  "((edge = 'upstream' AND direction = 'out' AND kind = 'request' AND server <> '') OR " +
  "(edge = 'client' AND direction = 'in' AND kind = 'request' AND method = 'tools/call'))";

/** Case-insensitive search as matches() does it: foldCase (text-search.ts), not SQLite's ASCII-only folding. */
const TEXT_FUNCTION = 'switchboard_text_has';
const TEXT_COLUMNS = ['method', 'target', 'server', 'client_name', 'request_json', 'response_json'];
/** The columns of JSON text, where a search also looks for the text as JSON writes it (text-search.ts). */
const JSON_COLUMNS = ['request_json', 'response_json'];
/**
 * The only non-ASCII characters whose lower case holds ASCII: İ (to "i̇") and the Kelvin sign (to
 * "k"). A row whose text has one is marked (ascii_folds), so LIKE can be trusted for every other row.
 */
const FOLDS_TO_ASCII = /[\u0130\u212a]/;
/** SQLite refuses LIKE patterns longer than 50 000 bytes. */
const MAX_LIKE_NEEDLE = 10_000;

type Row = Record<string, SQLOutputValue>;
type Failure = 'write' | 'prune';

export class TrafficStore {
  readonly file: string;
  readonly readOnly: boolean;
  private db: DatabaseSync;
  private readonly options: TrafficStoreOptions;
  /** The newest key the file held when opened: rows above it are this run's (see salvage). */
  private keptBefore = Number.MAX_SAFE_INTEGER;
  /** A damaged file could not be moved aside: it is not tried again on every query that meets the damage. */
  private stuckWithDamage = false;
  private readonly log: TrafficStoreLog;
  private readonly now: () => number;
  private maxAgeMs: number;
  private maxBytes: number;
  private readonly batchMs: number;
  private readonly batchEntries: number;
  private readonly maxQueued: number;
  /** Rows waiting to be written, by entry id (an entry's latest version replaces its earlier one). */
  private queue = new Map<string, SQLInputValue[]>();
  /** Sizes of the rows this store wrote while their exchange was pending: the only rows written twice. */
  private pendingSizes = new Map<string, number>();
  private dropped = 0;
  private bytesSincePrune = 0;
  /** Kinds of failure already reported, per operation (cleared once it works again). */
  private readonly failures = new Map<Failure, Set<string>>([
    ['write', new Set()],
    ['prune', new Set()],
  ]);
  /** Kinds of entry the table refused, already reported. */
  private readonly skipped = new Set<string>();
  private batchTimer: NodeJS.Timeout | undefined;
  private earlyFlush: NodeJS.Immediate | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Why the file could not be opened (the record is kept in memory only), when it could not. */
  private openProblem: string | undefined;
  /** Why writing fails now, in words; undefined while it works. */
  private writeProblem: string | undefined;
  private readonly onProblem: () => void;
  /** How far keys ran ahead of their start time, at most (in keys): written ones and queued ones. */
  private ahead = 0;
  private readonly statements = new Map<string, StatementSync>();

  /** Opens (or creates) the history for writing. A file it cannot use is moved aside; it never throws for one. */
  static open(options: TrafficStoreOptions): TrafficStore {
    const log = options.log ?? noLog;
    const now = options.now ?? Date.now;
    let db: DatabaseSync;
    let openProblem: string | undefined;
    try {
      db = openForWrites(options, log, now);
    } catch (err) {
      log(
        'error',
        `traffic history ${options.file} cannot be used (${errorMessage(err)}); ` +
          `this run's traffic is kept in memory only`,
      );
      openProblem = `${options.file} cannot be used: ${inWords(err)}; this run's traffic is kept in memory only`;
      db = new DatabaseSync(':memory:');
      createSchema(db);
    }
    const store = new TrafficStore(db, options, false);
    store.openProblem = openProblem;
    store.keptBefore = store.lastKey();
    store.markUnanswered();
    store.pruneNow();
    store.pruneTimer = setInterval(() => store.pruneNow(), PRUNE_EVERY_MS).unref();
    return store;
  }

  /**
   * Reads a history without a gateway (the CLI): a missing file reads as empty; adding and pruning
   * are refused. Throws, saying why, for a file that is not a history this version reads.
   */
  static openReadOnly(file: string, options: { log?: TrafficStoreLog; busyTimeoutMs?: number } = {}): TrafficStore {
    const config = { file, maxAgeMs: Infinity, maxBytes: Infinity, ...options };
    const empty = () => {
      const db = new DatabaseSync(':memory:');
      createSchema(db);
      return new TrafficStore(db, config, true);
    };
    if (!existsSync(file)) return empty();
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(file, { readOnly: true, timeout: options.busyTimeoutMs ?? 2000 });
      const version = userVersion(db);
      if (version === 0 && isBlank(db)) {
        db.close();
        return empty();
      }
      if (version !== TRAFFIC_SCHEMA_VERSION) {
        throw new Error(`it has schema version ${version}, this Switchboard reads version ${TRAFFIC_SCHEMA_VERSION}`);
      }
      checkSchema(db);
      return new TrafficStore(db, config, true);
    } catch (err) {
      if (db?.isOpen) db.close();
      throw new Error(`cannot read the traffic history ${file}: ${errorMessage(err)}`, { cause: err });
    }
  }

  private constructor(db: DatabaseSync, options: TrafficStoreOptions, readOnly: boolean) {
    this.db = db;
    this.options = options;
    this.file = options.file;
    this.readOnly = readOnly;
    this.log = options.log ?? noLog;
    this.now = options.now ?? Date.now;
    this.maxAgeMs = options.maxAgeMs;
    this.maxBytes = options.maxBytes;
    this.batchMs = options.batchMs ?? 1000;
    this.batchEntries = Math.max(1, options.batchEntries ?? 256);
    this.maxQueued = Math.max(1, options.maxQueued ?? 10_000);
    this.onProblem = options.onProblem ?? (() => {});
    db.function(TEXT_FUNCTION, { deterministic: true, varargs: true }, textHas);
    this.ahead = Number(db.prepare('SELECT ahead FROM totals').get()?.ahead ?? 0);
  }

  /**
   * A file found damaged while in use (it opened, but some of its pages do not read: a bad sector,
   * a copy cut short) is moved aside and a new one started, as one found damaged when opened is; what
   * is queued is kept and written to the new one. True when it was (the caller reads again); false
   * for any other error. A read-only store (the CLI) says which file is damaged instead.
   */
  recoverFrom(err: unknown): boolean {
    if (this.closed || this.stuckWithDamage || !isCorrupt(err)) return false;
    if (this.readOnly) throw new Error(`the traffic history ${this.file} is damaged (${errorMessage(err)})`);
    const now = this.now();
    const salvaged = this.salvage();
    this.statements.clear();
    this.db.close();
    let aside: string;
    try {
      aside = moveAside(this.file, `corrupt-${stamp(now)}`, now);
    } catch (moveErr) {
      // Left as it is (a file another program holds open, where that forbids renaming it): used as it was.
      this.log('error', `traffic history ${this.file} is damaged and cannot be moved aside (${errorMessage(moveErr)})`);
      this.stuckWithDamage = true;
      this.reopen(() => openForWrites(this.options, this.log, this.now));
      return false;
    }
    this.log(
      'warn',
      `traffic history ${this.file} is damaged (${errorMessage(err)}); moved it to ${aside}, starting anew`,
    );
    this.reopen(() => openForWrites(this.options, this.log, this.now));
    this.keptBefore = 0;
    // Rows written while their exchange waited are gone with the file: their answers are new rows.
    this.pendingSizes.clear();
    this.bytesSincePrune = 0;
    // Queued after what is queued now: that is newer, and wins.
    this.queue = new Map([...salvaged, ...this.queue]);
    if (salvaged.size > 0) this.requeue(new Map());
    return true;
  }

  /**
   * What this run wrote before the damage was found, as far as it still reads (the newest, as many as
   * the queue holds): written again to the new file, so the damage costs what came before this run only.
   */
  private salvage(): Map<string, SQLInputValue[]> {
    const rows = new Map<string, SQLInputValue[]>();
    try {
      const sql = `${SELECT_ENTRY} WHERE id > ? ORDER BY id DESC LIMIT ?`;
      for (const row of this.db.prepare(sql).iterate(this.keptBefore, this.maxQueued))
        rows.set(
          idOfKey(Number(row.id)),
          COLUMNS.map((column) => row[column] as SQLInputValue),
        );
    } catch (err) {
      this.log(
        'warn',
        `traffic history ${this.file}: some of what this run recorded cannot be read back (${errorMessage(err)})`,
      );
    }
    return new Map([...rows].reverse());
  }

  /** Uses the database `open` gives, or memory when it cannot be opened (said as open() says it). */
  private reopen(open: () => DatabaseSync): void {
    try {
      this.db = open();
    } catch (err) {
      this.log(
        'error',
        `traffic history ${this.file} cannot be used (${errorMessage(err)}); traffic is kept in memory only`,
      );
      this.openProblem = `${this.file} cannot be used: ${inWords(err)}; this run's traffic is kept in memory only`;
      this.db = new DatabaseSync(':memory:');
      createSchema(this.db);
      this.onProblem();
    }
    this.db.function(TEXT_FUNCTION, { deterministic: true, varargs: true }, textHas);
  }

  /** `read`, once more on the new file when the history was found damaged (recoverFrom). */
  private guarded<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (!this.recoverFrom(err)) throw err;
      return read();
    }
  }

  /** Queues the entry as it is now (its latest version wins); written within batchMs. No I/O here. */
  add(entry: Readonly<TrafficEntry>): void {
    this.refuseReadOnly('add entries');
    if (this.closed) return;
    if (!this.queue.has(entry.id) && this.queue.size >= this.maxQueued) {
      if (this.dropped++ === 0) {
        this.log(
          'warn',
          `traffic history ${this.file}: ${this.maxQueued} exchanges are waiting to be written; ` +
            `new ones are not saved until writing catches up`,
        );
      }
      return;
    }
    let values: SQLInputValue[];
    try {
      values = valuesOf(entry);
    } catch (err) {
      this.skip(err);
      return;
    }
    this.queue.set(entry.id, values);
    const lead = (values[0] as number) - firstKeyAt(entry.startedAt);
    if (lead > this.ahead) this.ahead = lead;
    // While writes fail, only the timer retries: a flood of adds must not hammer a failing disk.
    if (this.queue.size >= this.batchEntries && this.failures.get('write')!.size === 0) {
      this.earlyFlush ??= setImmediate(() => {
        this.earlyFlush = undefined;
        this.flush();
      }).unref();
    }
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      this.flush();
    }, this.batchMs).unref();
  }

  /** Writes everything queued now, in one transaction. A failure is logged, never thrown. */
  flush(): void {
    const written = this.writeQueue();
    this.bytesSincePrune += written;
    if (this.bytesSincePrune > this.maxBytes / 16) this.pruneNow();
  }

  /**
   * Why the history is not being written now, in words a user can act on (the disk is full, another
   * program holds the file locked, it could not be opened); undefined while it is.
   */
  problem(): string | undefined {
    return this.openProblem ?? this.writeProblem;
  }

  /** Entries newest first (by id), as `filter` says: the same entries TrafficRecorder.list would give. */
  list(filter: TrafficFilter = {}): TrafficPage {
    return this.guarded(() => this.listNow(filter));
  }

  private listNow(filter: TrafficFilter): TrafficPage {
    this.ready();
    this.catchUp();
    const limit = Math.floor(Math.min(Math.max(1, filter.limit ?? 100), MAX_PAGE));
    if (!(limit >= 1)) return { entries: [] };
    const below = filter.cursor === undefined ? undefined : cursorKey(filter.cursor);
    const read = (before: number | undefined) => {
      const where = whereOf(filter, this.ahead);
      if (before !== undefined) where.add('id < ?', before);
      return this.db
        .prepare(`${SELECT_ENTRY}${where.sql()} ORDER BY id DESC LIMIT ?`)
        .all(...where.params, limit + 1)
        .map(entryOf);
    };
    let entries: TrafficEntry[];
    const held = this.held();
    if (!held) {
      entries = read(below);
    } else {
      // The rows written, less those a held version replaces, and the held versions that match.
      entries = [...held.values()].filter((e) => matches(e, filter) && (below === undefined || keyOf(e) < below));
      let written = 0;
      for (let before = below; ;) {
        const rows = read(before);
        for (const e of rows) {
          if (held.has(e.id)) continue;
          entries.push(e);
          written++;
        }
        if (rows.length <= limit || written > limit) break;
        before = keyOf(rows.at(-1)!);
      }
      entries.sort((a, b) => keyOf(b) - keyOf(a));
    }
    const more = entries.length > limit;
    if (more) entries.length = limit;
    return more ? { entries, nextCursor: entries.at(-1)!.id } : { entries };
  }

  get(id: string): TrafficEntry | undefined {
    return this.guarded(() => this.getNow(id));
  }

  private getNow(id: string): TrafficEntry | undefined {
    this.ready();
    this.catchUp();
    const held = this.queue.get(id);
    if (held) return entryOfValues(held);
    const key = keyOfId(id);
    const row = key === undefined ? undefined : this.statement(`${SELECT_ENTRY} WHERE id = ?`).get(key);
    return row ? entryOf(row) : undefined;
  }

  /** The entry and everything it caused (children in id order), to the same depth the recorder goes. */
  tree(id: string): TrafficTree | undefined {
    return this.guarded(() => this.treeNow(id));
  }

  private treeNow(id: string): TrafficTree | undefined {
    this.ready();
    this.catchUp();
    const key = keyOfId(id);
    if (key === undefined) return undefined;
    let entries = this.statement(TREE).all(key).map(entryOf);
    const held = this.held();
    if (held) {
      // Held versions replace the rows written; held exchanges caused by one in the tree join it (a
      // cause is made before what it causes, so one pass in id order finds them all).
      const byId = new Map(entries.map((e) => [e.id, held.get(e.id) ?? e]));
      for (const e of [...held.values()].sort((a, b) => keyOf(a) - keyOf(b)))
        if (e.id === id || (e.parentId !== undefined && byId.has(e.parentId))) byId.set(e.id, e);
      entries = [...byId.values()].sort((a, b) => keyOf(a) - keyOf(b));
    }
    const root = entries.find((e) => e.id === id);
    if (!root) return undefined;
    const byParent = new Map<string, TrafficEntry[]>();
    for (const e of entries) {
      if (e.parentId === undefined) continue;
      let siblings = byParent.get(e.parentId);
      if (!siblings) byParent.set(e.parentId, (siblings = []));
      siblings.push(e);
    }
    const grow = (e: TrafficEntry, depth: number): TrafficTree => ({
      entry: e,
      children: depth >= TREE_DEPTH ? [] : (byParent.get(e.id) ?? []).map((c) => grow(c, depth + 1)),
    });
    return grow(root, 0);
  }

  /** The calls the stats count in the window, read lazily and without their payload text. */
  statSamples(query: TrafficStatsQuery & { since: number; until: number }): Iterable<StatSample> {
    this.ready();
    this.catchUp();
    const filter: TrafficFilter = { since: query.since, until: query.until };
    if (query.server !== undefined) filter.server = query.server;
    if (query.profile !== undefined) filter.profile = query.profile;
    if (query.client !== undefined) filter.client = query.client;
    const where = whereOf(filter, this.ahead);
    where.add(STAT_ENTRY);
    const rows = this.db.prepare(`${SELECT_SAMPLE}${where.sql()}`).iterate(...where.params);
    const held = this.held();
    if (!held) return samplesOf(rows);
    const heldSamples = [...held.values()].filter((e) => isStatEntry(e) && matches(e, filter)).map(sampleOf);
    return (function* () {
      for (const row of rows) if (!held.has(idOfKey(Number(row.id)))) yield* samplesOf([row]);
      yield* heldSamples;
    })();
  }

  /** The key of the newest entry kept (0 when none): new ids must sort after it. */
  lastKey(): number {
    this.ready();
    return this.guarded(() => Number(this.statement('SELECT max(id) AS last FROM traffic').get()?.last ?? 0));
  }

  /** How much is kept: entries and their stored size (what maxBytes limits). */
  usage(): { entries: number; bytes: number } {
    this.ready();
    const row = this.statement('SELECT entries, bytes FROM totals').get();
    return { entries: Number(row?.entries ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /**
   * New retention limits (a config reload), applied at once. The file stays open: reopening it would
   * take the running gateway's calls that are still waiting for an answer for the last run's.
   */
  setRetention(limits: { maxAgeMs: number; maxBytes: number }): void {
    this.refuseReadOnly('change the retention');
    this.maxAgeMs = limits.maxAgeMs;
    this.maxBytes = limits.maxBytes;
    this.prune();
  }

  /** Deletes by age, then the oldest until the size fits, and gives the file space back. */
  prune(): { deleted: number } {
    this.refuseReadOnly('prune');
    this.ready();
    this.writeQueue();
    return this.pruneNow();
  }

  /** Writes what is queued, stops the timers and closes the file. Safe to call again. */
  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.queue.size > 0) {
      this.log('warn', `traffic history ${this.file}: ${this.queue.size} exchanges could not be saved before closing`);
    }
    this.closed = true;
    clearTimeout(this.batchTimer);
    if (this.earlyFlush) clearImmediate(this.earlyFlush);
    clearInterval(this.pruneTimer);
    this.statements.clear();
    this.db.close();
  }

  // ---- internals ----------------------------------------------------------

  /**
   * Before a query: writes what is queued, unless writing fails now (a full disk, a file another
   * program holds locked). Then the timer alone tries again, and queries read what is held.
   */
  private catchUp(): void {
    if (this.failures.get('write')!.size === 0) this.flush();
  }

  /** The entries queued and not written yet, by id, when there are any (after catchUp: writing fails). */
  private held(): Map<string, TrafficEntry> | undefined {
    if (this.queue.size === 0) return undefined;
    const held = new Map<string, TrafficEntry>();
    for (const [id, values] of this.queue) held.set(id, entryOfValues(values));
    return held;
  }

  /** The queue in one transaction; returns the size written (0 when it failed and was requeued). */
  private writeQueue(): number {
    if (this.closed || this.queue.size === 0) return 0;
    const batch = this.queue;
    this.queue = new Map();
    let written = 0;
    // Applied only once the batch is committed (a batch rolled back is written again later).
    const pendingSizes = new Map(this.pendingSizes);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const upsert = this.statement(UPSERT);
        let added = 0;
        let bytes = 0;
        for (const [id, values] of batch) {
          if (!this.write(upsert, values)) continue;
          const size = values[SIZE_COLUMN] as number;
          written += size;
          const before = pendingSizes.get(id);
          if (before === undefined) added++;
          bytes += size - (before ?? 0);
          if (values[OUTCOME_COLUMN] === 'pending') pendingSizes.set(id, size);
          else if (before !== undefined) pendingSizes.delete(id);
        }
        this.statement('UPDATE totals SET entries = entries + ?, bytes = bytes + ?, ahead = max(ahead, ?)').run(
          added,
          bytes,
          this.ahead,
        );
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      this.requeue(batch);
      // A damaged file is replaced: what is queued is written to the new one on the next flush.
      if (!this.recoverFrom(err)) this.failed('write', err);
      return 0;
    }
    this.pendingSizes = pendingSizes;
    this.succeeded('write');
    if (this.dropped > 0) {
      this.log('warn', `traffic history ${this.file}: ${this.dropped} exchanges were not saved (writes fell behind)`);
      this.dropped = 0;
    }
    return written;
  }

  /** Writes one row; false when the table refused it (then it is skipped and reported once). */
  private write(upsert: StatementSync, values: SQLInputValue[]): boolean {
    try {
      upsert.run(...values);
      return true;
    } catch (err) {
      // An entry the table refuses is skipped, so it cannot block every later batch.
      if (!isEntryFault(err)) throw err;
      this.skip(err);
      return false;
    }
  }

  private skip(err: unknown): void {
    const kind = errorMessage(err);
    if (this.skipped.has(kind)) return;
    this.skipped.add(kind);
    this.log('error', `traffic history ${this.file}: an exchange could not be saved and was skipped (${kind})`);
  }

  /** Puts a batch that failed back for the next try (anything queued since is newer and wins). */
  private requeue(batch: Map<string, SQLInputValue[]>): void {
    for (const [id, entry] of this.queue) batch.set(id, entry);
    this.queue = batch;
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      this.flush();
    }, this.batchMs).unref();
  }

  private pruneNow(): { deleted: number } {
    if (this.closed || this.readOnly) return { deleted: 0 };
    this.bytesSincePrune = 0;
    let deleted = 0;
    try {
      // What retention deletes is overwritten, not only unlinked: the file must not keep it readable.
      // Fully (free pages too) only here; FAST, always on, clears what moves within pages at no I/O cost.
      this.db.exec('PRAGMA secure_delete = ON');
      this.db.exec('BEGIN IMMEDIATE');
      try {
        deleted += this.pruneByAge();
        deleted += this.pruneBySize();
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      } finally {
        this.db.exec('PRAGMA secure_delete = FAST');
      }
      deleteMovedAside(this.file, this.now() - this.maxAgeMs);
      if (deleted > 0) {
        this.forgetDeletedPending();
        this.db.exec('PRAGMA incremental_vacuum');
        this.checkpointAndEmptyWal();
      }
      this.succeeded('prune');
    } catch (err) {
      if (!this.recoverFrom(err)) this.failed('prune', err);
    }
    return { deleted };
  }

  /**
   * Copies the WAL back and empties it, so the deleted rows' earlier versions go with it. Never waits
   * for a reader (the CLI): with one, the WAL is only copied back (PASSIVE) and is overwritten later.
   */
  private checkpointAndEmptyWal(): void {
    const waits = Number(this.db.prepare('PRAGMA busy_timeout').get()?.timeout ?? 0);
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      const done = this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
      if (Number(done?.busy ?? 0) !== 0) this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${waits}`);
    }
  }

  /**
   * A row written while its exchange waited, deleted since (it was among the oldest): its answer
   * will write a new row, which the totals must count as new.
   */
  private forgetDeletedPending(): void {
    if (this.pendingSizes.size === 0) return;
    const left = new Set<string>();
    for (const row of this.statement("SELECT id FROM traffic WHERE outcome = 'pending'").iterate())
      left.add(idOfKey(Number(row.id)));
    for (const id of this.pendingSizes.keys()) if (!left.has(id)) this.pendingSizes.delete(id);
  }

  private pruneByAge(): number {
    const cutoff = this.now() - this.maxAgeMs;
    if (!(cutoff > -Infinity)) return 0;
    const sql = 'DELETE FROM traffic WHERE started_at < ? AND id < ?';
    return Number(this.statement(sql).run(cutoff, firstKeyAt(cutoff + ID_SLACK_MS) + this.ahead).changes);
  }

  private pruneBySize(): number {
    let excess = this.usage().bytes - this.maxBytes;
    if (!(excess > 0)) return 0;
    let last: number | undefined;
    for (const row of this.statement('SELECT id, size FROM traffic ORDER BY id').iterate()) {
      last = Number(row.id);
      excess -= Number(row.size);
      if (excess <= 0) break;
    }
    if (last === undefined) return 0;
    return Number(this.statement('DELETE FROM traffic WHERE id <= ?').run(last).changes);
  }

  /** Exchanges a previous run began and never ended: they will not end now. */
  private markUnanswered(): void {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      let changes: number | bigint;
      try {
        ({ changes } = this.db
          .prepare(
            `UPDATE traffic SET outcome = 'error', error_code = ?, error_message = ?, size = size + ? ` +
              `WHERE outcome = 'pending'`,
          )
          .run(UNANSWERED.code, UNANSWERED.message, UNANSWERED.message.length));
        this.db.prepare('UPDATE totals SET bytes = bytes + ?').run(Number(changes) * UNANSWERED.message.length);
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
      if (Number(changes) > 0) {
        this.log(
          'info',
          `traffic history ${this.file}: ${changes} exchange(s) the last run left unanswered marked as errors`,
        );
      }
    } catch (err) {
      if (!this.recoverFrom(err)) this.failed('write', err);
    }
  }

  private failed(what: Failure, err: unknown): void {
    const kinds = this.failures.get(what)!;
    const kind = String((err as { errstr?: unknown }).errstr ?? errorMessage(err));
    if (kinds.has(kind)) return;
    kinds.add(kind);
    if (what === 'write') {
      this.writeProblem =
        `cannot write ${this.file}: ${inWords(err)}; up to ${this.maxQueued.toLocaleString('en-US')} exchanges ` +
        'are held in memory and written once it works again, newer ones are not saved';
      this.onProblem();
    }
    const consequence =
      what === 'write' ? `recent traffic is held (up to ${this.maxQueued} exchanges) and retried` : 'retried later';
    this.log('error', `traffic history ${this.file}: cannot ${what} (${errorMessage(err)}); ${consequence}`);
  }

  private succeeded(what: Failure): void {
    const kinds = this.failures.get(what)!;
    if (kinds.size === 0) return;
    kinds.clear();
    if (what === 'write') {
      this.writeProblem = undefined;
      this.onProblem();
    }
    this.log('info', `traffic history ${this.file}: ${what === 'write' ? 'writing' : 'pruning'} works again`);
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private refuseReadOnly(what: string): void {
    if (this.readOnly) throw new Error(`the traffic history ${this.file} is open read-only: cannot ${what}`);
  }

  private ready(): void {
    if (this.closed) throw new Error(`the traffic history ${this.file} is closed`);
  }
}

// ---- the file -------------------------------------------------------------

/** The history file opened for a gateway to write, with its write lock wait. */
function openForWrites(options: TrafficStoreOptions, log: TrafficStoreLog, now: () => number): DatabaseSync {
  const db = openWritable(options.file, OPEN_BUSY_MS, log, now);
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? WRITE_BUSY_MS))}`);
  return db;
}

/** Opens the history file, moving aside one that is damaged or of another schema version. */
function openWritable(file: string, busyTimeoutMs: number, log: TrafficStoreLog, now: () => number): DatabaseSync {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let opened: DatabaseSync | { version: number };
  try {
    opened = openCurrent(file, busyTimeoutMs);
  } catch (err) {
    // Only damage is moved aside. A lock, a read-only disk, a file this user may not open: the file
    // may be good, and the reason is said as it is (it read as damage, and the file was moved away).
    if (!isDamage(err)) throw err;
    const aside = moveAside(file, `corrupt-${stamp(now())}`, now());
    log('warn', `traffic history ${file} is unreadable (${errorMessage(err)}); moved it to ${aside}, starting anew`);
    opened = openCurrent(file, busyTimeoutMs);
  }
  if ('version' in opened) {
    const aside = moveAside(file, `old-v${opened.version}`, now());
    log(
      'warn',
      `traffic history ${file} has schema version ${opened.version}, this Switchboard writes version ` +
        `${TRAFFIC_SCHEMA_VERSION}; moved it to ${aside}, starting anew`,
    );
    opened = openCurrent(file, busyTimeoutMs);
    if ('version' in opened) throw new Error(`a new file reads as schema version ${opened.version}`);
  }
  return opened;
}

/** The database, made ready when blank, or the version it has when that is another one. */
function openCurrent(file: string, busyTimeoutMs: number): DatabaseSync | { version: number } {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const db = new DatabaseSync(file, { timeout: busyTimeoutMs });
  try {
    const version = userVersion(db);
    if (version === 0 && isBlank(db)) {
      createSchema(db);
    } else if (version === TRAFFIC_SCHEMA_VERSION) {
      checkSchema(db);
    } else {
      db.close();
      return { version };
    }
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 4194304');
    // Space freed within a page (a row deleted, or moved when its page is split) is zeroed as it is written.
    db.exec('PRAGMA secure_delete = FAST');
    return db;
  } catch (err) {
    if (db.isOpen) db.close();
    throw err;
  }
}

function createSchema(db: DatabaseSync): void {
  // Set before the first table: afterwards only a full VACUUM could change them. 8 KiB pages
  // hold a few typical entries each (4 KiB ones left a third of the file empty).
  db.exec('PRAGMA page_size = 4096; PRAGMA auto_vacuum = INCREMENTAL');
  db.exec(`BEGIN; ${SCHEMA}; PRAGMA user_version = ${TRAFFIC_SCHEMA_VERSION}; COMMIT`);
}

/** A file with the right version but not the tables this code reads is as good as damaged. */
function checkSchema(db: DatabaseSync): void {
  db.prepare(`${SELECT_ENTRY} LIMIT 0`).all();
  db.prepare('SELECT entries, bytes, ahead FROM totals LIMIT 0').all();
}

function userVersion(db: DatabaseSync): number {
  return Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
}

function isBlank(db: DatabaseSync): boolean {
  return Number(db.prepare('SELECT count(*) AS n FROM sqlite_schema').get()?.n ?? 0) === 0;
}

/**
 * Renames the file (and its WAL and shared-memory files) to `<file>.<suffix>`; returns the new name.
 * Their modification time becomes `now`: a file moved aside is kept for the retention age from then.
 */
function moveAside(file: string, suffix: string, now: number): string {
  let aside = `${file}.${suffix}`;
  for (let n = 2; existsSync(aside); n++) aside = `${file}.${suffix}-${n}`;
  renameSync(file, aside);
  utimesSync(aside, now / 1000, now / 1000);
  // A stale WAL left beside a new file would be read as part of it.
  for (const extra of ['-wal', '-shm', '-journal']) {
    if (!existsSync(file + extra)) continue;
    renameSync(file + extra, aside + extra);
    utimesSync(aside + extra, now / 1000, now / 1000);
  }
  return aside;
}

/** The histories moved aside beside `file` (damaged, or of another schema version), their journals too. */
function movedAside(file: string): string[] {
  const dir = dirname(file);
  const prefixes = [`${basename(file)}.corrupt-`, `${basename(file)}.old-v`];
  const names = statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(dir) : [];
  return names.filter((n) => prefixes.some((prefix) => n.startsWith(prefix))).map((n) => join(dir, n));
}

/** Deletes what was moved aside before `cutoff` (epoch ms): it is kept as long as the history's entries. */
function deleteMovedAside(file: string, cutoff: number): void {
  if (!(cutoff > -Infinity)) return;
  for (const aside of movedAside(file)) {
    const movedAt = statSync(aside, { throwIfNoEntry: false })?.mtimeMs ?? Infinity;
    if (movedAt < cutoff) rmSync(aside, { force: true });
  }
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('.', '-');
}

// ---- rows -----------------------------------------------------------------

/** An entry as a row; throws for one whose id is not one the recorder makes. */
function valuesOf(e: Readonly<TrafficEntry>): SQLInputValue[] {
  const session = e.session;
  const key = keyOfId(e.id);
  if (key === undefined) throw new Error(`"${e.id.slice(0, 40)}" is not a traffic id`);
  const values: SQLInputValue[] = [
    key,
    e.parentId === undefined ? null : (keyOfId(e.parentId) ?? null),
    e.startedAt,
    0,
    0,
    e.edge,
    e.direction,
    e.kind,
    e.method,
    e.target ?? null,
    session?.id ?? null,
    session?.client?.name ?? null,
    session?.client?.version ?? null,
    session?.transport ?? null,
    session?.profile ?? null,
    session?.revision ?? null,
    e.server ?? null,
    e.durationMs ?? null,
    e.outcome,
    e.error?.code ?? null,
    e.error?.message ?? null,
    e.request.bytes,
    flag(e.request.truncated),
    e.response?.bytes ?? null,
    flag(e.response?.truncated),
    e.request.json ?? null,
    e.response?.json ?? null,
  ];
  let size = ROW_OVERHEAD;
  for (const value of values) if (typeof value === 'string') size += value.length;
  values[SIZE_COLUMN] = size;
  const texts = [e.method, e.target, e.server, e.session?.client?.name, e.request.json, e.response?.json];
  values[FOLDS_COLUMN] = texts.some((t) => t !== undefined && FOLDS_TO_ASCII.test(t)) ? 1 : 0;
  return values;
}

/** A queued row's entry, as it will read once written. */
function entryOfValues(values: SQLInputValue[]): TrafficEntry {
  return entryOf(Object.fromEntries(COLUMNS.map((column, i) => [column, values[i]])) as Row);
}

function keyOf(entry: TrafficEntry): number {
  return keyOfId(entry.id)!;
}

/** The entry as the recorder builds it: absent fields are left out, not null. */
function entryOf(row: Row): TrafficEntry {
  const entry: TrafficEntry = {
    id: idOfKey(Number(row.id)),
    edge: row.edge as TrafficEntry['edge'],
    direction: row.direction as TrafficEntry['direction'],
    kind: row.kind as TrafficEntry['kind'],
    method: String(row.method),
    startedAt: Number(row.started_at),
    outcome: row.outcome as TrafficOutcome,
    request: payloadOf(row.request_json, row.request_bytes, row.request_truncated)!,
  };
  if (row.parent_id !== null) entry.parentId = idOfKey(Number(row.parent_id));
  if (row.target !== null) entry.target = String(row.target);
  if (row.session_id !== null) {
    const session: NonNullable<TrafficEntry['session']> = {
      id: String(row.session_id),
      transport: String(row.transport),
      profile: String(row.profile),
    };
    if (row.client_name !== null) {
      session.client = { name: String(row.client_name) };
      if (row.client_version !== null) session.client.version = String(row.client_version);
    }
    if (row.revision !== null) session.revision = String(row.revision);
    entry.session = session;
  }
  if (row.server !== null) entry.server = String(row.server);
  if (row.duration_ms !== null) entry.durationMs = Number(row.duration_ms);
  if (row.error_code !== null) entry.error = { code: Number(row.error_code), message: String(row.error_message) };
  const response = payloadOf(row.response_json, row.response_bytes, row.response_truncated);
  if (response) entry.response = response;
  return entry;
}

function payloadOf(json: unknown, bytes: unknown, truncated: unknown): TrafficPayload | undefined {
  if (bytes === null) return undefined;
  const payload: TrafficPayload = { bytes: Number(bytes) };
  if (json !== null) payload.json = String(json);
  if (truncated !== null) payload.truncated = truncated === 1;
  return payload;
}

function flag(value: boolean | undefined): number | null {
  return value === undefined ? null : value ? 1 : 0;
}

function* samplesOf(rows: Iterable<Row>): Generator<StatSample> {
  for (const row of rows) {
    const sample: StatSample = {
      server: row.server === null ? '' : String(row.server),
      outcome: row.outcome as TrafficOutcome,
      requestBytes: Number(row.request_bytes),
      responseBytes: Number(row.response_bytes ?? 0),
    };
    if (row.edge === 'client') sample.fromClient = true;
    if (row.method === 'tools/call' && row.target !== null) sample.tool = String(row.target);
    if (row.duration_ms !== null) sample.durationMs = Number(row.duration_ms);
    yield sample;
  }
}

/** SQLite's failures a user can do something about, said as they would say them (by primary result code). */
const IN_WORDS: Record<number, string> = {
  5: 'another program holds it locked, as a database browser with it open can',
  6: 'another program holds it locked, as a database browser with it open can',
  8: 'it, or the disk it is on, is read-only',
  10: 'the disk failed to read or write it (it may be full, or gone)',
  13: 'the disk is full',
  14: "it cannot be opened (its folder is missing, or not this user's)",
  23: 'this user may not open it',
};

/** A database failure in words, with SQLite's own after them. */
function inWords(err: unknown): string {
  const code = (err as { errcode?: unknown }).errcode;
  const words = typeof code === 'number' ? IN_WORDS[code & 0xff] : undefined;
  return words === undefined ? errorMessage(err) : `${words} (SQLite: ${errorMessage(err)})`;
}

/** SQLite found the file damaged while reading or writing it (CORRUPT, NOTADB). */
function isCorrupt(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === 'number' && [11, 26].includes(code & 0xff);
}

/** Not a database (26), damaged (11), or without the tables this code reads (1, from checkSchema). */
function isDamage(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === 'number' && [1, 11, 26].includes(code & 0xff);
}

/** Constraint, type and size faults belong to one entry; anything else (busy, full, I/O) to the database. */
function isEntryFault(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  if (typeof code !== 'number') return true;
  return [18, 19, 20, 25].includes(code & 0xff);
}

// ---- filters --------------------------------------------------------------

class Where {
  readonly parts: string[] = [];
  readonly params: SQLInputValue[] = [];
  add(sql: string, ...params: SQLInputValue[]): void {
    this.parts.push(sql);
    this.params.push(...params);
  }
  sql(): string {
    return this.parts.length ? ` WHERE ${this.parts.map((p) => `(${p})`).join(' AND ')}` : '';
  }
}

/** The conditions of matches() in recorder.ts, in SQL (a NaN bound excludes nothing there, so here too). */
function whereOf(filter: TrafficFilter, ahead: number): Where {
  const where = new Where();
  if (isNumber(filter.since)) {
    where.add('started_at >= ?', filter.since);
    where.add('id >= ?', firstKeyAt(filter.since - ID_SLACK_MS));
  }
  if (isNumber(filter.until)) {
    where.add('started_at <= ?', filter.until);
    where.add('id < ?', firstKeyAt(Math.floor(filter.until) + 1 + ID_SLACK_MS) + ahead);
  }
  const equal: [keyof TrafficFilter, string][] = [
    ['edge', 'edge'],
    ['client', 'client_name'],
    ['session', 'session_id'],
    ['profile', 'profile'],
    ['server', 'server'],
    ['method', 'method'],
    ['target', 'target'],
  ];
  for (const [key, column] of equal) {
    const value = filter[key];
    if (value !== undefined) where.add(`${column} = ?`, value as SQLInputValue);
  }
  if (filter.outcome !== undefined) {
    const outcomes = Array.isArray(filter.outcome) ? filter.outcome : [filter.outcome];
    where.add(`outcome IN (${outcomes.map(() => '?').join(', ')})`, ...outcomes);
  }
  if (isNumber(filter.minDurationMs)) where.add('coalesce(duration_ms, -1) >= ?', filter.minDurationMs);
  // The unary + keeps the planner off the parent index: roots are most rows, better read in id order.
  if (filter.rootsOnly) where.add('+parent_id IS NULL');
  if (filter.text !== undefined && filter.text !== '') addText(where, filter.text);
  return where;
}

function addText(where: Where, text: string): void {
  const { plain, inJson } = textNeedles(text);
  const found = [textCondition(plain, TEXT_COLUMNS)];
  if (inJson !== undefined) found.push(textCondition(inJson, JSON_COLUMNS));
  where.add(found.map((f) => f.sql).join(' OR '), ...found.flatMap((f) => f.params));
}

/** Some of `columns` hold `needle` (lower-cased), in any case. */
function textCondition(needle: string, columns: string[]): { sql: string; params: SQLInputValue[] } {
  const exact = `${TEXT_FUNCTION}(?, ${columns.join(', ')})`;
  // SQLite's LIKE folds ASCII case only: right for an ASCII needle, but for two characters. It also
  // ends a pattern at a NUL, which would match every row.
  if (!/^[\x01-\x7f]*$/.test(needle) || needle.length > MAX_LIKE_NEEDLE) return { sql: exact, params: [needle] };
  const like = columns.map((c) => `${c} LIKE ? ESCAPE '\\'`);
  const pattern = `%${needle.replace(/[\\%_]/g, '\\$&')}%`;
  const params: SQLInputValue[] = columns.map(() => pattern);
  if (/[ik]/.test(needle)) {
    like.push(`(ascii_folds = 1 AND ${exact})`);
    params.push(needle);
  }
  return { sql: like.join(' OR '), params };
}

/** matches(): some of the texts, case folded, hold the (folded) needle. */
function textHas(needle: SQLOutputValue, ...texts: SQLOutputValue[]): number {
  const n = String(needle);
  return texts.some((t) => typeof t === 'string' && foldCase(t).includes(n)) ? 1 : 0;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

function noLog(): void {}

/**
 * Deletes a history file, its journal and the earlier ones moved aside beside it (history turned
 * off with 0 in the config: nothing is kept, including what was). Returns whether there was any.
 */
export function deleteTrafficHistory(file: string): boolean {
  let existed = existsSync(file);
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
  for (const aside of movedAside(file)) {
    rmSync(aside, { force: true });
    existed = true;
  }
  return existed;
}
