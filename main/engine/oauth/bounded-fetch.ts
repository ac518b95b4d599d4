/**
 * What an authorization server may take. Its answers (metadata, a registration, tokens) are small
 * JSON documents: each is read whole here, within a time and a size limit, so a server that
 * trickles or floods can neither hold a login or a refresh (and every call waiting on that
 * refresh) forever nor fill the gateway's memory.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { NULL_BODY_STATUSES, rebuilt } from '../egress/response-body.ts';

export interface AuthServerLimits {
  /** The whole exchange, answer read to its end. */
  timeoutMs: number;
  maxBytes: number;
}

export const AUTH_SERVER_LIMITS: AuthServerLimits = { timeoutMs: 30_000, maxBytes: 1024 * 1024 };

export function boundedFetch(base: FetchLike, limits: AuthServerLimits = AUTH_SERVER_LIMITS): FetchLike {
  return async (url, init) => {
    const deadline = AbortSignal.timeout(limits.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const origin = new URL(String(url)).origin;
    try {
      const response = await base(url, { ...init, signal });
      if (!response.body || NULL_BODY_STATUSES.has(response.status)) return response;
      return rebuilt(response, await readWhole(response.body, limits.maxBytes, origin));
    } catch (err) {
      if (deadline.aborted && !init?.signal?.aborted)
        throw new Error(`${origin} did not answer within ${limits.timeoutMs / 1000} s`, { cause: err });
      throw err;
    }
  };
}

async function readWhole(body: ReadableStream<Uint8Array>, maxBytes: number, origin: string): Promise<Buffer> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.length;
    if (size > maxBytes) {
      // The rest is not wanted; a stream that already failed has nothing left to cancel.
      void Promise.allSettled([reader.cancel()]);
      throw new Error(`${origin} sent more than ${Math.round(maxBytes / 1024)} KiB in one answer`);
    }
    chunks.push(value);
  }
}
