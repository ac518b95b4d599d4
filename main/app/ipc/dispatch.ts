/**
 * IPC handlers, free of Electron so they can be tested: one per entry of the method table, each
 * refusing calls from anything but our own app page, then handing the call to the engine's
 * dispatcher (which checks the arguments against the table's schema). Every handler answers a
 * Reply, never throws: Electron would keep only the message of a thrown error.
 */
import { METHODS, type MethodTable, type Reply } from '../../../preload/contract/index.ts';
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
  table: MethodTable<Api> = METHODS as MethodTable<Api>,
): ReadonlyMap<string, IpcHandler> {
  const handlers = new Map<string, IpcHandler>();
  for (const [method, spec] of Object.entries(table) as [string, { channel: string }][]) {
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
      return dispatch(method, args);
    });
  }
  return handlers;
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
