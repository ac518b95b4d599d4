/**
 * Shapes of the prompt broker: what a server asked (as the UI sees it) and what the user answers.
 * Plain JSON-safe data; preload/contract/dto.ts mirrors them for the UI (the app checks the two
 * agree where it wires the engine API to the contract).
 */

export type PromptMethod = 'elicitation/create' | 'sampling/createMessage';

export interface PromptClient {
  name: string;
  version?: string;
}

/** A server-to-client request the gateway has to put to the user itself. */
export interface PromptRequest {
  /** The server (config key) that asked. */
  server: string;
  method: PromptMethod;
  /** The request's params, as the server sent them (untrusted). */
  params: Record<string, unknown>;
  /** The client whose request caused this one, when known. */
  client?: PromptClient;
  /** Why the app asks instead of the client, e.g. "the client (Zed) does not support elicitation". */
  reason: string;
}

export interface AskOptions {
  /** How long the prompt stays open. Elicitation then resolves as cancel, sampling rejects. */
  timeoutMs: number;
  /** Fired when the server cancels its request: the prompt disappears. */
  signal?: AbortSignal;
}

/** One field of a form elicitation (the spec's restricted, flat JSON Schema subset). */
export interface FormFieldSchemaDto {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  title?: string;
  description?: string;
  default?: string | number | boolean | string[];
  /** string: allowed values. */
  enum?: string[];
  /** string (legacy titled enum): display names, parallel to `enum`. */
  enumNames?: string[];
  /** string (titled enum): allowed values with display titles. */
  oneOf?: { const: string; title?: string }[];
  /** string: email, uri, date or date-time. */
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

/** One piece of sampling content (text, image, audio, tool use/result), passed through as sent. */
export type SamplingContentDto = { type: string; text?: string; mimeType?: string } & Record<string, unknown>;

export interface SamplingMessageDto {
  role: 'user' | 'assistant';
  content: SamplingContentDto | SamplingContentDto[];
}

/** What a sampling request asks the model (here: the user) to answer. */
export interface SamplingParamsDto {
  messages: SamplingMessageDto[];
  systemPrompt?: string;
  maxTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  includeContext?: string;
  modelPreferences?: Record<string, unknown>;
  /** Tools the server offers the model (2025-11-25); shown for context only. */
  tools?: Record<string, unknown>[];
}

interface PendingPromptBase {
  /** Random and unguessable; answers name it. */
  id: string;
  server: string;
  /** What to show the user: the server's message (elicitation) or a summary (sampling). */
  message: string;
  client?: PromptClient;
  /** Why the app asks instead of the client. */
  reason: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds; afterwards the prompt is gone (elicitation answered as cancel). */
  expiresAt: number;
}

export interface ElicitationFormPromptDto extends PendingPromptBase {
  kind: 'elicitation';
  mode: 'form';
  requestedSchema: FormSchemaDto;
}

export interface ElicitationUrlPromptDto extends PendingPromptBase {
  kind: 'elicitation';
  mode: 'url';
  /** The full URL, untruncated. Never fetched or opened by the engine; only http(s). */
  url: string;
  elicitationId?: string;
}

export interface SamplingPromptDto extends PendingPromptBase {
  kind: 'sampling';
  /** The user answers by typing the reply into a form. */
  mode: 'form';
  params: SamplingParamsDto;
}

export type PendingPromptDto = ElicitationFormPromptDto | ElicitationUrlPromptDto | SamplingPromptDto;

export type FormValue = string | number | boolean | string[];

/**
 * The user's answer. Elicitation (form): accept with `content`, decline or cancel. Elicitation
 * (URL): accept (the user consented and opened the URL), decline or cancel, never content.
 * Sampling: accept with the reply (`model` defaults to "user": a person typed it), decline or
 * cancel (both reject the server's request with -1, "user rejected sampling").
 */
export type PromptAnswer =
  | { action: 'accept'; content?: Record<string, FormValue> }
  | { action: 'accept'; role?: 'assistant'; content: { type: 'text'; text: string }; model?: string }
  | { action: 'decline' }
  | { action: 'cancel' };

export type PromptOutcome = 'answered' | 'declined' | 'cancelled' | 'expired' | 'withdrawn';

export interface PromptSettledDto {
  id: string;
  outcome: PromptOutcome;
}
