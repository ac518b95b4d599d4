/**
 * When to raise a desktop notification for remote servers that need an OAuth login, without
 * Electron values: once when one comes to need a login (not again while it still does, nor within
 * REPEAT_MS for a server that keeps going in and out of needing one, and not for a server turned
 * off), never while the window has focus (the Servers screen says so there). Servers that come to
 * need one together (the app started at login after the tokens lapsed) share one notification; a
 * notification whose servers no longer need a login is taken back. native-notifications.ts shows
 * them; a click on one for a single server starts its login, on one for several opens Servers.
 */
import type { ServerView } from '../../../preload/contract/index.ts';
import { needsLogin, truncate } from '../tray/menu-model.ts';
import type { ShownNotification } from './question-notifier.ts';

export interface LoginNotification {
  title: string;
  body: string;
  /** Set when it is about one server: a click logs in to it. */
  server?: string;
}

export interface LoginNotifierOptions {
  show(notification: LoginNotification): ShownNotification | void;
  quiet?: () => boolean;
  /** Servers coming to need a login within this long of the first are announced together. */
  windowMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface LoginNotifier {
  /** Feed it every server list (the `servers` event). */
  servers(list: readonly ServerView[]): void;
  /** Whether `server` still waits for a login (a click on an old notification checks). */
  waiting(server: string): boolean;
  dispose(): void;
}

export const LOGIN_WINDOW_MS = 1_500;
/** A server announced is not announced again this soon, however often it comes to need a login. */
export const REPEAT_MS = 10 * 60_000;
const MAX_LISTED = 3;

function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).map((n) => truncate(n, 24));
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

export function createLoginNotifier(options: LoginNotifierOptions): LoginNotifier {
  const windowMs = options.windowMs ?? LOGIN_WINDOW_MS;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  /** Servers that need a login now, with why. */
  let waiting = new Map<string, string | undefined>();
  /** Came to need one and not announced yet. */
  const pending = new Set<string>();
  /** When each server was last announced. */
  const announced = new Map<string, number>();
  const shown: { servers: Set<string>; handle: ShownNotification }[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const close = (entry: { handle: ShownNotification }): void => {
    try {
      entry.handle.close();
    } catch (err) {
      log(`could not close a notification: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const flush = (): void => {
    timer = undefined;
    const due = [...pending].filter((name) => waiting.has(name));
    pending.clear();
    if (due.length === 0 || options.quiet?.() === true) return;
    for (const name of due) announced.set(name, now());
    const first = due[0]!;
    const reason = waiting.get(first);
    const notification: LoginNotification =
      due.length === 1
        ? {
            title: `${truncate(first, 40)} needs you to log in`,
            body: `${reason ? `${truncate(reason, 120)}. ` : ''}Click to log in in your browser.`,
            server: first,
          }
        : {
            title: `${due.length} servers need you to log in`,
            body: `${listed(due)}: click to open Switchboard and log in to each.`,
          };
    let handle: ShownNotification | void;
    try {
      handle = options.show(notification);
    } catch (err) {
      // A timer callback must not throw: that would take the main process down.
      log(`could not show a notification: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (handle) shown.push({ servers: new Set(due), handle });
  };

  return {
    servers(list) {
      if (disposed) return;
      const before = waiting;
      waiting = new Map(list.filter(needsLogin).map((s) => [s.name, s.auth?.reason]));
      for (const name of waiting.keys()) {
        if (before.has(name)) continue;
        const last = announced.get(name);
        if (last !== undefined && now() - last < REPEAT_MS) continue;
        // Focused: the window shows it, now and later (a notification after it would repeat it).
        if (options.quiet?.() === true) continue;
        pending.add(name);
      }
      for (const name of pending) if (!waiting.has(name)) pending.delete(name);
      if (pending.size > 0) timer ??= setTimeout(flush, windowMs);
      else if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      // Logged in (or turned off, or removed) since: the notification would start a login for nothing.
      for (let i = shown.length - 1; i >= 0; i--) {
        const entry = shown[i]!;
        for (const name of entry.servers) if (!waiting.has(name)) entry.servers.delete(name);
        if (entry.servers.size > 0) continue;
        shown.splice(i, 1);
        close(entry);
      }
    },
    waiting(server) {
      return waiting.has(server);
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending.clear();
      shown.length = 0;
    },
  };
}
