/**
 * The window's install, uninstall, restore and adopt change what the tray's "Install into" shows:
 * told once such a call went through, so the tray reads the clients again (it read them at start).
 */
import type { ApiDispatch } from '../../engine/index.ts';

const CHANGES_CLIENTS = new Set(['installClient', 'uninstallClient', 'restoreClient', 'adoptServers']);

export function notifyingClientChanges(dispatch: ApiDispatch, changed: () => void): ApiDispatch {
  return async (method, args) => {
    const reply = await dispatch(method, args);
    if (reply.ok && CHANGES_CLIENTS.has(method)) changed();
    return reply;
  };
}
