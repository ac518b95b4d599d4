/**
 * The traffic inspector in real Chromium, against a real gateway and server: reading a call. Text
 * that clients and servers wrote is shown as it was sent, whatever characters it holds; a call that
 * reports its progress many times still reads as the call.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let shots: string;

beforeAll(async () => {
  dir = await tempDir('sb-ui-traffic-text-');
  shots = await screenshotDir();
  const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
  gateway = await startGateway(config, { uiDir: UI_DIR });
  await waitFor(() => gateway.servers()[0]?.state === 'ready', 10_000, 'fx ready');
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Traffic' }).click();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

/** An MCP client of the gateway that introduces itself by `name`. */
async function clientNamed(name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.httpUrl()!)));
  return client;
}

describe('the traffic inspector shows text as it was sent', () => {
  it('writes a bidi override as \\u202e: neither a payload nor a name is shown reordered', async () => {
    // U+202E (right-to-left override) draws what follows it backwards: "gro.live" reads "evil.org".
    const client = await clientNamed('report\u202ecod.exe');
    try {
      await client.callTool({ name: 'fx__echo', arguments: { message: 'pay \u202egro.live to 1 BTC' } });
    } finally {
      await client.close();
    }
    const grid = page.getByRole('grid', { name: 'Exchanges' });
    const row = grid.getByRole('row').filter({ hasText: 'fx__echo' });
    await row.getByRole('gridcell', { name: 'report\\u202ecod.exe → gateway', exact: true }).waitFor();
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('report\\u202ecod.exe → gateway', { exact: true }).waitFor();
    const request = detail.getByLabel('Request of tools/call', { exact: true });
    await expect.poll(() => request.first().innerText()).toContain('"message": "pay \\u202egro.live to 1 BTC"');
    // Nothing on the screen is drawn reordered.
    expect(await page.locator('main').innerText()).not.toContain('\u202e');
    await page.screenshot({ path: path.join(shots, 'traffic-bidi-override.png') });
    await page.keyboard.press('Escape');
  });
});

describe('a call that reports its progress many times', () => {
  it('shows each run of progress as one line, opened on request, so the answer is not buried', async () => {
    const grid = page.getByRole('grid', { name: 'Exchanges' });
    // The list at its top, the keyboard out of it: the call arrives in view (a row the keyboard is on stays put).
    await page.getByRole('searchbox', { name: 'Search traffic' }).focus();
    await grid.locator('.viewport').evaluate((list) => list.scrollTo({ top: 0 }));
    const client = await clientNamed('progress-client');
    try {
      await client.callTool({ name: 'fx__slow', arguments: { steps: 40, delayMs: 2 } }, undefined, {
        onprogress: () => undefined,
      });
    } finally {
      await client.close();
    }
    await grid
      .getByRole('row')
      .filter({ hasText: 'progress-client → gateway' })
      .filter({ hasText: 'fx__slow' })
      .click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    const progress = detail.getByLabel('Request of notifications/progress', { exact: true });
    // The server's 40 reports and the 40 passed on to the client: a line each way, closed.
    const runs = detail.locator('summary').filter({ hasText: '40 × notifications/progress' });
    await expect.poll(() => runs.count()).toBe(2);
    expect(await runs.first().innerText()).toContain('fx → gateway');
    expect(await runs.last().innerText()).toContain('gateway → progress-client');
    expect(await progress.count()).toBe(0);
    // The call's answer and the request it became are in view without scrolling past 80 payloads.
    expect(await detail.getByLabel('Response to tools/call', { exact: true }).count()).toBe(2);
    await page.screenshot({ path: path.join(shots, 'traffic-progress-runs.png') });
    // Opened from the keyboard: each report, in the order they came.
    await runs.first().focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => progress.count()).toBe(40);
    const texts = await progress.allInnerTexts();
    expect(texts.map((t) => (JSON.parse(t) as { progress: number }).progress)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    await page.screenshot({ path: path.join(shots, 'traffic-progress-run-open.png') });
    await page.keyboard.press('Escape');
  });
});

describe('the list in the narrowest window', () => {
  it('still marks what a call caused (↳) once the from → to column is left out', async () => {
    await page.setViewportSize({ width: 360, height: 700 });
    try {
      const grid = page.getByRole('grid', { name: 'Exchanges' });
      await page.getByRole('searchbox', { name: 'Search traffic' }).focus();
      await grid.locator('.viewport').evaluate((list) => list.scrollTo({ top: 0 }));
      const client = await clientNamed('narrow-client');
      try {
        await client.callTool({ name: 'fx__echo', arguments: { message: 'narrow' } });
      } finally {
        await client.close();
      }
      const mark = (target: string) =>
        grid
          .getByRole('row')
          // The mark is part of the cell's name, as a screen reader reads it.
          .getByRole('gridcell', { name: new RegExp(`^(↳ )?${target}$`) })
          .first()
          .evaluate((cell) => cell.ownerDocument.defaultView!.getComputedStyle(cell, '::before').content);
      await grid.getByRole('gridcell', { name: 'fx__echo', exact: true }).first().waitFor();
      // The from → to column is not drawn at this width.
      expect(await grid.getByRole('gridcell', { name: 'narrow-client → gateway' }).first().isVisible()).toBe(false);
      expect(await mark('fx__echo')).toBe('none');
      expect(await mark('echo')).toBe('"↳ "');
      await grid.screenshot({ path: path.join(shots, 'traffic-narrow-caused.png') });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
