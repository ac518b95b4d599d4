/**
 * Preload: exposes the control API to the renderer as `window.switchboard`, each method a thin
 * `ipcRenderer.invoke` on its channel. Only the contract's channels exist here; the main
 * process checks the sender and validates arguments (main/app/ipc/dispatch.ts).
 *
 * Runs sandboxed, so Electron loads it as a CommonJS bundle (out/preload/index.cjs), not this
 * file: it must import nothing but electron and (types from) preload/contract.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { ChannelMap, ExposedApiKey, GatewayChannel } from './contract/channels.ts';
import type { GatewayApi, PromptAnswerDto } from './contract/gateway-api.ts';

/** Kept in sync with main/app/ipc/channels.ts by the compiler (ChannelMap) and a unit test. */
const CHANNELS: ChannelMap = {
  getStatus: 'switchboard:get-status',
  listServers: 'switchboard:list-servers',
  listTools: 'switchboard:list-tools',
  restartServer: 'switchboard:restart-server',
  getServerLog: 'switchboard:get-server-log',
  listPrompts: 'switchboard:list-prompts',
  answerPrompt: 'switchboard:answer-prompt',
};

const API_KEY: ExposedApiKey = 'switchboard';

/** Forwards exactly the arguments the renderer passed; main validates them. */
function invoke<T>(channel: GatewayChannel, ...args: unknown[]): Promise<T> {
  return ipcRenderer.invoke(channel, ...args) as Promise<T>;
}

const api: GatewayApi = {
  getStatus: (...args: []) => invoke(CHANNELS.getStatus, ...args),
  listServers: (...args: []) => invoke(CHANNELS.listServers, ...args),
  listTools: (...args: [server?: string]) => invoke(CHANNELS.listTools, ...args),
  restartServer: (...args: [name: string]) => invoke(CHANNELS.restartServer, ...args),
  getServerLog: (...args: [name: string]) => invoke(CHANNELS.getServerLog, ...args),
  listPrompts: (...args: []) => invoke(CHANNELS.listPrompts, ...args),
  answerPrompt: (...args: [id: string, answer: PromptAnswerDto]) => invoke(CHANNELS.answerPrompt, ...args),
};

contextBridge.exposeInMainWorld(API_KEY, api);
