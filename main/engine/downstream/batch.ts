/**
 * JSON-RPC batches from clients. MCP 2025-03-26 says a server must take them (an array of
 * requests and notifications, or of responses, in one POST or on one line); 2025-06-18 removed
 * them. A batch is split into its messages, each handled as if sent alone, and the answers to
 * its requests go back together as one array once every request has its answer.
 */
import { RpcCode } from '../protocol/errors.ts';
import {
  checkClientMessage,
  failure,
  isRequest,
  type JsonRpcFailure,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from '../protocol/jsonrpc.ts';
import { messageJson } from '../protocol/json-text.ts';
import { idInUse } from '../../shared/request-ids.ts';
import type { Session } from './session.ts';

/** The only revision with batches. */
export const BATCH_REVISION = '2025-03-26';
/** Messages one batch may hold; the body or line limit bounds its bytes. */
export const MAX_BATCH_MESSAGES = 1000;

/** Why `session` cannot take a batch of `count` messages, or undefined when it can. */
export function batchRefusal(session: Session | undefined, count: number): string | undefined {
  if (!session?.initialized || session.protocolVersion === undefined)
    return 'a JSON-RPC batch is not taken before initialize, and initialize must not be part of one';
  if (session.protocolVersion !== BATCH_REVISION)
    return (
      `JSON-RPC batches are part of MCP ${BATCH_REVISION} only; this session speaks ${session.protocolVersion}: ` +
      'send one message at a time'
    );
  if (count > MAX_BATCH_MESSAGES)
    return `a JSON-RPC batch of ${count} messages is over the ${MAX_BATCH_MESSAGES} one batch may hold`;
  return undefined;
}

export interface ReadBatch {
  /** Requests to handle; each is answered in the batch's array. */
  requests: JsonRpcRequest[];
  /** Notifications and responses, handled as they come. */
  others: JsonRpcMessage[];
  /** Answers already known: elements that are not messages, an initialize, an id used twice. */
  refused: JsonRpcFailure[];
}

/** The batch's elements in order; `inUse` says whether a request id is already taken by one in flight. */
export function readBatch(values: unknown[], inUse: (id: RequestId) => boolean): ReadBatch {
  const out: ReadBatch = { requests: [], others: [], refused: [] };
  const ids = new Set<RequestId>();
  for (const value of values) {
    const checked = checkClientMessage(value);
    if ('error' in checked) {
      out.refused.push(checked.error);
      continue;
    }
    const message = checked.message;
    if (!isRequest(message)) {
      out.others.push(message);
    } else if (message.method === 'initialize') {
      const text = 'initialize must not be part of a JSON-RPC batch';
      out.refused.push(failure(message.id, { code: RpcCode.InvalidRequest, message: text }));
    } else if (ids.has(message.id) || inUse(message.id)) {
      out.refused.push(failure(message.id, { code: RpcCode.InvalidRequest, message: idInUse(message.id) }));
    } else {
      ids.add(message.id);
      out.requests.push(message);
    }
  }
  return out;
}

/** The answers of one batch, kept until each of its requests has one (or was cancelled). */
export class BatchAnswers {
  readonly answers: JsonRpcResponse[];
  private readonly waiting: Set<RequestId>;

  constructor(requests: readonly JsonRpcRequest[], refused: readonly JsonRpcFailure[] = []) {
    this.waiting = new Set(requests.map((r) => r.id));
    this.answers = [...refused];
  }

  get done(): boolean {
    return this.waiting.size === 0;
  }

  /** Whether `id` is one of its requests still unanswered. */
  awaits(id: RequestId): boolean {
    return this.waiting.has(id);
  }

  /** Keeps the answer to one of its requests; true once none is left to answer. */
  take(answer: JsonRpcResponse): boolean {
    if (this.waiting.delete(answer.id as RequestId)) this.answers.push(answer);
    return this.done;
  }

  /** A request that will not be answered (cancelled by the client); true once none is left. */
  drop(id: RequestId): boolean {
    this.waiting.delete(id);
    return this.done;
  }

  /** The answers as one JSON array text. */
  json(): string {
    return `[${this.answers.map(messageJson).join(',')}]`;
  }
}
