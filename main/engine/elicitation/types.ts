/**
 * What the question broker is asked: a server's elicitation or sampling request that no client
 * can answer. What the user sees and answers (Question, QuestionAnswer, ...) is declared in the
 * control API's contract.
 */
import type { ClientInfo } from '../../../preload/contract/index.ts';

export type QuestionMethod = 'elicitation/create' | 'sampling/createMessage';

/** A server-to-client request the gateway has to put to the user itself. */
export interface QuestionRequest {
  /** The server (config key) that asked. */
  server: string;
  method: QuestionMethod;
  /** The request's params, as the server sent them (untrusted). */
  params: Record<string, unknown>;
  /** The client whose request caused this one, when known. */
  client?: ClientInfo;
  /** Why the app asks instead of the client, e.g. "the client (Zed) does not support elicitation". */
  reason: string;
  /** The session an isolated server's process that asked was started for (its header values are hidden). */
  owner?: string;
}

/**
 * `_meta` key of an elicitation's cancel that no person gave: the question expired in the app, or
 * the app had no room for it. Its value says why. A JSON handler's call hears `unsupported` then,
 * not that the user cancelled; an MCP server gets the cancel MCP defines, with this note.
 */
export const UNANSWERED_META = 'switchboard/unanswered';

export interface AskOptions {
  /** How long the question stays open. Elicitation then resolves as cancel (UNANSWERED_META), sampling rejects. */
  timeoutMs: number;
  /** Fired when the server cancels its request: the question is withdrawn. */
  signal?: AbortSignal;
}
