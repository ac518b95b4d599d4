/**
 * A bounded pool of FastCGI connections to one server. At most `size` connections are open;
 * a request that finds them all busy waits (bounded by its deadline) for a slot.
 *
 * Keep-alive is careful because php-fpm ties a worker to each open connection: an idle
 * connection we keep pins a worker that a request queued on another of our connections may be
 * waiting for (with more connections than workers, that stalls until the idle one closes). So
 * a finished connection is kept only when no other request of ours is in flight, for at most
 * `idleMs` (php-fpm itself drops idle ones after 5 s); under concurrent load each request gets
 * a fresh connection, which on a local socket costs microseconds. A kept connection is handed
 * out again only after a short quiet period, so a server that closes after every reply (its FIN
 * right behind the reply) is seen closing first; after one such close the pool stops asking
 * the server to keep connections. A server that honours FCGI_KEEP_CONN, as php-fpm does, never
 * closes right after a reply; one that does not (node-fastcgi) may close some milliseconds after,
 * more on a busy machine, and a request sent meanwhile is lost with the connection.
 *
 * So until the server has shown that it keeps connections, a kept connection goes only to a
 * request that may be sent again (a list, a discover: `resendable`); any other request opens a
 * connection of its own. Shown means: a connection served two requests, or stayed open
 * PROVES_KEEP_ALIVE_MS after its reply. From then on a finished connection goes straight to the
 * next request: the quiet period cost every sequential call its 2 ms (2.5 ms p50 against 0.5 ms
 * over HTTP). A later close before a reply (php-fpm recycling a worker) is the stale-connection
 * case the client retries when the request never left. Until then at most one connection is kept,
 * so no more than one of the server's workers waits on a connection nobody uses.
 */
import { FastcgiConnection, FastcgiError, describeTarget, type CloseInfo, type FastcgiTarget } from './connection.ts';

/** A close this soon after the reply means the server does not keep connections. */
const CLOSES_AFTER_REPLY_MS = 250;
/** A kept connection still open this long after its reply shows the server keeps connections. */
const PROVES_KEEP_ALIVE_MS = CLOSES_AFTER_REPLY_MS + 50;
/** A finished connection is reused only after being quiet this long. */
const SETTLE_MS = 2;

export interface FastcgiPoolOptions {
  target: FastcgiTarget;
  size: number;
  /** Close a connection idle for this long (default 2000 ms). */
  idleMs?: number;
}

export interface Lease {
  connection: FastcgiConnection;
  /** The connection already served a request (a stale keep-alive is possible). */
  reused: boolean;
  /** The request waited for it: every connection of the pool was busy. */
  waited?: boolean;
}

interface Waiter {
  /** May go out on a kept connection the server has not shown it keeps (see the header). */
  resendable: boolean;
  grant(lease: Lease): void;
  fail(err: FastcgiError): void;
  /** Asked to open a connection itself (a slot freed up). */
  open(): void;
}

export interface PoolStats {
  open: number;
  idle: number;
  busy: number;
  waiting: number;
  keepAlive: boolean;
  /** The server has shown it keeps connections: kept ones go to any request (see the header). */
  keepsConnections: boolean;
  /** Connections opened so far. */
  connects: number;
}

export class FastcgiPool {
  private readonly opts: Required<FastcgiPoolOptions>;
  private open = 0;
  /** Connections lent out for a request. */
  private leased = 0;
  private readonly idle: { connection: FastcgiConnection; timer: NodeJS.Timeout; proof?: NodeJS.Timeout }[] = [];
  private readonly waiters: Waiter[] = [];
  /** Kept connections in their quiet period. */
  private readonly settling = new Map<FastcgiConnection, NodeJS.Timeout>();
  private closed = false;
  /** Whether connections are kept between requests (false once the server shows it closes them). */
  private keep = true;
  /** The server has shown it keeps connections: no quiet period, and kept ones go to any request. */
  private proven = false;
  private connects = 0;

  constructor(opts: FastcgiPoolOptions) {
    this.opts = { idleMs: 2000, ...opts };
  }

  stats(): PoolStats {
    return {
      open: this.open,
      idle: this.idle.length,
      busy: this.leased,
      waiting: this.waiters.length,
      keepAlive: this.keep,
      keepsConnections: this.proven,
      connects: this.connects,
    };
  }

  /** Most connections open at once from now on; requests waiting get the new room at once. */
  resize(size: number): void {
    this.opts.size = size;
    this.openForWaiters();
  }

  /** Whether to ask the server to keep the connection (FCGI_KEEP_CONN). */
  get keepAlive(): boolean {
    return this.keep;
  }

  /**
   * A connection for one request, by `deadline` (ms since epoch). Give it back with release().
   * `budgetMs` is the request's whole time limit, for the message when the wait runs out;
   * `resendable` says the request may be sent again (see the header).
   */
  async acquire(deadline: number, signal?: AbortSignal, budgetMs?: number, resendable = false): Promise<Lease> {
    if (this.closed) throw new FastcgiError('closed', 'the FastCGI connection pool is closed');
    if (Date.now() >= deadline)
      throw new FastcgiError(
        'timeout',
        `the ${budgetMs ?? 0} ms this request had ran out before it could be sent to FastCGI server ` +
          describeTarget(this.opts.target),
      );
    const trusting = resendable || this.proven;
    const idle = trusting ? this.takeIdle() : undefined;
    // A connection of its own, in the room of a kept one when the pool is full: that one is not
    // for it, and its worker is freed for the new one.
    if (!trusting && this.open >= this.opts.size) this.takeIdle()?.destroy();
    // A kept connection about to become free is worth the wait: a new one could queue behind
    // the very worker that connection still pins.
    const lease = idle
      ? { connection: idle, reused: true }
      : this.open < this.opts.size && (this.settling.size === 0 || !trusting)
        ? await this.connect(deadline)
        : await this.wait(deadline, signal, budgetMs, resendable);
    this.leased++;
    return lease;
  }

  /** Gives a connection back after its request: kept when nothing else is in flight, else closed. */
  release(connection: FastcgiConnection): void {
    this.leased--;
    if (this.closed || !this.keep || !connection.reusable || this.leased > 0) {
      connection.destroy();
      return;
    }
    if (connection.served >= 2) this.proven = true;
    if (this.proven) {
      this.handOver(connection);
      return;
    }
    // Not shown yet that the server keeps connections: one kept is enough to learn it.
    if (this.idle.length > 0 || this.settling.size > 0) {
      connection.destroy();
      return;
    }
    const settle = setTimeout(() => {
      this.settling.delete(connection);
      if (this.closed || !connection.reusable) {
        connection.destroy();
        return;
      }
      this.handOver(connection);
    }, SETTLE_MS);
    this.settling.set(connection, settle);
  }

  /**
   * A kept connection to the request waiting longest, or to the idle list. The others waiting
   * (for this connection to settle) open connections of their own where the pool has room: they
   * must not queue behind the one that got it.
   */
  private handOver(connection: FastcgiConnection): void {
    const next = this.waiters.findIndex((w) => this.proven || w.resendable);
    if (next !== -1) {
      this.waiters.splice(next, 1)[0]!.grant({ connection, reused: true, waited: true });
      this.openForWaiters();
      return;
    }
    if (this.waiters.length > 0) {
      // Only requests this connection is not for wait: its room goes to one of them.
      connection.destroy();
      return;
    }
    const timer = setTimeout(() => connection.destroy(), this.opts.idleMs);
    timer.unref();
    const entry: (typeof this.idle)[number] = { connection, timer };
    if (!this.proven) {
      entry.proof = setTimeout(() => {
        if (connection.reusable) this.proven = true;
      }, PROVES_KEEP_ALIVE_MS);
      entry.proof.unref();
    }
    this.idle.push(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [connection, timer] of this.settling) {
      clearTimeout(timer);
      connection.destroy();
    }
    this.settling.clear();
    for (const { connection, timer, proof } of this.idle.splice(0)) {
      clearTimeout(timer);
      clearTimeout(proof);
      connection.destroy();
    }
    for (const w of this.waiters.splice(0))
      w.fail(new FastcgiError('closed', 'the FastCGI connection pool was closed'));
  }

  /** For a request that waited its `budgetMs` and got no connection. */
  busyError(budgetMs: number): FastcgiError {
    return new FastcgiError(
      'busy',
      `all ${this.opts.size} connections to FastCGI server ${describeTarget(this.opts.target)} ` +
        `stayed busy for the ${budgetMs} ms this request could wait (raise "pool", or the server's worker count)`,
    );
  }

  /** Every request waiting opens a connection of its own, as far as the pool has room. */
  private openForWaiters(): void {
    while (!this.closed && this.open < this.opts.size && this.waiters.length > 0) this.waiters.shift()!.open();
  }

  private takeIdle(): FastcgiConnection | undefined {
    while (this.idle.length) {
      const { connection, timer, proof } = this.idle.pop()!;
      clearTimeout(timer);
      clearTimeout(proof);
      if (connection.reusable) return connection;
      connection.destroy();
    }
    return undefined;
  }

  private async connect(deadline: number): Promise<Lease> {
    this.open++;
    this.connects++;
    let connection: FastcgiConnection;
    try {
      connection = await FastcgiConnection.connect(this.opts.target, Math.max(1, deadline - Date.now()));
    } catch (err) {
      this.slotFreed();
      throw err;
    }
    connection.onClosed((info) => {
      const i = this.idle.findIndex((e) => e.connection === connection);
      if (i !== -1) {
        const entry = this.idle.splice(i, 1)[0]!;
        clearTimeout(entry.timer);
        clearTimeout(entry.proof);
      }
      clearTimeout(this.settling.get(connection));
      this.settling.delete(connection);
      this.learn(info);
      this.slotFreed();
    });
    if (this.closed) {
      connection.destroy();
      throw new FastcgiError('closed', 'the FastCGI connection pool was closed');
    }
    return { connection, reused: false };
  }

  private learn(info: CloseInfo): void {
    if (!info.byServer || info.msAfterReply === undefined) return;
    if (info.msAfterReply > CLOSES_AFTER_REPLY_MS) return;
    this.keep = false;
  }

  /** A reused connection turned out closed before it could be used. */
  noteStale(): void {
    this.keep = false;
    this.proven = false;
  }

  private slotFreed(): void {
    this.open--;
    this.openForWaiters();
  }

  private wait(
    deadline: number,
    signal: AbortSignal | undefined,
    budgetMs: number | undefined,
    resendable: boolean,
  ): Promise<Lease> {
    return new Promise((resolve, reject) => {
      const waitMs = Math.max(0, deadline - Date.now());
      const shown = budgetMs ?? waitMs;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        resendable,
        grant: (lease) => {
          done();
          resolve(lease);
        },
        fail: (err) => {
          done();
          reject(err);
        },
        open: () => {
          done();
          // A slot freed up too late (the gateway busy meanwhile): no connection for a request
          // that will not be sent.
          if (Date.now() >= deadline) reject(this.busyError(shown));
          else this.connect(deadline).then((lease) => resolve({ ...lease, waited: true }), reject);
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(this.busyError(shown));
      }, waitMs);
      const onAbort = (): void => {
        done();
        reject(new FastcgiError('cancelled', 'cancelled while waiting for a free FastCGI connection'));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}
