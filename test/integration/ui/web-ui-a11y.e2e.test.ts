/**
 * The web UI as a keyboard-only user, a screen-reader user and a user of a small (or zoomed-in)
 * window meet it, in real Chromium, with enough servers to need scrolling: every screen fits a
 * 320-pixel-wide window (1280 pixels at 400% zoom) without scrolling sideways.
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { createMemorySecretStore } from '../../../main/engine/index.ts';
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

const UI_DIR = path.join(ROOT, 'renderer', 'dist');
const SCREENS = ['Overview', 'Servers', 'Traffic', 'Questions', 'Profiles', 'Secrets', 'Clients', 'Settings'];

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let shots: string;

beforeAll(async () => {
  dir = await tempDir('sb-ui-a11y-');
  shots = await screenshotDir();
  const servers: Record<string, unknown> = {
    fx: fixtureServer('fx'),
    // Gives up at once, with a long error (one long word in it).
    broken: {
      command: NODE,
      args: [
        '-e',
        `process.stderr.write("fatal: cannot open /var/${'segment/'.repeat(12)}db: denied"); process.exit(1)`,
      ],
    },
  };
  for (let i = 0; i < 14; i++) servers[`srv${String(i).padStart(2, '0')}`] = fixtureServer(`srv${i}`);
  const config = await writeConfig(dir.dir, {
    mcpServers: servers,
    profiles: { work: { servers: ['fx'], description: 'What the work laptop needs' } },
  });
  gateway = await startGateway(config, {
    uiDir: UI_DIR,
    secrets: createMemorySecretStore({ UNUSED_KEY: 'v' }),
    backoff: { initialMs: 50, maxMs: 100, maxAttempts: 1, stableMs: 60_000 },
    // Its path, one long word, is listed on the Overview and in Settings.
    socket: true,
    runtimeDir: path.join(dir.dir, 'state', 'switchboard', 'run'),
  });
  await waitFor(() => gateway.servers().every((s) => s.state === 'ready' || s.state === 'failed'), 30_000);
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
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

/** How far the page (or the screen in it) reaches past the window's right edge, and the controls that do. */
async function sideways(): Promise<{ overflow: number; beyond: string[] }> {
  return page.evaluate(`(() => {
    const beyond = [...document.querySelectorAll('button, a, input, select, [role=gridcell]')]
      .filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().right > innerWidth + 1)
      .map((el) => el.tagName + ' ' + (el.getAttribute('aria-label') ?? el.textContent.trim().slice(0, 30)));
    const main = document.querySelector('main');
    const overflow = Math.max(document.documentElement.scrollWidth - innerWidth, main.scrollWidth - main.clientWidth);
    return { overflow, beyond };
  })()`);
}

describe('the page itself', () => {
  it("shows the app's icon in the browser tab, and loads every file it asks for", async () => {
    const failed: string[] = [];
    const loading = page.waitForEvent('load');
    await page.reload({ waitUntil: 'commit' });
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    page.on('requestfailed', (r) => failed.push(`${r.failure()?.errorText ?? 'failed'} ${r.url()}`));
    await loading;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // Chromium asks for the icon after the page has loaded.
    await page.waitForTimeout(1500);
    expect(failed).toEqual([]);
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const response = await page.request.get(new URL(icon!, page.url()).href);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('image/svg+xml');
  });
});

describe('the web UI in a small or zoomed-in window', () => {
  it('fits 600 and 320 pixels (400% zoom) on every screen: no sideways scrolling, every control in reach', async () => {
    try {
      // 600 too: between 320 and the narrow layout's 799 pixels, a screen's widest row has the least room.
      for (const width of [600, 320]) {
        await page.setViewportSize({ width, height: 256 });
        for (const name of SCREENS) {
          await screen(name);
          await page.waitForTimeout(200);
          expect(await sideways(), `${name} at ${width} pixels`).toEqual({ overflow: 0, beyond: [] });
        }
      }
      // A server opened: its name, state and buttons (Restart, Turn off, Edit, Remove) in one row ran past the edge.
      await screen('Servers');
      await page.getByRole('button', { name: 'fx', exact: true }).click();
      await page.getByRole('region', { name: 'Server fx' }).getByRole('button', { name: 'Edit' }).waitFor();
      expect(await sideways(), 'a server opened').toEqual({ overflow: 0, beyond: [] });
      await page.screenshot({ path: path.join(shots, 'a11y-320-server.png'), fullPage: true });
      // Each row's cells say which column they are (the column headings are not drawn).
      await screen('Profiles');
      const work = page.getByRole('row').filter({ hasText: 'What the work laptop needs' });
      expect(
        await work
          .getByRole('cell')
          .first()
          .evaluate((c) => c.ownerDocument.defaultView!.getComputedStyle(c, '::before').content),
      ).toBe('"Profile: "');
      await page.screenshot({ path: path.join(shots, 'a11y-320-profiles.png'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('keeps the Profiles buttons, the Traffic list and its column names within a 640 by 400 window', async () => {
    await page.setViewportSize({ width: 640, height: 400 });
    try {
      await screen('Profiles');
      for (const button of ['Edit work', 'Remove work']) {
        const box = (await page.getByRole('button', { name: button }).boundingBox())!;
        expect(box.x + box.width, button).toBeLessThanOrEqual(640);
      }
      await screen('Traffic');
      const grid = page.getByRole('grid', { name: 'Exchanges' });
      for (const header of await grid.getByRole('columnheader').all()) {
        if (!(await header.isVisible())) continue;
        // Whole, not cut to a letter and "…".
        expect(await header.evaluate((h) => h.scrollWidth <= h.clientWidth), `${await header.textContent()}`).toBe(
          true,
        );
      }
      // The list is no taller than the window, so all of it can be seen at once, and shows more than a few rows.
      const box = (await grid.boundingBox())!;
      expect(box.height).toBeLessThanOrEqual(400);
      expect(box.height).toBeGreaterThan(200);
      expect(await sideways()).toEqual({ overflow: 0, beyond: [] });
      await page.screenshot({ path: path.join(shots, 'a11y-640x400-traffic.png') });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('keeps Edit and Remove of a profile side by side in a wide window', async () => {
    await screen('Profiles');
    const edit = (await page.getByRole('button', { name: 'Edit work' }).boundingBox())!;
    const remove = (await page.getByRole('button', { name: 'Remove work' }).boundingBox())!;
    expect(remove.y).toBe(edit.y);
  });

  it("does not squeeze a server's last error to a word a line in a 640 by 480 window", async () => {
    await page.setViewportSize({ width: 640, height: 480 });
    try {
      await screen('Servers');
      const error = page.getByRole('row').filter({ hasText: 'broken' }).getByRole('cell').last();
      await error.getByText(/fatal/).waitFor();
      expect((await error.boundingBox())!.width).toBeGreaterThan(140);
      expect(await seriousA11yProblems(page)).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});

/** The element with the keyboard: its role (or tag) and its text. */
async function focused(): Promise<string> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'nothing';
    return (el.getAttribute('role') ?? el.tagName.toLowerCase()) + ' ' + el.textContent.trim().replace(/\\s+/g, ' ');
  })()`);
}

describe('finding the way with the keyboard', () => {
  it('offers "Skip to content" first, shown once focused, and it takes the keyboard to the heading', async () => {
    await screen('Overview');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // Opening the page takes the keyboard nowhere; the title names the screen.
    expect(await focused()).toBe('nothing');
    expect(await page.title()).toBe('Overview — Switchboard');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await focused()).toBe('a Skip to content');
    const box = (await skip.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.width).toBeGreaterThan(20);
    await page.screenshot({ path: path.join(shots, 'a11y-skip-link.png') });
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('h1 Overview');
    expect(page.url()).toMatch(/\/ui\/(#\/overview)?$/);
  });

  it("takes the keyboard to a new screen's heading and names the screen in the window's title", async () => {
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('link', { name: 'Servers' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    await expect.poll(focused).toBe('h1 Servers');
    expect(await page.title()).toBe('Servers — Switchboard');
    // Tab goes on from the heading, into the screen.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('button Add server');
    await nav.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(focused).toBe('h1 Settings');
    expect(await page.title()).toBe('Settings — Switchboard');
  });
});

describe('the Servers screen with many servers', () => {
  for (const [width, height] of [
    [640, 480],
    [1280, 600],
  ] as const)
    it(`shows the detail of a server far down the list, the keyboard on it (${width} by ${height})`, async () => {
      await page.setViewportSize({ width, height });
      try {
        await screen('Servers');
        await page.getByRole('button', { name: 'srv13', exact: true }).focus();
        await page.keyboard.press('Enter');
        const heading = page.getByRole('region', { name: 'Server srv13' }).getByRole('heading', { name: 'srv13' });
        await expect.poll(focused).toBe('h2 srv13');
        const box = (await heading.boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height).toBeLessThanOrEqual(height);
        // Its buttons are the next Tab stop.
        await page.keyboard.press('Tab');
        expect(await focused()).toBe('button Restart');
        if (width <= 700) {
          // Its tools stand as blocks too, each value named by its column (the headings are not drawn).
          const echo = page
            .getByRole('region', { name: 'Server srv13' })
            .getByRole('row')
            .filter({ has: page.getByRole('checkbox', { name: 'Show echo' }) });
          const labels = await echo
            .getByRole('cell')
            .evaluateAll((cells) =>
              cells.map((c) => c.ownerDocument.defaultView!.getComputedStyle(c, '::before').content),
            );
          expect(labels).toEqual(['"Shown: "', '"Tool: "', '"Name clients see: "', '"Alias: "', '"Description: "']);
        }
        await page.screenshot({ path: path.join(shots, `a11y-servers-chosen-${width}x${height}.png`) });
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });
});

describe('forced colours (Windows High Contrast)', () => {
  /** The bar drawn at a row's left edge, where forced colours leave no background to show a choice. */
  const bar = (el: Locator) =>
    el.evaluate((e) => {
      const style = e.ownerDocument.defaultView!.getComputedStyle(e);
      return style.borderLeftStyle === 'none' ? '0px' : style.borderLeftWidth;
    });

  it('marks the chosen server and the open exchange by more than a background colour', async () => {
    await page.emulateMedia({ forcedColors: 'active' });
    try {
      await screen('Servers');
      await page.getByRole('button', { name: 'fx', exact: true }).click();
      const chosen = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'fx', exact: true }) });
      const other = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'srv01', exact: true }) });
      expect(await bar(chosen.getByRole('cell').first())).toBe('6px');
      expect(await bar(other.getByRole('cell').first())).toBe('0px');
      await page.screenshot({ path: path.join(shots, 'a11y-forced-servers.png') });

      const sdk = await httpClient(gateway.httpUrl()!);
      try {
        await sdk.callTool({ name: 'fx__echo', arguments: { message: 'high contrast' } });
      } finally {
        await sdk.close();
      }
      await screen('Traffic');
      const rows = page.getByRole('grid', { name: 'Exchanges' }).getByRole('row').filter({ hasText: 'fx__echo' });
      await rows.first().click();
      await page.getByRole('complementary', { name: 'Exchange' }).waitFor();
      expect(await bar(rows.first())).toBe('6px');
      await page.screenshot({ path: path.join(shots, 'a11y-forced-traffic.png') });
      await page.keyboard.press('Escape');
    } finally {
      await page.emulateMedia({ forcedColors: 'none' });
    }
  });
});

describe('where the keyboard goes when what it was on goes away', () => {
  it('Secrets: after Delete of a secret no server uses, the keyboard is on New secret', async () => {
    await screen('Secrets');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete UNUSED_KEY' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Deleted UNUSED_KEY.').waitFor();
    await expect.poll(focused).toBe('button New secret');
  });
});

describe('what is read out', () => {
  it('says when a server goes down (failed), once, and not each state it passes through', async () => {
    await screen('Overview');
    const told: string[] = [];
    await page.exposeFunction('liveRegionSaid', (text: string) => told.push(text));
    // What screen readers are given: each change of a polite live region's text.
    await page.evaluate(`(() => {
      for (const region of document.querySelectorAll('[role=status]'))
        new MutationObserver(() => region.textContent && window.liveRegionSaid(region.textContent)).observe(region, {
          childList: true,
          characterData: true,
          subtree: true,
        });
    })()`);
    await gateway.api.setServerEnabled('broken', false);
    await waitFor(() => gateway.servers().find((s) => s.name === 'broken')?.disabled === true, 10_000);
    await gateway.api.setServerEnabled('broken', true);
    await waitFor(() => gateway.servers().find((s) => s.name === 'broken')?.state === 'failed', 10_000);
    await page.getByRole('status').getByText('Server down: broken failed.', { exact: true }).waitFor();
    await page.waitForTimeout(500);
    expect(told.filter((t) => t.includes('broken'))).toEqual(['Server down: broken failed.']);
    // Down again later, in the same words: read out again (the region's text has to change for that).
    await gateway.api.setServerEnabled('broken', false);
    await waitFor(() => gateway.servers().find((s) => s.name === 'broken')?.disabled === true, 10_000);
    await gateway.api.setServerEnabled('broken', true);
    await expect
      .poll(() => told.filter((t) => t.includes('broken')), { timeout: 15_000 })
      .toEqual(['Server down: broken failed.', 'Server down: broken failed.']);
  }, 30_000);
});

describe('notes that confirm what was done', () => {
  it('says each in a live region on the page before it (so screen readers hear it), taking no room', async () => {
    await screen('Secrets');
    // The screen's own (the page's news of questions and servers is read out, not shown).
    const region = page.locator('main [role="status"]:not(.visually-hidden)');
    expect(await region.count()).toBe(1);
    expect(await region.textContent()).toBe('');
    expect((await region.boundingBox())?.height ?? 0).toBe(0);
    await region.evaluate((r) => r.setAttribute('data-was-there', 'yes'));
    await page.getByRole('button', { name: 'New secret' }).click();
    await page.getByLabel('Name').fill('ANOTHER_KEY');
    await page.getByLabel('Value').fill('v');
    await page.getByRole('button', { name: 'Store' }).click();
    await region.getByText(/^Stored ANOTHER_KEY\./).waitFor();
    expect(await region.getAttribute('data-was-there')).toBe('yes');
  });
});
