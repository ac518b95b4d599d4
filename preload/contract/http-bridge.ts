/**
 * The HTTP side of the control API, for the renderer in a plain browser (headless mode) and for
 * tests: an ApiBridge over `fetch` that builds each call from the method table (path, query or
 * JSON body) and reads `/api/events` as a stream, reconnecting with Last-Event-ID.
 *
 * The event stream is read with fetch rather than EventSource because EventSource cannot send an
 * Authorization header; the stream is our own (one-line `id:`, `event:` and `data:` fields), so
 * reading it takes a few lines, not a library.
 *
 * The tabs of one browser can share one stream (`share`): a browser opens at most six HTTP/1.1
 * connections to an address, and a stream holds one for as long as its tab is open, so with one
 * each the sixth tab got nothing and a seventh did not load. The tab holding a Web Lock reads the
 * stream and passes every event on to the others over a BroadcastChannel; when it closes (or its
 * login ends), another takes the lock and goes on from the last event id. The events are the same
 * for every login, so a tab gets what its own stream would have brought.
 *
 * A gateway that is frozen (suspended with Ctrl-Z) or a connection that died without a word (an `ssh -L` tunnel
 * whose link went down) ends nothing: the stream just goes quiet and a call waits for ever. So the stream counts
 * as broken once nothing came for STALL_FACTOR times the keep-alive interval the gateway announced (it is then
 * reopened, as after any break), and a call fails once it has waited its time limit (the method table's `wait`).
 */
import {
  CALL_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_MS,
  GatewayApiError,
  KEEP_ALIVE_HEADER,
  LONG_CALL_TIMEOUT_MS,
  METHODS,
  isEventName,
  paramName,
  parseArgs,
  type ApiBridge,
  type ApiError,
  type MethodSpec,
  type MethodTable,
  type Reply,
} from './index.ts';

export interface HttpBridgeOptions<Api> {
  /** Where the API lives, e.g. `http://127.0.0.1:8787/api`. Default: `/api` on the page's origin. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>` (the API token, or a web UI session's secret; never a cookie). */
  token?: string;
  fetch?: typeof fetch;
  table?: MethodTable<Api>;
  /** Delays between attempts to reopen a broken event stream. Default 500 ms doubling to 15 s. */
  reconnect?: { initialMs: number; maxMs: number };
  /** How long a call waits for its answer: ordinary calls, and those marked `wait: 'long'`. Default: the table's. */
  callTimeoutMs?: { normal: number; long: number };
  /**
   * Told when the event stream opens, breaks (the gateway cannot be reached) or is refused (the
   * login is no longer valid, e.g. after the gateway restarted): each change once. Without it a
   * page would show what it last heard, as if nothing had happened.
   */
  onStreamState?: (state: StreamState, why?: string) => void;
  /**
   * A name under which the pages of one origin share one event stream (a Web Lock and a BroadcastChannel
   * of that name), where the browser has both (Web Locks need a secure context: loopback, or https).
   */
  share?: string;
}

/** What the tab that reads the stream tells the others (`hello`: a tab asks how the stream fares). */
type SharedMessage =
  | { kind: 'event'; id: string | undefined; name: string; data: string }
  | { kind: 'state'; state: 'open' | 'unreachable'; why: string | undefined }
  | { kind: 'hello' };

interface Shared {
  locks: LockManagerLike;
  channel: ChannelLike;
}

interface ChannelLike {
  postMessage(message: SharedMessage): void;
  close(): void;
  onmessage: ((message: { data: SharedMessage }) => void) | null;
}

interface LockManagerLike {
  request(name: string, options: { signal: AbortSignal }, run: () => Promise<void>): Promise<unknown>;
}

/** The browser's Web Locks and BroadcastChannel, if it has both here. */
function sharing(name: string | undefined): Shared | undefined {
  const browser = globalThis as unknown as {
    navigator?: { locks?: LockManagerLike };
    BroadcastChannel?: new (name: string) => ChannelLike;
  };
  const locks = browser.navigator?.locks;
  if (name === undefined || locks === undefined || browser.BroadcastChannel === undefined) return undefined;
  return { locks, channel: new browser.BroadcastChannel(name) };
}

export type StreamState = 'open' | 'unreachable' | 'unauthorized';

export interface HttpBridge extends ApiBridge {
  /** Ends the event stream and forgets every listener. */
  close(): void;
}

const UNREACHABLE = 'gateway_unreachable';

/**
 * A stream silent for this many keep-alive intervals has stalled: a keep-alive may come a little late from a busy
 * gateway, and one may be lost with the connection that carried it, but not two in a row.
 */
export const STALL_FACTOR = 2.5;

/** The keep-alive interval a stream's response announces, if it is a sane one. */
function keepAliveOf(res: Response): number | undefined {
  const value = Number(res.headers.get(KEEP_ALIVE_HEADER));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** How a time limit reads: "120 s", "10 min". */
function duration(ms: number): string {
  return ms >= 300_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

function fail(error: ApiError): Reply<never> {
  return { ok: false, error };
}

/** What an HTTP error means when the body is not one of our replies (a proxy, the Host guard). */
function errorForStatus(status: number, text: string): ApiError {
  const message = `HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ''}`;
  if (status === 401 || status === 403) return { code: 'unauthorized', message };
  if (status === 404) return { code: 'not_found', message };
  return { code: 'internal', message };
}

export function createHttpBridge<Api>(options: HttpBridgeOptions<Api> = {}): HttpBridge {
  const base = (options.baseUrl ?? '/api').replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const table = (options.table ?? METHODS) as Record<string, MethodSpec>;
  const auth: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const reconnect = options.reconnect ?? { initialMs: 500, maxMs: 15_000 };
  const limits = options.callTimeoutMs ?? { normal: CALL_TIMEOUT_MS, long: LONG_CALL_TIMEOUT_MS };

  async function call(method: string, args: unknown[]): Promise<Reply<unknown>> {
    // Untyped callers too: whatever comes in is answered as a reply, never thrown.
    if (typeof method !== 'string' || !Object.hasOwn(table, method)) {
      return fail({
        code: 'method_not_found',
        message: `the control API has no method ${JSON.stringify(String(method).slice(0, 64))}`,
      });
    }
    if (!Array.isArray(args))
      return fail({ code: 'invalid_request', message: `${method}: the arguments must be an array` });
    const spec = table[method]!;
    let parsed: readonly unknown[];
    try {
      // Checked here too, because a query string cannot tell a number from a string: the same
      // call fails with the same error on both bindings. The server checks again.
      parsed = parseArgs(method, spec, args);
    } catch (err) {
      if (err instanceof GatewayApiError) return fail(err.toJSON());
      throw err;
    }
    const names = spec.params.map(paramName);
    const inPath = new Set<number>();
    const path = spec.http.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
      const index = names.indexOf(name);
      inPath.add(index);
      return encodeURIComponent(String(parsed[index]));
    });
    const query = new URLSearchParams();
    const init: RequestInit = {
      method: spec.http.method,
      headers: { ...auth, accept: 'application/json' },
      credentials: 'same-origin',
    };
    if (spec.http.method === 'POST') {
      // Always a JSON request (`{}` when the method takes no body, empty when it is left out): /api refuses other
      // POSTs.
      const bodyIndex = names.findIndex((_name, index) => !inPath.has(index));
      const value = bodyIndex === -1 ? {} : parsed[bodyIndex];
      init.body = value === undefined ? '' : JSON.stringify(value);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    } else {
      names.forEach((name, index) => {
        const value = parsed[index];
        if (!inPath.has(index) && value !== undefined) query.set(name, String(value));
      });
    }
    const url = `${base}${path}${query.size ? `?${query.toString()}` : ''}`;
    // A gateway that accepts the connection and then says nothing (frozen, or a dead tunnel) must not hold the
    // call for ever: its button would spin with nothing said.
    const limit = spec.http.wait === 'unbounded' ? undefined : spec.http.wait === 'long' ? limits.long : limits.normal;
    const timeout = new AbortController();
    const timer = limit === undefined ? undefined : setTimeout(() => timeout.abort(), limit);
    init.signal = timeout.signal;
    const timedOut = (): Reply<never> =>
      fail({
        code: UNREACHABLE,
        message:
          `Switchboard at ${base} did not answer in ${duration(limit!)}: the gateway may be suspended, or the ` +
          'connection to it stalled',
      });
    let res: Response;
    let text: string;
    try {
      try {
        res = await doFetch(url, init);
      } catch (err) {
        if (timeout.signal.aborted) return timedOut();
        return fail({
          code: UNREACHABLE,
          message: `cannot reach Switchboard at ${base}: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
      text = await res.text().catch(() => '');
      if (timeout.signal.aborted) return timedOut();
    } finally {
      clearTimeout(timer);
    }
    // A tab that takes its events from another's stream learns here that its own login ended.
    if (res.status === 401 && shared && !leading) tell('unauthorized');
    if (res.ok) {
      if (text === '') return { ok: true, result: undefined };
      try {
        return { ok: true, result: JSON.parse(text) as unknown };
      } catch {
        return fail({ code: 'internal', message: `${method}: Switchboard answered something that is not JSON` });
      }
    }
    try {
      const body = JSON.parse(text) as { ok?: unknown; error?: ApiError };
      if (body.ok === false && typeof body.error?.code === 'string') return fail(body.error);
    } catch {
      // Not one of our replies: say what the status means.
    }
    return fail(errorForStatus(res.status, text));
  }

  // ---- events ---------------------------------------------------------------

  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let stream: AbortController | undefined;
  let lastId: string | undefined;
  /** While the stream is shared: the lock and the channel; `leading` while this page reads it for all. */
  let shared: Shared | undefined;
  let leading = false;
  /** How the stream fares, as last told (the shared stream's reader says so to a tab that asks). */
  let lastState: { state: 'open' | 'unreachable'; why: string | undefined } | undefined;

  function deliver(name: string, data: string): void {
    const wanted = listeners.get(name);
    if (!wanted?.size) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    for (const listener of [...wanted]) {
      try {
        listener(payload);
      } catch (err) {
        // A listener's fault is its own: report it as an uncaught error, keep delivering.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  /**
   * Reads one open stream until it ends or `signal` fires: fields per line, an event per blank
   * line. Calls `opened` on the first event (the stream works: reconnects start from the shortest delay).
   */
  async function read(
    body: ReadableStream<Uint8Array>,
    signal: AbortSignal,
    opened: () => void,
    heard: () => void,
  ): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let event: { id?: string; name?: string; data?: string } = {};
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      if (signal.aborted) return;
      heard();
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        if (line === '') {
          if (event.id !== undefined) lastId = event.id;
          if (event.name !== undefined && event.data !== undefined) {
            opened();
            shared?.channel.postMessage({ kind: 'event', id: lastId, name: event.name, data: event.data });
            deliver(event.name, event.data);
            // A listener may have ended the subscription: nothing more for it.
            if (signal.aborted) return;
          }
          event = {};
        } else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('event: ')) event.name = line.slice(7);
        else if (line.startsWith('data: ')) event.data = line.slice(6);
      }
    }
  }

  let streamState: string | undefined;
  /** `why`: what the gateway said when it answered, but refused the stream (too many open). */
  const tell = (state: StreamState, why?: string): void => {
    const told = `${state} ${why ?? ''}`;
    if (state !== 'unauthorized') {
      lastState = { state, why };
      // Another login's tab reads on: this page's login ended, not the stream.
      if (leading) shared?.channel.postMessage({ kind: 'state', state, why });
    }
    if (told === streamState) return;
    streamState = told;
    options.onStreamState?.(state, why);
  };

  /** The message of one of our error replies, if the refusal is one. */
  async function refusalOf(res: Response): Promise<string | undefined> {
    try {
      const body = JSON.parse(await res.text()) as { ok?: unknown; error?: ApiError };
      return body.ok === false && typeof body.error?.message === 'string' ? body.error.message : undefined;
    } catch {
      return undefined;
    }
  }

  /** Pauses until `ms` passed or `signal` fired. */
  const pause = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });

  /** The keep-alive interval the gateway last announced (its stream's response says it). */
  let keepAliveMs = DEFAULT_KEEP_ALIVE_MS;

  /**
   * Aborts `attempt` once nothing came for STALL_FACTOR keep-alive intervals: until the stream's response, then
   * between any two bytes of it. `heard` says something came; `rearm` that the interval changed; `stop` ends the
   * watch.
   */
  function watchdog(attempt: AbortController): { heard(): void; rearm(): void; stop(): void } {
    let last = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One timer, looked at when it fires, rather than one set again for every chunk of a busy stream.
    const check = (): void => {
      const limit = keepAliveMs * STALL_FACTOR;
      const quiet = Date.now() - last;
      if (quiet >= limit) attempt.abort();
      else timer = setTimeout(check, limit - quiet);
    };
    const rearm = (): void => {
      clearTimeout(timer);
      check();
    };
    timer = setTimeout(check, keepAliveMs * STALL_FACTOR);
    return {
      heard: () => (last = Date.now()),
      rearm,
      stop: () => clearTimeout(timer),
    };
  }

  async function run(signal: AbortSignal): Promise<void> {
    let delay = reconnect.initialMs;
    while (!signal.aborted) {
      // One attempt: ended by `signal` (no listener left), or by the watchdog when the stream went quiet.
      const attempt = new AbortController();
      const abort = (): void => attempt.abort();
      signal.addEventListener('abort', abort, { once: true });
      const watch = watchdog(attempt);
      try {
        const headers: Record<string, string> = {
          ...auth,
          accept: 'text/event-stream',
          ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
        };
        const res = await doFetch(`${base}/events`, { headers, signal: attempt.signal, credentials: 'same-origin' });
        watch.heard();
        keepAliveMs = keepAliveOf(res) ?? DEFAULT_KEEP_ALIVE_MS;
        watch.rearm();
        if (res.ok && res.body) {
          tell('open');
          await read(res.body, attempt.signal, () => (delay = reconnect.initialMs), watch.heard);
          // Cut off by the watchdog with no error from the reader: the stream broke all the same.
          if (attempt.signal.aborted && !signal.aborted) tell('unreachable');
        } else if (res.status === 401 || res.status === 403) {
          await res.body?.cancel();
          if (!signal.aborted) tell('unauthorized');
          // Shared: the stream is handed to another tab, whose login may still hold.
          if (shared) return;
        } else {
          const why = await refusalOf(res);
          if (!signal.aborted) tell('unreachable', why);
        }
      } catch {
        // Unreachable, cut off, or gone quiet: try again after the delay.
        if (!signal.aborted) tell('unreachable');
      } finally {
        watch.stop();
        signal.removeEventListener('abort', abort);
      }
      if (signal.aborted) return;
      await pause(delay, signal);
      delay = Math.min(delay * 2, reconnect.maxMs);
    }
  }

  function subscribed(): number {
    let n = 0;
    for (const set of listeners.values()) n += set.size;
    return n;
  }

  /**
   * Shared: takes what the reading tab passes on until this page gets the lock, then reads the
   * stream for every tab; gives it up when this page's login is refused, and waits its turn again.
   */
  async function share(signal: AbortSignal, own: Shared): Promise<void> {
    own.channel.onmessage = (message) => {
      const said = message.data;
      if (said.kind === 'hello') {
        if (leading && lastState) own.channel.postMessage({ kind: 'state', ...lastState });
        return;
      }
      if (leading) return;
      if (said.kind === 'state') tell(said.state, said.why);
      else {
        if (said.id !== undefined) lastId = said.id;
        deliver(said.name, said.data);
      }
    };
    own.channel.postMessage({ kind: 'hello' });
    let delay = reconnect.initialMs;
    while (!signal.aborted) {
      try {
        await own.locks.request(`${options.share}:stream`, { signal }, async () => {
          leading = true;
          try {
            await run(signal);
          } finally {
            leading = false;
          }
        });
      } catch {
        // Aborted while waiting for the lock: no listener is left.
      }
      if (signal.aborted) return;
      await pause(delay, signal);
      delay = Math.min(delay * 2, reconnect.maxMs);
    }
  }

  function stopIfIdle(): void {
    if (subscribed() > 0 || !stream) return;
    stream.abort();
    stream = undefined;
    if (shared) {
      shared.channel.close();
      shared = undefined;
    }
    // The next subscription is a new stream: it starts with resync, not with old events.
    lastId = undefined;
  }

  return {
    call,
    on(event, listener) {
      if (!isEventName(event))
        throw new Error(`switchboard.on: unknown event ${JSON.stringify(String(event).slice(0, 64))}`);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const own = (payload: unknown): void => listener(payload);
      set.add(own);
      if (!stream) {
        stream = new AbortController();
        shared = sharing(options.share);
        void (shared ? share(stream.signal, shared) : run(stream.signal));
      }
      return () => {
        set.delete(own);
        stopIfIdle();
      };
    },
    close() {
      listeners.clear();
      stopIfIdle();
    },
  };
}
