/**
 * How the web UI in real Chromium names a server's state: one that keeps failing to start is shown
 * as waiting to start again ("restarting soon"), with its error, not by the engine's word for it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe('server states in the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-states-');
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        fx: fixtureServer('fx'),
        // Exits at once, every time: waits 30 s before trying again (as later tries do in production).
        broken: { command: NODE, args: ['-e', 'process.exit(3)'] },
      },
    });
    const backoff = { initialMs: 30_000, maxMs: 30_000, maxAttempts: 6, stableMs: 10_000 };
    gateway = await startGateway(config, { uiDir: UI_DIR, backoff });
    await waitFor(() => gateway.servers().find((s) => s.name === 'broken')?.state === 'backoff', 10_000);
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('says a server that keeps failing is restarting soon, with why, on the overview and servers screens', async () => {
    const { page } = browser;
    const counts = page.getByRole('list', { name: 'Servers by state' });
    await counts.getByText('1 restarting soon').waitFor();
    expect(await counts.getByText('backoff').count()).toBe(0);
    await page.getByRole('link', { name: 'Servers' }).click();
    const row = page.getByRole('row').filter({ hasText: 'broken' });
    await row.getByText('restarting soon').waitFor();
    await row.getByText(/exited|code 3/).waitFor();
    expect(await seriousA11yProblems(page)).toEqual([]);
  });
});
