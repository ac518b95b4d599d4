/**
 * When to raise a desktop notification for a client that dropped Switchboard's entry from its config
 * (Claude Desktop is reported to rewrite its file on launch), without Electron values: when the entry
 * went and Switchboard did not take it out (nor while `quiet` says so), and once per client within
 * REPEAT_MS however often it happens. An entry put back takes its notification back.
 * native-notifications.ts shows them; a click opens the Clients screen.
 */
import type { ClientFileChange } from '../../../preload/contract/index.ts';
import { truncate } from '../tray/menu-model.ts';
import type { ShownNotification } from './question-notifier.ts';

export interface ClientNotification {
  title: string;
  body: string;
  client: string;
}

export interface ClientNotifierOptions {
  show(notification: ClientNotification): ShownNotification | void;
  quiet?: () => boolean;
  now?: () => number;
  log?: (line: string) => void;
}

export interface ClientNotifier {
  /** Feed it every `client-file` event. */
  change(change: ClientFileChange): void;
  dispose(): void;
}

/** A client announced is not announced again this soon. */
export const REPEAT_MS = 10 * 60_000;

export function clientNotification(change: ClientFileChange): ClientNotification {
  const name = truncate(change.name, 40);
  return {
    title: `${name} no longer starts Switchboard`,
    body: `Its config no longer has the "switchboard" entry. Click to open Clients and install it again.`,
    client: change.client,
  };
}

export function createClientNotifier(options: ClientNotifierOptions): ClientNotifier {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  const announced = new Map<string, number>();
  const shown = new Map<string, ShownNotification>();
  let disposed = false;

  const takeBack = (client: string): void => {
    const handle = shown.get(client);
    shown.delete(client);
    try {
      handle?.close();
    } catch (err) {
      log(`could not close a notification: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  return {
    change(change) {
      if (disposed) return;
      if (change.change === 'entry-present' || change.change === 'reapplied') {
        takeBack(change.client);
        return;
      }
      if (change.change !== 'entry-removed' || change.bySwitchboard) return;
      const last = announced.get(change.client);
      if (last !== undefined && now() - last < REPEAT_MS) return;
      if (options.quiet?.() === true) return;
      announced.set(change.client, now());
      takeBack(change.client);
      try {
        const handle = options.show(clientNotification(change));
        if (handle) shown.set(change.client, handle);
      } catch (err) {
        log(`could not show a notification: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    dispose() {
      disposed = true;
      shown.clear();
    },
  };
}
