/**
 * The tray app's login notifications fed by a real gateway's `servers` events, for remote servers
 * behind the OAuth fixture (test/fixtures/servers/oauth-server.ts): what a user whose saved logins
 * all lapsed would be shown, and when it is taken back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLoginNotifier,
  LOGIN_WINDOW_MS,
  type LoginNotification,
} from '../../../main/app/notifications/login-notifier.ts';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { playBrowser, startAuthServer, type AuthServer } from '../../helpers/oauth-server.ts';

describe('login notifications from a real gateway', () => {
  let as: AuthServer;
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway | undefined;

  beforeAll(async () => {
    as = await startAuthServer();
    dir = await tempDir('sb-login-notes-');
  });
  afterAll(async () => {
    await gateway?.stop();
    as?.child.kill();
    await dir?.cleanup();
  });

  it('announces three servers that need a login in one notification, taken back once they are logged in', async () => {
    const url = `${as.base}/mcp`;
    const config = await writeConfig(dir.dir, {
      mcpServers: { linear: { url }, notion: { url }, sentry: { url } },
    });
    const shown: (LoginNotification & { closed: boolean })[] = [];
    gateway = await startGateway(
      config,
      { oauthStore: createMemorySecretStore(), openBrowser: playBrowser },
      { settle: false },
    );
    const g = gateway;
    const notifier = createLoginNotifier({
      show: (n) => {
        const entry = { ...n, closed: false };
        shown.push(entry);
        return { close: () => (entry.closed = true) };
      },
    });
    const off = g.events.on('servers', (list) => notifier.servers(list));
    try {
      notifier.servers(await g.api.listServers());
      const all = ['linear', 'notion', 'sentry'];
      await waitFor(
        () => all.every((n) => g.servers().find((s) => s.name === n)?.auth?.state === 'needs-login') || undefined,
        10_000,
        'every server to need a login',
      );
      await new Promise((resolve) => setTimeout(resolve, LOGIN_WINDOW_MS + 500));
      expect(shown).toEqual([
        {
          title: '3 servers need you to log in',
          body: 'linear, notion, sentry: click to open Switchboard and log in to each.',
          closed: false,
        },
      ]);

      // One login serves all three (the same authorization server): nothing is left to log in to.
      await g.api.loginServer('linear');
      await waitFor(() => all.every((n) => g.servers().find((s) => s.name === n)?.state === 'ready') || undefined);
      await waitFor(() => shown[0]!.closed || undefined, 5_000, 'the notification taken back');
      expect(shown).toHaveLength(1);
    } finally {
      off();
      notifier.dispose();
    }
  }, 30_000);
});
