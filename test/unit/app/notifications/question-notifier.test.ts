import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createQuestionNotifier,
  GROUP_WINDOW_MS,
  type QuestionNotification,
  type QuestionNotifierOptions,
} from '../../../../main/app/notifications/question-notifier.ts';
import type { Question } from '../../../../preload/contract/index.ts';

const START = Date.UTC(2026, 0, 1, 9, 0, 0);
let nextId = 0;

/** A form question from `server` via Cursor; `client: null` for none, other keys override (kind, mode, ...). */
function question(server: string, extra: { client?: string | null; [key: string]: unknown } = {}): Question {
  const { client, ...rest } = extra;
  const base = {
    id: `q${++nextId}`,
    server,
    message: 'Enter your API token',
    reason: 'the client (Zed) does not support elicitation',
    createdAt: Date.now(),
    expiresAt: Date.now() + 600_000,
    ...(client === null ? {} : { client: { name: client ?? 'Cursor', version: '1.0' } }),
  };
  return {
    ...base,
    kind: 'elicitation',
    mode: 'form',
    requestedSchema: { type: 'object', properties: {} },
    ...rest,
  } as Question;
}

function setup(extra: Partial<QuestionNotifierOptions> = {}) {
  const shown: QuestionNotification[] = [];
  const closed: QuestionNotification[] = [];
  const notifier = createQuestionNotifier({
    show: (n) => {
      shown.push(n);
      return { close: () => closed.push(n) };
    },
    ...extra,
  });
  return { notifier, shown, closed };
}

describe('question notifications', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('announces one question once, naming its server and client', () => {
    const { notifier, shown } = setup();
    const q = question('github');
    notifier.added(q);
    // Held briefly in case others follow.
    expect(shown).toEqual([]);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([
      { title: 'github asks a question', body: 'Via Cursor: Enter your API token', questionId: q.id },
    ]);
    vi.advanceTimersByTime(60_000);
    expect(shown).toHaveLength(1);
  });

  it('says what kind of question it is', () => {
    const { notifier, shown } = setup();
    const link = question('auth', { mode: 'url', url: 'https://example.com/login', message: '', client: null });
    notifier.added(link);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    notifier.ended(link.id);
    notifier.added(
      question('llm-tools', {
        kind: 'sampling',
        mode: 'form',
        message: 'Summarise the open issues',
        params: { messages: [] },
      }),
    );
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown.map((n) => [n.title, n.body])).toEqual([
      ['auth asks you to open a link', 'Open Switchboard to see the link.'],
      ['llm-tools asks for a reply', 'Via Cursor: Summarise the open issues'],
    ]);
  });

  it('groups questions that arrive together into one notification', () => {
    const { notifier, shown } = setup();
    notifier.added(question('server-a'));
    vi.advanceTimersByTime(500);
    notifier.added(question('server-b', { client: 'Zed' }));
    vi.advanceTimersByTime(500);
    notifier.added(question('server-a'));
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([{ title: '3 questions waiting', body: 'From server-a, server-b (via Cursor, Zed)' }]);
    expect(shown[0]).not.toHaveProperty('questionId');
  });

  it('does not let a steady stream postpone the notification', () => {
    const { notifier, shown, closed } = setup();
    for (let i = 0; i < 5; i++) {
      notifier.added(question(`s${i}`));
      vi.advanceTimersByTime(400);
    }
    // The window runs from the first question: four were in it, the fifth waits for the next.
    expect(shown.map((n) => n.title)).toEqual(['4 questions waiting']);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    // The next counts the four that still wait, and takes the place of theirs: one is out at a time.
    expect(shown.map((n) => n.title)).toEqual(['4 questions waiting', '5 questions waiting']);
    expect(shown[1]!.body).toBe('From s0, s1, s2 and 2 more (via Cursor)');
    expect(closed).toEqual([shown[0]]);
  });

  it('announces a question on its own again once those before it have ended', () => {
    const { notifier, shown, closed } = setup();
    const first = question('github');
    notifier.added(first);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    notifier.ended(first.id);
    expect(closed).toEqual([shown[0]]);
    notifier.added(question('files'));
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown.map((n) => n.title)).toEqual(['github asks a question', 'files asks a question']);
  });

  it('lists at most three names', () => {
    const { notifier, shown } = setup();
    for (const s of ['a', 'b', 'c', 'd', 'e']) notifier.added(question(s, { client: null }));
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([{ title: '5 questions waiting', body: 'From a, b, c and 2 more' }]);
  });

  it('never announces a question twice', () => {
    const { notifier, shown } = setup();
    const q = question('github');
    notifier.added(q);
    notifier.added(q);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    notifier.added(q);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.title).toBe('github asks a question');
  });

  it('leaves out a question answered before its notification went out', () => {
    const { notifier, shown } = setup();
    const answered = question('github');
    notifier.added(answered);
    notifier.ended(answered.id);
    vi.advanceTimersByTime(GROUP_WINDOW_MS * 2);
    expect(shown).toEqual([]);

    const a = question('server-a');
    const b = question('server-b');
    notifier.added(a);
    notifier.added(b);
    notifier.ended(a.id);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([{ title: 'server-b asks a question', body: expect.any(String), questionId: b.id }]);
  });

  it('stays quiet for a question that ended before it was added (events out of order)', () => {
    const { notifier, shown } = setup();
    const q = question('github');
    notifier.ended(q.id);
    notifier.added(q);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([]);
  });

  it('skips a question that expired while it waited', () => {
    const { notifier, shown } = setup();
    notifier.added(question('github', { expiresAt: START + 1_000 }));
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([]);
  });

  it('closes a notification once every question in it has ended', () => {
    const { notifier, shown, closed } = setup();
    const a = question('server-a');
    const b = question('server-b');
    notifier.added(a);
    notifier.added(b);
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    notifier.ended(a.id);
    expect(closed).toEqual([]);
    notifier.ended(b.id);
    expect(closed).toEqual([shown[0]]);
    notifier.ended(b.id);
    expect(closed).toHaveLength(1);
  });

  it('shortens long names and messages and shows server text as plain text', () => {
    const { notifier, shown } = setup();
    notifier.added(
      question('a-server-with-a-remarkably-long-configured-name', {
        client: 'Some Very Long Client Name That Goes On',
        message: `Line one\nline\u0007two \u202Eevil ${'x'.repeat(300)}`,
      }),
    );
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    const [n] = shown;
    expect(n!.title).toBe('a-server-with-a-remarka… asks a question');
    expect(n!.body.startsWith('Via Some Very Long Client N…: Line one')).toBe(true);
    expect(n!.body).not.toMatch(/[\n\u0007\u202E]/);
    expect(n!.body).toContain('Line one line\\u0007two \\u202eevil');
    expect(n!.body.endsWith('…')).toBe(true);
    expect(n!.body.length).toBeLessThan(200);
  });

  it('stays quiet while the app says so, without announcing those questions later', () => {
    let focused = true;
    const { notifier, shown } = setup({ quiet: () => focused });
    notifier.added(question('github'));
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    focused = false;
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([]);
    notifier.added(question('files'));
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown.map((n) => n.title)).toEqual(['files asks a question']);
  });

  it('survives a notification that cannot be shown', () => {
    const log = vi.fn();
    const notifier = createQuestionNotifier({
      show: () => {
        throw new Error('no notification daemon');
      },
      log,
    });
    notifier.added(question('github'));
    expect(() => vi.advanceTimersByTime(GROUP_WINDOW_MS)).not.toThrow();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('no notification daemon'));
  });

  it('drops what was waiting on dispose', () => {
    const { notifier, shown } = setup();
    notifier.added(question('github'));
    notifier.dispose();
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    notifier.added(question('files'));
    vi.advanceTimersByTime(GROUP_WINDOW_MS);
    expect(shown).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
