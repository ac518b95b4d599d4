/**
 * What the shim remembers about the client's MCP session so a gateway restart is invisible:
 * the initialize request, whether `notifications/initialized` was sent, the log level and
 * resource subscriptions (replayed on reconnect), and which client requests are in flight.
 * Client lines are small and parsed once; gateway lines are only peeked at.
 */

import { ID_NOT_STRING_OR_NUMBER, MAX_REQUEST_ID_LENGTH, idInUse, idTooLong } from '../shared/request-ids.ts';
import { isExactNumber, withExactIds, type ExactNumber } from '../shared/exact-numbers.ts';

/**
 * A request id. A number JSON.parse would round (past 2^53, 1.50) is kept as written: the same
 * text is the same value, so two ids that round alike are told apart and answered as sent.
 */
export type Id = string | number | ExactNumber;

/** Whether a message's `id` (or a cancellation's `requestId`) is one a request may have. */
export const isId = (id: unknown): id is Id =>
  typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) || isExactNumber(id);

/** JSON-RPC's Invalid Request, as the gateway answers it. */
const INVALID_REQUEST = -32600;
/**
 * How the ids of the shim's own requests to the gateway begin. They share the client's session
 * there, so a client request with such an id is refused: its answer could be taken for the shim's.
 */
export const OWN_ID_PREFIX = 'switchboard-shim-';
const OWN_ID_KEPT = `starts with "${OWN_ID_PREFIX}", kept for the Switchboard shim's own requests: use another id`;

export interface ClientLineInfo {
  /**
   * Set when the line is a request we track: it expects exactly one response. A list for a
   * 2025-03-26 batch: its requests, answered together in one array line.
   */
  requestId?: Id | readonly Id[];
  /**
   * Set when the line is a request the shim answers itself, never forwarding it: one whose id it
   * could not answer if the gateway went away (not a string or number, too long to track, or
   * the id of a request still waiting for its answer). The gateway would refuse it the same way.
   */
  refusal?: Refusal;
  /**
   * Set for a 2025-03-26 batch holding requests the shim refuses (as `refusal` says, and an id used
   * twice in it): those, and the rest of the batch to send in its place (none when nothing is left).
   */
  batch?: { refusals: Refusal[]; rest: string | undefined };
  /** Set for a `notifications/cancelled`: the request it cancels, which is owed no answer any more. */
  cancels?: Id;
}

export interface Refusal {
  id: Id | null;
  code: number;
  message: string;
}

/** Calls `fn` for each id a line's requestId stands for. */
export function eachId(requestId: Id | readonly Id[] | undefined, fn: (id: Id) => void): void {
  if (Array.isArray(requestId)) for (const id of requestId as readonly Id[]) fn(id);
  else if (requestId !== undefined) fn(requestId as Id);
}

/** Why a request with this id is refused, as the gateway says it; undefined for an id it takes. */
function refusalOf(id: unknown, inUse: (id: Id) => boolean): Refusal | undefined {
  if (!isId(id)) return { id: null, code: INVALID_REQUEST, message: `Invalid request: ${ID_NOT_STRING_OR_NUMBER}` };
  if (typeof id === 'string' && id.length > MAX_REQUEST_ID_LENGTH)
    return { id, code: INVALID_REQUEST, message: idTooLong(id) };
  if (typeof id === 'string' && id.startsWith(OWN_ID_PREFIX))
    return { id, code: INVALID_REQUEST, message: `request id ${JSON.stringify(id)} ${OWN_ID_KEPT}` };
  if (inUse(id)) return { id, code: INVALID_REQUEST, message: idInUse(id) };
  return undefined;
}

export class ClientSession {
  /** Client requests sent to the current gateway connection and not yet answered. */
  readonly inFlight = new Set<Id>();
  /**
   * Those of them that are streams (a 2026-07-28 `subscriptions/listen`): answered only when they
   * end, so no answer is owed when the client closes its stdin.
   */
  readonly streams = new Set<Id>();
  /** The client's initialize line, kept whole. */
  private initializeLine: string | undefined;
  private initializeId: Id | undefined;
  /** True once the gateway answered the client's initialize. */
  private initializeAnswered = false;
  /** The protocol version the first gateway negotiated (for a warning if a restart changes it). */
  protocolVersion: string | undefined;
  private initializedSent = false;
  private logLevelParams: Record<string, unknown> | undefined;
  private readonly subscriptions = new Map<string, Record<string, unknown>>();

  /**
   * Records what a client line means for the session; returns the request id to track, or why the
   * request is refused. `inUse`: whether a request with that id still waits for its answer.
   */
  noteClientLine(text: string, inUse: (id: Id) => boolean = (id) => this.inFlight.has(id)): ClientLineInfo {
    let value: unknown;
    try {
      value = withExactIds(text, JSON.parse(text));
    } catch {
      return {}; // the gateway will answer with a parse error (id null)
    }
    if (Array.isArray(value)) return this.noteBatch(value, inUse);
    return this.noteMessage(value, text, inUse);
  }

  /**
   * A batch: the gateway takes one from a 2025-03-26 session only, else refuses it with a single
   * error (id null), so there is nothing to track. Its requests are never the ones remembered
   * for a reconnect (initialize must not be in a batch; the rest are one-off calls). A request in
   * it the shim could not answer for is refused, as one sent alone, and left out of what is sent.
   */
  private noteBatch(values: unknown[], inUse: (id: Id) => boolean): ClientLineInfo {
    if (this.protocolVersion !== '2025-03-26') return {};
    const ids = new Set<Id>();
    const refusals: Refusal[] = [];
    const rest: unknown[] = [];
    const taken = (id: Id): boolean => ids.has(id) || inUse(id);
    for (const value of values) {
      const m = value as Record<string, unknown> | null;
      if (typeof m === 'object' && m !== null && m.method !== 'initialize') {
        const { requestId, refusal } = this.noteMessage(m, '', taken);
        if (refusal !== undefined) {
          refusals.push(refusal);
          continue;
        }
        if (requestId !== undefined) ids.add(requestId as Id);
      }
      // One the gateway refuses (an initialize, a malformed message) is answered in the batch's array.
      rest.push(value);
    }
    const info: ClientLineInfo = ids.size > 0 ? { requestId: [...ids] } : {};
    if (refusals.length > 0) info.batch = { refusals, rest: rest.length > 0 ? JSON.stringify(rest) : undefined };
    return info;
  }

  private noteMessage(value: unknown, text: string, inUse: (id: Id) => boolean): ClientLineInfo {
    if (typeof value !== 'object' || value === null) return {};
    const m = value as Record<string, unknown>;
    const method = m.method;
    if (typeof method !== 'string') return {};
    const params =
      typeof m.params === 'object' && m.params !== null && !Array.isArray(m.params)
        ? (m.params as Record<string, unknown>)
        : undefined;
    if (!('id' in m)) {
      if (method === 'notifications/initialized') this.initializedSent = true;
      else if (method === 'notifications/cancelled' && params && isId(params.requestId)) {
        // A cancelled request may never be answered; don't report it lost later.
        this.inFlight.delete(params.requestId);
        this.streams.delete(params.requestId);
        return { cancels: params.requestId };
      }
      return {};
    }
    const refusal = refusalOf(m.id, inUse);
    if (refusal !== undefined) return { refusal };
    const id = m.id as Id;
    switch (method) {
      case 'subscriptions/listen':
        this.streams.add(id);
        break;
      case 'initialize':
        this.initializeLine = text;
        this.initializeId = id;
        this.initializeAnswered = false;
        this.initializedSent = false;
        this.logLevelParams = undefined;
        this.subscriptions.clear();
        break;
      case 'logging/setLevel':
        if (params) this.logLevelParams = params;
        break;
      case 'resources/subscribe':
        if (params && typeof params.uri === 'string') this.subscriptions.set(params.uri, params);
        break;
      case 'resources/unsubscribe':
        if (params && typeof params.uri === 'string') this.subscriptions.delete(params.uri);
        break;
    }
    return { requestId: id };
  }

  /** Called for a gateway response to a client request; returns true when it answers the client's initialize. */
  noteResponse(id: Id): boolean {
    this.inFlight.delete(id);
    this.streams.delete(id);
    if (id === this.initializeId && !this.initializeAnswered) {
      this.initializeAnswered = true;
      return true;
    }
    return false;
  }

  /** Requests in flight that owe the client an answer (streams do not). */
  answersOwed(): number {
    let owed = 0;
    for (const id of this.inFlight) if (!this.streams.has(id)) owed++;
    return owed;
  }

  /**
   * The lines to send a fresh gateway connection, in order: the initialize (with `reinitId`
   * in place of the client's id), then the rest once it is answered. Empty when the client
   * never completed an initialize (stateless clients, or a restart during the handshake).
   */
  replayPlan(reinitId: string, nextId: () => string): { initialize: string; after: string[] } | undefined {
    if (this.initializeLine === undefined || !this.initializeAnswered) return undefined;
    let init: Record<string, unknown>;
    try {
      init = JSON.parse(this.initializeLine) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    // Spread keeps the key order, so jsonrpc and id stay first.
    const initialize = JSON.stringify({ ...init, id: reinitId }) + '\n';
    const after: string[] = [];
    if (this.initializedSent)
      after.push(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    if (this.logLevelParams)
      after.push(
        JSON.stringify({ jsonrpc: '2.0', id: nextId(), method: 'logging/setLevel', params: this.logLevelParams }) +
          '\n',
      );
    for (const params of this.subscriptions.values()) {
      after.push(JSON.stringify({ jsonrpc: '2.0', id: nextId(), method: 'resources/subscribe', params }) + '\n');
    }
    return { initialize, after };
  }
}
