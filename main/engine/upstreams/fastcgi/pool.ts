/**
 * A bounded pool of FastCGI connections to one server. At most `size` connections are open;
 * a request that finds them all busy waits (bounded by its deadline) for one to come back.
 * Idle connections are closed after `idleMs`: php-fpm ties a worker to each open connection,
 * so idle ones must not hold workers for long (php-fpm itself drops them after 5 s).
 */
import { FastcgiConnection, FastcgiError, describeTarget, type FastcgiTarget } from './connection.ts';

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
}

interface Waiter {
  grant(lease: Lease): void;
  fail(err: FastcgiError): void;
  /** Asked to open a connection itself (a slot freed up). */
  open(): void;
}

export interface PoolStats {
  open: number;
  idle: number;
  waiting: number;
}

export class FastcgiPool {
  private readonly opts: Required<FastcgiPoolOptions>;
  private open = 0;
  private readonly idle: { connection: FastcgiConnection; timer: NodeJS.Timeout }[] = [];
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(opts: FastcgiPoolOptions) {
    this.opts = { idleMs: 2000, ...opts };
  }

  stats(): PoolStats {
    return { open: this.open, idle: this.idle.length, waiting: this.waiters.length };
  }

  /** A connection for one request, by `deadline` (ms since epoch). */
  acquire(deadline: number, signal?: AbortSignal): Promise<Lease> {
    if (this.closed) return Promise.reject(new FastcgiError('closed', 'the FastCGI connection pool is closed'));
    const idle = this.takeIdle();
    if (idle) return Promise.resolve({ connection: idle, reused: true });
    if (this.open < this.opts.size) return this.connect(deadline);
    return this.wait(deadline, signal);
  }

  /** Gives a connection back after its request; broken ones are dropped. */
  release(connection: FastcgiConnection): void {
    if (this.closed || !connection.reusable) {
      connection.destroy();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.grant({ connection, reused: true });
      return;
    }
    const timer = setTimeout(() => connection.destroy(), this.opts.idleMs);
    timer.unref();
    // Most recently used first: the others go idle and get closed.
    this.idle.push({ connection, timer });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { connection, timer } of this.idle.splice(0)) {
      clearTimeout(timer);
      connection.destroy();
    }
    for (const w of this.waiters.splice(0)) w.fail(new FastcgiError('closed', 'the FastCGI connection pool was closed'));
  }

  private takeIdle(): FastcgiConnection | undefined {
    while (this.idle.length) {
      const { connection, timer } = this.idle.pop()!;
      clearTimeout(timer);
      if (connection.reusable) return connection;
      connection.destroy();
    }
    return undefined;
  }

  private async connect(deadline: number): Promise<Lease> {
    this.open++;
    let connection: FastcgiConnection;
    try {
      connection = await FastcgiConnection.connect(this.opts.target, Math.max(1, deadline - Date.now()));
    } catch (err) {
      this.slotFreed();
      throw err;
    }
    connection.onClosed(() => {
      const i = this.idle.findIndex((e) => e.connection === connection);
      if (i !== -1) clearTimeout(this.idle.splice(i, 1)[0]!.timer);
      this.slotFreed();
    });
    if (this.closed) {
      connection.destroy();
      throw new FastcgiError('closed', 'the FastCGI connection pool was closed');
    }
    return { connection, reused: false };
  }

  private slotFreed(): void {
    this.open--;
    if (this.closed) return;
    this.waiters.shift()?.open();
  }

  private wait(deadline: number, signal?: AbortSignal): Promise<Lease> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
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
          this.connect(deadline).then(resolve, reject);
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new FastcgiError('busy', `all ${this.opts.size} connections to FastCGI server ${describeTarget(this.opts.target)} stayed busy for ${Date.now() - started} ms (raise "pool", or the server's worker count)`));
      }, Math.max(0, deadline - Date.now()));
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
