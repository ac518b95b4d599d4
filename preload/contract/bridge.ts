/**
 * The client side of every binding. A binding only has to move calls and events (an `ApiBridge`:
 * the preload over IPC, or HTTP in a browser); `createApiClient` turns it into a GatewayApi by
 * looping over the method table, and rebuilds failures as GatewayApiError with their code and
 * field. (Errors thrown across Electron's contextBridge keep only their message, so the preload
 * hands over replies, never thrown errors.)
 */
import type { GatewayApi } from './api.ts';
import { GatewayApiError, isReply, type Reply } from './errors.ts';
import type { GatewayEvents, Unsubscribe } from './events.ts';
import { METHODS, type IpcMethodTable } from './methods.ts';

/** Name of the global the preload exposes: `window.switchboard` is an ApiBridge. */
export const EXPOSED_BRIDGE_KEY = 'switchboard';

/** The one IPC channel main pushes events on: `(name, payload)`. */
export const IPC_EVENT_CHANNEL = 'switchboard:event';

export interface ApiBridge {
  /** Calls one method of the table; never rejects (a failure is a reply with `ok: false`). */
  call(method: string, args: unknown[]): Promise<Reply<unknown>>;
  on(event: string, listener: (payload: unknown) => void): Unsubscribe;
}

/** The GatewayApi (plus events) over a bridge: the renderer's only way to the gateway. */
export function createApiClient<Api = GatewayApi>(
  bridge: ApiBridge,
  table: IpcMethodTable<Api> = METHODS as IpcMethodTable<Api>,
): Api & GatewayEvents {
  const client: Record<string, unknown> = {};
  for (const method of Object.keys(table)) {
    client[method] = async (...args: unknown[]) => {
      const reply: unknown = await bridge.call(method, args);
      if (!isReply(reply))
        throw new GatewayApiError({
          code: 'internal',
          message: `${method}: the binding answered something that is not a reply`,
        });
      if (reply.ok) return reply.result;
      throw new GatewayApiError(reply.error);
    };
  }
  const events: GatewayEvents = { on: (event, listener) => bridge.on(event, listener as (payload: unknown) => void) };
  return Object.assign(client, events) as Api & GatewayEvents;
}
