/**
 * The tray's menu for what is wrong, fed by a real gateway: a server whose secret is missing, and the
 * config file edited into an error while the gateway runs on as it was (what is wrong and where in the file).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrayMenuModel, type TrayMenuItem } from '../../../main/app/tray/menu-model.ts';
import { createTrayFeed } from '../../../main/app/tray/tray-feed.ts';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const lines = (items: TrayMenuItem[]): string[] =>
  items.flatMap((i) => (i.type === 'separator' ? [] : [i.label, ...(i.type === 'submenu' ? lines(i.items) : [])]));

describe('the tray and a config file with an error (real gateway)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let file: string;

  beforeAll(async () => {
    dir = await tempDir('sb-tray-config-');
    // Where a config file is: a path as long as a home directory's.
    const folder = path.join(dir.dir, 'home', 'someone', '.config', 'switchboard');
    await mkdir(folder, { recursive: true });
    file = await writeConfig(folder, {
      traffic: { history: { days: 7 } },
      mcpServers: {
        fx: fixtureServer('fx'),
        notes: { ...fixtureServer('notes'), env: { NOTES_TOKEN: '${secret:notes-token}' } },
      },
    });
    gateway = await startGateway(file, { watch: true });
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('says what is wrong with a server, and which line of the config file is wrong and how', async () => {
    const feed = createTrayFeed({ api: gateway.api, events: gateway.events, onChange: () => undefined });
    try {
      await feed.refresh();
      const model = () => buildTrayMenuModel(feed.input());
      expect(lines(model().items)[0]).toBe('1 of 2 servers ready');
      // Under the server's own name, what is wrong with it: the line said 'server "notes": env.NOTES_TOKEN refers
      // to ${secret:no…', the name again taking the words that say which secret is missing.
      expect(lines(model().items)).toContain('env.NOTES_TOKEN refers to ${secret:notes-token}, which is n…');
      await writeFile(file, (await readFile(file, 'utf8')).replace('"days": 7', '"days": "a week"'));
      await waitFor(() => feed.input().configError, 10_000, 'the config error');
      // It said "Gateway problem: the config file has an error (/tmp/sb-tray-con…", the path taking the line.
      expect(lines(model().items).slice(0, 2)).toEqual([
        '1 of 2 servers ready',
        'Config file error: line 4: traffic.history.days: expected a…',
      ]);
      expect(model().health).toBe('warning');
      expect(lines(model().items)).toContain('Pause gateway');
    } finally {
      feed.dispose();
    }
  }, 30_000);
});
