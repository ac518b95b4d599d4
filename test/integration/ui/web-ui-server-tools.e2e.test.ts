/**
 * The tools table of the Servers screen in real Chromium, with a tool whose description is one long
 * word (a URL, base64): the table stays within the window, every column on screen.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');
const LONG_WORD = `https://docs.example.com/reference/${'aGVsbG8gd29ybGQ'.repeat(20)}`;

describe("the Servers screen's tools table", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;

  /** The tools table's column headers, and the long description's cell, that reach past the window's right edge. */
  async function pastTheEdge(width: number): Promise<string[]> {
    const table = page.getByRole('table').filter({ hasText: 'Name clients see' });
    const cells = [
      ...(await table.getByRole('columnheader').all()),
      table.getByRole('cell', { name: LONG_WORD.slice(0, 30) }),
    ];
    const past: string[] = [];
    for (const cell of cells) {
      const box = await cell.boundingBox();
      if (!box || box.x + box.width > width) past.push((await cell.textContent())!.slice(0, 20));
    }
    return past;
  }

  beforeAll(async () => {
    dir = await tempDir('sb-ui-server-tools-');
    const file = await writeConfig(dir.dir, {
      mcpServers: { wordy: fixtureServer('wordy', { FIXTURE_TOOL_DESCRIPTION: LONG_WORD }) },
    });
    gateway = await startGateway(file, { uiDir: UI_DIR });
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 20_000);
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'wordy', exact: true }).click();
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  for (const { width, height } of [
    { width: 800, height: 600 },
    { width: 1280, height: 800 },
  ])
    it(`keeps every column within a ${width}x${height} window when a description is one long word`, async () => {
      await page.setViewportSize({ width, height });
      const detail = page.getByRole('region', { name: 'Server wordy' });
      const described = detail.getByText(LONG_WORD.slice(0, 30), { exact: false });
      await described.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(await screenshotDir(), `server-tools-long-word-${width}.png`) });
      expect(await pastTheEdge(width)).toEqual([]);
      expect(await seriousA11yProblems(page)).toEqual([]);
    });
});
