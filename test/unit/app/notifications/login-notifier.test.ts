import { describe, expect, it } from 'vitest';
import { createLoginNotifier, type LoginNotification } from '../../../../main/app/notifications/login-notifier.ts';
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

describe('login notifications', () => {
  it('tells once when a server comes to need a login, again only after it was fine in between', () => {
    const shown: LoginNotification[] = [];
    const notifier = createLoginNotifier({ show: (n) => shown.push(n) });
    const needs = server('linear', { state: 'needs-login', reason: 'the server no longer accepts the saved token' });
    notifier.servers([needs, server('files', undefined, { kind: 'stdio', state: 'ready' })]);
    notifier.servers([needs]);
    expect(shown).toEqual([
      {
        title: 'linear needs you to log in',
        body: 'the server no longer accepts the saved token. Click to log in in your browser.',
        server: 'linear',
      },
    ]);
    notifier.servers([server('linear', { state: 'logged-in' })]);
    notifier.servers([needs]);
    expect(shown).toHaveLength(2);
  });

  it('says nothing while the window has focus, for a server turned off, or while the login runs', () => {
    const shown: LoginNotification[] = [];
    let focused = true;
    const notifier = createLoginNotifier({ show: (n) => shown.push(n), quiet: () => focused });
    notifier.servers([server('a', { state: 'needs-login' })]);
    focused = false;
    notifier.servers([server('a', { state: 'needs-login' })]);
    notifier.servers([server('b', { state: 'needs-login' }, { disabled: true }), server('c', { state: 'logging-in' })]);
    expect(shown).toEqual([]);
  });
});
