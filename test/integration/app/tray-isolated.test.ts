/**
 * The tray's menu for an isolated server (one process per client session), fed by a real gateway:
 * what its events and lists say of such a server, as the tray shows it, before and while a client
 * is connected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrayMenuModel, type TrayMenuItem } from '../../../main/app/tray/menu-model.ts';
import { createTrayFeed } from '../../../main/app/tray/tray-feed.ts';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const lines = (items: TrayMenuItem[]): string[] =>
  items.flatMap((i) => (i.type === 'separator' ? [] : [i.label, ...(i.type === 'submenu' ? lines(i.items) : [])]));

describe('the tray and an isolated server (real gateway)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-tray-isolated-');
    const config = await writeConfig(dir.dir, {
      mcpServers: { shared: fixtureServer('shared'), mine: { ...fixtureServer('mine'), isolated: true } },
    });
    gateway = await startGateway(config);
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('says it starts with each client, offers no Restart (it is refused), and counts nothing missing', async () => {
    const feed = createTrayFeed({ api: gateway.api, events: gateway.events, onChange: () => undefined });
    try {
      await feed.refresh();
      const model = () => buildTrayMenuModel(feed.input());
      expect(lines(model().items)).toEqual(
        expect.arrayContaining(['1 of 1 server ready', '○ mine — starts with each client', 'Restart']),
      );
      // The one Restart is the shared server's.
      expect(lines(model().items).filter((l) => l === 'Restart')).toHaveLength(1);
      expect(model().health).toBe('ok');
      await expect(gateway.api.restartServer('mine')).rejects.toThrow(/isolated/);

      const client = await httpClient(gateway.httpUrl()!);
      try {
        await client.listTools();
        await waitFor(() => lines(model().items).includes('● mine — ready (one per client)') || undefined, 10_000);
        expect(lines(model().items)).toContain('2 of 2 servers ready');
      } finally {
        await client.close();
      }
    } finally {
      feed.dispose();
    }
  }, 30_000);
});
