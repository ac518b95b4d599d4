/**
 * Many tabs of the web UI in one browser. A browser opens at most six connections to one address
 * (HTTP/1.1), and a live event stream holds one for as long as its tab is open: with a stream per
 * tab, the sixth tab showed nothing, a seventh did not even load, and the calls of every other tab
 * waited for a connection. The tabs of one browser share one live connection instead.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { launchBrowser, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, fixtureServer, settled, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');
const TABS = 8;

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;

beforeAll(async () => {
  dir = await tempDir('sb-ui-tabs-');
  gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }), {
    uiDir: UI_DIR,
  });
  await settled(gateway);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

describe('many tabs of the web UI in one browser', () => {
  it('each loads, shows the gateway, follows its changes live, and keeps doing so when one closes', async () => {
    const tabs: Page[] = [browser.page];
    while (tabs.length < TABS) tabs.push(await browser.context.newPage());
    for (const tab of tabs) {
      tab.setDefaultTimeout(10_000);
      await tab.goto(gateway.uiLoginUrl()!);
      await tab.getByText('vtest').waitFor();
      await tab.getByText('1 ready').waitFor();
    }
    // Every tab is live: a change made elsewhere shows in each without a reload.
    await gateway.api.setServerEnabled('fx', false);
    for (const tab of tabs) await tab.getByText('1 off').waitFor();
    await tabs.at(-1)!.screenshot({ path: path.join(await screenshotDir(), `web-ui-tab-${TABS}.png`) });
    // And each tab's own calls go through: the last one opens the Servers screen.
    await tabs.at(-1)!.getByRole('link', { name: 'Servers' }).click();
    await tabs.at(-1)!.getByRole('cell', { name: 'fx', exact: true }).waitFor();
    await tabs.at(-1)!.getByRole('link', { name: 'Overview' }).click();

    // The tab that held the live connection goes away: the others go on being live.
    for (const tab of tabs.splice(0, 2)) await tab.close();
    await gateway.api.setServerEnabled('fx', true);
    for (const tab of tabs) await tab.getByText('1 off').waitFor({ state: 'detached', timeout: 15_000 });

    // One tab logs out: it says so, and the tabs of other logins stay logged in and live.
    const [out, ...rest] = tabs;
    await out!.getByRole('button', { name: 'Log out' }).click();
    await out!.getByRole('alert').getByText('Not logged in.').waitFor();
    await gateway.api.setServerEnabled('fx', false);
    for (const tab of rest) await tab.getByText('1 off').waitFor({ timeout: 15_000 });
    for (const tab of rest) if ((await tab.getByText('Not logged in').count()) > 0) throw new Error('logged out');
  }, 180_000);
});
