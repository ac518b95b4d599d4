/**
 * When to raise a desktop notification for questions (elicitation or sampling the client could not
 * show) and what it says, without Electron values. Questions arriving within a short window share
 * one notification; one answered before its notification went out is left out of it; a notification
 * whose questions have all ended is closed. New questions while an earlier notification's still wait
 * take its place with one for all of them: one notification for questions is out at a time, and its
 * count is what waits. native-notifications.ts shows them with Electron.
 */
import type { Question } from '../../../preload/contract/index.ts';
// Server text is untrusted: `truncate` puts it on one line, each control or bidi control shown as its code.
import { truncate } from '../tray/menu-model.ts';

export interface QuestionNotification {
  title: string;
  body: string;
  /** Set when it is about one question: clicking opens that one. */
  questionId?: string;
}

/** What show() may hand back so a notification can be withdrawn once it is out of date. */
export interface ShownNotification {
  close(): void;
}

export interface QuestionNotifierOptions {
  show(notification: QuestionNotification): ShownNotification | void;
  /** Questions arriving within this long of the first are announced together. */
  windowMs?: number;
  /** True while notifying would only repeat what the user sees (e.g. the app window has focus). */
  quiet?: () => boolean;
  log?: (line: string) => void;
}

export interface QuestionNotifier {
  /** A question waits (the `question-added` event). */
  added(question: Question): void;
  /** A question left the list (the `question-ended` event). */
  ended(id: string): void;
  /** Drops what is waiting to be announced; later calls do nothing. */
  dispose(): void;
}

export const GROUP_WINDOW_MS = 1_500;
const MAX_NAME = 24;
const MAX_MESSAGE = 140;
const MAX_LISTED = 3;
/** Ids remembered so a question is never announced twice; old ones have long ended. */
const MAX_REMEMBERED = 1_000;

function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).map((n) => truncate(n, MAX_NAME));
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v.trim() !== ''))];
}

/** The notification for one question: who asks, for which client, and what. */
export function singleNotification(question: Question): QuestionNotification {
  const server = truncate(question.server, MAX_NAME);
  const title =
    question.kind === 'sampling'
      ? `${server} asks for a reply`
      : question.mode === 'url'
        ? `${server} asks you to open a link`
        : `${server} asks a question`;
  const message =
    truncate(question.message, MAX_MESSAGE) ||
    (question.mode === 'url' ? 'Open Switchboard to see the link.' : 'Open Switchboard to answer.');
  const client = question.client === undefined ? '' : truncate(question.client.name, MAX_NAME);
  return { title, body: client === '' ? message : `Via ${client}: ${message}`, questionId: question.id };
}

/** One notification for several questions, naming their servers and clients. */
export function groupNotification(questions: readonly Question[]): QuestionNotification {
  const servers = unique(questions.map((q) => q.server));
  const clients = unique(questions.map((q) => q.client?.name));
  const via = clients.length === 0 ? '' : ` (via ${listed(clients)})`;
  return { title: `${questions.length} questions waiting`, body: `From ${listed(servers)}${via}` };
}

export function createQuestionNotifier(options: QuestionNotifierOptions): QuestionNotifier {
  const windowMs = options.windowMs ?? GROUP_WINDOW_MS;
  const log = options.log ?? ((line: string) => console.error(`switchboard: ${line}`));
  const pending = new Map<string, Question>();
  const seen = new Set<string>();
  /** The notifications out, with their questions that still wait. */
  const shown: { questions: Map<string, Question>; handle: ShownNotification }[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const remember = (id: string): void => {
    seen.add(id);
    if (seen.size > MAX_REMEMBERED) {
      const oldest = seen.values().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
  };

  const close = (handle: ShownNotification): void => {
    try {
      handle.close();
    } catch (err) {
      log(`could not close a notification: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const flush = (): void => {
    timer = undefined;
    const now = Date.now();
    // An expired question's 'question-ended' may not have arrived yet.
    const due = [...pending.values()].filter((q) => q.expiresAt > now);
    pending.clear();
    if (due.length === 0 || options.quiet?.() === true) return;
    // Those announced before and still waiting are counted again: "2 questions waiting" beside an
    // earlier "3 questions waiting" would say 2 where 5 wait, and the notifications would pile up.
    const earlier = shown.flatMap((entry) => [...entry.questions.values()]).filter((q) => q.expiresAt > now);
    const all = [...earlier, ...due];
    const notification = all.length === 1 ? singleNotification(all[0]!) : groupNotification(all);
    let handle: ShownNotification | void;
    try {
      handle = options.show(notification);
    } catch (err) {
      // A timer callback must not throw: that would take the main process down.
      log(`could not show a notification: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    // The new one says all they said: theirs are taken back.
    for (const entry of shown.splice(0)) close(entry.handle);
    if (handle) shown.push({ questions: new Map(all.map((q) => [q.id, q])), handle });
  };

  return {
    added(question) {
      if (disposed || seen.has(question.id)) return;
      remember(question.id);
      pending.set(question.id, question);
      // Fixed from the first arrival, not restarted by each: a steady stream still gets announced.
      timer ??= setTimeout(flush, windowMs);
    },
    ended(id) {
      // Remembered too: an 'added' that arrives late for an ended question stays quiet.
      remember(id);
      if (pending.delete(id) && pending.size === 0 && timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      for (let i = shown.length - 1; i >= 0; i--) {
        const entry = shown[i]!;
        if (!entry.questions.delete(id) || entry.questions.size > 0) continue;
        shown.splice(i, 1);
        close(entry.handle);
      }
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
