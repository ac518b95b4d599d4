/** Electron wiring of the IPC dispatch: one `ipcMain.handle` per contract channel. */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { GatewayApi } from '../../../preload/contract/gateway-api.ts';
import { createIpcHandlers, type IpcSender, type SenderCheck } from './dispatch.ts';

function senderOf(event: IpcMainInvokeEvent): IpcSender {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url ?? null,
    // A top-level frame has no parent; iframes (none are expected in our page) do.
    isMainFrame: frame !== null && frame.parent === null,
  };
}

/** Registers the handlers; returns a function that removes them. */
export function registerGatewayIpc(api: GatewayApi, isTrustedSender: SenderCheck): () => void {
  const handlers = createIpcHandlers(api, isTrustedSender);
  for (const [channel, handler] of handlers) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => handler(senderOf(event), args));
  }
  return () => {
    for (const channel of handlers.keys()) ipcMain.removeHandler(channel);
  };
}
