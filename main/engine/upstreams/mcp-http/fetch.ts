/**
 * The fetch the SDK transports use. It watches what each POST got back (so a failed send can be
 * explained with a status and the server's words) and how the GET stream is doing (so a lost
 * session or stream can be told apart from a hiccup the SDK retries on its own), and adds the
 * calling client's forwarded headers (client-headers.ts). Requests go out through `base`: the
 * egress-checked fetch (egress/fetch.ts). And it guards every body before the SDK parses it: size
 * and UTF-8 checks as the bytes stream in (http-body.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JsonRpcErrorObject } from '../../protocol/errors.ts';
import type { RequestId } from '../../protocol/jsonrpc.ts';
import { currentClientHeaders } from '../client-headers.ts';
import { guardResponse } from '../http-body.ts';

/** What happened to the HTTP request(s) behind one transport.send. */
export interface PostTrace {
  url?: string;
  status?: number;
  /** Start of the body of an error response (small; the SDK reads the rest itself). */
  body?: string;
  /** Set when fetch itself threw: no HTTP response at all. */
  error?: unknown;
  /** The request the POST carries, if it is one (set by the sender). */
  requestId?: RequestId;
  /** The body was refused (too large, not UTF-8): what the request should fail with. */
  refused?: JsonRpcErrorObject;
}

/** What every body is held to: see http-body.ts. */
export interface BodyLimits {
  server: string;
  maxBytes: number;
  /** Dropped SSE events are logged here. */
  log(line: string): void;
}

export type StreamResult = { status: number } | { error: unknown };

const traces = new AsyncLocalStorage<PostTrace>();

/** Runs one send with `trace` collecting what its POST got back (carried across awaits by AsyncLocalStorage). */
export function tracePost<T>(trace: PostTrace, send: () => Promise<T>): Promise<T> {
  return traces.run(trace, send);
}

const ERROR_BODY_BYTES = 2048;

export function observingFetch(
  limits: BodyLimits,
  onStream?: (result: StreamResult) => void,
  base: FetchLike = fetch,
): FetchLike {
  return async (url, request) => {
    const init = withForwardedHeaders(request);
    const method = (init?.method ?? 'GET').toUpperCase();
    const trace = method === 'POST' ? traces.getStore() : undefined;
    if (trace) trace.url = String(url);
    let raw: Response;
    try {
      raw = await base(url, init);
    } catch (err) {
      const aborted = init?.signal?.aborted === true;
      if (trace && !aborted) trace.error = err;
      if (method === 'GET' && !aborted) onStream?.({ error: err });
      throw err;
    }
    const response = await guardResponse(raw, {
      ...limits,
      ...(trace?.requestId === undefined ? {} : { requestId: trace.requestId }),
      ...(trace
        ? {
            onRefused: (error: JsonRpcErrorObject) => {
              trace.refused = error;
            },
          }
        : {}),
    });
    if (trace) {
      trace.status = response.status;
      if (!response.ok) trace.body = await readStart(response.clone(), ERROR_BODY_BYTES);
    }
    if (method === 'GET') onStream?.({ status: response.status });
    return response;
  };
}

/** The request with the calling client's forwarded headers set (replacing a configured one it may override). */
function withForwardedHeaders(init: RequestInit | undefined): RequestInit | undefined {
  const extra = currentClientHeaders();
  if (!extra) return init;
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return { ...init, headers };
}

/** Up to `max` bytes of a body as text; the rest is discarded. */
async function readStart(response: Response, max: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body that breaks off still says what it said so far.
  } finally {
    // The rest is not wanted; a body that already failed has nothing left to cancel.
    void Promise.allSettled([reader.cancel()]);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
