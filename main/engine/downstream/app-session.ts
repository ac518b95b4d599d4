/**
 * A client session the app itself drives, for one request (a replay from the traffic view): it
 * introduces itself, sends the request, waits for the answer and ends. It goes through the same
 * router as any client, so it is routed, limited and recorded the same way.
 */
import type { JsonRpcMessage, Params } from '../protocol/jsonrpc.ts';
import { LATEST_STATEFUL } from '../protocol/versions.ts';
import { GatewayError } from '../protocol/errors.ts';
import type { SendFn, Session } from './session.ts';

export interface AppCallResult {
  /** The request's exchange in the traffic record ('' when recording is off). */
  exchangeId: string;
  answer: { result: Record<string, unknown> } | { error: { code: number; message: string } };
}

const INIT_ID = 'app-initialize';
const CALL_ID = 'app-call';
/**
 * `timeoutMs` is the longest a server of the gateway may take: its own timeout answers first (an
 * error the record calls a timeout), and waiting this much longer only guards against no answer.
 */
const BACKSTOP_MS = 1000;

export async function callAsApp(
  createSession: (send: SendFn) => Session,
  clientInfo: { name: string; version: string },
  method: string,
  params: Params | undefined,
  timeoutMs: number,
): Promise<AppCallResult> {
  const waiting = new Map<string, (message: JsonRpcMessage) => void>();
  const session = createSession((message) => {
    const id = 'id' in message ? message.id : undefined;
    if (typeof id === 'string' && ('result' in message || 'error' in message)) waiting.get(id)?.(message);
  });
  const answerTo = (id: string) =>
    new Promise<JsonRpcMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new GatewayError('request_timeout', `${method} had no answer within ${timeoutMs} ms`)),
        timeoutMs + BACKSTOP_MS,
      );
      waiting.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  try {
    const initialized = answerTo(INIT_ID);
    session.receive({
      jsonrpc: '2.0',
      id: INIT_ID,
      method: 'initialize',
      params: { protocolVersion: LATEST_STATEFUL, capabilities: {}, clientInfo },
    });
    const init = await initialized;
    if ('error' in init) throw new GatewayError('internal', `the replay session did not start: ${init.error.message}`);
    session.receive({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const answered = answerTo(CALL_ID);
    session.receive({ jsonrpc: '2.0', id: CALL_ID, method, ...(params === undefined ? {} : { params }) });
    const exchangeId = session.exchangeOf(CALL_ID) ?? '';
    const reply = await answered;
    if ('error' in reply)
      return { exchangeId, answer: { error: { code: reply.error.code, message: reply.error.message } } };
    return { exchangeId, answer: { result: (reply as { result: Record<string, unknown> }).result } };
  } finally {
    session.close();
  }
}
