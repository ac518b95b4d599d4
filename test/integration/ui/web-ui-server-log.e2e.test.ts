/**
 * A server's log in its detail on the Servers screen, in real Chromium: a server added with the Add
 * server form opens at once, while its first lines are coming live and are also in the log the
 * screen fetches; each shows once. Its tools show once it is ready, however late its log is read. A
 * server that will not start says why, and when it is started again, in words.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import {
  FIXTURE,
  NODE,
  ROOT,
  fixtureServer,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe("a server's log on the Servers screen", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-log-');
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), { uiDir: UI_DIR, watch: true });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('shows each line of a server just added once, though it came live while the log was read', async () => {
    // Its log is read late, as on a busy machine: once it is ready, its lines have come live by then.
    await page.route('**/api/servers/fresh/log', async (route) => {
      await waitFor(() => gateway.servers().find((s) => s.name === 'fresh')?.state === 'ready', 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await route.continue();
    });
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('region', { name: 'Add a server' });
    await form.getByLabel('Local command').check();
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('fresh');
    await form.getByRole('textbox', { name: 'Command' }).fill(NODE);
    await form.getByRole('textbox', { name: /^Arguments/ }).fill(FIXTURE);
    const logRead = page.waitForResponse('**/api/servers/fresh/log', { timeout: 30_000 });
    await form.getByRole('button', { name: 'Save server' }).click();
    await logRead;
    const log = page.getByRole('region', { name: 'Server fresh' }).getByLabel('Log of fresh');
    await waitFor(async () => / starting$/m.test(await log.innerText()), 5000, 'the fetched log shown');
    const lines = (await log.innerText()).split('\n');
    expect(lines.filter((l) => / starting$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / ready$/.test(l))).toHaveLength(1);
    // The gateway's note about it: live in its words, in the fetched log as "[switchboard] …".
    expect(lines.filter((l) => /speaks the stateful protocol/.test(l))).toHaveLength(1);
    // Its tools, listed once it was ready, are not replaced by the list asked for while it started.
    const detail = page.getByRole('region', { name: 'Server fresh' });
    await waitFor(async () => (await detail.getByText('No tools (yet)').count()) === 0, 5000, 'its tools');
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'server-log-added.png'), fullPage: true });
  });

  it('says in words why a server that will not start is started again, and when it is given up on', async () => {
    await gateway.addServer('flaky', fixtureServer('flaky', { FIXTURE_FAIL_START: '1' }));
    await page.getByRole('button', { name: 'flaky', exact: true }).click();
    const log = page.getByRole('region', { name: 'Server flaky' }).getByLabel('Log of flaky');
    await waitFor(async () => / failed: gave up after 4 tries: /.test(await log.innerText()), 10_000, 'given up');
    const text = await log.innerText();
    // What happened and what comes next, as the screen says "restarting soon": not the engine's "backoff".
    expect(text).toMatch(/ exited with code 3: .*refusing to start.*; restarting in 50 ms$/m);
    expect(text).not.toMatch(/backoff/);
    // Each start after it is a start, not the error again ("starting: exited with code 3: …").
    expect(text).toMatch(/ starting$/m);
    expect(text).not.toMatch(/ starting: /);
    await page.screenshot({ path: path.join(await screenshotDir(), 'server-log-restarting.png'), fullPage: true });
  });
});
