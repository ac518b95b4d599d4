/**
 * The IPC side of the preload: an ApiBridge over Electron's ipcRenderer, built by looping over
 * the method tables (the control API's and the desktop app's own: one channel per method, nothing
 * else reachable) plus the one event channel.
 * Kept apart from preload/index.ts so tests can run it against an in-process IPC pair.
 */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import {
  IPC_EVENT_CHANNEL,
  IPC_METHODS,
  isEventName,
  isReply,
  type ApiBridge,
  type IpcMethodTable,
  type Reply,
} from './contract/index.ts';

/** The slice of ipcRenderer the bridge uses. */
export type IpcRendererSlice = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

function failure(code: 'method_not_found' | 'invalid_request' | 'gateway_unreachable', message: string): Reply<never> {
  return { ok: false, error: { code, message } };
}

export function createIpcBridge<Api>(
  ipc: IpcRendererSlice,
  table: IpcMethodTable<Api> = IPC_METHODS as IpcMethodTable<Api>,
): ApiBridge {
  const channels = new Map<string, string>(
    Object.entries(table).map(([method, spec]) => [method, (spec as { channel: string }).channel]),
  );
  // One ipcRenderer listener for every subscription (no listener-count warnings), fanned out here.
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let attached = false;
  const onEvent = (_e: IpcRendererEvent, name: unknown, payload: unknown): void => {
    for (const listener of [...(listeners.get(String(name)) ?? [])]) {
      try {
        listener(payload);
      } catch (err) {
        // A listener's fault is its own: report it as an uncaught error, keep delivering.
        setTimeout(() => {
          throw err;
        });
      }
    }
  };

  return {
    async call(method, args) {
      const channel = channels.get(method);
      if (channel === undefined)
        return failure(
          'method_not_found',
          `the control API has no method ${JSON.stringify(String(method).slice(0, 64))}`,
        );
      if (!Array.isArray(args)) return failure('invalid_request', `${method}: the arguments must be an array`);
      try {
        const reply: unknown = await ipc.invoke(channel, ...args);
        return isReply(reply)
          ? reply
          : failure('gateway_unreachable', `${method}: the app's main process answered something that is not a reply`);
      } catch (err) {
        // Only when IPC itself failed (no handler yet, a value that cannot be cloned): main answers failures as
        // replies.
        return failure('gateway_unreachable', `${method}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    on(event, listener) {
      if (!isEventName(event)) {
        throw new Error(`switchboard.on: unknown event ${JSON.stringify(String(event).slice(0, 64))}`);
      }
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const own = (payload: unknown): void => listener(payload);
      set.add(own);
      if (!attached) {
        ipc.on(IPC_EVENT_CHANNEL, onEvent);
        attached = true;
      }
      return () => {
        set.delete(own);
        if (attached && [...listeners.values()].every((s) => s.size === 0)) {
          ipc.removeListener(IPC_EVENT_CHANNEL, onEvent);
          attached = false;
        }
      };
    },
  };
}
