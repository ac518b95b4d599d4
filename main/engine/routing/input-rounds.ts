/**
 * A stateless (2026-07-28) server asks its questions in an `input_required` result instead of
 * server-to-client requests. For anyone who cannot pass that result on as it is (a stateful
 * client), this answers each question and retries the call — with a fresh request id, the
 * server's `requestState` echoed exactly and only when it sent one — until the call completes.
 */
import { GatewayError } from '../protocol/errors.ts';
import type { Params } from '../protocol/jsonrpc.ts';

/** Rounds of input_required one call may take before we give up on it. */
export const MAX_INPUT_ROUNDS = 10;

export interface InputRoundOptions {
  /** Sends the request again (a new request, so a new id). */
  retry(params: Params): Promise<Record<string, unknown>>;
  /** Gets the answer to one question (an elicitation, sampling or roots request). */
  answer(method: string, params: Params): Promise<Record<string, unknown>>;
  /** Names the server in errors. */
  label: string;
}

export async function completeInputRounds(
  params: Params,
  first: Record<string, unknown>,
  opts: InputRoundOptions,
): Promise<Record<string, unknown>> {
  let result = first;
  for (let round = 1; result.resultType === 'input_required'; round++) {
    if (round > MAX_INPUT_ROUNDS)
      throw new GatewayError(
        'upstream_protocol',
        `${opts.label} asked for input more than ${MAX_INPUT_ROUNDS} times in one call`,
      );
    const questions = (result.inputRequests ?? {}) as Record<string, { method?: unknown; params?: Params }>;
    const inputResponses: Record<string, unknown> = {};
    for (const [key, q] of Object.entries(questions)) {
      if (typeof q?.method !== 'string') continue;
      inputResponses[key] = await opts.answer(q.method, q.params ?? {});
    }
    const again: Params = { ...params, inputResponses };
    if (result.requestState !== undefined) again.requestState = result.requestState;
    else delete again.requestState;
    result = await opts.retry(again);
  }
  return result;
}
