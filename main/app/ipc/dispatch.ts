/**
 * IPC handlers, free of Electron so they can be tested: one per entry of the method table, each
 * refusing calls from anything but our own app page, then taking the arguments as JSON would carry
 * them (as the /api binding does), then handing the call to the engine's dispatcher (which checks
 * them against the table's schema). Every handler answers a Reply, never throws: Electron would
 * keep only the message of a thrown error.
 */
import {
  MAX_CALL_BYTES,
  METHODS,
  paramName,
  type ApiError,
  type IpcMethodTable,
  type Reply,
} from '../../../preload/contract/index.ts';
import type { ApiDispatch } from '../../engine/index.ts';

/** What main knows about who sent an IPC call. */
export interface IpcSender {
  /** `webContents.id` of the sender. */
  webContentsId: number;
  /** URL of the sending frame; null when the frame is gone. */
  frameUrl: string | null;
  /** Whether the sending frame is its page's main frame (not an iframe). */
  isMainFrame: boolean;
}

export type SenderCheck = (sender: IpcSender) => boolean;

export type IpcHandler = (sender: IpcSender, args: readonly unknown[]) => Promise<Reply<unknown>>;

/** Handlers keyed by channel, for every method of `table`. */
export function createIpcHandlers<Api>(
  dispatch: ApiDispatch,
  isTrustedSender: SenderCheck,
  table: IpcMethodTable<Api> = METHODS as IpcMethodTable<Api>,
): ReadonlyMap<string, IpcHandler> {
  const handlers = new Map<string, IpcHandler>();
  for (const [method, spec] of Object.entries(table) as [string, { channel: string; params: readonly string[] }][]) {
    handlers.set(spec.channel, async (sender, args) => {
      if (!isTrustedSender(sender)) {
        return {
          ok: false,
          error: {
            code: 'unauthorized',
            message: `${spec.channel}: refused a call from an untrusted sender (${sender.frameUrl ?? 'unknown frame'})`,
          },
        };
      }
      const json = asJson(method, spec.params, args);
      return 'error' in json ? { ok: false, error: json.error } : dispatch(method, json.args);
    });
  }
  return handlers;
}

/**
 * The arguments as the /api binding would get them: Electron's structured clone carries what JSON
 * cannot (cycles, BigInt, Map, Date, NaN) and any size, so each argument goes through JSON text,
 * at most MAX_CALL_BYTES in all, before anything reads it. A left-out argument stays undefined.
 */
export function asJson(
  method: string,
  params: readonly string[],
  args: readonly unknown[],
): { args: unknown[] } | { error: ApiError } {
  const copied: unknown[] = [];
  let bytes = 0;
  for (const [index, arg] of args.entries()) {
    const field = params[index] === undefined ? undefined : paramName(params[index]);
    let text: string | undefined;
    try {
      text = JSON.stringify(arg);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return {
        error: {
          code: 'invalid_request',
          message: `${method}: ${field ? `"${field}" ` : ''}is not JSON (${why})`,
          ...(field ? { field } : {}),
        },
      };
    }
    bytes += text === undefined ? 0 : Buffer.byteLength(text);
    if (bytes > MAX_CALL_BYTES)
      return {
        error: {
          code: 'message_too_large',
          message: `${method}: the arguments are over the ${MAX_CALL_BYTES}-byte limit`,
          ...(field ? { field } : {}),
        },
      };
    copied.push(text === undefined ? undefined : JSON.parse(text));
  }
  return { args: copied };
}

/**
 * Trusted = the main frame of a window we created, currently showing our own app page.
 * `isAppUrl` comes from windows/options.ts; `isAppWindow` from the window registry.
 */
export function createSenderCheck(
  isAppUrl: (url: string) => boolean,
  isAppWindow: (webContentsId: number) => boolean,
): SenderCheck {
  return (sender) =>
    sender.isMainFrame && sender.frameUrl !== null && isAppUrl(sender.frameUrl) && isAppWindow(sender.webContentsId);
}
