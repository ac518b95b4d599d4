/**
 * An in-process stand-in for Electron's IPC: the one place a stand-in is acceptable, because the
 * Electron runtime cannot run here. It implements only the slice the app uses (ipcMain.handle /
 * removeHandler, ipcRenderer.invoke / on / removeListener, webContents.send, contextBridge.
 * exposeInMainWorld) with Electron's semantics where they matter to the API: arguments, results
 * and events are structured-cloned; an error thrown by a handler reaches `invoke` as
 * "Error invoking remote method '<channel>': <error>" with nothing but its message; values that
 * cross the contextBridge are copied, and errors thrown across it keep only their message.
 */
import type { IpcMainSlice, EventTarget } from '../../main/app/ipc/register.ts';
import type { IpcRendererSlice } from '../../preload/ipc-bridge.ts';

type Listener = (event: { sender: unknown }, ...args: unknown[]) => void;
type Handler = (
  event: { sender: { id: number }; senderFrame: { url: string; parent: null } | null },
  ...args: unknown[]
) => unknown;

export interface IpcPair {
  ipcMain: IpcMainSlice;
  ipcRenderer: IpcRendererSlice;
  /** The renderer's webContents, as main sees it. */
  webContents: EventTarget & { id: number };
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  /** The renderer's main world: what `window` holds after exposeInMainWorld. */
  world: Record<string, unknown>;
  /** The URL the renderer's frame shows (main's sender check reads it). */
  frameUrl: string;
  /** Handlers registered now. */
  handlerCount(): number;
}

/** Copies a value from one world to the other: data is cloned, functions are proxied (their results copied back). */
function copyAcross(value: unknown): unknown {
  if (typeof value === 'function') {
    const fn = value as (...args: unknown[]) => unknown;
    return (...args: unknown[]) => {
      let result: unknown;
      try {
        result = fn(...args.map(copyAcross));
      } catch (err) {
        throw new Error(err instanceof Error ? err.message : String(err));
      }
      if (result instanceof Promise) {
        return result.then(copyAcross, (err: unknown) =>
          Promise.reject(new Error(err instanceof Error ? err.message : String(err))),
        );
      }
      return copyAcross(result);
    };
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).some((v) => typeof v === 'function')
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyAcross(v)]));
  }
  return structuredClone(value);
}

export function createIpcPair(frameUrl = 'switchboard://app/index.html'): IpcPair {
  const handlers = new Map<string, Handler>();
  const listeners = new Map<string, Set<Listener>>();
  const pair: IpcPair = {
    frameUrl,
    world: {},
    handlerCount: () => handlers.size,
    webContents: {
      id: 1,
      isDestroyed: () => false,
      send(channel: string, ...args: unknown[]) {
        const copied = structuredClone(args);
        for (const listener of [...(listeners.get(channel) ?? [])]) listener({ sender: pair.ipcRenderer }, ...copied);
      },
    },
    ipcMain: {
      handle(channel: string, handler: Handler) {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        handlers.set(channel, handler);
      },
      removeHandler(channel: string) {
        handlers.delete(channel);
      },
    } as unknown as IpcMainSlice,
    ipcRenderer: {
      async invoke(channel: string, ...args: unknown[]) {
        const handler = handlers.get(channel);
        if (!handler)
          throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
        const event = { sender: { id: pair.webContents.id }, senderFrame: { url: pair.frameUrl, parent: null } };
        try {
          return structuredClone(await handler(event, ...structuredClone(args)));
        } catch (err) {
          throw new Error(`Error invoking remote method '${channel}': ${String(err)}`);
        }
      },
      on(channel: string, listener: Listener) {
        let set = listeners.get(channel);
        if (!set) listeners.set(channel, (set = new Set()));
        set.add(listener);
        return pair.ipcRenderer;
      },
      removeListener(channel: string, listener: Listener) {
        listeners.get(channel)?.delete(listener);
        return pair.ipcRenderer;
      },
    } as unknown as IpcRendererSlice,
    contextBridge: {
      exposeInMainWorld(key, api) {
        pair.world[key] = copyAcross(api);
      },
    },
  };
  return pair;
}
