import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLoginNotifier,
  LOGIN_WINDOW_MS,
  REPEAT_MS,
  type LoginNotification,
} from '../../../../main/app/notifications/login-notifier.ts';
import type { ServerView } from '../../../../preload/contract/index.ts';

const server = (name: string, auth?: ServerView['auth'], extra: Partial<ServerView> = {}): ServerView => ({
  name,
  kind: 'http',
  state: auth?.state === 'logged-in' ? 'ready' : 'failed',
  restarts: 0,
  toolCount: 0,
  ...(auth ? { auth } : {}),
  ...extra,
});
const needs = (name: string, reason?: string): ServerView =>
  server(name, { state: 'needs-login', ...(reason === undefined ? {} : { reason }) });
const fine = (name: string): ServerView => server(name, { state: 'logged-in' });

/** A notifier whose notifications are recorded, closed ones marked. */
function recorded(options: { quiet?: () => boolean } = {}) {
  const shown: (LoginNotification & { closed: boolean })[] = [];
  const notifier = createLoginNotifier({
    ...options,
    show: (n) => {
      const entry = { ...n, closed: false };
      shown.push(entry);
      return { close: () => (entry.closed = true) };
    },
  });
  return { shown, notifier };
}

describe('login notifications', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tells once when a server comes to need a login, again once it was fine in between and time has passed', () => {
    const { shown, notifier } = recorded();
    const linear = needs('linear', 'the server no longer accepts the saved token');
    notifier.servers([linear, server('files', undefined, { kind: 'stdio', state: 'ready' })]);
    notifier.servers([linear]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    notifier.servers([linear]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    expect(shown).toEqual([
      {
        title: 'linear needs you to log in',
        body: 'the server no longer accepts the saved token. Click to log in in your browser.',
        server: 'linear',
        closed: false,
      },
    ]);
    notifier.servers([fine('linear')]);
    vi.advanceTimersByTime(REPEAT_MS);
    notifier.servers([linear]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    expect(shown).toHaveLength(2);
  });

  it('says nothing while the window has focus, for a server turned off, or while the login runs', () => {
    let focused = true;
    const { shown, notifier } = recorded({ quiet: () => focused });
    notifier.servers([needs('a')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    focused = false;
    notifier.servers([needs('a')]);
    notifier.servers([server('b', { state: 'needs-login' }, { disabled: true }), server('c', { state: 'logging-in' })]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    expect(shown).toEqual([]);
  });

  it('announces servers that come to need a login together in one notification, which opens Servers', () => {
    const { shown, notifier } = recorded();
    notifier.servers([needs('linear'), fine('notion')]);
    notifier.servers([needs('linear'), needs('notion')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS / 2);
    notifier.servers([needs('linear'), needs('notion'), needs('sentry'), needs('github')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    expect(shown).toEqual([
      {
        title: '4 servers need you to log in',
        body: 'linear, notion, sentry and 1 more: click to open Switchboard and log in to each.',
        closed: false,
      },
    ]);
  });

  it('takes a notification back once its servers no longer need a login', () => {
    const { shown, notifier } = recorded();
    notifier.servers([needs('a'), needs('b'), needs('c')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    notifier.servers([fine('a'), needs('b'), needs('c')]);
    expect(shown[0]!.closed).toBe(false);
    expect(notifier.waiting('a')).toBe(false);
    notifier.servers([fine('a'), fine('b'), fine('c')]);
    expect(shown[0]!.closed).toBe(true);
    // One logged in before its notification went out is left out of it.
    notifier.servers([fine('a'), fine('b'), fine('c'), needs('d'), needs('e')]);
    notifier.servers([fine('a'), fine('b'), fine('c'), needs('d'), fine('e')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    expect(shown.slice(1).map((n) => n.title)).toEqual(['d needs you to log in']);
  });

  it('does not tell again and again of a server going in and out of needing a login', () => {
    const { shown, notifier } = recorded();
    for (let i = 0; i < 20; i++) {
      notifier.servers([needs('flaky')]);
      vi.advanceTimersByTime(LOGIN_WINDOW_MS);
      notifier.servers([fine('flaky')]);
      vi.advanceTimersByTime(10_000);
    }
    expect(shown).toHaveLength(1);
  });

  it('leaves no timer behind once disposed', () => {
    const { shown, notifier } = recorded();
    notifier.servers([needs('a')]);
    notifier.dispose();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    expect(shown).toEqual([]);
  });
});
