/**
 * A small FastCGI client: one POST-like responder request in, the parsed CGI response out,
 * over a bounded keep-alive pool, with one deadline covering the wait for a connection and the
 * exchange. Written here rather than wrapping `fastcgi-client` (see docs/configuration.md,
 * "Why our own FastCGI client").
 */
import { parseCgiResponse, CgiResponseError, type CgiResponse } from './cgi-response.ts';
import { FastcgiError, REQUEST_ID, describeTarget, type FastcgiTarget } from './connection.ts';
import { FastcgiPool, type PoolStats } from './pool.ts';

export interface FastcgiClientOptions {
  target: FastcgiTarget;
  /** Most connections open at once. */
  pool: number;
  idleMs?: number;
}

export interface FastcgiRequest {
  params: Iterable<readonly [string, string]>;
  body: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  maxBytes: number;
  /**
   * Safe to send again: when a reused keep-alive connection turns out closed before any reply,
   * the request goes once more on a fresh one. Never for calls with side effects.
   */
  retryStale?: boolean;
}

export interface FastcgiResponse extends CgiResponse {
  stderr: string;
}

export class FastcgiClient {
  private readonly pool: FastcgiPool;
  readonly target: FastcgiTarget;

  constructor(opts: FastcgiClientOptions) {
    this.target = opts.target;
    this.pool = new FastcgiPool(
      opts.idleMs === undefined
        ? { target: opts.target, size: opts.pool }
        : { target: opts.target, size: opts.pool, idleMs: opts.idleMs },
    );
  }

  stats(): PoolStats {
    return this.pool.stats();
  }

  /** Most connections open at once from now on (shared.ts: the largest of its users'). */
  resize(pool: number): void {
    this.pool.resize(pool);
  }

  async request(req: FastcgiRequest): Promise<FastcgiResponse> {
    const deadline = Date.now() + req.timeoutMs;
    const params = [...req.params];
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(req, params, deadline);
      } catch (err) {
        if (!(err instanceof StaleConnection)) throw err;
        this.pool.noteStale();
        // Again on a fresh connection: when the request never left, or when resending is harmless.
        if (attempt === 0 && (err.error.notSent || req.retryStale)) continue;
        throw err.error;
      }
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async once(
    req: FastcgiRequest,
    params: (readonly [string, string])[],
    deadline: number,
  ): Promise<FastcgiResponse> {
    if (req.signal?.aborted) throw new FastcgiError('cancelled', 'cancelled');
    const { connection, reused, waited } = await this.pool.acquire(deadline, req.signal, req.timeoutMs, req.retryStale);
    const timeoutMs = deadline - Date.now();
    if (timeoutMs <= 0) {
      // The connection came when the request's time was up (a busy pool, a slow connect, the gateway
      // itself busy meanwhile). Sent now, the server would run it for nobody: it is not sent.
      this.pool.release(connection);
      throw waited
        ? this.pool.busyError(req.timeoutMs)
        : new FastcgiError(
            'timeout',
            `connecting to FastCGI server ${describeTarget(this.target)} took longer than the ${req.timeoutMs} ms ` +
              'this request had; it was not sent',
          );
    }
    const timer = setTimeout(() => {
      // Nothing at all back: a server that queues what its workers cannot take yet (php-fpm) looks
      // the same as a slow script, so both are named. Neither stops for our giving up (php-fpm reads
      // a queued request from its closed connection and runs it), which a caller must know.
      const { bytes, foreignId } = connection.received;
      const why =
        bytes === 0
          ? ' (nothing of it came: the script is still running, or every worker of the pool is busy; ' +
            "php-fpm's pm.max_children sets how many there are. php-fpm runs a request it took to its end, also " +
            'one still queued when the call gave up on it: a "pool" no larger than pm.max_children keeps the ' +
            'wait in Switchboard, where a call that times out never reaches php-fpm)'
          : ` (${bytes} bytes came, but not its FCGI_END_REQUEST record` +
            (foreignId === undefined
              ? ')'
              : `; they were records for request id ${foreignId}, and this request is id ${REQUEST_ID})`);
      connection.destroy(
        new FastcgiError(
          'timeout',
          `no complete reply from FastCGI server ${describeTarget(this.target)} within ${req.timeoutMs} ms${why}`,
        ),
      );
    }, timeoutMs);
    const onAbort = (): void => connection.destroy(new FastcgiError('cancelled', 'cancelled'));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const reply = await connection.request(params, req.body, req.maxBytes, this.pool.keepAlive);
      let response: CgiResponse;
      try {
        response = parseCgiResponse(reply.stdout);
      } catch (err) {
        if (err instanceof CgiResponseError)
          throw new FastcgiError('protocol', err.message, {
            partial: reply.stdout,
            ...(reply.stderr ? { stderr: reply.stderr } : {}),
          });
        throw err;
      }
      return { ...response, stderr: reply.stderr };
    } catch (err) {
      if (reused && err instanceof FastcgiError && err.kind === 'closed' && !err.partial)
        throw new StaleConnection(err);
      throw err;
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      this.pool.release(connection);
    }
  }
}

/** A reused connection died before any reply: the server may never have seen the request. */
class StaleConnection extends Error {
  readonly error: FastcgiError;
  constructor(error: FastcgiError) {
    super(error.message);
    this.error = error;
  }
}
