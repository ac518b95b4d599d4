/**
 * THE control API: everything the UI asks of the gateway. Declared once here and bound twice:
 * Electron IPC (preload/index.ts <-> main/app/ipc) and HTTP+SSE under /api (engine/api).
 * The renderer never knows which binding it has.
 *
 * Types only. Every method returns a promise; failures reject with an Error whose message is
 * meant for people (e.g. an unknown server name).
 */
import type { GatewayStatusDto, PendingPromptDto, PromptAnswerDto, ServerDto, ToolDto } from './dto.ts';

export type {
  ElicitationFormPromptDto,
  ElicitationUrlPromptDto,
  FormFieldSchemaDto,
  FormSchemaDto,
  FormValueDto,
  GatewayStatusDto,
  PendingPromptDto,
  PromptAnswerDto,
  PromptClientDto,
  PromptOutcomeDto,
  PromptSettledDto,
  SamplingContentDto,
  SamplingMessageDto,
  SamplingParamsDto,
  SamplingPromptDto,
  ServerDto,
  ServerKindDto,
  ServerStateDto,
  ToolDto,
} from './dto.ts';

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
  /**
   * Elicitation and sampling requests waiting for the user (the client that caused them could
   * not answer), oldest first.
   */
  listPrompts(): Promise<PendingPromptDto[]>;
  /**
   * Answers a pending prompt. Rejects when the id is unknown (answered, expired or withdrawn
   * meanwhile) or the answer does not fit the prompt (the message names the field); the prompt
   * stays open after a refused answer.
   */
  answerPrompt(id: string, answer: PromptAnswerDto): Promise<void>;
}
