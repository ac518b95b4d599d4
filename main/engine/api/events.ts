/**
 * The pushed events of the control API: one hub the gateway publishes to and every binding
 * reads (IPC forwards each event to the app's windows, /api/events streams them). Each event gets
 * an id, and the last ones are kept (bounded in count and bytes) so an event stream that
 * reconnects with Last-Event-ID gets what it missed — or `resync` when that is gone. Of a state
 * snapshot (publishLatest) only the newest is kept: it says all the older ones did.
 */
import { randomBytes } from 'node:crypto';
import type { GatewayEventMap, GatewayEventName, GatewayEvents, Unsubscribe } from '../../../preload/contract/index.ts';
import { errorMessage } from '../protocol/errors.ts';

export interface PublishedEvent<E extends GatewayEventName = GatewayEventName> {
  /** `<hub epoch>-<sequence>`: a gateway restart starts a new epoch, so old ids never match. */
  id: string;
  name: E;
  payload: GatewayEventMap[E];
  /** The payload as JSON, made once for every stream. */
  json: string;
}

export interface EventHubOptions {
  /** Events kept for replay. Default 500. */
  replayCount?: number;
  /** Bytes of JSON kept for replay. Default 1 MiB. */
  replayBytes?: number;
  /** Where a failing listener is reported (never thrown at the publisher). */
  onListenerError?: (message: string) => void;
  /** Rewrites every payload before it is kept or sent (the gateway's redactor). */
  redact?: <T>(payload: T) => T;
}

type AnyListener = (event: PublishedEvent) => void;

export class EventHub implements GatewayEvents {
  private readonly epoch = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly replay: PublishedEvent[] = [];
  private replayBytes = 0;
  private readonly maxCount: number;
  private readonly maxBytes: number;
  private readonly listeners = new Set<AnyListener>();
  private readonly queued = new Set<GatewayEventName>();
  /** Events published as whole snapshots of a state (publishLatest): a newer one replaces the last. */
  private readonly snapshots = new Set<GatewayEventName>();
  /** The newest sequence number dropped from the replay for room: a reader behind it must resync. */
  private trimmedThrough = 0;
  private readonly onListenerError: (message: string) => void;
  private readonly redact: <T>(payload: T) => T;
  private reporting = false;

  constructor(options: EventHubOptions = {}) {
    this.maxCount = options.replayCount ?? 500;
    this.maxBytes = options.replayBytes ?? 1024 * 1024;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.redact = options.redact ?? ((payload) => payload);
  }

  publish<E extends GatewayEventName>(name: E, published: GatewayEventMap[E]): void {
    const payload = this.redact(published);
    const json = JSON.stringify(payload);
    const event: PublishedEvent<E> = { id: `${this.epoch}-${++this.seq}`, name, payload, json };
    // A snapshot makes the previous one of its kind useless to a reader that resumes: without this,
    // 200 clients connecting kept 31 lists of 200 sessions and pushed every other event out.
    if (this.snapshots.has(name)) {
      const older = this.replay.findIndex((e) => e.name === name);
      if (older !== -1) this.replayBytes -= this.replay.splice(older, 1)[0]!.json.length;
    }
    this.replay.push(event as PublishedEvent);
    this.replayBytes += json.length;
    while (this.replay.length > this.maxCount || (this.replayBytes > this.maxBytes && this.replay.length > 1)) {
      const dropped = this.replay.shift()!;
      this.replayBytes -= dropped.json.length;
      this.trimmedThrough = seqOf(dropped);
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(event as PublishedEvent);
      } catch (err) {
        this.report(`a listener of the "${name}" event failed: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * Sends an event to the listeners there are now, without keeping it for replay and without
   * redacting it again: for payloads made redacted and in volume (live traffic), which would
   * otherwise push everything else out of the replay window. It takes the id of the newest kept
   * event, so a stream that resumes after it is replayed what it missed of the others.
   */
  broadcast<E extends GatewayEventName>(name: E, payload: GatewayEventMap[E]): void {
    if (this.listeners.size === 0) return;
    const event: PublishedEvent<E> = { id: this.lastId(), name, payload, json: JSON.stringify(payload) };
    for (const listener of [...this.listeners]) {
      try {
        listener(event as PublishedEvent);
      } catch (err) {
        this.report(`a listener of the "${name}" event failed: ${errorMessage(err)}`);
      }
    }
  }

  /** Whether anyone listens (an open window or event stream). */
  hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  /**
   * Tells onListenerError, but never from inside its own report: the report is itself an event
   * (a log line), and a listener that fails on every event would otherwise recurse without end.
   */
  private report(message: string): void {
    if (this.reporting) return;
    this.reporting = true;
    try {
      this.onListenerError(message);
    } catch {
      // The reporter failed too: the event was delivered to everyone else, which is what matters.
    } finally {
      this.reporting = false;
    }
  }

  /**
   * Publishes the latest state once per turn of the event loop, however many changes asked for
   * it: a burst of server state changes becomes one `servers` event. `produce` runs when it is sent.
   */
  publishLatest<E extends GatewayEventName>(
    name: E,
    produce: () => GatewayEventMap[E] | Promise<GatewayEventMap[E]>,
  ): void {
    // Published even with nobody listening: a stream that reconnects replays it.
    this.snapshots.add(name);
    if (this.queued.has(name)) return;
    this.queued.add(name);
    setImmediate(() => {
      this.queued.delete(name);
      Promise.resolve()
        .then(produce)
        .then((payload) => this.publish(name, payload))
        .catch((err: unknown) => this.report(`could not publish the "${name}" event: ${errorMessage(err)}`));
    });
  }

  on<E extends GatewayEventName>(name: E, listener: (payload: GatewayEventMap[E]) => void): Unsubscribe {
    return this.onAny((event) => {
      if (event.name === name) listener(event.payload as GatewayEventMap[E]);
    });
  }

  /** Every event, with its id and JSON (for the bindings). */
  onAny(listener: AnyListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The id of the newest event (or of none yet), for a stream that starts afresh. */
  lastId(): string {
    return `${this.epoch}-${this.seq}`;
  }

  /**
   * The events after `lastId`, oldest first; `'gone'` when they cannot be told (another epoch,
   * or older than what is kept): the reader must fetch the state again.
   */
  since(lastId: string): PublishedEvent[] | 'gone' {
    const match = /^([0-9a-f]+)-(\d+)$/.exec(lastId);
    if (!match || match[1] !== this.epoch) return 'gone';
    const seen = Number(match[2]);
    if (seen > this.seq || seen < this.trimmedThrough) return 'gone';
    return this.replay.filter((e) => seqOf(e) > seen);
  }
}

function seqOf(event: PublishedEvent): number {
  return Number(event.id.slice(event.id.indexOf('-') + 1));
}
