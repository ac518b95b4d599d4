/**
 * One SDK client transport (Streamable HTTP or legacy HTTP+SSE) behind a small uniform face.
 * The SDK owns the wire (POSTs, the GET stream and its Last-Event-ID resumption, the legacy
 * endpoint event); this module only decides when that wire is gone for good.
 */
import type { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../protocol/errors.ts';
import { logFailure } from '../../log.ts';
import type { JsonRpcMessage } from '../../protocol/jsonrpc.ts';
import { describeHttpFailure } from '../http-errors.ts';
import { describeNetworkFailure, displayUrl } from '../../egress/network-errors.ts';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { answeringRequestId, endAnsweredStream, observingFetch, type BodyLimits, type StreamResult } from './fetch.ts';
import type { RequestId } from '../../protocol/jsonrpc.ts';
import { backoffDelay, type BackoffPolicy } from '../lifecycle.ts';

export type WireKind = 'streamable-http' | 'sse';

/** The SDK's client transports: see loadSdkTransports. */
export interface SdkTransports {
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  SSEClientTransport: typeof SSEClientTransport;
  SseError: typeof SseError;
}

let loading: Promise<SdkTransports> | undefined;

/**
 * Loaded when the first remote server connects rather than when the gateway starts: with what they
 * pull in, they add ~30 MB of RSS that a gateway without remote servers never uses.
 */
export function loadSdkTransports(): Promise<SdkTransports> {
  return (loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/client/sse.js'),
  ]).then(([streamable, sse]) => ({
    StreamableHTTPClientTransport: streamable.StreamableHTTPClientTransport,
    SSEClientTransport: sse.SSEClientTransport,
    SseError: sse.SseError,
  })));
}

/** start() failed; `unreachable` when no HTTP response came back at all (the server may just be down). */
export class WireStartError extends Error {
  readonly unreachable: boolean;
  constructor(message: string, unreachable: boolean) {
    super(message);
    this.name = 'WireStartError';
    this.unreachable = unreachable;
  }
}

export interface WireHandlers {
  /**
   * A message as the SDK parsed it; the channel validates it further. `answering`: the request on
   * whose answer stream it came (Streamable HTTP), so a server's question can name its call.
   */
  onMessage(message: unknown, answering?: RequestId): void;
  /** The wire is gone for good. `terminate`: the session may still exist, so ending it is worth a try. */
  onLost(reason: string, terminate: boolean): void;
  log(line: string): void;
}

export interface Wire {
  readonly kind: WireKind;
  /** Connects where the transport needs to before the first send (legacy SSE: GET and wait for the endpoint). */
  start(timeoutMs: number): Promise<void>;
  send(message: JsonRpcMessage): Promise<void>;
  /** Whether the server gave us a session that a 404 could now refer to. */
  hasSession(): boolean;
  setProtocolVersion(version: string): void;
  /** Idempotent. With `terminate`, ends the session first (DELETE; Streamable HTTP only), waiting at most graceMs. */
  close(terminate: boolean, graceMs: number): Promise<void>;
}

/** Same as the SDK's defaults, spelled out because the stream watches count against maxRetries. */
export const STREAM_RECONNECT = {
  initialReconnectionDelay: 1000,
  maxReconnectionDelay: 30_000,
  reconnectionDelayGrowFactor: 1.5,
  maxRetries: 2,
};

const realClock = {
  now: Date.now,
  sleep: (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, undefined, signal ? { signal } : undefined),
};

/** Event streams opened within this long of the previous one count as reopened in a row. */
const STREAM_CALM_MS = 30_000;
/** 1 s, doubling to 30 s (lifecycle.ts's backoff, with no limit on attempts: callers count their own). */
const REOPEN_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, maxAttempts: Infinity, stableMs: 0 };
/** A session's first event stream is asked for this many times (1, 2, 4, 8, 16, 30 s apart), then given up. */
const FIRST_STREAM_TRIES = 6;

/**
 * Paces the GETs that open (and reopen) the event stream. The SDK reopens a stream after the
 * delay the server's `retry:` field asks for, however short, and counts its attempts from zero
 * again whenever a reopen is answered: a server that ends every stream at once, or says
 * `retry: 0`, would be asked again in a tight loop. Here a reopen within STREAM_CALM_MS of the
 * previous open waits 1 s after it, then twice as long each time in a row, up to 30 s.
 */
export function pacedStreamOpens(
  base: FetchLike,
  log: (line: string) => void,
  clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> } = realClock,
): FetchLike {
  let lastOpen = -Infinity;
  let inARow = 0;
  let told = false;
  const opened = async (url: string | URL, init: RequestInit | undefined): Promise<Response> => {
    const since = clock.now() - lastOpen;
    if (since >= STREAM_CALM_MS) inARow = 0;
    const gap = inARow === 0 ? 0 : backoffDelay(REOPEN_BACKOFF, inARow);
    inARow++;
    if (since < gap) {
      if (gap >= REOPEN_BACKOFF.maxMs && !told) {
        told = true;
        log(`the event stream keeps ending as soon as it opens; it is reopened at most every ${gap / 1000} s`);
      }
      await clock.sleep(gap - since, init?.signal ?? undefined);
    }
    lastOpen = clock.now();
    return base(url, init);
  };
  // Only GETs open event streams; everything else goes straight through, without an extra await.
  return (url, init) => ((init?.method ?? 'GET').toUpperCase() === 'GET' ? opened(url, init) : base(url, init));
}

export function createStreamableWire(
  sdk: SdkTransports,
  url: URL,
  headers: Record<string, string>,
  limits: Omit<BodyLimits, 'log'>,
  handlers: WireHandlers,
  fetch?: FetchLike,
): Wire {
  const shown = displayUrl(url);
  let closed = false;
  let streamSeen = false;
  let failures = 0;
  let firstTries = 0;
  let firstRetry: NodeJS.Timeout | undefined;
  // The SDK asks for the session's event stream once; one that fails before it ever opened is
  // not asked for again, and what the server sends outside a call would be lost for the session.
  const openFirstStreamLater = (cause: string): void => {
    if (firstRetry || closed) return;
    if (++firstTries > FIRST_STREAM_TRIES) {
      handlers.log(`${shown}: gave up opening the event stream (${cause}); notices outside calls are lost`);
      return;
    }
    const delay = backoffDelay(REOPEN_BACKOFF, firstTries);
    firstRetry = setTimeout(() => {
      firstRetry = undefined;
      // An empty Last-Event-ID is no header: a fresh stream. A failure reaches onStream and onerror.
      if (!closed && !streamSeen) void Promise.allSettled([transport.resumeStream('')]);
    }, delay);
  };
  // The SDK reopens a dropped GET stream on its own (resuming with Last-Event-ID). We step in only
  // when the session is plainly gone (404 on a stream we had) or the SDK has given up reopening it:
  // without that stream, server-initiated messages would be lost silently.
  const onStream = (result: StreamResult): void => {
    if (closed) return;
    let cause: string;
    if ('error' in result) cause = describeNetworkFailure(result.error, url);
    else if (result.status >= 200 && result.status < 300) {
      streamSeen = true;
      failures = 0;
      return;
    } else if (result.status === 405)
      return; // the server offers no GET stream; allowed
    else if (result.status === 404 && streamSeen) {
      handlers.onLost(`ended the session (HTTP 404 from ${shown})`, false);
      return;
    } else cause = `HTTP ${result.status} from ${shown}`;
    failures++;
    if (!streamSeen) openFirstStreamLater(cause);
    else if (failures >= STREAM_RECONNECT.maxRetries) handlers.onLost(`lost its event stream: ${cause}`, true);
  };
  // A request's answer stream that breaks before its answer is the channel's (channel.ts): it
  // hears of the end and of each resume through the request's PostTrace, not through onStream.
  const transport = new sdk.StreamableHTTPClientTransport(url, {
    requestInit: { headers },
    fetch: observingFetch(
      { ...limits, log: (line) => handlers.log(`${shown}: ${line}`) },
      onStream,
      pacedStreamOpens(fetch ?? globalThis.fetch, (line) => handlers.log(`${shown}: ${line}`)),
    ),
    reconnectionOptions: STREAM_RECONNECT,
  });
  transport.onmessage = (message) => {
    if (closed) return;
    handlers.onMessage(message, answeringRequestId());
    endAnsweredStream(message);
  };
  // Send failures also land here; the channel handles those from send's rejection, so this is only a diagnostic.
  transport.onerror = (err) => {
    if (!closed) handlers.log(`${shown}: ${errorMessage(err)}`);
  };

  return {
    kind: 'streamable-http',
    start: () => transport.start(),
    send: (message) => transport.send(message as JSONRPCMessage),
    hasSession: () => transport.sessionId !== undefined,
    setProtocolVersion: (version) => transport.setProtocolVersion(version),
    async close(terminate, graceMs) {
      if (closed) return;
      closed = true;
      clearTimeout(firstRetry);
      // terminateSession treats 405 (server does not let clients end sessions) as success.
      if (terminate && transport.sessionId !== undefined) await within(transport.terminateSession(), graceMs);
      await transport.close().catch(logFailure(handlers.log, `${shown}: could not close the connection`));
    },
  };
}

export function createSseWire(
  sdk: SdkTransports,
  url: URL,
  headers: Record<string, string>,
  limits: Omit<BodyLimits, 'log'>,
  handlers: WireHandlers,
  fetch?: FetchLike,
): Wire {
  const shown = displayUrl(url);
  let closed = false;
  let started = false;
  let lastGet: StreamResult | undefined;
  /** Fails a start() still waiting for the endpoint event (EventSource.close alone would leave it pending). */
  let abortStart: (() => void) | undefined;
  const transport = new sdk.SSEClientTransport(url, {
    requestInit: { headers },
    fetch: observingFetch(
      { ...limits, log: (line) => handlers.log(`${shown}: ${line}`) },
      (result) => {
        lastGet = result;
      },
      fetch,
    ),
  });

  const unreachable = (): boolean => lastGet !== undefined && 'error' in lastGet;
  const explain = (err: unknown): string => {
    if (lastGet && 'error' in lastGet) return describeNetworkFailure(lastGet.error, url);
    if (err instanceof sdk.SseError && err.code !== undefined) return describeHttpFailure(err.code, url);
    return errorMessage(err);
  };

  transport.onmessage = (message) => {
    if (!closed) handlers.onMessage(message);
  };
  transport.onerror = (err) => {
    if (closed) return;
    // A legacy session lives exactly as long as its GET stream: once it drops, the session is gone
    // (EventSource would reconnect into a fresh, uninitialised session, so we never let it).
    if (err instanceof sdk.SseError && started) {
      const cause = unreachable() || err.code !== undefined ? `: ${explain(err)}` : ` from ${shown}`;
      handlers.onLost(`lost its event stream${cause}`, false);
    } else handlers.log(`${shown}: ${errorMessage(err)}`);
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    abortStart?.();
    await transport.close().catch(logFailure(handlers.log, `${shown}: could not close the connection`));
  };

  return {
    kind: 'sse',
    start(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const fail = (err: unknown): void => {
          if (settled) return;
          settled = true;
          abortStart = undefined;
          clearTimeout(timer);
          const failure = new WireStartError(closed ? 'closed while connecting' : explain(err), unreachable());
          // EventSource keeps retrying a refused connection on its own; stop it.
          void close();
          reject(failure);
        };
        const timer = setTimeout(
          () => fail(new Error(`no endpoint event from ${shown} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        abortStart = () => fail(new Error('closed'));
        transport.start().then(() => {
          if (settled) return;
          settled = true;
          abortStart = undefined;
          clearTimeout(timer);
          started = true;
          resolve();
        }, fail);
      });
    },
    send: (message) => transport.send(message as JSONRPCMessage),
    hasSession: () => started,
    setProtocolVersion: (version) => transport.setProtocolVersion(version),
    close: () => close(),
  };
}

/** Waits for `promise` at most `ms`; whether it worked or was late, the connection closes next. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([promise]),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
