/**
 * The tray's menu while a server keeps failing, fed by a real gateway: each attempt takes the server
 * from restarting to starting and back. Electron closes a tray menu that is set anew while it is
 * open, so the menu must not change at each attempt (tray.ts sets it only when the model changes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrayMenuModel, type TrayMenuItem } from '../../../main/app/tray/menu-model.ts';
import { createTrayFeed } from '../../../main/app/tray/tray-feed.ts';
import type { Gateway } from '../../../main/engine/index.ts';
import { NODE, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const labels = (items: TrayMenuItem[]): string[] =>
  items.flatMap((i) => (i.type === 'separator' ? [] : [i.label, ...(i.type === 'submenu' ? labels(i.items) : [])]));

describe('the tray while a server keeps failing (real gateway)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-tray-flapping-');
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('sets its menu once when the server first fails and once when it gives up, not at every attempt', async () => {
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        broken: { command: NODE, args: ['-e', 'process.stderr.write("no database\\n"); process.exit(3)'] },
      },
    });
    const menus: string[] = [];
    gateway = await startGateway(
      config,
      { backoff: { initialMs: 100, maxMs: 200, maxAttempts: 8, stableMs: 60_000 } },
      { settle: false },
    );
    const g = gateway;
    // What tray.ts does on each change: build the model, set the menu only when it differs.
    const render = (): void => {
      const key = JSON.stringify(buildTrayMenuModel(feed.input()));
      if (menus.at(-1) !== key) menus.push(key);
    };
    const feed = createTrayFeed({ api: g.api, events: g.events, onChange: render });
    try {
      await feed.refresh();
      await waitFor(() => g.servers()[0]?.state === 'failed' || undefined, 15_000, 'the server to give up');
      const broken = menus.map((m) =>
        labels((JSON.parse(m) as { items: TrayMenuItem[] }).items).find((l) => l.includes(' broken — ')),
      );
      // Consecutive duplicates are one menu; the attempts between do not show.
      expect(broken.filter((l, i) => l !== broken[i - 1])).toEqual([
        ...(broken[0] === '◐ broken — starting' ? ['◐ broken — starting'] : []),
        '◐ broken — restarting',
        '✕ broken — failed',
      ]);
      expect(menus.length).toBeLessThanOrEqual(4);
    } finally {
      feed.dispose();
    }
  }, 30_000);
});
