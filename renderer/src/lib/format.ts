/** How numbers and times read in the UI. */
import type { ServerState, ServerView, TrafficEntry, TrafficOutcome } from '../../../preload/contract/index.ts';
import { holdsUnseenChar, showUnseenInLines } from '../../../preload/contract/unseen.ts';

/**
 * A server's state in words ("backoff" is the engine's name for waiting to start again after a
 * failure; for a remote server or a handler, shownServerState says "retrying soon").
 */
export const SERVER_STATE_TEXT: Readonly<Record<ServerState, string>> = {
  ready: 'ready',
  starting: 'starting',
  backoff: 'restarting soon',
  failed: 'failed',
  stopped: 'stopped',
};

/** What a server that is not ready shows while its login decides it, and in which colour. */
const AUTH_SHOWN: Readonly<Record<string, { text: string; tone: string }>> = {
  'needs-login': { text: 'needs login', tone: 'failed' },
  'logging-in': { text: 'logging in…', tone: 'starting' },
};

/**
 * A server's state as the screens say it, with the colour it is drawn in: "off" when turned off,
 * "needs login" rather than "failed" when only a login is missing.
 */
export function shownServerState(s: ServerView): { text: string; tone: string; state: string } {
  // An isolated server runs a process per client session: none while no client is connected.
  if (s.isolated && !s.disabled && s.state === 'stopped') {
    const text = 'starts with each client';
    return { text, tone: 'ready', state: text };
  }
  const auth = s.state === 'ready' ? undefined : AUTH_SHOWN[s.auth?.state ?? ''];
  // Only a local command is started again: a remote server or a handler is tried again.
  const words = s.state === 'backoff' && s.kind !== 'stdio' ? 'retrying soon' : SERVER_STATE_TEXT[s.state];
  // `state`: the words without what only an isolated server adds, which the Overview orders by.
  const state = s.disabled ? 'off' : (auth?.text ?? words);
  const text = s.isolated && !s.disabled ? `${state} (one per client)` : state;
  return { text, tone: auth?.tone ?? s.state, state };
}

/**
 * Why an open server lists no tools, and what brings them: "once it is ready" alone read as a wait
 * for a server that is off, or that gave up and is not started again.
 */
export function noToolsText(s: ServerView | undefined): string {
  if (s?.disabled) return 'No tools: it is turned off, and clients get none of its tools. Turn on starts it.';
  if (s?.isolated && s.state === 'stopped')
    return "No tools yet: its tools are those its clients' processes list, none while no client is connected.";
  if (s?.auth?.state === 'needs-login' && s.state !== 'ready') return 'No tools until it is logged in: Log in, above.';
  if (s?.state === 'failed')
    return 'No tools: it failed to start and is not tried again. Its log says why; Restart tries again.';
  if (s?.state === 'backoff') {
    const again = s.kind === 'stdio' ? 'started' : 'tried';
    return `No tools while it is down: it failed, and is ${again} again soon. Its log says why.`;
  }
  if (s?.state === 'ready' && s.toolCount === 0) return 'It lists no tools.';
  return 'No tools (yet): a server shows its tools once it is ready.';
}

/**
 * What kind of server it is, in the add form's words rather than the config's (`stdio`,
 * `handler-fastcgi`); a remote server by how it is reached (a ws:// URL is WebSocket, not HTTP).
 */
export function serverKindText(s: Pick<ServerView, 'kind' | 'transport'>): string {
  switch (s.kind) {
    case 'stdio':
      return 'local command';
    case 'http':
      return s.transport === 'websocket'
        ? 'remote (WebSocket)'
        : s.transport === 'sse'
          ? 'remote (SSE)'
          : 'remote (HTTP)';
    case 'handler-http':
      return 'handler (HTTP)';
    case 'handler-fastcgi':
      return 'handler (FastCGI)';
    default:
      return String(s.kind);
  }
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A local day: from its midnight (epoch ms) up to the next one. */
export interface Day {
  start: number;
  end: number;
}

/** The local day `ms` falls on. */
export function dayOf(ms: number): Day {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  const start = d.getTime();
  d.setDate(d.getDate() + 1);
  return { start, end: d.getTime() };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * When something recorded happened, short, for a list: its time of day to the millisecond when it
 * was `today`, else its day first ("Dec 5 23:59:58", and the year when it was another year's). A
 * history kept for days would otherwise read as today's.
 */
const within = (ms: number, day: Day) => ms >= day.start && ms < day.end;

export function stamp(ms: number, today: Day): string {
  if (within(ms, today)) return clock(ms);
  const d = new Date(ms);
  const year = d.getFullYear() === new Date(today.start).getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${MONTHS[d.getMonth()]} ${d.getDate()}${year} ${timeOfDay(ms)}`;
}

/** The whole local date and time, to the millisecond: "2026-12-05 23:59:58.120". */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}

/** When something recorded happened, where there is room: the time of day, with its date when not `today`. */
export function dated(ms: number, today: Day): string {
  return within(ms, today) ? clock(ms) : dateTime(ms);
}

/** The time of day to the second, for when something happened or must happen by (no milliseconds). */
export function timeOfDay(ms: number): string {
  return clock(ms).slice(0, 8);
}

/** How long ago, as a person says it: "just now", "5 min ago", "2 h ago". */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/**
 * Text a client or a server wrote (a name, a message, JSON), with each character that is not drawn
 * but changes what is (controls, bidi controls) written as `\uXXXX`, as `switchboard traffic` prints
 * it. Tabs and line breaks are left. In JSON text that is an escape: the same JSON.
 */
export const unhidden = showUnseenInLines;

/** Whether text a client or a server wrote, or any string within it (a question's schema, say), holds one of them. */
export function holdsUnseen(value: unknown): boolean {
  if (typeof value === 'string') return holdsUnseenChar(value);
  if (Array.isArray(value)) return value.some(holdsUnseen);
  if (value !== null && typeof value === 'object') return Object.entries(value).some((pair) => pair.some(holdsUnseen));
  return false;
}

/** Who sent it to whom, as a user reads it: "claude-ai → gateway", "gateway → github". */
export function route(e: TrafficEntry): string {
  const other =
    e.edge === 'client'
      ? (e.session?.client?.name ?? 'client')
      : e.edge === 'upstream'
        ? (e.server ?? 'server')
        : 'you';
  return unhidden(e.direction === 'in' ? `${other} → gateway` : `gateway → ${other}`);
}

/** JSON text pretty-printed when it parses (a cut payload is shown as it is), with nothing hidden in it. */
export function pretty(json: string | undefined): string {
  if (json === undefined) return '';
  try {
    return unhidden(JSON.stringify(JSON.parse(json), null, 2));
  } catch {
    return unhidden(json);
  }
}

/** How much of a failed tool's text its note quotes (the response below it has all of it). */
const TOOL_FAILURE_CHARS = 300;

/** An exchange's outcome in words: the API's names, but `tool_error` reads "tool error". */
export function outcomeText(outcome: TrafficOutcome): string {
  return outcome === 'tool_error' ? 'tool error' : outcome;
}

/**
 * What a tool said when its result marks a failure (`isError`), or undefined for any other result.
 * MCP answers a tool that failed with a result, not an error (its exchange's outcome is
 * `tool_error`): the text of the result's content ('' when it has none), cut to a note's length.
 */
export function toolFailure(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null || (result as { isError?: unknown }).isError !== true)
    return undefined;
  const content = (result as { content?: unknown }).content;
  const text = (Array.isArray(content) ? content : [])
    .map((part: unknown) => (part as { type?: unknown; text?: unknown } | null) ?? {})
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join(' ')
    .trim();
  return text.length > TOOL_FAILURE_CHARS ? `${text.slice(0, TOOL_FAILURE_CHARS)}…` : text;
}

/** `toolFailure` of a recorded response's JSON text (a cut one does not parse: undefined). */
export function toolFailureOf(json: string | undefined): string | undefined {
  if (json === undefined) return undefined;
  try {
    return toolFailure(JSON.parse(json));
  } catch {
    return undefined;
  }
}

/**
 * What a server said when the request sent to it failed, as the record keeps it beside the error
 * (`detail` of the response: a handler's status, the start of its reply, its stderr), each as text
 * to read (a reply that is JSON pretty-printed); undefined when the response has none.
 */
export interface ServerSaid {
  status?: number;
  reply?: string;
  /** The reply is its start only (the first 4 KiB). */
  replyCut?: boolean;
  stderr?: string;
}

export function serverSaidOf(json: string | undefined): ServerSaid | undefined {
  let detail: unknown;
  try {
    detail = (JSON.parse(json ?? '') as { detail?: unknown }).detail;
  } catch {
    return undefined; // none, or a response cut at the size limit (its JSON above shows what is kept)
  }
  if (typeof detail !== 'object' || detail === null) return undefined;
  const d = detail as { status?: unknown; reply?: unknown; replyTruncated?: unknown; stderr?: unknown };
  const said: ServerSaid = {};
  if (typeof d.status === 'number') said.status = d.status;
  if (d.reply !== undefined)
    said.reply = unhidden(typeof d.reply === 'string' ? d.reply : JSON.stringify(d.reply, null, 2));
  if (d.replyTruncated === true) said.replyCut = true;
  if (typeof d.stderr === 'string') said.stderr = unhidden(d.stderr);
  return Object.keys(said).length > 0 ? said : undefined;
}
