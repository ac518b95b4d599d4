/**
 * The web UI in real Chromium, left open and unused until its login runs out (12 hours in use, 1.5 s
 * here): the page says it is not logged in. Its event stream, checked only when opened, used to stay
 * open, so the page went on showing the gateway's live state (traffic, logs, questions) with a login
 * that opened nothing any more.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const IDLE_MS = 1500;

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;

beforeAll(async () => {
  dir = await tempDir('sb-ui-expiry-');
  gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), {
    uiDir: path.join(ROOT, 'renderer/dist'),
    uiSessionIdleMs: IDLE_MS,
  });
  browser = await openWebUi(gateway.uiLoginUrl()!);
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

it('says "Not logged in" once a page left unused has had its login run out', async () => {
  const { page } = browser;
  await page.getByText('vtest').waitFor();
  await page
    .getByRole('alert')
    .getByText('Not logged in.')
    .waitFor({ timeout: IDLE_MS * 4 });
  await page.screenshot({ path: path.join(await screenshotDir(), 'web-ui-login-ran-out.png') });
  expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
});
