/**
 * Real Chromium for the UI tests: Debian's /usr/bin/chromium driven by playwright-core (which
 * never downloads a browser), headless, with a fresh profile per launch.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'sb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium on the web UI, signed in with the gateway's one-time login link. A control that never
 * shows fails its step, naming it, well before a test's own time limit.
 */
export async function openWebUi(loginUrl: string): Promise<TestBrowser> {
  const browser = await launchBrowser();
  browser.page.setDefaultTimeout(10_000);
  await browser.page.goto(loginUrl);
  return browser;
}

/** Where UI tests put their screenshots: SCREENSHOT_DIR, or a fresh temporary directory. */
export async function screenshotDir(): Promise<string> {
  const dir = process.env.SCREENSHOT_DIR ?? (await mkdtemp(path.join(os.tmpdir(), 'sb-ui-shots-')));
  await mkdir(dir, { recursive: true });
  return dir;
}

/** axe-core's serious and critical findings on the page as it is now, one line each. */
export async function seriousA11yProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
