/**
 * What the gateway holds for one client session, bounded in bytes (limits.maxSessionBufferBytes):
 * messages waiting for a connection whose client is not reading, and events kept so a broken
 * HTTP stream can be resumed. Past the budget the oldest are dropped: first events the client has
 * had (kept only for a resume, so nothing it lacks), then notifications before responses and
 * requests (a flood of log messages never pushes out a tool's result); the newest message is always
 * kept, and every drop of a message the client has not had is counted and reported. Sizes are string lengths: what
 * the held JSON text costs, without measuring bytes on the message path.
 */
import type { Writable } from 'node:stream';

/** A message held by a SessionBuffer; release it once it no longer needs holding. */
export class Held {
  readonly size: number;
  /** Set while held: the list it sits in (notifications or the rest). */
  list: HeldList | undefined;
  prev: Held | undefined;
  next: Held | undefined;
  private readonly buffer: SessionBuffer;
  private readonly onDrop: () => void;

  constructor(buffer: SessionBuffer, size: number, list: HeldList, onDrop: () => void) {
    this.buffer = buffer;
    this.size = size;
    this.list = list;
    this.onDrop = onDrop;
  }

  /** No longer held (delivered, finished, or its stream is gone). Idempotent. */
  release(): void {
    if (!this.list) return;
    this.list.remove(this);
    this.list = undefined;
    this.buffer.freed(this.size);
  }

  drop(): void {
    this.release();
    this.onDrop();
  }

  /** The client has it: from now on it is held only for a resume, and the first to go past the budget. */
  delivered(): void {
    this.buffer.delivered(this);
  }
}

/** Oldest first; removal from anywhere in O(1). */
class HeldList {
  head: Held | undefined;
  private tail: Held | undefined;

  push(held: Held): void {
    held.prev = this.tail;
    held.next = undefined;
    if (this.tail) this.tail.next = held;
    else this.head = held;
    this.tail = held;
  }

  remove(held: Held): void {
    if (held.prev) held.prev.next = held.next;
    else this.head = held.next;
    if (held.next) held.next.prev = held.prev;
    else this.tail = held.prev;
    held.prev = held.next = undefined;
  }
}

export class SessionBuffer {
  readonly maxBytes: number;
  private bytes = 0;
  private readonly notifications = new HeldList();
  private readonly others = new HeldList();
  /** Messages the client has had, kept to resume a broken stream. */
  private readonly delivereds = new HeldList();
  private readonly onDrop: (messages: number, bytes: number) => void;

  /** `onDrop` hears of each round of drops (how many messages, how large together). */
  constructor(maxBytes: number, onDrop: (messages: number, bytes: number) => void) {
    this.maxBytes = maxBytes;
    this.onDrop = onDrop;
  }

  /** What is held now. */
  get size(): number {
    return this.bytes;
  }

  /** Holds a message of `size`; `onDrop` is called if it is later dropped to make room. */
  hold(size: number, notification: boolean, onDrop: () => void): Held {
    const list = notification ? this.notifications : this.others;
    const held = new Held(this, size, list, onDrop);
    list.push(held);
    this.bytes += size;
    if (this.bytes > this.maxBytes) this.makeRoom(held);
    return held;
  }

  /** Called by Held.release. */
  freed(size: number): void {
    this.bytes -= size;
  }

  /** Called by Held.delivered. */
  delivered(held: Held): void {
    if (!held.list || held.list === this.delivereds) return;
    held.list.remove(held);
    held.list = this.delivereds;
    this.delivereds.push(held);
  }

  private makeRoom(newest: Held): void {
    let messages = 0;
    let bytes = 0;
    while (this.bytes > this.maxBytes) {
      // What the client has had goes first, and unreported: it costs only a resume of it.
      const had = oldestBut(this.delivereds, newest);
      if (had) {
        had.drop();
        continue;
      }
      const victim = oldestBut(this.notifications, newest) ?? oldestBut(this.others, newest);
      if (!victim) break;
      messages++;
      bytes += victim.size;
      victim.drop();
    }
    if (messages > 0) this.onDrop(messages, bytes);
  }
}

function oldestBut(list: HeldList, newest: Held): Held | undefined {
  const head = list.head;
  return head === newest ? head.next : head;
}

/**
 * Reports drops through the gateway's log, at most once per `everyMs` (a flood must not flood
 * the log too): the first at once, later ones summed up.
 */
export function dropReporter(
  log: (text: string) => void,
  who: () => string,
  limit: number,
  everyMs = 10_000,
): (messages: number, bytes: number) => void {
  let messages = 0;
  let bytes = 0;
  let total = 0;
  let last = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const report = (): void => {
    timer = undefined;
    if (messages === 0) return;
    last = performance.now();
    const so = total > messages ? ` (${total} so far)` : '';
    log(
      `${who()} is not reading: dropped ${messages} messages (${bytes} bytes) waiting for it, oldest ` +
        `first${so}; a session may hold ${limit} bytes (limits.maxSessionBufferBytes)`,
    );
    messages = 0;
    bytes = 0;
  };
  return (m, b) => {
    messages += m;
    bytes += b;
    total += m;
    const wait = last + everyMs - performance.now();
    if (wait <= 0) report();
    else timer ??= setTimeout(report, wait).unref();
  };
}

/** The part of a Writable an Outbox uses (a socket, stdout, an HTTP response). */
export type OutboxTarget = Pick<Writable, 'write' | 'once' | 'writableEnded' | 'destroyed'>;

interface Queued {
  /** Undefined once dropped. */
  text: string | undefined;
  held: Held;
}

/**
 * Ordered writes to one connection that respect its backpressure: while the connection takes
 * data, messages go straight to it; once it is full, they wait here, held by the session's
 * buffer (and dropped by it past the budget), until it drains.
 */
export class Outbox {
  private readonly target: OutboxTarget;
  private readonly buffer: SessionBuffer;
  private queue: Queued[] = [];
  private head = 0;
  private waiting = false;

  constructor(target: OutboxTarget, buffer: SessionBuffer) {
    this.target = target;
    this.buffer = buffer;
  }

  send(text: string, notification: boolean): void {
    if (this.target.writableEnded || this.target.destroyed) return;
    if (!this.waiting) {
      if (!this.target.write(text)) this.wait();
      return;
    }
    const item: Queued = { text, held: undefined as unknown as Held };
    item.held = this.buffer.hold(text.length, notification, () => {
      item.text = undefined;
    });
    this.queue.push(item);
  }

  /** Whether messages wait for the connection to drain. */
  get busy(): boolean {
    return this.waiting;
  }

  /** Lets go of everything still waiting (the connection is gone). */
  clear(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.held.release();
    this.queue = [];
    this.head = 0;
  }

  private wait(): void {
    this.waiting = true;
    this.target.once('drain', () => {
      this.waiting = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.head < this.queue.length) {
      const item = this.queue[this.head++]!;
      item.held.release();
      if (item.text === undefined) continue;
      if (this.target.writableEnded || this.target.destroyed) break;
      if (!this.target.write(item.text)) {
        this.wait();
        break;
      }
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
