/**
 * Payloads of the control API. Plain JSON-safe data (no classes, functions, Dates or undefined
 * that matters): the same objects travel over Electron IPC (structured clone) and HTTP (JSON).
 * Optional fields are absent, not null, when there is nothing to say.
 */

/** How Switchboard reaches a backend. Mirrors the engine's upstream kinds. */
export type ServerKindDto = 'stdio' | 'http' | 'handler-http' | 'handler-fastcgi';

/** Lifecycle of one backend as the user sees it. */
export type ServerStateDto = 'stopped' | 'starting' | 'ready' | 'backoff' | 'failed';

export interface GatewayStatusDto {
  /** Switchboard's own version (package.json). */
  version: string;
  /** Absolute path of the config file in use (it may not exist yet). */
  configPath: string;
  /**
   * Why the config could not be loaded or applied, in words a user can act on (includes the
   * JSON path of the offending value). Absent when the config is fine.
   */
  configError?: string;
  /**
   * Where clients can reach the gateway: URLs of HTTP listeners (`http://127.0.0.1:PORT/mcp`)
   * and the local socket or named pipe path the shim connects to.
   */
  listen: string[];
}

export interface ServerDto {
  /** The server's key in the config. Unique. */
  name: string;
  kind: ServerKindDto;
  state: ServerStateDto;
  /** The last failure, in words a user can act on. */
  lastError?: string;
  /** Process id while a stdio server's process is running. */
  pid?: number;
  /** Times the backend was restarted after a crash or lost connection. */
  restarts: number;
  /** Tools the server currently offers (0 until it is ready). */
  toolCount: number;
}

export interface ToolDto {
  /** The name clients see (namespaced when two servers offer the same name). */
  name: string;
  /** The server that provides the tool. */
  server: string;
  /** The name the server itself uses. Equals `name` unless it had to be namespaced. */
  originalName: string;
  title?: string;
  description?: string;
}
