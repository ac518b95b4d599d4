/**
 * A new user's first minutes in the web UI, in real Chromium: a gateway with no config file yet, the
 * empty Overview leading to the Add server form, a first server added there, and an AI client that
 * starts the shim as Claude Desktop does, shown on the Overview by its name as it connects.
 * Screenshots go to SCREENSHOT_DIR.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { CLI, FIXTURE, NODE, ROOT, startGateway, tempDir } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe('the first run in the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let shots: string;
  let client: Client | undefined;
  const runtimeDir = () => path.join(dir.dir, 'run');

  const shoot = async (name: string) => {
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, `first-run-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    dir = await tempDir('sb-ui-first-run-');
    shots = await screenshotDir();
    // No config file yet, as on a first `npm start`.
    gateway = await startGateway(path.join(dir.dir, 'config.json'), {
      uiDir: UI_DIR,
      watch: true,
      allowMissingConfig: true,
      runtimeDir: runtimeDir(),
      socket: true,
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 40_000);
  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('leads from the empty Overview to the Add server form, the keyboard on its first field', async () => {
    const servers = page.getByRole('region', { name: 'Servers' });
    await servers.getByText(/No servers are configured yet\. A server gives your AI clients tools/).waitFor();
    await shoot('overview-empty');
    await servers.getByRole('button', { name: 'Add a server' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    const form = page.getByRole('region', { name: 'Add a server' });
    await form.waitFor();
    const first = form.getByRole('radio', { name: 'Local command' });
    expect(await first.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('fx');
    await form.getByRole('textbox', { name: 'Command', exact: true }).fill(NODE);
    await form.getByRole('textbox', { name: 'Arguments, one per line' }).fill(FIXTURE);
    await form.getByRole('textbox', { name: /^Environment/ }).fill('FIXTURE_NAME=fx');
    await form.getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('status').getByText('Added fx to the config file.').waitFor();
    await page.getByRole('row').filter({ hasText: 'fx' }).getByText('ready').waitFor();
    await shoot('server-added');
    // Going to the Servers screen another way opens no form.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    expect(await page.getByRole('region', { name: 'Add a server' }).count()).toBe(0);
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1');
  });

  it('names a client that connects through the shim on the Overview as it connects, without a reload', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    const table = page.getByRole('region', { name: 'Clients connected now' });
    await table.getByText('No client is connected.').waitFor();
    // As Claude Desktop starts the entry Install writes: the shim, with a minimal environment.
    const transport = new StdioClientTransport({
      command: NODE,
      args: [CLI, 'shim', '--profile', 'default'],
      env: {
        HOME: dir.dir,
        PATH: process.env.PATH ?? '',
        SWITCHBOARD_RUNTIME_DIR: runtimeDir(),
        // The gateway runs in this test process: the shim must not start another one.
        SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, '-e', 'process.exit(1)']),
      },
      stderr: 'pipe',
    });
    client = new Client({ name: 'Claude', version: '0.9.1' });
    await client.connect(transport);
    const row = table.getByRole('row').filter({ hasText: 'Claude 0.9.1' });
    await row.waitFor({ timeout: 5000 });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('the shim');
    expect(await row.getByRole('cell').nth(3).textContent()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await table.getByText('not introduced yet').count()).toBe(0);
    await shoot('overview-client');
  });
});
