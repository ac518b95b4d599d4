/**
 * The tray while the gateway pauses and resumes, fed by a real gateway: Pause stops every server,
 * which takes a moment (a server that keeps running after its input closes is signalled after a
 * grace). The tray goes straight to paused, not through "0 of 2 servers ready" with Pause still
 * offered while they stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrayMenuModel, type TrayMenuItem } from '../../../main/app/tray/menu-model.ts';
import { createTrayFeed } from '../../../main/app/tray/tray-feed.ts';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const labels = (items: TrayMenuItem[]): string[] => items.flatMap((i) => (i.type === 'separator' ? [] : [i.label]));

describe('the tray while the gateway pauses (real gateway)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-tray-pause-');
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('shows paused from the moment Pause is clicked, with nothing in between', async () => {
    const config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx'), lingering: fixtureServer('lingering', { FIXTURE_IGNORE_EOF: '1' }) },
    });
    gateway = await startGateway(config);
    const g = gateway;
    // What tray.ts shows on each change: the icon, the status line and the items under it.
    const shown: string[] = [];
    const render = (): void => {
      const model = buildTrayMenuModel(feed.input());
      const toggle = labels(model.items).find((l) => l.endsWith(' gateway'));
      const key = `${model.health}: ${labels(model.items)[0]} / ${toggle}`;
      if (shown.at(-1) !== key) shown.push(key);
    };
    const feed = createTrayFeed({ api: g.api, events: g.events, onChange: render });
    try {
      await feed.refresh();
      await waitFor(() => shown.at(-1) === 'ok: 2 of 2 servers ready / Pause gateway' || undefined, 10_000, 'ready');
      const before = shown.length;
      await g.api.setPaused(true);
      expect(g.servers().every((s) => s.state === 'stopped')).toBe(true);
      const paused = 'paused: Paused: servers stopped / Resume gateway';
      await waitFor(() => shown.at(-1) === paused || undefined, 5_000, 'the tray to say paused');
      // It read "idle: 0 of 2 servers ready / Pause gateway" while the servers stopped.
      expect(shown.slice(before)).toEqual([paused]);
    } finally {
      feed.dispose();
    }
  }, 30_000);
});
