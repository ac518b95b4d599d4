/** The control API of a running gateway through each binding, as the renderer would hold it. */
import { createIpcHandlers, createSenderCheck } from '../../main/app/ipc/dispatch.ts';
import { forwardGatewayEvents, registerGatewayIpc } from '../../main/app/ipc/register.ts';
import { isAppUrl } from '../../main/app/windows/options.ts';
import type { ApiRoutes } from '../../main/engine/api/http-binding.ts';
import { listenHttp, type HttpListener } from '../../main/engine/downstream/http-server.ts';
import { createApiDispatcher, type Gateway } from '../../main/engine/index.ts';
import {
  EXPOSED_BRIDGE_KEY,
  createApiClient,
  type ApiBridge,
  type GatewayApi,
  type GatewayEvents,
  type MethodTable,
} from '../../preload/contract/index.ts';
import { createHttpBridge, type HttpBridge } from '../../preload/contract/http-bridge.ts';
import { createIpcBridge } from '../../preload/ipc-bridge.ts';
import { createIpcPair, type IpcPair } from './ipc-pair.ts';

export type ApiClient<Api = GatewayApi> = Api & GatewayEvents;

export interface BoundClient<Api = GatewayApi> {
  client: ApiClient<Api>;
  close(): void;
}

/** Options for binding a table other than the contract's (a test adding a method). */
export interface Extension<Api> {
  api: Api;
  table: MethodTable<Api>;
}

/**
 * Over HTTP: the browser-side bridge against the gateway's /api. Resolves once its event stream
 * is open (its first `resync`), and keeps it open until close(), so no event is missed.
 */
export async function httpApi<Api = GatewayApi>(
  gateway: Gateway,
  table?: MethodTable<Api>,
): Promise<BoundClient<Api> & { bridge: HttpBridge }> {
  const bridge = createHttpBridge<Api>({
    baseUrl: gateway.httpUrl()!.replace(/\/mcp$/, '/api'),
    token: gateway.apiToken()!,
    reconnect: { initialMs: 50, maxMs: 500 },
    ...(table ? { table } : {}),
  });
  const client = createApiClient<Api>(bridge, table);
  let live!: () => void;
  const open = new Promise<void>((resolve) => (live = resolve));
  const keep = client.on('resync', () => live());
  await open;
  return {
    client,
    bridge,
    close() {
      keep();
      bridge.close();
    },
  };
}

/**
 * Over IPC: main's real handlers and event forwarding, the real preload bridge exposed through
 * the contextBridge stand-in, and the renderer's client on what the page sees as `window.switchboard`.
 */
export async function ipcApi<Api = GatewayApi>(
  gateway: Gateway,
  extension?: Extension<Api>,
): Promise<BoundClient<Api> & { pair: IpcPair }> {
  const pair = createIpcPair();
  const dispatch = extension
    ? createApiDispatcher<Api>({ api: extension.api, table: extension.table })
    : gateway.dispatch;
  const check = createSenderCheck(isAppUrl, (id) => id === pair.webContents.id);
  const unregister = registerGatewayIpc(pair.ipcMain, createIpcHandlers(dispatch, check, extension?.table));
  const unforward = forwardGatewayEvents(gateway.events, () => [pair.webContents]);
  pair.contextBridge.exposeInMainWorld(EXPOSED_BRIDGE_KEY, createIpcBridge(pair.ipcRenderer, extension?.table));
  const bridge = pair.world[EXPOSED_BRIDGE_KEY] as ApiBridge;
  return {
    client: createApiClient<Api>(bridge, extension?.table),
    pair,
    close() {
      unforward();
      unregister();
    },
  };
}

/** A listener of its own on 127.0.0.1 that serves only `routes` (no MCP sessions). */
export function listenApi(routes: ApiRoutes): Promise<HttpListener> {
  return listenHttp({
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: [],
    maxRequestBytes: 1024 * 1024,
    createSession: () => {
      throw new Error('this listener serves only /api');
    },
    profileExists: () => false,
    extraRoutes: routes,
  });
}
