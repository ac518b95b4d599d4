/**
 * One FastCGI client (and so one connection pool) per FastCGI server address, shared by every
 * handler entry that reaches it. php-fpm ties a worker to each open connection: with a pool per
 * entry, each entry kept an idle connection of its own, and a few entries on one php-fpm pool held
 * all its workers between them, so another entry's request waited until one closed (for ever, when
 * clients kept listing). Shared, the pool's rule that a connection is kept only while nothing else
 * is in flight holds for all of them. Its size is the largest any of them asks for.
 */
import { FastcgiClient } from './client.ts';
import { describeTarget, type FastcgiTarget } from './connection.ts';

interface Shared {
  client: FastcgiClient;
  /** Each user's pool size. */
  sizes: Map<symbol, number>;
}

const byAddress = new Map<string, Shared>();

export function sharedFastcgiClient(
  target: FastcgiTarget,
  size: number,
  idleMs?: number,
): { client: FastcgiClient; release(): Promise<void> } {
  const key = describeTarget(target);
  let shared = byAddress.get(key);
  if (!shared) {
    const client = new FastcgiClient(idleMs === undefined ? { target, pool: size } : { target, pool: size, idleMs });
    byAddress.set(key, (shared = { client, sizes: new Map() }));
  }
  const user = Symbol(key);
  shared.sizes.set(user, size);
  const { client, sizes } = shared;
  client.resize(Math.max(...sizes.values()));
  let released = false;
  return {
    client,
    async release() {
      if (released) return;
      released = true;
      sizes.delete(user);
      if (sizes.size > 0) return client.resize(Math.max(...sizes.values()));
      byAddress.delete(key);
      await client.close();
    },
  };
}
