/**
 * A stateless (2026-07-28) server asks its questions in an `input_required` result instead of
 * server-to-client requests. For anyone who cannot pass that result on as it is (a stateful
 * client), this answers each question and retries the call — with a fresh request id, the
 * server's `requestState` echoed exactly and only when it sent one — until the call completes.
 */
import { GatewayError, RpcCode } from '../protocol/errors.ts';
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
      inputResponses[key] = await opts.answer(q.method, q.params ?? {}).catch((err: unknown) => {
        throw unanswerable(err, q.method as string, opts.label);
      });
    }
    const again: Params = { ...params, inputResponses };
    if (result.requestState !== undefined) again.requestState = result.requestState;
    else delete again.requestState;
    result = await opts.retry(again);
  }
  return result;
}

/**
 * A question nobody could answer ends the call, but not with the question's "method not found":
 * the client would read that its own tools/call does not exist.
 */
function unanswerable(err: unknown, method: string, label: string): unknown {
  const notFound =
    err instanceof GatewayError && (err.code === 'method_not_found' || err.rpc?.code === RpcCode.MethodNotFound);
  if (!notFound) return err;
  const message = `${label} needs an answer to ${method} to complete this call: ${err.message}`;
  return new GatewayError('upstream_error', message, { rpc: { code: RpcCode.InternalError, message }, cause: err });
}
