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
import { GatewayError, toRpcError } from '../protocol/errors.ts';
import { recordedJsonTextOf, rememberSentResults } from '../protocol/json-text.ts';
import { cursorKey, ExchangeIds } from './ids.ts';
import { SensitiveFields } from './sensitive.ts';
import { foldCase, textNeedles } from './text-search.ts';

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
  /**
   * The session whose own values (its headersToEnv headers) are hidden in this exchange, for one
   * without a session of its own: a message of an isolated server's process started for it.
   */
  scope?: string;
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
  /**
   * Hides secret values in the payload text before anything is kept or shown (the gateway's redactor);
   * `scope` is the session the exchange belongs to, whose own values are hidden in it too.
   */
  redact?: (text: string, scope?: string) => string;
  /** For a payload cut at the limit (after `redact`): drops what is left of a secret cut in two at its end. */
  redactCutEnd?: (text: string, scope?: string) => string;
  /** Field names whose values are hidden, besides the well-known ones and those servers mark. */
  redactFields?: readonly string[];
  /** Told once when servers marked more fields sensitive than are hidden. */
  warn?: (text: string) => void;
}

/**
 * An exchange as the recorder hands it to its listeners: the entry's fields, read in place (no
 * copy per write). Valid until the listener returns; `toEntry` makes a copy to keep.
 */
export interface RecordedEntry extends Readonly<TrafficEntry> {
  toEntry(): TrafficEntry;
}

type Listener = (entry: RecordedEntry) => void;

/** No payload yet (a request's params are turned into text when it is first written). */
const NO_PAYLOAD: TrafficPayload = Object.freeze({ bytes: 0 });

/**
 * One exchange from its beginning to its last write: the entry's fields, and what the message
 * path handed over, turned into text only when written.
 */
class Exchange implements RecordedEntry {
  readonly id: string;
  readonly edge: TrafficEdge;
  readonly direction: 'in' | 'out';
  readonly kind: 'request' | 'notification';
  method: string;
  readonly startedAt: number;
  parentId: string | undefined;
  target: string | undefined;
  server: string | undefined;
  session: TrafficSession | undefined = undefined;
  durationMs: number | undefined = undefined;
  outcome: TrafficOutcome = 'pending';
  error: { code: number; message: string } | undefined = undefined;
  request: TrafficPayload = NO_PAYLOAD;
  response: TrafficPayload | undefined = undefined;

  // What the message path handed over, not yet written.
  source: TrafficSessionSource | undefined;
  params: unknown;
  /** The answer: a result, or `{ error }` as the client saw it. */
  answer: unknown = undefined;
  answered = false;
  rawError: { code: number; message: string } | undefined = undefined;
  /** performance.now() at the start, for a precise duration. */
  readonly t0: number;
  ended = false;
  /** Waiting in the recorder's list of changes to write. */
  dirty = false;
  /** Method and target redacted and cut (on the first write). */
  named = false;
  /** The session whose own values are hidden here too (see TrafficBegin.scope). */
  readonly scope: string | undefined;

  /** `parentSource`: the session of the exchange it belongs under, for one begun without its own. */
  constructor(id: string, kind: 'request' | 'notification', init: TrafficBegin, parentSource?: TrafficSessionSource) {
    this.id = id;
    this.edge = init.edge;
    this.direction = init.direction;
    this.kind = kind;
    this.method = init.method;
    this.startedAt = Date.now();
    this.parentId = init.parentId || undefined;
    this.target = init.target;
    this.server = init.server;
    this.source = init.session ?? parentSource;
    this.scope = init.scope ?? this.source?.id;
    this.params = init.params;
    this.t0 = performance.now();
  }

  toEntry(): TrafficEntry {
    const entry: TrafficEntry = {
      id: this.id,
      edge: this.edge,
      direction: this.direction,
      kind: this.kind,
      method: this.method,
      startedAt: this.startedAt,
      outcome: this.outcome,
      request: { ...this.request },
    };
    if (this.parentId !== undefined) entry.parentId = this.parentId;
    if (this.target !== undefined) entry.target = this.target;
    if (this.session !== undefined) entry.session = this.session;
    if (this.server !== undefined) entry.server = this.server;
    if (this.durationMs !== undefined) entry.durationMs = this.durationMs;
    if (this.error !== undefined) entry.error = { ...this.error };
    if (this.response !== undefined) entry.response = { ...this.response };
    return entry;
  }
}

/** An entry's weight in the ring: its text (payloads, names, error) and a fixed overhead for the rest. */
const ENTRY_OVERHEAD = 400;
/** A method or target is cut here: it is shown on one line (a resource URI is whole in the request). */
const MAX_NAME_BYTES = 1024;
const MAX_PAGE = 1000;
/** Levels below an exchange its tree shows: a loop of causes cannot make it endless. */
const TREE_DEPTH = 32;
/** A request still waiting for its answer is shown (written as pending) once it has waited this long. */
const PENDING_SHOWN_AFTER_MS = 50;

/** Redacted beyond the cut too, so a secret starting before it is seen whole (longer than any secret). */
const CUT_MARGIN = 4096;

export class TrafficRecorder {
  private on = true;
  private maxEntries = 5000;
  private maxBytes = 64 * 1024 * 1024;
  private maxPayloadBytes = 64 * 1024;
  private redact: (text: string, scope?: string) => string = (text) => text;
  private redactCutEnd: (text: string, scope?: string) => string = (text) => text;
  private sensitive = new SensitiveFields();
  private warn: (text: string) => void = () => {};
  private warnedFull = false;
  private readonly ids = new ExchangeIds();
  /** Exchanges with a change not yet written out, in the order they changed. */
  private dirty: Exchange[] = [];
  /** Exchanges still waiting for their answer. */
  private readonly open = new Map<string, Exchange>();
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
  /** The session as recorded, and what of its source it was made from (it changes on initialize). */
  private readonly sessions = new WeakMap<
    TrafficSessionSource,
    { session: TrafficSession } & Pick<TrafficSessionSource, 'clientInfo' | 'profile'> & { revision?: string }
  >();
  /**
   * The last two payloads made, by the value they were made from: a server's answer is usually
   * forwarded as the same object to the client, and a request's params likewise (text made once).
   */
  private recentValues: [unknown, unknown] = [undefined, undefined];
  /** The scope each of them was redacted for: the same value sent to two sessions is cleaned for each. */
  private recentScopes: [string | undefined, string | undefined] = [undefined, undefined];
  private recentPayloads: [TrafficPayload | undefined, TrafficPayload | undefined] = [undefined, undefined];
  private ringBytes = 0;
  private readonly listeners = new Set<Listener>();

  constructor(options: TrafficRecorderOptions = {}) {
    this.configure(options);
  }

  /**
   * Whether recent entries are kept here for list/get/tree. Off while a history holds them (it
   * answers the queries then): a second copy in memory would only cost time on every message.
   * Turned on again, it starts from `seed` (oldest first: the newest the history held).
   */
  keepRecent(on: boolean, seed: readonly TrafficEntry[] = []): void {
    const was = this.keepsRecent;
    this.keepsRecent = on;
    if (on) {
      if (was) return;
      for (const entry of seed) {
        if (this.ring.has(entry.id)) continue;
        this.ring.set(entry.id, entry);
        this.ringOrder.push(entry.id);
        this.ringBytes += weight(entry);
      }
      this.trim();
      return;
    }
    this.ring.clear();
    this.ringOrder = [];
    this.ringHead = 0;
    this.ringBytes = 0;
  }

  /** How many entries the memory ring keeps at most. */
  get ringLimit(): number {
    return this.maxEntries;
  }

  /** Off: begin/note return at once and record nothing. */
  get enabled(): boolean {
    return this.on;
  }

  /** Applies new settings (a config reload); the ring shrinks at once when its limits did. */
  configure(options: TrafficRecorderOptions): void {
    if (options.enabled !== undefined) this.on = options.enabled;
    rememberSentResults(this.on);
    if (options.maxEntries !== undefined) this.maxEntries = options.maxEntries;
    if (options.maxBytes !== undefined) this.maxBytes = options.maxBytes;
    if (options.maxPayloadBytes !== undefined) this.maxPayloadBytes = options.maxPayloadBytes;
    if (options.redact) this.redact = options.redact;
    if (options.redactCutEnd) this.redactCutEnd = options.redactCutEnd;
    if (options.warn) this.warn = options.warn;
    // What servers marked is kept: a reload passes the configured names again every time, and the
    // tool lists it was learnt from are not sent again.
    if (options.redactFields) this.sensitive = this.sensitive.withNames(options.redactFields);
    this.trim();
  }

  /** A fresh id, sortable by creation: what an exchange causes can name it before it begins. */
  newId(): string {
    return this.ids.next();
  }

  /** Ids made from now on sort after `id` (the newest a history already holds). */
  continueAfter(key: number): void {
    this.ids.after(key);
  }

  /** A request leaves or arrives; returns its exchange id ('' when recording is off). */
  begin(init: TrafficBegin): string {
    if (!this.on) return '';
    const exchange = new Exchange(init.id || this.ids.next(), 'request', init, this.parentSource(init));
    this.open.set(exchange.id, exchange);
    this.touch(exchange);
    return exchange.id;
  }

  /** The exchange's answer: a result, or the error it failed with (a cancellation, a timeout, a JSON-RPC error). */
  end(id: string, outcome: { result: unknown } | { error: unknown }): void {
    const exchange = id ? this.open.get(id) : undefined;
    if (!exchange) return;
    this.open.delete(id);
    exchange.ended = true;
    exchange.durationMs = Math.round((performance.now() - exchange.t0) * 1000) / 1000;
    exchange.answered = true;
    if ('result' in outcome) {
      exchange.outcome = resultOutcome(exchange.method, outcome.result);
      exchange.answer = outcome.result;
    } else {
      const { outcome: how, error } = classify(outcome.error);
      exchange.outcome = how;
      // The message is shown as the entry's error too: it is redacted with the payloads, on write.
      // A request sent to a server also shows what the server said, when its error kept that (a
      // handler's reply and stderr); the client's own exchange shows the error it was answered.
      const sent = exchange.direction === 'out';
      const detail =
        sent && exchange.edge === 'upstream' && outcome.error instanceof GatewayError
          ? outcome.error.recordDetail()
          : undefined;
      exchange.answer = detail ? { error, detail } : { error };
      exchange.rawError = error;
      // A request the gateway gave up on (a call to a server, a question put to a client whose call ended):
      // the notifications/cancelled it sent is shown under it. Only one it sent: a server's question fails
      // with the error of the one put to the client, and the cancellation went to the client, not the server.
      if (sent && outcome.error instanceof GatewayError && outcome.error.cancelSent) {
        this.noteCancelSent(exchange, outcome.error.cancelSent);
      }
    }
    this.touch(exchange);
  }

  /** Under `request`, on its edge, with its server and session. */
  private noteCancelSent(request: Exchange, params: unknown): void {
    const init: TrafficBegin = {
      edge: request.edge,
      direction: 'out',
      method: 'notifications/cancelled',
      params,
      parentId: request.id,
    };
    if (request.server !== undefined) init.server = request.server;
    if (request.source !== undefined) init.session = request.source;
    if (request.scope !== undefined) init.scope = request.scope;
    this.note(init);
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

  /**
   * What a server sends during a client's call (progress, questions, input rounds) belongs to that
   * client's session: found through the exchange it is filed under, while that one is open.
   */
  private parentSource(init: TrafficBegin): TrafficSessionSource | undefined {
    return init.session || !init.parentId ? undefined : this.open.get(init.parentId)?.source;
  }

  /** Adds what is learnt after an exchange began: the server a client's request was routed to. */
  annotate(id: string, facts: { server: string }): void {
    const exchange = id ? this.open.get(id) : undefined;
    if (exchange && exchange.server === undefined) exchange.server = facts.server;
  }

  /** Learns the fields an answer marks sensitive (a tool list) without recording it. */
  learnSensitive(method: string, answer: unknown): void {
    this.learn(method, answer);
  }

  /** A notification, sent or received. */
  note(init: TrafficBegin): void {
    if (!this.on) return;
    const exchange = new Exchange(init.id || this.ids.next(), 'notification', init, this.parentSource(init));
    exchange.outcome = 'delivered';
    exchange.ended = true;
    this.touch(exchange);
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
    if (filter.cursor !== undefined) cursorKey(filter.cursor);
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
      children: depth >= TREE_DEPTH ? [] : (byParent.get(e.id) ?? []).map((c) => grow(c, depth + 1)),
    });
    return grow(entry, 0);
  }

  /** The entries kept in memory, oldest first (as last written: flush() first for the newest state). */
  recent(): TrafficEntry[] {
    return [...this.ring.values()];
  }

  /** Entries in memory now. */
  size(): number {
    return this.ring.size;
  }

  // ---- internals ----------------------------------------------------------

  private touch(exchange: Exchange): void {
    if (!exchange.dirty) {
      exchange.dirty = true;
      this.dirty.push(exchange);
    }
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
    const changed = this.dirty;
    if (changed.length === 0) return;
    this.dirty = [];
    let waiting = 0;
    for (const exchange of changed) {
      if (!exchange.ended && exchange.t0 > pendingBefore) {
        this.dirty.push(exchange);
        waiting++;
        continue;
      }
      exchange.dirty = false;
      try {
        this.write(exchange);
      } catch {
        // One exchange the recorder cannot write is left out; the others, and the message path, go on.
      }
    }
    this.recentValues = [undefined, undefined];
    this.recentPayloads = [undefined, undefined];
    if (waiting > 0 && !this.pendingTimer) {
      this.pendingTimer = setTimeout(() => {
        this.pendingTimer = undefined;
        this.writeDirty(performance.now() - PENDING_SHOWN_AFTER_MS);
      }, PENDING_SHOWN_AFTER_MS).unref();
    }
  }

  private write(exchange: Exchange): void {
    if (exchange.source) exchange.session = this.sessionOf(exchange.source);
    // Names come from clients and servers as much as payloads do: a resource URI can hold a password.
    if (!exchange.named) {
      exchange.named = true;
      exchange.method = this.cut(exchange.method, MAX_NAME_BYTES, exchange.scope).text;
      if (exchange.target !== undefined)
        exchange.target = this.cut(exchange.target, MAX_NAME_BYTES, exchange.scope).text;
    }
    // Each payload is turned into text once: the request when the entry is first written. What a
    // server marks sensitive is learnt before the answer to it is written.
    if (exchange.request === NO_PAYLOAD && exchange.params !== undefined) {
      exchange.request = this.payload(exchange.params, exchange.scope);
      this.learn(exchange.method, exchange.params);
    }
    exchange.params = undefined;
    if (exchange.answered && !exchange.response) {
      if (exchange.outcome === 'ok' || exchange.outcome === 'tool_error') this.learn(exchange.method, exchange.answer);
      exchange.response = this.payload(exchange.answer, exchange.scope);
      exchange.answer = undefined;
    }
    if (exchange.rawError && !exchange.error) {
      const { code, message } = exchange.rawError;
      exchange.error = { code, message: this.cut(message, this.maxPayloadBytes, exchange.scope).text };
    }
    if (this.keepsRecent) {
      const copy = exchange.toEntry();
      const old = this.ring.get(copy.id);
      if (old) this.ringBytes -= weight(old);
      else this.ringOrder.push(copy.id);
      this.ring.set(copy.id, copy);
      this.ringBytes += weight(copy);
      this.trim();
    }
    // A copy only when there is more than one: a listener may unsubscribe while being called.
    const listeners = this.listeners.size > 1 ? [...this.listeners] : this.listeners;
    for (const listener of listeners) {
      try {
        listener(exchange);
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

  private payload(value: unknown, scope: string | undefined): TrafficPayload {
    const shared = typeof value === 'object' && value !== null;
    if (shared) {
      if (this.recentValues[0] === value && this.recentScopes[0] === scope) return this.recentPayloads[0]!;
      if (this.recentValues[1] === value && this.recentScopes[1] === scope) return this.recentPayloads[1]!;
    }
    const made = this.makePayload(value, scope);
    if (shared) {
      this.recentValues = [value, this.recentValues[0]];
      this.recentScopes = [scope, this.recentScopes[0]];
      this.recentPayloads = [made, this.recentPayloads[0]];
    }
    return made;
  }

  private makePayload(value: unknown, scope: string | undefined): TrafficPayload {
    let text: string;
    try {
      text = recordedJsonTextOf(value) ?? JSON.stringify(value) ?? 'null';
    } catch {
      text = '"(not serialisable)"';
    }
    const { text: json, bytes, truncated } = this.cut(text, this.maxPayloadBytes, scope, true);
    return truncated ? { json, bytes, truncated } : { json, bytes };
  }

  /**
   * `text` redacted and, over `max` bytes, cut with a marker that gives the whole size. Only the
   * part kept is redacted (a large text is not scanned whole), with room for a secret that starts
   * before the cut; what is left of one cut in two at the end is dropped. The cut is in bytes (a
   * character cut in two becomes U+FFFD), and the text kept is a copy: a slice would keep the
   * whole text alive for as long as the entry.
   */
  private cut(
    text: string,
    max: number,
    scope?: string,
    payload = false,
  ): { text: string; bytes: number; truncated: boolean } {
    const bytes = Buffer.byteLength(text);
    if (bytes <= max) return { text: this.clean(text, scope, payload), bytes, truncated: false };
    const head = Buffer.from(this.clean(text.slice(0, max + CUT_MARGIN), scope, payload))
      .subarray(0, max)
      .toString();
    return { text: `${this.redactCutEnd(head, scope)}…[truncated: ${bytes} bytes in all]`, bytes, truncated: true };
  }

  /** The session as recorded: one object per session while what it says stays the same. */
  private sessionOf(source: TrafficSessionSource): TrafficSession {
    const known = this.sessions.get(source);
    if (
      known &&
      known.clientInfo === source.clientInfo &&
      known.revision === source.protocolVersion &&
      known.profile === source.profile
    ) {
      return known.session;
    }
    const session = this.makeSession(source);
    this.sessions.set(source, {
      session,
      clientInfo: source.clientInfo,
      revision: source.protocolVersion,
      profile: source.profile,
    });
    return session;
  }

  /** What a server marks sensitive (in a tool list or a form), hidden from then on. */
  private learn(method: string, value: unknown): void {
    this.sensitive.learnFrom(method, value);
    if (this.warnedFull || this.sensitive.refused === 0) return;
    this.warnedFull = true;
    this.warn(
      `traffic record: servers marked more fields sensitive than the ${this.sensitive.size} it hides; the ` +
        'values of the rest are recorded (name them in traffic.redactFields to hide them)',
    );
  }

  private makeSession(source: TrafficSessionSource): TrafficSession {
    const session: TrafficSession = { id: source.id, transport: source.transport, profile: source.profile };
    if (source.clientInfo) {
      // What a client calls itself is its own text, like a method name.
      const name = this.cut(source.clientInfo.name, MAX_NAME_BYTES).text;
      const version = this.cut(source.clientInfo.version, MAX_NAME_BYTES).text;
      session.client = version ? { name, version } : { name };
    }
    if (source.protocolVersion !== undefined) session.revision = source.protocolVersion;
    return session;
  }

  /** Secrets hidden in `text`; in a payload, also the values of fields marked sensitive. */
  private clean(text: string, scope: string | undefined, payload: boolean): string {
    const redacted = this.redact(text, scope);
    return payload ? this.sensitive.redact(redacted) : redacted;
  }
}

function weight(entry: TrafficEntry): number {
  const names = entry.method.length + (entry.target?.length ?? 0) + (entry.error?.message.length ?? 0);
  return ENTRY_OVERHEAD + names + (entry.request.json?.length ?? 0) + (entry.response?.json?.length ?? 0);
}

/** How a request answered with `result` ended: a tool that failed answers with a result marked `isError`. */
export function resultOutcome(method: string, result: unknown): 'ok' | 'tool_error' {
  return method === 'tools/call' &&
    typeof result === 'object' &&
    result !== null &&
    (result as { isError?: unknown }).isError === true
    ? 'tool_error'
    : 'ok';
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
    const { plain, inJson } = textNeedles(filter.text);
    const names = [entry.method, entry.target ?? '', entry.server ?? '', entry.session?.client?.name ?? ''];
    const payloads = [entry.request.json ?? '', entry.response?.json ?? ''].map(foldCase);
    const inNames = names.some((n) => foldCase(n).includes(plain));
    const inPayloads = payloads.some((p) => p.includes(plain) || (inJson !== undefined && p.includes(inJson)));
    if (!inNames && !inPayloads) return false;
  }
  return true;
}
