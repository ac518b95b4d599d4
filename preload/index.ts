/**
 * Preload: exposes the control API's IPC bridge to the renderer as `window.switchboard`; the
 * renderer turns it into a GatewayApi with the contract's createApiClient. Only the channels of the
 * method tables (the control API's and the desktop app's own: IPC_METHODS) exist here; the main
 * process checks the sender and validates arguments.
 *
 * Runs sandboxed, so Electron loads it as a CommonJS bundle (out/preload/index.cjs), not this
 * file: it must import nothing but electron and preload/** (the contract).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { EXPOSED_BRIDGE_KEY } from './contract/index.ts';
import { createIpcBridge } from './ipc-bridge.ts';

contextBridge.exposeInMainWorld(EXPOSED_BRIDGE_KEY, createIpcBridge(ipcRenderer));
