/**
 * The control API the UI uses (the GatewayApi of preload/contract, which the engine may not
 * import: the shapes here are checked against it where the app wires them together).
 */
import type { Gateway } from '../gateway.ts';
import type { PromptBroker } from '../elicitation/broker.ts';
import type { PendingPromptDto, PromptAnswer } from '../elicitation/types.ts';

export type { PendingPromptDto, PromptAnswer } from '../elicitation/types.ts';

export interface EngineStatus {
  version: string;
  configPath: string;
  configError?: string;
  listen: string[];
}

export interface EngineServer {
  name: string;
  kind: 'stdio' | 'http' | 'handler-http' | 'handler-fastcgi';
  state: 'stopped' | 'starting' | 'ready' | 'backoff' | 'failed';
  lastError?: string;
  pid?: number;
  restarts: number;
  toolCount: number;
}

export interface EngineTool {
  name: string;
  server: string;
  originalName: string;
  title?: string;
  description?: string;
}

export interface EngineApi {
  getStatus(): Promise<EngineStatus>;
  listServers(): Promise<EngineServer[]>;
  listTools(server?: string): Promise<EngineTool[]>;
  restartServer(name: string): Promise<void>;
  getServerLog(name: string): Promise<string[]>;
  /** Elicitation and sampling requests waiting for the user, oldest first. */
  listPrompts(): Promise<PendingPromptDto[]>;
  /**
   * Answers a pending prompt. Rejects with GatewayError 'not_found' (unknown or already settled
   * id) or PromptAnswerError 'invalid_request' (the answer does not fit; names the field).
   */
  answerPrompt(id: string, answer: PromptAnswer): Promise<void>;
}

export function createEngineApi(gateway: Gateway, version: string, broker: Pick<PromptBroker, 'list' | 'answer'>): EngineApi {
  return {
    async getStatus() {
      const status: EngineStatus = {
        version,
        configPath: gateway.configPath(),
        listen: [gateway.httpUrl(), gateway.socketPath()].filter((x): x is string => x !== undefined),
      };
      const error = gateway.configError();
      if (error) status.configError = error.message;
      return status;
    },
    async listServers() {
      return gateway.servers().map((s) => {
        const dto: EngineServer = { name: s.name, kind: s.kind, state: s.state, restarts: s.restarts, toolCount: s.toolCount ?? 0 };
        if (s.lastError !== undefined) dto.lastError = s.lastError;
        if (s.pid !== undefined) dto.pid = s.pid;
        return dto;
      });
    },
    async listTools(server) {
      return gateway.catalogTools(server);
    },
    async restartServer(name) {
      await gateway.restartServer(name);
    },
    async getServerLog(name) {
      return gateway.serverLog(name);
    },
    async listPrompts() {
      return broker.list();
    },
    async answerPrompt(id, answer) {
      broker.answer(id, answer);
    },
  };
}
