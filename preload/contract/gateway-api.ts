/**
 * THE control API: everything the UI asks of the gateway. Declared once here and bound twice:
 * Electron IPC (preload/index.ts <-> main/app/ipc) and HTTP+SSE under /api (engine/api).
 * The renderer never knows which binding it has.
 *
 * Types only. Every method returns a promise; failures reject with an Error whose message is
 * meant for people (e.g. an unknown server name).
 */
import type { GatewayStatusDto, ServerDto, ToolDto } from './dto.ts';

export type { GatewayStatusDto, ServerDto, ServerKindDto, ServerStateDto, ToolDto } from './dto.ts';

export interface GatewayApi {
  /** Version, config file and its error (if any), listen addresses. */
  getStatus(): Promise<GatewayStatusDto>;
  /** Every configured server, in config order. */
  listServers(): Promise<ServerDto[]>;
  /** The merged tool catalog, or one server's tools when `server` is given. */
  listTools(server?: string): Promise<ToolDto[]>;
  /** Stops and starts one server (also revives a server that gave up after repeated failures). */
  restartServer(name: string): Promise<void>;
  /** Recent log lines of one server (stderr of a stdio server, connection events otherwise), oldest first. */
  getServerLog(name: string): Promise<string[]>;
}
