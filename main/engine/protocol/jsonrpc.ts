/**
 * JSON-RPC 2.0 message shapes and helpers. Constructors put `jsonrpc` and `id` first so
 * the shim can read a response id from the start of a line without parsing it
 * (see main/shared/wire.ts).
 */
import { ID_NOT_STRING_OR_NUMBER, MAX_REQUEST_ID_LENGTH, idTooLong } from '../../shared/request-ids.ts';
import { isExactNumber, withExactIds, type ExactNumber } from '../../shared/exact-numbers.ts';
import { GatewayError, RpcCode, type JsonRpcErrorObject } from './errors.ts';

/** A number id JSON.parse would have changed is kept as its text (see exact-numbers.ts). */
export type RequestId = string | number | ExactNumber;
export type Params = Record<string, unknown>;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Params;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}
export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: RequestId;
  result: Record<string, unknown>;
}
export interface JsonRpcFailure {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: JsonRpcErrorObject;
}
export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export const isRequest = (m: JsonRpcMessage): m is JsonRpcRequest => 'method' in m && 'id' in m;
export const isNotification = (m: JsonRpcMessage): m is JsonRpcNotification => 'method' in m && !('id' in m);
export const isResponse = (m: JsonRpcMessage): m is JsonRpcResponse => !('method' in m);

export function request(id: RequestId, method: string, params?: Params): JsonRpcRequest {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
}
export function notification(method: string, params?: Params): JsonRpcNotification {
  return params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
}
export function success(id: RequestId, result: Record<string, unknown>): JsonRpcSuccess {
  return { jsonrpc: '2.0', id, result };
}
export function failure(id: RequestId | null, error: JsonRpcErrorObject): JsonRpcFailure {
  return { jsonrpc: '2.0', id, error };
}

/** Whether `id` can be a request's id: a string, a finite number, or a number kept as its text. */
export function isValidId(id: unknown): id is RequestId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) || isExactNumber(id);
}

/**
 * Checks that a parsed value is one JSON-RPC message and says what is wrong if not.
 * Returns the message or throws GatewayError('invalid_request') with the reason.
 */
export function toMessage(value: unknown): JsonRpcMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError(
      'invalid_request',
      Array.isArray(value)
        ? 'JSON-RPC batches are not supported; send one message per line or POST'
        : 'a JSON-RPC message must be a JSON object',
    );
  }
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') throw new GatewayError('invalid_request', 'missing or wrong "jsonrpc" (must be "2.0")');
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === '')
      throw new GatewayError('invalid_request', '"method" must be a non-empty string');
    if (
      'params' in m &&
      m.params !== undefined &&
      (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))
    ) {
      throw new GatewayError('invalid_request', '"params" must be an object');
    }
    if ('id' in m && !isValidId(m.id)) throw new GatewayError('invalid_request', ID_NOT_STRING_OR_NUMBER);
    return m as unknown as JsonRpcMessage;
  }
  if (!('id' in m)) throw new GatewayError('invalid_request', 'message has neither "method" nor "id"');
  if (!isValidId(m.id) && m.id !== null) throw new GatewayError('invalid_request', ID_NOT_STRING_OR_NUMBER);
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError)
    throw new GatewayError('invalid_request', 'a response must have exactly one of "result" and "error"');
  if (hasResult && (typeof m.result !== 'object' || m.result === null))
    throw new GatewayError('invalid_request', '"result" must be an object');
  return m as unknown as JsonRpcMessage;
}

/** The id of a message that failed validation, if one can be recovered (so the error can be addressed). */
export function salvageId(value: unknown): RequestId | null {
  if (typeof value === 'object' && value !== null && 'id' in value) {
    const id = (value as { id: unknown }).id;
    if (isValidId(id)) return id;
  }
  return null;
}

/**
 * The messages of a JSON-RPC batch (a JSON array of them, as 2025-03-26 allows a server to send);
 * undefined when `text` is not one, or any element is not a message.
 */
export function parseBatch(text: string): JsonRpcMessage[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  try {
    const value = withExactIds(text, JSON.parse(text));
    return Array.isArray(value) && value.length > 0 ? value.map(toMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses one JSON text into a message, or returns the error response the sender should get. */
export function parseMessage(text: string): { message: JsonRpcMessage } | { error: JsonRpcFailure } {
  let value: unknown;
  try {
    value = withExactIds(text, JSON.parse(text));
  } catch (err) {
    return { error: parseError(err) };
  }
  return checkMessage(value);
}

/**
 * As parseMessage, for what a client sends: a non-empty JSON array comes back as a batch, its
 * elements unchecked (2025-03-26 clients may send batches; the session decides whether it takes one).
 */
export function parseClientMessage(
  text: string,
): { message: JsonRpcMessage } | { error: JsonRpcFailure } | { batch: unknown[] } {
  let value: unknown;
  try {
    value = withExactIds(text, JSON.parse(text));
  } catch (err) {
    return { error: parseError(err) };
  }
  return Array.isArray(value) && value.length > 0 ? { batch: value } : checkClientMessage(value);
}

/**
 * checkMessage for what a client sends: a request whose id is over MAX_REQUEST_ID_LENGTH is
 * refused too (the shim refuses it the same way: it could not answer it if the gateway went away).
 */
export function checkClientMessage(value: unknown): { message: JsonRpcMessage } | { error: JsonRpcFailure } {
  const checked = checkMessage(value);
  if ('error' in checked) return checked;
  const m = checked.message;
  if ('method' in m && 'id' in m && typeof m.id === 'string' && m.id.length > MAX_REQUEST_ID_LENGTH)
    return { error: failure(m.id, { code: RpcCode.InvalidRequest, message: idTooLong(m.id) }) };
  return checked;
}

function parseError(err: unknown): JsonRpcFailure {
  return failure(null, { code: RpcCode.ParseError, message: `Parse error: ${(err as Error).message}` });
}

/** toMessage, with the error response (addressed to the id, when one can be read) instead of a throw. */
export function checkMessage(value: unknown): { message: JsonRpcMessage } | { error: JsonRpcFailure } {
  try {
    return { message: toMessage(value) };
  } catch (err) {
    return {
      error: failure(salvageId(value), {
        code: RpcCode.InvalidRequest,
        message: `Invalid request: ${(err as Error).message}`,
      }),
    };
  }
}
