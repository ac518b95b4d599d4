/**
 * What may be sent again from the traffic record, and how. Only requests that change nothing are
 * replayed as they are: lists, reads, gets. A `tools/call` may do anything (send a mail, delete a
 * file), so it is replayed only with the caller's explicit `confirm` (the UI asks the user). A
 * request whose recorded text was cut or had secrets taken out is not what was sent: it is refused
 * rather than sent with placeholders.
 */
import { SAFE_TO_REPLAY, replayRefusal, type TrafficEntry } from '../../../preload/contract/index.ts';
import { GatewayError } from '../protocol/errors.ts';
import type { Params } from '../protocol/jsonrpc.ts';

export { SAFE_TO_REPLAY };

/** Needs the user's say-so each time. */
export const REPLAY_NEEDS_CONFIRM: ReadonlySet<string> = new Set(['tools/call']);

/** How to send a recorded request again: as a client of its profile, or straight to its server. */
export type ReplayPlan =
  | { via: 'client'; profile: string; method: string; params: Params | undefined }
  | { via: 'server'; server: string; method: string; params: Params | undefined };

export function planReplay(entry: TrafficEntry, options: { confirm?: boolean } = {}): ReplayPlan {
  const what = `exchange ${entry.id} (${entry.method})`;
  if (entry.kind !== 'request') throw refused(`${what} is a notification: only requests can be sent again`);
  if (entry.edge === 'app' || entry.direction !== (entry.edge === 'client' ? 'in' : 'out'))
    throw refused(`${what} is a question a server asked; only requests to the gateway or to a server can be replayed`);
  if (REPLAY_NEEDS_CONFIRM.has(entry.method)) {
    if (!options.confirm)
      throw refused(
        `${what} calls a tool, which may change something; replay it only with confirm: true once the user agreed`,
        'options.confirm',
      );
  } else if (!SAFE_TO_REPLAY.has(entry.method)) {
    throw refused(
      `${what} is not replayed: only lists, reads and gets (${[...SAFE_TO_REPLAY].join(', ')}) and, ` +
        'with confirm, tools/call',
    );
  }
  const params = recordedParams(entry, what);
  if (entry.edge === 'client') {
    if (!entry.session) throw refused(`${what} has no session recorded, so its profile is unknown`);
    return { via: 'client', profile: entry.session.profile, method: entry.method, params };
  }
  if (entry.server === undefined) throw refused(`${what} has no server recorded`);
  return { via: 'server', server: entry.server, method: entry.method, params: withoutProgressToken(params) };
}

/**
 * The progress token the gateway gave the request routes the server's progress to the client whose call
 * it was: sent again while that call runs, the replay's progress would reach that client as its own.
 * Nobody follows a replay's progress, so it asks for none.
 */
function withoutProgressToken(params: Params | undefined): Params | undefined {
  const meta = params?._meta;
  if (!params || typeof meta !== 'object' || meta === null || !('progressToken' in meta)) return params;
  const { progressToken: _token, ...rest } = meta as Record<string, unknown>;
  const { _meta: _old, ...others } = params;
  return Object.keys(rest).length > 0 ? { ...others, _meta: rest } : others;
}

function recordedParams(entry: TrafficEntry, what: string): Params | undefined {
  const { json, bytes } = entry.request;
  const why = replayRefusal(entry.request);
  if (why !== undefined) throw refused(`${what} ${why}`);
  if (json === undefined) return bytes === 0 ? undefined : badRecord(what);
  let params: unknown;
  try {
    params = JSON.parse(json);
  } catch {
    return badRecord(what);
  }
  if (params === null) return undefined;
  if (typeof params !== 'object' || Array.isArray(params)) return badRecord(what);
  return params as Params;
}

function badRecord(what: string): never {
  throw refused(`${what}: its recorded params are not a JSON object`);
}

function refused(message: string, field?: string): GatewayError {
  return new GatewayError('invalid_request', message, field ? { field } : {});
}
