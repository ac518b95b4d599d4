/**
 * What the UI sees change without polling: one typed map of pushed events, delivered over IPC
 * (main → renderer) and as server-sent events on `/api/events`.
 */
import type {
  ClientFileChange,
  ConfigProblem,
  GatewayStatus,
  LogLine,
  Question,
  QuestionEnded,
  ServerView,
  SessionView,
  TrafficBatch,
} from './payloads.ts';

export interface GatewayEventMap {
  /**
   * The gateway's status changed: listeners opened or closed, a config error appeared or cleared,
   * the traffic record was turned on or off (sent after every config reload).
   */
  status: GatewayStatus;
  /** A server changed state, or servers were added or removed: the whole list, as listServers() returns it. */
  servers: ServerView[];
  /** A client connected, introduced itself or went: every client session open now. */
  sessions: SessionView[];
  /** A question waits for the user. */
  'question-added': Question;
  /** A question left the list (answered in the app, expired, or withdrawn by its server). */
  'question-ended': QuestionEnded;
  /** A line for the log views: the gateway's own notes and every server's stderr. */
  log: LogLine;
  /**
   * A client's config file changed in what concerns Switchboard: its entry went, came or changed, or the
   * file cannot be read. Read the clients again (listClients). Not sent for clients whose folder did not
   * exist when the clients were last listed.
   */
  'client-file': ClientFileChange;
  /** An edit of the config file could not be applied; the previous config keeps running. */
  'config-error': ConfigProblem;
  /**
   * Exchanges that began or ended since the last batch (the same id again when one ends: upsert by
   * id), at most ten batches a second. Not replayed when an event stream reconnects: list what
   * came since the newest entry you have (`listTraffic`) to fill the gap.
   */
  traffic: TrafficBatch;
  /**
   * Fetch the state again: sent first on every new HTTP event stream (what happened before it
   * opened is not in it), and when events were missed (the stream reconnected after its replay
   * buffer moved on, or the gateway restarted). Over IPC events reach a page from the moment it
   * subscribes, so it subscribes first and then fetches. Carries nothing.
   */
  resync: Record<string, never>;
}

export type GatewayEventName = keyof GatewayEventMap;

export type Unsubscribe = () => void;

/** Subscribes to pushed events; the returned function stops the subscription. */
export interface GatewayEvents {
  on<E extends GatewayEventName>(event: E, listener: (payload: GatewayEventMap[E]) => void): Unsubscribe;
}

/** Every event name once (the mapped type makes a new event a compile error until it is here). */
const EVENTS: { readonly [E in GatewayEventName]: true } = {
  status: true,
  servers: true,
  sessions: true,
  'question-added': true,
  'question-ended': true,
  log: true,
  'client-file': true,
  'config-error': true,
  traffic: true,
  resync: true,
};

export const EVENT_NAMES = Object.freeze(Object.keys(EVENTS) as GatewayEventName[]);

export function isEventName(value: unknown): value is GatewayEventName {
  return typeof value === 'string' && Object.hasOwn(EVENTS, value);
}

/**
 * HTTP binding: the response header of `/api/events` that says how often, in milliseconds, the gateway writes to an
 * idle stream (a keep-alive comment). A reader that hears nothing for much longer knows the stream stalled.
 */
export const KEEP_ALIVE_HEADER = 'x-keep-alive-ms';

/** The gateway's keep-alive interval on `/api/events` unless told otherwise. */
export const DEFAULT_KEEP_ALIVE_MS = 25_000;
