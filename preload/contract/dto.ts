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

// ---- prompts: elicitation and sampling the client could not answer, put to the user ----------

/** Who caused the request, as the client introduced itself. */
export interface PromptClientDto {
  name: string;
  version?: string;
}

/** One field of a form elicitation (the spec's flat JSON Schema subset, unknown keywords dropped). */
export interface FormFieldSchemaDto {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  title?: string;
  description?: string;
  /** A value to prefill. */
  default?: string | number | boolean | string[];
  /** string: the allowed values. */
  enum?: string[];
  /** string (legacy titled enum): display names, parallel to `enum`. */
  enumNames?: string[];
  /** string (titled enum): the allowed values with display titles. */
  oneOf?: { const: string; title?: string }[];
  /** string: `email`, `uri`, `date` or `date-time` are checked; others are hints. */
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** array (multi-select): the allowed values. */
  items?: { type: 'string'; enum?: string[]; anyOf?: { const: string; title?: string }[] };
  minItems?: number;
  maxItems?: number;
}

export interface FormSchemaDto {
  type: 'object';
  properties: Record<string, FormFieldSchemaDto>;
  required?: string[];
}

/** A piece of sampling content as the server sent it: text, image, audio, tool use or result. Render as data, never as markup. */
export type SamplingContentDto = { type: string; text?: string; mimeType?: string } & Record<string, unknown>;

export interface SamplingMessageDto {
  role: 'user' | 'assistant';
  content: SamplingContentDto | SamplingContentDto[];
}

/** What a sampling request asks the model — here, the user — to answer. */
export interface SamplingParamsDto {
  messages: SamplingMessageDto[];
  systemPrompt?: string;
  maxTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  includeContext?: string;
  modelPreferences?: Record<string, unknown>;
  /** Tools the server offers the model; for context only. */
  tools?: Record<string, unknown>[];
}

interface PendingPromptBaseDto {
  /** Random and unguessable. */
  id: string;
  /** The server (config key) that asked. */
  server: string;
  /** Text from the server (elicitation) or a summary (sampling). Untrusted: show as plain text. */
  message: string;
  /** The client whose request caused this one, when known. */
  client?: PromptClientDto;
  /** Why Switchboard asks instead of the client, e.g. "the client (Zed) does not support elicitation". */
  reason: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds. Then the prompt disappears (an elicitation is answered as cancel, sampling is rejected). */
  expiresAt: number;
}

/** A form to fill in. Answer `{ action: 'accept', content }`, `{ action: 'decline' }` or `{ action: 'cancel' }`. */
export interface ElicitationFormPromptDto extends PendingPromptBaseDto {
  kind: 'elicitation';
  mode: 'form';
  requestedSchema: FormSchemaDto;
}

/**
 * A page the server wants the user to visit (e.g. to sign in). `url` is the full URL, http(s)
 * only, never opened by the gateway: show it untruncated, open it only when the user chooses,
 * then answer `{ action: 'accept' }` — or decline / cancel.
 */
export interface ElicitationUrlPromptDto extends PendingPromptBaseDto {
  kind: 'elicitation';
  mode: 'url';
  url: string;
  elicitationId?: string;
}

/**
 * A request for a model reply. Never approved silently: answer with the reply the user typed,
 * `{ action: 'accept', content: { type: 'text', text }, model? }` (model defaults to "user"), or
 * `{ action: 'decline' }`.
 */
export interface SamplingPromptDto extends PendingPromptBaseDto {
  kind: 'sampling';
  mode: 'form';
  params: SamplingParamsDto;
}

export type PendingPromptDto = ElicitationFormPromptDto | ElicitationUrlPromptDto | SamplingPromptDto;

export type FormValueDto = string | number | boolean | string[];

/** The user's answer to a pending prompt (see each prompt kind for which fits). */
export type PromptAnswerDto =
  | { action: 'accept'; content?: Record<string, FormValueDto> }
  | { action: 'accept'; role?: 'assistant'; content: { type: 'text'; text: string }; model?: string }
  | { action: 'decline' }
  | { action: 'cancel' };

/** How a prompt left the list. */
export type PromptOutcomeDto = 'answered' | 'declined' | 'cancelled' | 'expired' | 'withdrawn';

export interface PromptSettledDto {
  id: string;
  outcome: PromptOutcomeDto;
}
