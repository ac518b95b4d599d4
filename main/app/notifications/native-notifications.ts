/**
 * Electron wiring of question notifications: the gateway's question events feed the notifier
 * (question-notifier.ts), which decides; this shows its decisions as native notifications whose
 * click opens the question in the app.
 */
import { Notification, type NativeImage } from 'electron';
import type { GatewayEvents } from '../../../preload/contract/index.ts';
import { createQuestionNotifier } from './question-notifier.ts';
import { createLoginNotifier } from './login-notifier.ts';

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
 * Returns a function that stops (and unsubscribes).
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
  // Electron drops a notification's handlers when nothing references it; keep the live ones.
  const live = new Set<Notification>();

  const notifier = createQuestionNotifier({
    log,
    ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
    show({ title, body, questionId }) {
      const notification = new Notification({
        title,
        body,
        ...(options.icon === undefined ? {} : { icon: options.icon }),
      });
      const forget = (): boolean => live.delete(notification);
      notification.on('click', () => {
        forget();
        openQuestion(questionId);
      });
      notification.on('close', forget);
      notification.on('failed', (_event, error) => {
        forget();
        log(`a notification could not be shown: ${error}`);
      });
      live.add(notification);
      notification.show();
      return {
        close() {
          forget();
          notification.close();
        },
      };
    },
  });

  const offAdded = events.on('question-added', (question) => notifier.added(question));
  const offEnded = events.on('question-ended', (ended) => notifier.ended(ended.id));
  return () => {
    offAdded();
    offEnded();
    notifier.dispose();
    live.clear();
  };
}

/**
 * Servers that need an OAuth login (login-notifier.ts) as native notifications; a click runs
 * `logIn(server)`. Returns a function that stops.
 */
export function createNativeLoginNotifications(
  events: GatewayEvents,
  logIn: (server: string) => void,
  options: NativeQuestionNotificationOptions = {},
): () => void {
  if (!Notification.isSupported()) return () => undefined;
  const live = new Set<Notification>();
  const notifier = createLoginNotifier({
    ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
    show({ title, body, server }) {
      const notification = new Notification({
        title,
        body,
        ...(options.icon === undefined ? {} : { icon: options.icon }),
      });
      const forget = (): boolean => live.delete(notification);
      notification.on('click', () => {
        forget();
        logIn(server);
      });
      notification.on('close', forget);
      live.add(notification);
      notification.show();
    },
  });
  const off = events.on('servers', (list) => notifier.servers(list));
  return () => {
    off();
    live.clear();
  };
}
