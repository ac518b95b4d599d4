/**
 * Electron wiring of the control API: `ipcMain.handle` for every handler, and every pushed event
 * sent to the app's windows on the one event channel. Takes the slices of ipcMain and
 * webContents it uses, so tests run it over an in-process IPC pair.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { IPC_EVENT_CHANNEL, type Unsubscribe } from '../../../preload/contract/index.ts';
import type { PublishedEvent } from '../../engine/index.ts';
import type { IpcHandler, IpcSender } from './dispatch.ts';

export type IpcMainSlice = Pick<IpcMain, 'handle' | 'removeHandler'>;
export type EventTarget = Pick<WebContents, 'send' | 'isDestroyed'>;

/** Who sent an invoke: the frame's URL and whether it is the top frame (iframes are never trusted). */
export function senderOf(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>): IpcSender {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url ?? null,
    isMainFrame: frame !== null && frame.parent === null,
  };
}

/** Registers the handlers; returns a function that removes them. */
export function registerGatewayIpc(ipc: IpcMainSlice, handlers: ReadonlyMap<string, IpcHandler>): () => void {
  for (const [channel, handler] of handlers) {
    ipc.handle(channel, (event, ...args: unknown[]) => handler(senderOf(event), args));
  }
  return () => {
    for (const channel of handlers.keys()) ipc.removeHandler(channel);
  };
}

/** Sends every event to the app's windows (`targets` are those currently showing the app page). */
export function forwardGatewayEvents(
  events: { onAny(listener: (event: PublishedEvent) => void): Unsubscribe },
  targets: () => Iterable<EventTarget>,
): Unsubscribe {
  return events.onAny((event) => {
    for (const target of targets()) {
      if (!target.isDestroyed()) target.send(IPC_EVENT_CHANNEL, event.name, event.payload);
    }
  });
}
