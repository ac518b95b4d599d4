/**
 * The traffic recorder: every message at both edges of the gateway, joined into exchanges (a
 * request and its answer, or a notification) with the exchange that caused them.
 *
 * The message path only notes references and times (`begin`, `end`, `note`); turning payloads
 * into redacted, size-capped JSON text happens in a batch on a later turn of the event loop, so
 * recording never holds up a message. Recent entries are kept in a ring bounded in count and
 * bytes; listeners (live events, the history store) get each entry as it is made and again when
 * it ends.
 */
import type {
  TrafficEdge,
  TrafficEntry,
  TrafficFilter,
  TrafficOutcome,
  TrafficPage,
  TrafficPayload,
  TrafficSession,
  TrafficTree,
} from '../../../preload/contract/index.ts';
import { randomBytes } from 'node:crypto';
import { GatewayError, toRpcError } from '../protocol/errors.ts';
import { jsonTextOf } from '../protocol/json-text.ts';
import { SensitiveFields } from './sensitive.ts';

/** What the recorder reads of a client session (at the time the entry is written). */
export interface TrafficSessionSource {
  readonly id: string;
  readonly transport: string;
  readonly profile: string;
  readonly clientInfo?: { name: string; version: string };
  readonly protocolVersion?: string;
}

export interface TrafficBegin {
  edge: TrafficEdge;
  direction: 'in' | 'out';
  method: string;
  /** The message's params, as they were sent or received. */
  params?: unknown;
  target?: string;
  session?: TrafficSessionSource;
  server?: string;
  parentId?: string;
  /** An id made beforehand with newId() (so what it causes can name it before it starts). */
  id?: string;
}

export interface TrafficRecorderOptions {
  /** Off: nothing is kept and the message path does nothing. Default on. */
  enabled?: boolean;
  /** Entries kept in memory. Default 5000. */
  maxEntries?: number;
  /** Bytes of payload text kept in memory. Default 64 MiB. */
  maxBytes?: number;
  /** A payload's JSON text is cut here (the entry says so and keeps the whole size). Default 64 KiB. */
  maxPayloadBytes?: number;
  /** Hides secret values in the payload text before anything is kept or shown (the gateway's redactor). */
  redact?: (text: string) => string;
  /** For a payload cut at the limit (after `redact`): drops what is left of a secret cut in two at its end. */
  redactCutEnd?: (text: string) => string;
  /** Field names whose values are hidden, besides the well-known ones and those servers mark. */
  redactFields?: readonly string[];
}

type Listener = (entry: TrafficEntry) => void;

interface Live {
  entry: TrafficEntry;
  session?: TrafficSessionSource;
  params: unknown;
  /** The answer (a result or an error object), once it came. */
  answer?: { value: unknown };
  /** How it failed, as the server or the gateway said (not yet redacted). */
  error?: { code: number; message: string };
  /** performance.now() at the start, for a precise duration. */
  t0: number;
  ended: boolean;
}

/** An entry's weight in the ring: its payload text and a fixed overhead for the rest. */
const ENTRY_OVERHEAD = 400;
const MAX_PAGE = 1000;
/** A request still waiting for its answer is shown (written as pending) once it has waited this long. */
const PENDING_SHOWN_AFTER_MS = 50;

/** Redacted beyond the cut too, so a secret starting before it is seen whole (longer than any secret). */
const CUT_MARGIN = 4096;

export class TrafficRecorder {
  private on = true;
  private maxEntries = 5000;
  private maxBytes = 64 * 1024 * 1024;
  private maxPayloadBytes = 64 * 1024;
  private redact: (text: string) => string = (text) => text;
  private redactCutEnd: (text: string) => string = (text) => text;
  private sensitive = new SensitiveFields();
  private seq = 0;
  private readonly run = randomBytes(3).toString('hex');
  /** The time part of the last id made: ids never go back with the wall clock. */
  private lastMs = 0;
  /** Exchanges with a change not yet written out. */
  private readonly dirty = new Map<string, Live>();
  /** Exchanges still waiting for their answer. */
  private readonly open = new Map<string, Live>();
  private flushing = false;
  /** Recent entries in start order (a Map keeps insertion order; an update keeps its place). */
  private readonly ring = new Map<string, TrafficEntry>();
  /**
   * The ring's ids, oldest first, from `ringHead` on. Trimming takes the oldest from here: a Map
   * iterated from its start walks past the slots of every entry deleted since it last compacted.
   */
  private ringOrder: string[] = [];
  private ringHead = 0;
  private keepsRecent = true;
  private pendingTimer: NodeJS.Timeout | undefined;
  private readonly sessions = new WeakMap<TrafficSessionSource, TrafficSession>();
  /** During a flush: the payloads made so far, by the object they were made from. */
  private texts: Map<unknown, TrafficPayload> | undefined;
  /** The time part of ids for the current millisecond (made once per millisecond, not per id). */
  private idPrefix = '';
  private ringBytes = 0;
  private readonly listeners = new Set<Listener>();

  constructor(options: TrafficRecorderOptions = {}) {
    this.configure(options);
  }

  /**
   * Whether recent entries are kept here for list/get/tree. Off while a history holds them (it
   * answers the queries then): a second copy in memory would only cost time on every message.
   */
  keepRecent(on: boolean): void {
    this.keepsRecent = on;
    if (on) return;
    this.ring.clear();
    this.ringOrder = [];
    this.ringHead = 0;
    this.ringBytes = 0;
  }

  /** Off: begin/note return at once and record nothing. */
  get enabled(): boolean {
    return this.on;
  }

  /** Applies new settings (a config reload); the ring shrinks at once when its limits did. */
  configure(options: TrafficRecorderOptions): void {
    if (options.enabled !== undefined) this.on = options.enabled;
    if (options.maxEntries !== undefined) this.maxEntries = options.maxEntries;
    if (options.maxBytes !== undefined) this.maxBytes = options.maxBytes;
    if (options.maxPayloadBytes !== undefined) this.maxPayloadBytes = options.maxPayloadBytes;
    if (options.redact) this.redact = options.redact;
    if (options.redactCutEnd) this.redactCutEnd = options.redactCutEnd;
    // What servers marked is kept: a reload passes the configured names again every time, and the
    // tool lists it was learnt from are not sent again.
    if (options.redactFields) this.sensitive = this.sensitive.withNames(options.redactFields);
    this.trim();
  }

  /**
   * A fresh id, sortable by creation: what an exchange causes can name it before it begins. The
   * run's own random tail keeps ids unique across restarts even when the clock went back.
   */
  newId(): string {
    // Never below the last one: a wall clock stepped back would make a later id sort first, and
    // paging by id (the cursor) would then skip every entry made before the step.
    const now = Date.now();
    if (now > this.lastMs || this.idPrefix === '') {
      this.lastMs = Math.max(this.lastMs, now);
      this.idPrefix = `${this.lastMs.toString(36).padStart(9, '0')}-`;
    }
    return `${this.idPrefix}${(++this.seq).toString(36).padStart(7, '0')}${this.run}`;
  }

  /** A request leaves or arrives; returns its exchange id ('' when recording is off). */
  begin(init: TrafficBegin): string {
    if (!this.enabled) return '';
    const live = this.live(init, 'request');
    this.open.set(live.entry.id, live);
    this.touch(live);
    return live.entry.id;
  }

  /** The exchange's answer: a result, or the error it failed with (a cancellation, a timeout, a JSON-RPC error). */
  end(id: string, outcome: { result: unknown } | { error: unknown }): void {
    const live = id ? this.open.get(id) : undefined;
    if (!live) return;
    this.open.delete(id);
    live.ended = true;
    live.entry.durationMs = Math.round((performance.now() - live.t0) * 1000) / 1000;
    if ('result' in outcome) {
      live.entry.outcome = 'ok';
      live.answer = { value: outcome.result };
    } else {
      const { outcome: how, error } = classify(outcome.error);
      live.entry.outcome = how;
      // The message is shown as the entry's error too: it is redacted with the payloads, on write.
      live.answer = { value: { error } };
      live.error = error;
    }
    this.touch(live);
  }

  /** Ends the exchange when `work` settles, with its result or its error; gives `work`'s outcome back. */
  settle<T>(id: string, work: Promise<T>): Promise<T> {
    if (!id) return work;
    return work.then(
      (result) => {
        this.end(id, { result });
        return result;
      },
      (err: unknown) => {
        this.end(id, { error: err });
        throw err;
      },
    );
  }

  /** Adds what is learnt after an exchange began: the server a client's request was routed to. */
  annotate(id: string, facts: { server: string }): void {
    const live = id ? this.open.get(id) : undefined;
    if (live && live.entry.server === undefined) live.entry.server = facts.server;
  }

  /** A notification, sent or received. */
  note(init: TrafficBegin): void {
    if (!this.enabled) return;
    const live = this.live(init, 'notification');
    live.entry.outcome = 'delivered';
    live.ended = true;
    this.touch(live);
  }

  /**
   * Called with every entry as it is written: once it ended, and also while still pending if its
   * answer takes longer than 50 ms (then again when it ends).
   */
  onEntry(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes out every change now, requests still waiting for their answer included. */
  flush(): void {
    this.writeDirty(Infinity);
  }

  /** Entries kept in memory, newest first, as `filter` says. */
  list(filter: TrafficFilter = {}): TrafficPage {
    this.flush();
    const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), MAX_PAGE);
    // The ring is in order of first write, which is not quite id order (an id made beforehand
    // is written after its children): sorted, so that paging by id never skips one.
    const found: TrafficEntry[] = [];
    for (const entry of this.ring.values()) {
      if (filter.cursor !== undefined && entry.id >= filter.cursor) continue;
      if (matches(entry, filter)) found.push(entry);
    }
    found.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const more = found.length > limit;
    const entries = found.slice(0, limit);
    return more ? { entries, nextCursor: entries.at(-1)!.id } : { entries };
  }

  get(id: string): TrafficEntry | undefined {
    this.flush();
    return this.ring.get(id);
  }

  /** The exchange and everything it caused, as far as the entries are still kept. */
  tree(id: string): TrafficTree | undefined {
    this.flush();
    const entry = this.ring.get(id);
    if (!entry) return undefined;
    const byParent = new Map<string, TrafficEntry[]>();
    for (const e of this.ring.values()) {
      if (e.parentId === undefined) continue;
      let siblings = byParent.get(e.parentId);
      if (!siblings) byParent.set(e.parentId, (siblings = []));
      siblings.push(e);
    }
    const grow = (e: TrafficEntry, depth: number): TrafficTree => ({
      entry: e,
      children: depth > 32 ? [] : (byParent.get(e.id) ?? []).map((c) => grow(c, depth + 1)),
    });
    return grow(entry, 0);
  }

  /** Entries in memory now. */
  size(): number {
    return this.ring.size;
  }

  // ---- internals ----------------------------------------------------------

  private live(init: TrafficBegin, kind: 'request' | 'notification'): Live {
    const entry: TrafficEntry = {
      id: init.id || this.newId(),
      edge: init.edge,
      direction: init.direction,
      kind,
      method: init.method,
      startedAt: Date.now(),
      outcome: 'pending',
      request: { bytes: 0 },
    };
    if (init.parentId) entry.parentId = init.parentId;
    if (init.target !== undefined) entry.target = init.target;
    if (init.server !== undefined) entry.server = init.server;
    const live: Live = { entry, params: init.params, t0: performance.now(), ended: false };
    if (init.session) live.session = init.session;
    return live;
  }

  private touch(live: Live): void {
    this.dirty.set(live.entry.id, live);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      if (this.flushing) this.writeDirty(performance.now() - PENDING_SHOWN_AFTER_MS);
    });
  }

  /**
   * Writes the changes of exchanges that ended, and of those still waiting that began before
   * `pendingBefore` (performance.now() time). Most requests are answered within a millisecond or
   * two: written once, when they end, instead of once waiting and once more answered.
   */
  private writeDirty(pendingBefore: number): void {
    this.flushing = false;
    let waiting = 0;
    // A server's answer is usually forwarded as the same object to the client: turned into text once.
    this.texts = new Map();
    for (const [id, live] of this.dirty) {
      if (!live.ended && live.t0 > pendingBefore) {
        waiting++;
        continue;
      }
      this.dirty.delete(id);
      this.write(live);
    }
    this.texts = undefined;
    if (waiting > 0 && !this.pendingTimer) {
      this.pendingTimer = setTimeout(() => {
        this.pendingTimer = undefined;
        this.writeDirty(performance.now() - PENDING_SHOWN_AFTER_MS);
      }, PENDING_SHOWN_AFTER_MS).unref();
    }
  }

  private write(live: Live): void {
    const entry = live.entry;
    if (live.session) entry.session = this.sessionOf(live.session);
    // Each payload is turned into text once: the request when the entry is first written. What a
    // server marks sensitive is learnt before the answer to it is written.
    if (entry.request.bytes === 0 && live.params !== undefined) {
      entry.request = this.payload(live.params);
      this.sensitive.learnFrom(entry.method, live.params);
    }
    if (live.answer && !entry.response) {
      if (entry.outcome === 'ok') this.sensitive.learnFrom(entry.method, live.answer.value);
      entry.response = this.payload(live.answer.value);
    }
    if (live.error && !entry.error) {
      const { code, message } = live.error;
      entry.error = { code, message: this.redact(message) };
    }
    live.params = undefined;
    const copy: TrafficEntry = { ...entry };
    if (this.keepsRecent) {
      const old = this.ring.get(entry.id);
      if (old) this.ringBytes -= weight(old);
      else this.ringOrder.push(entry.id);
      this.ring.set(entry.id, copy);
      this.ringBytes += weight(copy);
      this.trim();
    }
    // A copy only when there is more than one: a listener may unsubscribe while being called.
    const listeners = this.listeners.size > 1 ? [...this.listeners] : this.listeners;
    for (const listener of listeners) {
      try {
        listener(copy);
      } catch {
        // A listener's fault is its own (the event hub and the store report theirs).
      }
    }
  }

  /** Drops the oldest entries until the ring is within its limits. */
  private trim(): void {
    while (this.ring.size > this.maxEntries || (this.ringBytes > this.maxBytes && this.ring.size > 1)) {
      const oldest = this.ringOrder[this.ringHead++]!;
      this.ringBytes -= weight(this.ring.get(oldest)!);
      this.ring.delete(oldest);
    }
    if (this.ringHead > 1024 && this.ringHead * 2 > this.ringOrder.length) {
      this.ringOrder = this.ringOrder.slice(this.ringHead);
      this.ringHead = 0;
    }
  }

  private payload(value: unknown): TrafficPayload {
    const shared = typeof value === 'object' && value !== null ? this.texts : undefined;
    const known = shared?.get(value);
    if (known) return known;
    const made = this.makePayload(value);
    shared?.set(value, made);
    return made;
  }

  private makePayload(value: unknown): TrafficPayload {
    let text: string;
    try {
      text = jsonTextOf(value) ?? JSON.stringify(value) ?? 'null';
    } catch {
      text = '"(not serialisable)"';
    }
    const bytes = Buffer.byteLength(text);
    const max = this.maxPayloadBytes;
    if (bytes <= max) return { json: this.clean(text), bytes };
    // Only the part kept is redacted (a large payload is not scanned whole), with room for a
    // secret that starts before the cut; what is left of one cut in two at the end is dropped.
    // The cut is in bytes (a character cut in two becomes U+FFFD), and the text kept is a copy:
    // a slice would keep the whole text alive for as long as the entry.
    const head = Buffer.from(this.clean(text.slice(0, max + CUT_MARGIN)))
      .subarray(0, max)
      .toString();
    const json = `${this.redactCutEnd(head)}…[truncated: ${bytes} bytes in all]`;
    return { json, bytes, truncated: true };
  }

  /** The session as recorded: one object per session while what it says stays the same. */
  private sessionOf(source: TrafficSessionSource): TrafficSession {
    const known = this.sessions.get(source);
    if (
      known &&
      known.client?.name === source.clientInfo?.name &&
      (known.client?.version ?? '') === (source.clientInfo?.version ?? '') &&
      known.revision === source.protocolVersion &&
      known.profile === source.profile
    ) {
      return known;
    }
    const made = makeSession(source);
    this.sessions.set(source, made);
    return made;
  }

  private clean(text: string): string {
    return this.sensitive.redact(this.redact(text));
  }
}

function makeSession(source: TrafficSessionSource): TrafficSession {
  const session: TrafficSession = { id: source.id, transport: source.transport, profile: source.profile };
  if (source.clientInfo) {
    const { name, version } = source.clientInfo;
    session.client = version ? { name, version } : { name };
  }
  if (source.protocolVersion !== undefined) session.revision = source.protocolVersion;
  return session;
}

function weight(entry: TrafficEntry): number {
  return ENTRY_OVERHEAD + (entry.request.json?.length ?? 0) + (entry.response?.json?.length ?? 0);
}

/** How a failure reads in the record: a cancellation and a timeout are outcomes of their own. */
function classify(err: unknown): { outcome: TrafficOutcome; error: { code: number; message: string } } {
  const rpc = toRpcError(err);
  const error = { code: rpc.code, message: rpc.message };
  if (err instanceof GatewayError && err.code === 'request_timeout') return { outcome: 'timeout', error };
  if (err instanceof GatewayError && err.code === 'request_cancelled') return { outcome: 'cancelled', error };
  if (err instanceof Error && err.name === 'AbortError') return { outcome: 'cancelled', error };
  return { outcome: 'error', error };
}

function outcomeMatches(outcome: TrafficOutcome, wanted: TrafficOutcome | TrafficOutcome[]): boolean {
  return Array.isArray(wanted) ? wanted.includes(outcome) : outcome === wanted;
}

export function matches(entry: TrafficEntry, filter: TrafficFilter): boolean {
  if (filter.since !== undefined && entry.startedAt < filter.since) return false;
  if (filter.until !== undefined && entry.startedAt > filter.until) return false;
  if (filter.edge !== undefined && entry.edge !== filter.edge) return false;
  if (filter.client !== undefined && entry.session?.client?.name !== filter.client) return false;
  if (filter.session !== undefined && entry.session?.id !== filter.session) return false;
  if (filter.profile !== undefined && entry.session?.profile !== filter.profile) return false;
  if (filter.server !== undefined && entry.server !== filter.server) return false;
  if (filter.method !== undefined && entry.method !== filter.method) return false;
  if (filter.target !== undefined && entry.target !== filter.target) return false;
  if (filter.outcome !== undefined && !outcomeMatches(entry.outcome, filter.outcome)) return false;
  if (filter.minDurationMs !== undefined && (entry.durationMs ?? -1) < filter.minDurationMs) return false;
  if (filter.rootsOnly && entry.parentId !== undefined) return false;
  if (filter.text !== undefined && filter.text !== '') {
    const needle = filter.text.toLowerCase();
    const hay = [entry.method, entry.target ?? '', entry.request.json ?? '', entry.response?.json ?? ''];
    if (!hay.some((h) => h.toLowerCase().includes(needle))) return false;
  }
  return true;
}
