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
import { rebuilt } from '../../egress/response-body.ts';
import { parseRetryAfter } from '../retry-after.ts';

/** What happened to the HTTP request(s) behind one transport.send. */
export interface PostTrace {
  url?: string;
  status?: number;
  /** Start of the body of an error response or a web page (small; the SDK reads the rest itself). */
  body?: string;
  /** The response's Content-Type. */
  contentType?: string;
  /** Where a redirect the SDK did not follow leads (its Location, resolved). */
  location?: string;
  /** The wait an error response asked for (its Retry-After), in ms. */
  retryAfterMs?: number;
  /** Set when fetch itself threw: no HTTP response at all. */
  error?: unknown;
  /** The request the POST carries, if it is one (set by the sender). */
  requestId?: RequestId;
  /** The body was refused (too large, not UTF-8): what the request should fail with. */
  refused?: JsonRpcErrorObject;
  /** The answer came as an event stream that named an event id (the SDK resumes it if it breaks). */
  resumable?: boolean;
  /** The answer came as an event stream, and it has ended (or broken off). Set by the sender. */
  onStreamEnd?: () => void;
  /** A GET that resumed the answer stream (Last-Event-ID) got this. Set by the sender. */
  onResumed?: (result: StreamResult) => void;
  /**
   * The SDK lost the stream's event id and opened a plain GET in this request's context: what
   * arrives from now on in it is the session's, not this request's (see answeringRequestId).
   */
  detached?: boolean;
  /**
   * Ends the POST (set by observingFetch): aborts it while its response has not come, and ends its
   * answer stream once that streams in.
   */
  closeStream?: () => void;
  /**
   * The request was given up (it timed out or was cancelled): its answer stream was closed, and a
   * resumption of it is not asked for (a server may keep one open forever). Set by the sender.
   */
  givenUp?: boolean;
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

/**
 * The request whose POST answer stream is being read now, if any. The SDK reads that stream in the
 * send's async context, so what it delivers from there (a server's question, sent on the stream of
 * the request it belongs to) can be told apart from what came on the GET stream.
 */
export function answeringRequestId(): RequestId | undefined {
  const trace = traces.getStore();
  return trace?.detached ? undefined : trace?.requestId;
}

/**
 * Called with each message the SDK delivers. When it is the answer to the request whose answer
 * stream is being read, that stream has nothing more to bring, and the spec has the server close
 * it then; one kept open (by a server that forgets to) is closed here, or every call would hold a
 * connection, on both sides, for as long as the session lasts. An error answer on a stream that
 * named an event id is the exception: the SDK resumes such a stream once it ends (it waits only
 * for a result), and that GET would be held open in its place.
 */
export function endAnsweredStream(message: unknown): void {
  const trace = traces.getStore();
  if (!trace?.closeStream || trace.detached) return;
  const answer = message as { id?: unknown; method?: unknown; result?: unknown };
  if (answer.id !== trace.requestId || answer.method !== undefined) return;
  if (answer.result === undefined && trace.resumable) return;
  const close = trace.closeStream;
  trace.closeStream = undefined;
  close();
}

/** Runs one send with `trace` collecting what its POST got back (carried across awaits by AsyncLocalStorage). */
export function tracePost<T>(trace: PostTrace, send: () => Promise<T>): Promise<T> {
  return traces.run(trace, send);
}

const ERROR_BODY_BYTES = 2048;

/**
 * `onStream` hears how each GET that opens the session's event stream went. A GET that resumes a
 * request's answer stream is made in that request's send context (the SDK's reconnect timer is
 * set there), with Last-Event-ID: it is reported to the request's trace instead. A GET in that
 * context without one is the SDK reconnecting a resumed stream that ended before naming a new
 * event id: a plain session stream, reported to neither, and the request no longer owns what
 * arrives in its context.
 */
export function observingFetch(
  limits: BodyLimits,
  onStream?: (result: StreamResult) => void,
  base: FetchLike = fetch,
): FetchLike {
  return async (url, request) => {
    const method = (request?.method ?? 'GET').toUpperCase();
    const store = traces.getStore();
    const trace = method === 'POST' ? store : undefined;
    const inRequest = method === 'GET' && store?.requestId !== undefined ? store : undefined;
    // The SDK stops resuming a stream that gets 405; one of a request given up is not wanted.
    if (inRequest?.givenUp) return new Response(null, { status: 405 });
    const { init, unlink, abort } = ownSignal(withForwardedHeaders(request));
    if (trace?.requestId !== undefined) trace.closeStream = abort;
    if (inRequest && !new Headers(init?.headers).has('last-event-id')) inRequest.detached = true;
    const onGet = inRequest ? (inRequest.detached ? undefined : inRequest.onResumed) : onStream;
    if (trace) trace.url = String(url);
    let raw: Response;
    try {
      raw = await base(url, init);
    } catch (err) {
      unlink();
      const aborted = init?.signal?.aborted === true;
      if (trace && !aborted) trace.error = err;
      if (method === 'GET' && !aborted) onGet?.({ error: err });
      throw err;
    }
    const { response: guarded, whole } = await guardResponse(raw, {
      ...limits,
      ...(trace?.requestId === undefined ? {} : { requestId: trace.requestId }),
      ...(trace
        ? {
            onRefused: (error: JsonRpcErrorObject) => {
              trace.refused = error;
            },
            onEventId: () => {
              trace.resumable = true;
            },
          }
        : {}),
    });
    // Most answers guardResponse read whole already: nothing is left that an abort could stop.
    if (whole) unlink();
    if (whole && trace) trace.closeStream = undefined;
    const streamEnded = !whole && trace?.onStreamEnd && isEventStream(guarded) ? trace.onStreamEnd : undefined;
    const ended = streamEnded
      ? () => {
          unlink();
          streamEnded();
        }
      : unlink;
    const response = whole ? guarded : unlinkWhenRead(guarded, ended, trace && streamEnded ? trace : undefined);
    if (trace) {
      trace.status = response.status;
      trace.contentType = response.headers.get('content-type') ?? undefined;
      // A web page where MCP was expected is read too: what it says is how the failure is explained.
      if (!response.ok || /^\s*text\/html/i.test(trace.contentType ?? ''))
        trace.body = await readStart(response.clone(), ERROR_BODY_BYTES);
      if (!response.ok) trace.retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
      if (location !== null) trace.location = URL.parse(location, String(url))?.href ?? location;
    }
    if (method === 'GET') onGet?.({ status: response.status });
    return response;
  };
}

function isEventStream(response: Response): boolean {
  return response.ok && /^\s*text\/event-stream/i.test(response.headers.get('content-type') ?? '');
}

/**
 * The request with a signal of its own, following the caller's. The SDK hands every request the
 * one long-lived signal of its transport; undici adds an abort listener per request to the signal
 * it is given and drops it only when the request is garbage-collected, and each addEventListener
 * walks the listeners already there: ~35 µs per call under load (docs/benchmarks.md, finding 6).
 * Here the shared signal carries one short-lived listener per request, removed by `unlink`.
 */
function ownSignal(init: RequestInit | undefined): {
  init: RequestInit;
  unlink: () => void;
  /** Aborts this request alone (one given up before its response came). */
  abort: () => void;
} {
  const shared = init?.signal;
  const own = new AbortController();
  const mine = { ...init, signal: own.signal };
  const abort = (): void => own.abort(new Error('the request was given up'));
  if (!shared) return { init: mine, unlink: () => undefined, abort };
  if (shared.aborted) {
    own.abort(shared.reason);
    return { init: mine, unlink: () => undefined, abort };
  }
  const onAbort = (): void => own.abort(shared.reason);
  shared.addEventListener('abort', onAbort, { once: true });
  return { init: mine, unlink: () => shared.removeEventListener('abort', onAbort), abort };
}

/**
 * The response, calling `unlink` once its body has been read to the end, failed or been cancelled.
 * With `trace`, its closeStream ends the body early: the reader sees it end.
 */
function unlinkWhenRead(response: Response, unlink: () => void, trace?: PostTrace): Response {
  if (!response.body) {
    unlink();
    return response;
  }
  const reader = response.body.getReader();
  // Cancelling the source ends a read waiting on it as done: the stream closes as if the server had.
  if (trace) trace.closeStream = () => void Promise.allSettled([reader.cancel()]);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          unlink();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        unlink();
        controller.error(err);
      }
    },
    async cancel(reason) {
      unlink();
      await reader.cancel(reason);
    },
  });
  return rebuilt(response, body);
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
