import { describe, expect, it } from 'vitest';
import {
  createClientNotifier,
  REPEAT_MS,
  type ClientNotification,
} from '../../../../main/app/notifications/client-notifier.ts';
import type { ClientFileChange } from '../../../../preload/contract/index.ts';

const change = (kind: ClientFileChange['change'], extra: Partial<ClientFileChange> = {}): ClientFileChange => ({
  client: 'claude-desktop',
  name: 'Claude Desktop',
  path: '/home/u/.config/Claude/claude_desktop_config.json',
  change: kind,
  message: `Claude Desktop: ${kind}`,
  bySwitchboard: false,
  ...extra,
});

function recorded(options: { quiet?: () => boolean } = {}) {
  let time = 1_000_000;
  const shown: (ClientNotification & { closed: boolean })[] = [];
  const notifier = createClientNotifier({
    ...options,
    now: () => time,
    show: (n) => {
      const entry = { ...n, closed: false };
      shown.push(entry);
      return { close: () => (entry.closed = true) };
    },
  });
  return { shown, notifier, pass: (ms: number) => (time += ms) };
}

describe('client notifications', () => {
  it('tells when a client drops the entry, once within a while, and takes it back when the entry returns', () => {
    const { shown, notifier, pass } = recorded();
    notifier.change(change('entry-removed'));
    expect(shown).toEqual([
      {
        title: 'Claude Desktop no longer starts Switchboard',
        body: 'Its config no longer has the "switchboard" entry. Click to open Clients and install it again.',
        client: 'claude-desktop',
        closed: false,
      },
    ]);
    // Installed again: the notification would send the user to do what is done.
    notifier.change(change('entry-present', { bySwitchboard: true }));
    expect(shown[0]!.closed).toBe(true);
    // A client that keeps dropping it is not announced at every launch.
    notifier.change(change('entry-removed'));
    expect(shown).toHaveLength(1);
    pass(REPEAT_MS);
    notifier.change(change('entry-removed'));
    expect(shown).toHaveLength(2);
  });

  it("says nothing of Switchboard's own uninstall, of other changes, or while the window shows the clients", () => {
    let focused = true;
    const { shown, notifier } = recorded({ quiet: () => focused });
    notifier.change(change('entry-removed'));
    focused = false;
    notifier.change(change('entry-removed', { bySwitchboard: true }));
    notifier.change(change('entry-changed'));
    notifier.change(change('error'));
    expect(shown).toEqual([]);
    notifier.change(change('entry-removed', { client: 'cursor', name: 'Cursor' }));
    expect(shown.map((n) => n.title)).toEqual(['Cursor no longer starts Switchboard']);
  });
});
