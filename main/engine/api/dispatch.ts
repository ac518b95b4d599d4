/**
 * One call of the control API, whatever the binding: look the method up in the table, check the
 * arguments against its schema, run it, and answer a Reply. Every failure becomes the contract's
 * error shape here, so IPC and HTTP report the same code, message and field.
 */
import {
  GatewayApiError,
  METHODS,
  parseArgs,
  type ApiError,
  type GatewayApi,
  type IpcMethodSpec,
  type IpcMethodTable,
  type Reply,
} from '../../../preload/contract/index.ts';
import { GatewayError, errorMessage } from '../protocol/errors.ts';

export type ApiDispatch = (method: string, args: readonly unknown[]) => Promise<Reply<unknown>>;

export interface DispatchOptions<Api> {
  api: Api;
  /** The control API's by default; the desktop app's own methods have a table of their own. */
  table?: IpcMethodTable<Api>;
  /** Told about failures that are our fault (not the caller's), with the stack. */
  onInternalError?: (method: string, err: unknown) => void;
  /** Rewrites every reply before it leaves (the gateway's redactor). */
  redact?: <T>(reply: T) => T;
}

/** The contract's error for anything thrown by a call. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof GatewayApiError) return err.toJSON();
  if (err instanceof GatewayError)
    return err.field === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, field: err.field };
  return { code: 'internal', message: `Internal error: ${errorMessage(err)}` };
}

export function createApiDispatcher<Api = GatewayApi>(options: DispatchOptions<Api>): ApiDispatch {
  const table = (options.table ?? METHODS) as Record<string, IpcMethodSpec>;
  const api = options.api as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const redact = options.redact ?? ((reply) => reply);
  return async (method, args) => redact(await call(method, args));
  async function call(method: string, args: readonly unknown[]): Promise<Reply<unknown>> {
    try {
      if (!Object.hasOwn(table, method) || typeof api[method] !== 'function') {
        throw new GatewayError(
          'method_not_found',
          `the control API has no method ${JSON.stringify(method.slice(0, 64))}`,
        );
      }
      const parsed = parseArgs(method, table[method]!, args);
      return { ok: true, result: await api[method]!(...parsed) };
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'internal') options.onInternalError?.(method, err);
      return { ok: false, error };
    }
  }
}
