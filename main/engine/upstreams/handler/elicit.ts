/**
 * A handler's `elicit` as an MCP `elicitation/create` request, and the client's (or the app's)
 * answer as what the handler hears next: accept → another call_tool round with the answer;
 * decline / cancel / unsupported → elicitation_cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { Params } from '../../protocol/jsonrpc.ts';
import { UNANSWERED_META } from '../../elicitation/types.ts';
import type { HandlerElicit } from './content.ts';

export type ElicitAction = 'decline' | 'cancel' | 'unsupported';

export type ElicitOutcome =
  { action: 'accept'; content: Record<string, unknown> } | { action: ElicitAction; reason?: string };

/** Form mode leaves `mode` out (older clients know only forms); URL mode needs an elicitationId. */
export function elicitationParams(elicit: HandlerElicit): Params {
  if (elicit.mode === 'url')
    return { mode: 'url', message: elicit.message, url: elicit.url, elicitationId: randomUUID() };
  return { message: elicit.message, requestedSchema: elicit.schema ?? { type: 'object', properties: {} } };
}

/**
 * The answer to elicitation/create: an error reply means nobody could answer (unsupported), as does
 * the app's cancel of a question nobody answered there in time (no person cancelled it).
 */
export function readAnswer(reply: { result: Record<string, unknown> } | { error: { message: string } }): ElicitOutcome {
  if ('error' in reply) return { action: 'unsupported', reason: reply.error.message };
  const { action, content, _meta: meta } = reply.result;
  const unanswered =
    typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)[UNANSWERED_META] : undefined;
  if (action === 'cancel' && typeof unanswered === 'string') return { action: 'unsupported', reason: unanswered };
  if (action === 'accept') {
    return {
      action: 'accept',
      content:
        typeof content === 'object' && content !== null && !Array.isArray(content)
          ? (content as Record<string, unknown>)
          : {},
    };
  }
  if (action === 'decline') return { action: 'decline' };
  return { action: 'cancel' };
}

/** The tool error the client sees when the user did not answer. */
export function notAnsweredText(
  tool: string,
  question: string,
  outcome: { action: ElicitAction; reason?: string },
): string {
  const what = `"${question.length > 120 ? `${question.slice(0, 117)}...` : question}"`;
  switch (outcome.action) {
    case 'decline':
      return `The user declined to answer ${what}, so ${tool} did not complete.`;
    case 'cancel':
      return `The user cancelled the question ${what}, so ${tool} did not complete.`;
    default:
      return `Nobody could answer ${what}${outcome.reason ? ` (${outcome.reason})` : ''}, so ${tool} did not complete.`;
  }
}
