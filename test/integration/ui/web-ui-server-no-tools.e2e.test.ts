/**
 * What the web UI in real Chromium says of an open server that lists no tools: why, and what brings
 * them. A server turned off, or one that gave up starting, is not waiting to be ready: it read
 * "a server shows its tools once it is ready" all the same.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { jsonResponder, startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe('an open server without tools in the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let handler: TestServer;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-no-tools-');
    // Ready, and lists no tools at all.
    handler = await startHttpHandler(jsonResponder(() => ({ tools: [] })));
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        off: { ...fixtureServer('off'), disabled: true },
        broken: fixtureServer('broken', { FIXTURE_FAIL_START: '1' }),
        empty: { handler: handler.address },
      },
    });
    // One try: it gives up at once.
    const backoff = { initialMs: 50, maxMs: 100, maxAttempts: 1, stableMs: 60_000 };
    gateway = await startGateway(config, { uiDir: UI_DIR, backoff });
    await waitFor(() => gateway.servers().find((s) => s.name === 'broken')?.state === 'failed', 10_000, 'broken');
    await waitFor(() => gateway.servers().find((s) => s.name === 'empty')?.state === 'ready', 10_000, 'empty');
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Servers' }).click();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await handler?.close();
    await dir?.cleanup();
  });

  const tools = async (name: string): Promise<string> => {
    await page.getByRole('button', { name, exact: true }).click();
    const detail = page.getByRole('region', { name: `Server ${name}` });
    const heading = detail.getByRole('heading', { name: 'Tools' });
    await heading.waitFor();
    // What follows the heading.
    return heading.evaluate((h) => h.nextElementSibling?.textContent?.trim() ?? '');
  };

  it('reads the tool count of a server off or failed as unknown, not 0; one ready with none reads 0', async () => {
    const toolsCell = (name: string) =>
      page
        .getByRole('row', { name: new RegExp(`^${name} `) })
        .getByRole('cell')
        .nth(3);
    for (const name of ['off', 'broken']) {
      const cell = page.getByRole('row', { name: new RegExp(`^${name} `) }).getByRole('cell', {
        name: 'Tools unknown until it is running',
      });
      await cell.waitFor();
      // What shows is a dash, not 0.
      expect(await cell.getByText('—', { exact: true }).isVisible()).toBe(true);
      expect(await cell.getByText('0').count()).toBe(0);
    }
    expect((await toolsCell('empty').innerText()).trim()).toBe('0');
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'servers-tools-unknown-off-failed.png') });
  });

  it('says a server turned off has no tools until it is turned on', async () => {
    expect(await tools('off')).toBe(
      'No tools: it is turned off, and clients get none of its tools. Turn on starts it.',
    );
    await page.screenshot({ path: path.join(await screenshotDir(), 'server-no-tools-off.png') });
  });

  it('says a server that gave up starting is not tried again, where to read why, and what tries again', async () => {
    expect(await tools('broken')).toBe(
      'No tools: it failed to start and is not tried again. Its log says why; Restart tries again.',
    );
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'server-no-tools-failed.png') });
  });
});
