/**
 * How the web UI in real Chromium names a server's state: one that keeps failing to start is shown
 * as waiting to start again ("restarting soon"; a handler or remote server "retrying soon"), with its
 * error, not by the engine's word for it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import {
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

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
        // Its error holds the whole PATH: one long word.
        missing: { command: 'no-such-command-anywhere' },
        // A handler nothing listens for: there is no process to restart, it is tried again.
        backend: { handler: 'http://127.0.0.1:1/' },
        // Ready, but its tools/list fails: its tools are unknown, not none.
        lister: {
          command: NODE,
          args: [path.join(ROOT, 'test/fixtures/servers/lister-server.ts')],
          env: { LIST_ERROR: 'the index is rebuilding' },
        },
      },
    });
    const backoff = { initialMs: 30_000, maxMs: 30_000, maxAttempts: 6, stableMs: 10_000 };
    gateway = await startGateway(config, { uiDir: UI_DIR, backoff });
    const waiting = (name: string) => gateway.servers().find((s) => s.name === name)?.state === 'backoff';
    await waitFor(() => waiting('broken') && waiting('backend'), 10_000);
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
    await counts.getByText('2 restarting soon').waitFor();
    await counts.getByText('1 retrying soon').waitFor();
    // In the order of how well they are: waiting to be tried again is not put before ready.
    expect((await counts.getByRole('listitem').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      '2 ready',
      '2 restarting soon',
      '1 retrying soon',
    ]);
    expect(await counts.getByText('backoff').count()).toBe(0);
    // Named under the counts with why, as a server waiting to start again is.
    const down = page.getByRole('list', { name: 'Servers down' });
    await down
      .getByRole('listitem')
      .filter({ hasText: /^\s*backend\s+retrying soon: cannot connect/ })
      .waitFor();
    await page.getByRole('link', { name: 'Servers' }).click();
    const row = page.getByRole('row').filter({ hasText: 'broken' });
    await row.getByText('restarting soon').waitFor();
    await row.getByText(/exited|code 3/).waitFor();
    await page.getByRole('row').filter({ hasText: 'backend' }).getByText('retrying soon').waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'servers-retrying.png') });
    expect(await seriousA11yProblems(page)).toEqual([]);
    // A long error (the PATH searched) wraps inside the page instead of running off its edge.
    const error = page.getByRole('row').filter({ hasText: 'no-such-command-anywhere' }).getByText(/PATH=/);
    await error.waitFor();
    const overflow = await error.evaluate((cell) => cell.scrollWidth - cell.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('says a ready server whose tools/list failed has tools unknown, with why, not 0 tools', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Servers' }).click();
    const row = page.getByRole('row').filter({ hasText: 'lister' });
    await row.getByText('unknown', { exact: true }).waitFor();
    await row.getByText('ready', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'lister', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server lister' });
    await detail
      .getByRole('status')
      .filter({ hasText: 'Its tool list could not be read, so its tools are unknown: the index is rebuilding.' })
      .waitFor();
    expect(await detail.getByText('No tools (yet)').count()).toBe(0);
    await page.screenshot({ path: path.join(await screenshotDir(), 'servers-tools-unknown.png') });
  });

  it("drops an open server's tools once it is down (they were still listed, with their Show boxes)", async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail.getByText('fx__echo').waitFor();
    const client = await httpClient(gateway.httpUrl()!);
    try {
      await client.callTool({ name: 'fx__crash', arguments: {} }).catch(() => undefined);
      await page.getByRole('row').filter({ hasText: 'fx' }).getByText('restarting soon').waitFor();
      // Why it has none, not a wait for it to be ready.
      await detail
        .getByText('No tools while it is down: it failed, and is started again soon.', { exact: false })
        .waitFor();
      expect(await detail.getByRole('checkbox', { name: 'Show echo' }).count()).toBe(0);
      // Clients do not see them either while it is down.
      expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('fx__echo');
    } finally {
      await client.close();
    }
  });
});
