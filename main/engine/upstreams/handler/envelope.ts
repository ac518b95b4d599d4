/**
 * The envelopes Switchboard sends a handler (handler contract, "Envelope"): a flat object with
 * `type`, `session_id` (string or null), `request_id`, and the fields of the type. Absent
 * optional fields are left out, never sent as null.
 */
import { randomUUID } from 'node:crypto';

export type EnvelopeType = 'discover' | 'call_tool' | 'read_resource' | 'get_prompt' | 'elicitation_cancelled';

export type Envelope = { type: EnvelopeType; session_id: string | null; request_id: string } & Record<string, unknown>;

/** A fresh request id: one per MCP request, reused for every elicitation round of one tool call. */
export function newRequestId(): string {
  return randomUUID();
}

export function envelope(
  type: EnvelopeType,
  sessionId: string | null,
  requestId: string,
  fields: Record<string, unknown> = {},
): Envelope {
  const out: Envelope = { type, session_id: sessionId, request_id: requestId };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}
