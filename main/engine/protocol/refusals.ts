/**
 * Messages refused for their size or their bytes, whichever transport they came on: the error a
 * client sees, and the id of an over-long or undecodable response recovered from its first and
 * last bytes so that exactly that request fails. Bytes that are not UTF-8 are refused, never
 * decoded with replacement characters: what is forwarded is what was sent.
 */
import { isUtf8 } from 'node:buffer';
import { RpcCode, type JsonRpcErrorObject } from './errors.ts';
import {
  checkClientMessage,
  failure,
  parseClientMessage,
  parseMessage,
  type JsonRpcFailure,
  type JsonRpcMessage,
  type RequestId,
} from './jsonrpc.ts';

/** The text of `bytes` when they are valid UTF-8, else undefined. */
export function decodeUtf8(bytes: Buffer): string | undefined {
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** What a client gets for a body or line that is not UTF-8 (JSON text must be). */
export const NOT_UTF8: JsonRpcFailure = failure(null, {
  code: RpcCode.ParseError,
  message: 'Parse error: the message is not valid UTF-8 (JSON-RPC messages are UTF-8 JSON text)',
});

/** Parses one message from raw bytes (an HTTP body): bytes that are not UTF-8 get NOT_UTF8. */
export function parseMessageBytes(bytes: Buffer): { message: JsonRpcMessage } | { error: JsonRpcFailure } {
  const text = decodeUtf8(bytes);
  return text === undefined ? { error: NOT_UTF8 } : parseMessage(text);
}

/** parseMessageBytes for a client's message that is never a batch (a legacy SSE POST). */
export function parseOneClientMessageBytes(bytes: Buffer): { message: JsonRpcMessage } | { error: JsonRpcFailure } {
  const parsed = parseMessageBytes(bytes);
  return 'error' in parsed ? parsed : checkClientMessage(parsed.message);
}

/** parseClientMessage from raw bytes (a client's HTTP body): a batch comes back unchecked. */
export function parseClientMessageBytes(
  bytes: Buffer,
): { message: JsonRpcMessage } | { error: JsonRpcFailure } | { batch: unknown[] } {
  const text = decodeUtf8(bytes);
  return text === undefined ? { error: NOT_UTF8 } : parseClientMessage(text);
}

/** The error for a response over limits.maxResponseBytes; `bytes` undefined when only "more than" is known. */
export function responseTooLarge(server: string, bytes: number | undefined, limit: number): JsonRpcErrorObject {
  const size = bytes === undefined ? `a response of more than ${limit} bytes` : `a ${bytes}-byte response`;
  return {
    code: RpcCode.MessageTooLarge,
    message: `server "${server}" sent ${size}, over the ${limit}-byte limit (limits.maxResponseBytes)`,
  };
}

/** The error for a response whose bytes are not UTF-8 (refused rather than altered). */
export function responseNotUtf8(server: string): JsonRpcErrorObject {
  return {
    code: RpcCode.InternalError,
    message: `server "${server}" sent a response that is not valid UTF-8; it was refused rather than altered`,
  };
}

const RESPONSE_START =
  /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?(?:"id"\s*:\s*(-?\d+|"[^"\\]*")\s*,\s*)?"(?:result|error)"\s*:/;
const ID_AT_END = /"id"\s*:\s*(-?\d+|"[^"\\]*")\s*\}\s*$/;

/**
 * The id of a response, from its first and last bytes only. A message counts as a response when
 * it starts like one (`{"result"`, `{"jsonrpc":"2.0","id":1,"error"`...), so a server's own
 * request, whose id also sits at its end, is never mistaken for the answer to one of ours.
 */
export function responseIdOf(head: string, tail: string): RequestId | undefined {
  const start = RESPONSE_START.exec(head);
  if (!start) return undefined;
  const raw = start[1] ?? ID_AT_END.exec(tail)?.[1];
  if (raw === undefined) return undefined;
  return raw.startsWith('"') ? raw.slice(1, -1) : Number(raw);
}

/** Whether `head` starts like a response (see responseIdOf), even when no id can be read. */
export function looksLikeResponse(head: string): boolean {
  return RESPONSE_START.test(head);
}
