/**
 * Login notifications as native ones (native-notifications.ts) on the Electron stand-in
 * (test/helpers/electron-stand-in.ts; the Electron runtime cannot run here): what a click does, and
 * the notification taken back.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayEvents, ServerView } from '../../../../preload/contract/index.ts';
import { LOGIN_WINDOW_MS } from '../../../../main/app/notifications/login-notifier.ts';
import { createNativeLoginNotifications } from '../../../../main/app/notifications/native-notifications.ts';
import { StandInNotification } from '../../../helpers/electron-stand-in.ts';

vi.mock('electron', () => import('../../../helpers/electron-stand-in.ts'));

const server = (name: string, state: 'needs-login' | 'logged-in'): ServerView => ({
  name,
  kind: 'http',
  state: state === 'logged-in' ? 'ready' : 'failed',
  restarts: 0,
  toolCount: 0,
  auth: { state },
});

describe('native login notifications', () => {
  let emit: (list: ServerView[]) => void;
  let events: GatewayEvents;
  beforeEach(() => {
    vi.useFakeTimers();
    const listeners: ((list: ServerView[]) => void)[] = [];
    events = {
      on: (_event: string, listener: (list: ServerView[]) => void) => (listeners.push(listener), () => undefined),
    } as never;
    emit = (list) => listeners.forEach((l) => l(list));
  });
  afterEach(() => vi.useRealTimers());

  it('logs in to the server a click is about, opens Servers for several, and takes them back once logged in', () => {
    const opened: (string | undefined)[] = [];
    const stop = createNativeLoginNotifications(events, (server) => opened.push(server));
    const before = StandInNotification.shown.length;
    emit([server('linear', 'needs-login')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    emit([server('linear', 'needs-login'), server('notion', 'needs-login'), server('sentry', 'needs-login')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    const [single, group] = StandInNotification.shown.slice(before);
    expect(single!.options.title).toBe('linear needs you to log in');
    expect(group!.options.title).toBe('2 servers need you to log in');
    group!.click();
    expect(opened).toEqual([undefined]);

    // linear logged in from the tray: its notification is taken back...
    emit([server('linear', 'logged-in'), server('notion', 'needs-login'), server('sentry', 'needs-login')]);
    expect([single!.closed, group!.closed]).toEqual([true, false]);
    // ...and one still in the notification centre opens Servers rather than another login.
    single!.click();
    expect(opened).toEqual([undefined, undefined]);
    emit([server('linear', 'needs-login'), server('notion', 'needs-login'), server('sentry', 'logged-in')]);
    expect(group!.closed).toBe(false);
    emit([server('linear', 'logged-in'), server('notion', 'logged-in'), server('sentry', 'logged-in')]);
    expect(group!.closed).toBe(true);
    // A server that still waits: the click logs in to it.
    emit([server('figma', 'needs-login')]);
    vi.advanceTimersByTime(LOGIN_WINDOW_MS);
    StandInNotification.shown.at(-1)!.click();
    expect(opened).toEqual([undefined, undefined, 'figma']);
    stop();
  });
});
