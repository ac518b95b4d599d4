/**
 * What the control API carries: plain JSON-safe data (no classes, functions, Dates or undefined
 * that matters), so the same objects travel over Electron IPC (structured clone) and HTTP (JSON).
 * Optional fields are absent, not null, when there is nothing to say. The engine builds these
 * very types; nothing else declares them.
 */

/** How Switchboard reaches a backend. */
export type ServerKind = 'stdio' | 'http' | 'handler-http' | 'handler-fastcgi';

/** Lifecycle of one backend as the user sees it. */
export type ServerState = 'stopped' | 'starting' | 'ready' | 'backoff' | 'failed';

export interface GatewayStatus {
  /** Switchboard's own version (package.json). */
  version: string;
  /** Absolute path of the config file in use (it may not exist yet). */
  configPath: string;
  /**
   * Why the last edit of the config could not be applied, in words a user can act on (file, line,
   * column and JSON path of each problem). The previous config keeps running. Absent when fine.
   */
  configError?: string;
  /**
   * Where clients can reach the gateway: URLs of HTTP listeners (`http://127.0.0.1:PORT/mcp`)
   * and the local socket or named pipe path the shim connects to.
   */
  listen: string[];
}

export interface ServerView {
  /** The server's key in the config. Unique. */
  name: string;
  kind: ServerKind;
  state: ServerState;
  /** The last failure, in words a user can act on. */
  lastError?: string;
  /** Process id while a stdio server's process is running. */
  pid?: number;
  /** Times the backend was restarted after a crash or lost connection. */
  restarts: number;
  /** Tools the server currently offers (0 until it is ready). */
  toolCount: number;
}

export interface ToolView {
  /** The name clients see (namespaced when two servers offer the same name). */
  name: string;
  /** The server that provides the tool. */
  server: string;
  /** The name the server itself uses. */
  originalName: string;
  title?: string;
  description?: string;
}

/** One problem in the config file, where an editor can jump to it. */
export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** JSON path as people read it, e.g. `mcpServers.github.command`; '' for the whole file. */
  path: string;
  message: string;
}

/** An edit of the config file that could not be applied (the previous config keeps running). */
export interface ConfigProblem {
  /** Every issue, one per line, as `FILE:LINE:COL: PATH: MESSAGE`. */
  message: string;
  issues: ConfigIssue[];
}

/** A line for the log views: the gateway's own notes, or a server's stderr. */
export interface LogLine {
  /** Epoch milliseconds. */
  at: number;
  level: 'info' | 'warn' | 'error';
  /** The server the line is about (config key); absent for the gateway itself. */
  server?: string;
  /** `stderr`: printed by the server's process; `gateway`: written by Switchboard. */
  source: 'gateway' | 'stderr';
  text: string;
}

// ---- questions: elicitation and sampling no client could answer, put to the user ------------

/** A client as it introduced itself. */
export interface ClientInfo {
  name: string;
  version?: string;
}

/** One field of a form elicitation (the spec's flat JSON Schema subset, unknown keywords dropped). */
export interface FormField {
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

export interface FormSchema {
  type: 'object';
  properties: Record<string, FormField>;
  required?: string[];
}

/**
 * A piece of sampling content as the server sent it (text, image, audio, tool use or result). Render as data, never as
 * markup.
 */
export type SamplingContent = { type: string; text?: string; mimeType?: string } & Record<string, unknown>;

export interface SamplingMessage {
  role: 'user' | 'assistant';
  content: SamplingContent | SamplingContent[];
}

/** What a sampling request asks the model — here, the user — to answer. */
export interface SamplingParams {
  messages: SamplingMessage[];
  systemPrompt?: string;
  maxTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  includeContext?: string;
  modelPreferences?: Record<string, unknown>;
  /** Tools the server offers the model; for context only. */
  tools?: Record<string, unknown>[];
}

interface QuestionBase {
  /** Random and unguessable. */
  id: string;
  /** The server (config key) that asked. */
  server: string;
  /** Text from the server (elicitation) or a summary (sampling). Untrusted: show as plain text. */
  message: string;
  /** The client whose request caused this one, when known. */
  client?: ClientInfo;
  /** Why Switchboard asks instead of the client, e.g. "the client (Zed) does not support elicitation". */
  reason: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds. Then the question ends: an elicitation is answered as cancel, sampling is rejected. */
  expiresAt: number;
}

/** A form to fill in. Answer `{ action: 'accept', content }`, `{ action: 'decline' }` or `{ action: 'cancel' }`. */
export interface FormQuestion extends QuestionBase {
  kind: 'elicitation';
  mode: 'form';
  requestedSchema: FormSchema;
}

/**
 * A page the server wants the user to visit (e.g. to sign in). `url` is the full URL, http(s)
 * only, never opened by the gateway: show it untruncated, open it only when the user chooses,
 * then answer `{ action: 'accept' }` — or decline / cancel.
 */
export interface UrlQuestion extends QuestionBase {
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
export interface SamplingQuestion extends QuestionBase {
  kind: 'sampling';
  mode: 'form';
  params: SamplingParams;
}

export type Question = FormQuestion | UrlQuestion | SamplingQuestion;

export type FormValue = string | number | boolean | string[];

/** The user's answer to a question (see each kind of question for which fits). */
export type QuestionAnswer =
  | { action: 'accept'; content?: Record<string, FormValue> }
  | { action: 'accept'; role?: 'assistant'; content: { type: 'text'; text: string }; model?: string }
  | { action: 'decline' }
  | { action: 'cancel' };

/** How a question left the list. */
export type QuestionOutcome = 'answered' | 'declined' | 'cancelled' | 'expired' | 'withdrawn';

export interface QuestionEnded {
  id: string;
  outcome: QuestionOutcome;
}
