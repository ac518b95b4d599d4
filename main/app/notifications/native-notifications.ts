/**
 * Electron wiring of question notifications: the gateway's question events feed the notifier
 * (question-notifier.ts), which decides; this shows its decisions as native notifications whose
 * click opens the question in the app.
 */
import { Notification, type NativeImage } from 'electron';
import type { GatewayEvents } from '../../../preload/contract/index.ts';
import { createQuestionNotifier } from './question-notifier.ts';
import { createLoginNotifier } from './login-notifier.ts';
import { createClientNotifier } from './client-notifier.ts';

export interface NativeQuestionNotificationOptions {
  /** Skip notifying while this says so (e.g. the main window has focus and shows the questions). */
  quiet?: () => boolean;
  /** Linux and Windows show it beside the text; macOS always uses the app icon. */
  icon?: string | NativeImage;
  log?: (line: string) => void;
}

/**
 * Subscribes to `question-added` / `question-ended`. `openQuestion(id)` runs on a click: with the
 * question's id for a single question, without one for a group (open the Questions screen).
 * Returns a function that stops (and unsubscribes), taking back the notifications still out.
 */
export function createNativeQuestionNotifications(
  events: GatewayEvents,
  openQuestion: (id?: string) => void,
  options: NativeQuestionNotificationOptions = {},
): () => void {
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  if (!Notification.isSupported()) {
    log('desktop notifications are not supported here; questions show in the app only');
    return () => undefined;
  }
  const live = new LiveNotifications(options.icon, log);
  const notifier = createQuestionNotifier({
    log,
    ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
    show: ({ title, body, questionId }) => live.show(title, body, () => openQuestion(questionId)),
  });

  const offAdded = events.on('question-added', (question) => notifier.added(question));
  const offEnded = events.on('question-ended', (ended) => notifier.ended(ended.id));
  return () => {
    offAdded();
    offEnded();
    notifier.dispose();
    // Stopped as the app quits, which withdraws every question: a click would open (or start) an app without them.
    live.closeAll();
  };
}

/**
 * Servers that need an OAuth login (login-notifier.ts) as native notifications. A click on one for a
 * server that still needs a login runs `open(server)`; on one for several servers, or for one that
 * no longer waits, `open()` (the Servers screen). Returns a function that stops.
 */
export function createNativeLoginNotifications(
  events: GatewayEvents,
  open: (server?: string) => void,
  options: NativeQuestionNotificationOptions = {},
): () => void {
  if (!Notification.isSupported()) return () => undefined;
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  const live = new LiveNotifications(options.icon, log);
  const notifier = createLoginNotifier({
    log,
    ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
    show: ({ title, body, server }) =>
      live.show(title, body, () => open(server !== undefined && notifier.waiting(server) ? server : undefined)),
  });
  const off = events.on('servers', (list) => notifier.servers(list));
  return () => {
    off();
    notifier.dispose();
    live.clear();
  };
}

/**
 * A client that dropped Switchboard's entry from its config (client-notifier.ts) as a native
 * notification; a click runs `open(client)` (the Clients screen). Returns a function that stops.
 */
export function createNativeClientNotifications(
  events: GatewayEvents,
  open: (client: string) => void,
  options: NativeQuestionNotificationOptions = {},
): () => void {
  if (!Notification.isSupported()) return () => undefined;
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  const live = new LiveNotifications(options.icon, log);
  const notifier = createClientNotifier({
    log,
    ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
    show: ({ title, body, client }) => live.show(title, body, () => open(client)),
  });
  const off = events.on('client-file', (change) => notifier.change(change));
  return () => {
    off();
    notifier.dispose();
    live.clear();
  };
}

/**
 * Native notifications still on screen. Electron drops a notification's handlers when nothing
 * references it: the live ones are kept here until clicked, closed or failed.
 */
class LiveNotifications {
  private readonly live = new Set<Notification>();
  private readonly icon: string | NativeImage | undefined;
  private readonly log: (line: string) => void;

  constructor(icon: string | NativeImage | undefined, log: (line: string) => void) {
    this.icon = icon;
    this.log = log;
  }

  /** Shows one; `onClick` runs on a click. The handle takes it back. */
  show(title: string, body: string, onClick: () => void): { close(): void } {
    const notification = new Notification({ title, body, ...(this.icon === undefined ? {} : { icon: this.icon }) });
    const forget = (): boolean => this.live.delete(notification);
    notification.on('click', () => {
      forget();
      onClick();
    });
    notification.on('close', forget);
    notification.on('failed', (_event, error) => {
      forget();
      this.log(`a notification could not be shown: ${error}`);
    });
    this.live.add(notification);
    notification.show();
    return {
      close: () => {
        forget();
        notification.close();
      },
    };
  }

  clear(): void {
    this.live.clear();
  }

  /** Takes back every one still out. */
  closeAll(): void {
    for (const notification of [...this.live]) {
      this.live.delete(notification);
      try {
        notification.close();
      } catch (err) {
        this.log(`could not close a notification: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
