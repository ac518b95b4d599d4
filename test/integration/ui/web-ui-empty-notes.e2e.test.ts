/**
 * What each screen says while it has nothing to list (no server, no client, no secret, one profile, no traffic), in
 * real Chromium: the note stands where the screen's first line of content would, as the Questions screen's does,
 * not a gap lower; inside the traffic table, it lines up with the columns' names.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let shots: string;

beforeAll(async () => {
  dir = await tempDir('sb-ui-empty-');
  shots = await screenshotDir();
  const config = await writeConfig(dir.dir, { mcpServers: {} });
  // A home with no client in it.
  const home = path.join(dir.dir, 'home');
  await mkdir(home, { recursive: true });
  gateway = await startGateway(config, {
    uiDir: UI_DIR,
    trafficHistoryFile: path.join(dir.dir, 'traffic.db'),
    clientInstalls: {
      context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
      shim: (profile) =>
        shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
    },
  });
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

async function screen(name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Where the first line of `what`'s text is drawn: its top and left edges. */
function firstLine(what: Locator): Promise<{ top: number; left: number }> {
  return what.evaluate((el) => {
    const range = el.ownerDocument.createRange();
    range.selectNodeContents(el);
    const line = [...range.getClientRects()].find((r) => r.width > 0)!;
    return { top: line.top, left: line.left };
  });
}

/** How far under the bottom edge of `above` the first line of `note`'s text is drawn, in pixels. */
async function gapUnder(above: Locator, note: Locator): Promise<number> {
  const box = (await above.boundingBox())!;
  return Math.round((await firstLine(note)).top - (box.y + box.height));
}

/*
 * A paragraph's own margin (14 pixels), beside a heading's at most (12 for a screen's, which a heading with its button
 * keeps apart), and the half of its line height above its letters: 30. A note with a gap of its own (24 pixels) stood
 * 38 or more under what was above it.
 */
const PARAGRAPH_GAP = 30;

describe('a screen with nothing to list', () => {
  const cases: { screen: string; note: string; above: () => Locator }[] = [
    {
      screen: 'Servers',
      note: 'No servers are configured.',
      above: () => page.getByRole('heading', { level: 1, name: 'Servers' }),
    },
    {
      screen: 'Clients',
      note: 'No AI client was found on this machine.',
      above: () => page.getByText('AI clients start Switchboard through a small command', { exact: false }),
    },
    {
      screen: 'Secrets',
      note: 'No secrets yet.',
      above: () => page.getByText('A value is never shown back', { exact: false }),
    },
    {
      screen: 'Profiles',
      note: 'Only the default profile so far.',
      above: () => page.getByRole('table'),
    },
    {
      screen: 'Overview',
      note: 'No servers are configured yet.',
      above: () => page.getByRole('heading', { level: 2, name: 'Servers' }),
    },
  ];
  for (const c of cases) {
    it(`${c.screen}: says so right under what is above it, as a paragraph stands`, async () => {
      await screen(c.screen);
      const note = page.getByText(c.note, { exact: false });
      await note.waitFor();
      await page.screenshot({ path: path.join(shots, `empty-${c.screen.toLowerCase()}.png`) });
      const gap = await gapUnder(c.above(), note);
      expect(gap, `the note's first line, ${gap} pixels under what is above it`).toBeLessThanOrEqual(PARAGRAPH_GAP);
    });
  }

  it('Traffic: says so where the first row would be, lined up with the columns’ names', async () => {
    await screen('Traffic');
    const note = page.getByText('No traffic yet.', { exact: false });
    await note.waitFor();
    await page.screenshot({ path: path.join(shots, 'empty-traffic.png') });
    const header = page.getByRole('columnheader', { name: 'Time' });
    const [noteLine, headerLine] = [await firstLine(note), await firstLine(header)];
    // It started at the table's border, 8 pixels left of every column's name and value.
    expect(Math.round(noteLine.left), 'the note’s left edge, against the Time column’s').toBe(
      Math.round(headerLine.left),
    );
    // A row's text is 7 pixels under the row's top; the note stood 38 pixels under the header.
    const gap = await gapUnder(page.getByRole('row').filter({ has: header }), note);
    expect(gap, `the note, ${gap} pixels under the columns' names`).toBeLessThanOrEqual(10);
  });
});
