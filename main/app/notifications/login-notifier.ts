/**
 * When to raise a desktop notification for a remote server that needs an OAuth login, without
 * Electron values: once when it comes to need one (not again while it still does, and not for a
 * server turned off), never while the window has focus (the Servers screen says so there).
 * native-notifications.ts shows them; a click starts the login.
 */
import type { ServerView } from '../../../preload/contract/index.ts';
import { needsLogin, truncate } from '../tray/menu-model.ts';

export interface LoginNotification {
  title: string;
  body: string;
  server: string;
}

export interface LoginNotifierOptions {
  show(notification: LoginNotification): void;
  quiet?: () => boolean;
}

/** Feed it every server list (the `servers` event). */
export function createLoginNotifier(options: LoginNotifierOptions): { servers(list: readonly ServerView[]): void } {
  const waiting = new Set<string>();
  return {
    servers(list) {
      const now = new Set(list.filter(needsLogin).map((s) => s.name));
      for (const server of list) {
        if (!now.has(server.name) || waiting.has(server.name) || options.quiet?.()) continue;
        const reason = server.auth?.reason;
        options.show({
          title: `${truncate(server.name, 40)} needs you to log in`,
          body: `${reason ? `${truncate(reason, 120)}. ` : ''}Click to log in in your browser.`,
          server: server.name,
        });
      }
      waiting.clear();
      for (const name of now) waiting.add(name);
    },
  };
}
