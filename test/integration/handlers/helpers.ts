/** Shared bits of the handler integration tests. */
import { parseHandlerAddress } from '../../../main/engine/config/handler-address.ts';
import type { HandlerSpec } from '../../../main/engine/upstreams/handler/handler-upstream.ts';

export const FAST_BACKOFF = { initialMs: 50, maxMs: 200, maxAttempts: 4, stableMs: 60_000 };

/** A spec the way the config normalizes `handler` (+ entrypoint). */
export function specFor(
  name: string,
  handler: string,
  extra: Partial<Omit<HandlerSpec, 'kind' | 'target'>> & { entrypoint?: string; insecure?: boolean } = {},
): HandlerSpec {
  const address = parseHandlerAddress(handler);
  if ('error' in address) throw new Error(address.error);
  const base = { name, headers: {}, timeoutMs: 10_000, pool: 8, discoverTtlMs: 0 };
  if (address.kind === 'handler-http') {
    const { entrypoint: _unused, ...rest } = extra;
    return { kind: 'handler-http', ...base, target: address.target, insecure: false, ...rest };
  }
  const { insecure: _unused, ...rest } = extra;
  return { kind: 'handler-fastcgi', ...base, target: address.target, entrypoint: '/nowhere.php', ...rest };
}
