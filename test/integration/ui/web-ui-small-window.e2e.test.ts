/**
 * The screens in real Chromium in a small window: 480x700 (a window beside others, or 960 pixels at 200% zoom) and
 * the desktop window's smallest, 720x480, with names as long as they go (a server's and a profile's of 64
 * characters) and an error that names a long path. Nothing scrolls sideways, and every control stays in the window.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, fixtureServer, httpClient, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { linesOf, pastTheEdge } from '../../helpers/layout.ts';

/** A server's name as long as names go (64 characters), in one word. */
const LONG_SERVER = 'acme_corporation_internal_knowledge_base_search_and_retrieval_sv';
/** A profile's name as long as names go. */
const LONG_PROFILE = 'research_quarterly_reports_quarterly_reports_quarterly_reports_a';
/** Where a server that fails looks for its key: its error names it. */
const KEY_FILE = '/home/someone/.config/acme-enterprise-integration-suite/credentials/production-service-account.json';

describe('the screens in a small window, with long names', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-small-');
    const home = path.join(dir.dir, 'home');
    const claude = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    await mkdir(path.dirname(claude), { recursive: true });
    await writeFile(claude, JSON.stringify({ mcpServers: { postgres: { command: 'npx', args: ['-y', 'pg-mcp'] } } }));
    const error = `Error: ENOENT: no such file or directory, open '${KEY_FILE}'`;
    const fails = `process.stderr.write(${JSON.stringify(error + '\n')}); process.exit(1)`;
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        [LONG_SERVER]: fixtureServer('long', { FIXTURE_FORMS: '1' }),
        linear: fixtureServer('linear'),
        keyless: { command: NODE, args: ['-e', fails] },
      },
      profiles: { [LONG_PROFILE]: { servers: [LONG_SERVER, 'linear'] } },
    });
    gateway = await startGateway(file, {
      uiDir: path.join(ROOT, 'renderer/dist'),
      clientInstalls: {
        context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
        shim: (profile) =>
          shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
      },
    });
    client = await httpClient(gateway.httpUrl()!); // no elicitation: the gateway asks the user in the app
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
  }, 40_000);
  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  async function screen(name: string): Promise<void> {
    await page.getByRole('link', { name: new RegExp(`^${name}`) }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  /** The window as the user sees it, scrolled to `at`. */
  async function shot(name: string, at: Locator): Promise<void> {
    await at.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(await screenshotDir(), `small-${name}.png`) });
  }

  it("wraps an opened server's name of 64 characters at 480 pixels", async () => {
    await page.setViewportSize({ width: 480, height: 700 });
    await screen('Servers');
    await page.getByRole('button', { name: LONG_SERVER, exact: true }).click();
    const heading = page.getByRole('region', { name: `Server ${LONG_SERVER}` }).getByRole('heading', { level: 2 });
    await heading.waitFor();
    await shot('server-detail-480', heading);
    // The heading ran on in one line: the whole page scrolled sideways by 150 pixels.
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    expect(await linesOf(heading, LONG_SERVER)).toBeGreaterThan(1);
  });
  it('wraps the note that a question from a server of 64 characters was withdrawn, at 480 pixels', async () => {
    await page.setViewportSize({ width: 480, height: 700 });
    await screen('Questions');
    const { tools } = await client.listTools();
    const form = tools.find((t) => t.description?.startsWith('Ask the user the form'))!;
    const schema = '{"type":"object","properties":{"note":{"type":"string","title":"Note"}}}';
    const asking = new AbortController();
    const call = client
      .callTool({ name: form.name, arguments: { message: 'To withdraw', schema } }, undefined, {
        signal: asking.signal,
      })
      .catch(() => undefined);
    await page.getByRole('article', { name: `Question from ${LONG_SERVER}` }).waitFor();
    asking.abort();
    await call;
    const gone = page.getByRole('alert').filter({ hasText: 'was withdrawn' });
    await gone.waitFor();
    await shot('question-withdrawn-480', gone);
    // The server's name ran on in one line, past the window: the page scrolled sideways.
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    expect(await linesOf(gone, LONG_SERVER)).toBeGreaterThan(1);
    const dismiss = (await gone.getByRole('button', { name: 'Dismiss' }).boundingBox())!;
    expect(dismiss.x + dismiss.width).toBeLessThanOrEqual(480);
  });

  it("keeps Install's preview within 480 pixels, its Profile choice holding a name of 64 characters", async () => {
    await page.setViewportSize({ width: 480, height: 700 });
    await screen('Clients');
    await page.getByRole('button', { name: 'Install into Claude Desktop' }).click();
    const preview = page.getByRole('region', { name: 'Install into Claude Desktop' });
    const profile = preview.getByRole('combobox', { name: 'Profile' });
    await profile.selectOption(LONG_PROFILE);
    await preview.getByText(`--profile`, { exact: false }).first().waitFor();
    await shot('install-preview-480', profile);
    // The choice was as wide as the name, and the page scrolled sideways; so did the config file's path.
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    const box = (await profile.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(480);
    await preview.getByRole('button', { name: 'Cancel' }).click();
  });
  it("keeps Servers, Profiles and Clients within the desktop window's smallest size, 720x480", async () => {
    await page.setViewportSize({ width: 720, height: 480 });
    await screen('Servers');
    await page
      .getByRole('row', { name: /keyless/ })
      .getByText('production-service-account', { exact: false })
      .waitFor();
    await shot('servers-720', page.getByRole('heading', { level: 1, name: 'Servers' }));
    // The last error's path ran past the edge beside the links: the screen scrolled sideways.
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    await screen('Profiles');
    const row = page.getByRole('row', { name: /research_/ });
    await shot('profiles-720', row);
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    // Edit and Remove were past the window's edge, out of sight.
    for (const name of [`Edit ${LONG_PROFILE}`, `Remove ${LONG_PROFILE}`]) {
      const button = row.getByRole('button', { name });
      await button.scrollIntoViewIfNeeded();
      const box = (await button.boundingBox())!;
      expect(box.x + box.width, name).toBeLessThanOrEqual(720);
    }
    await screen('Clients');
    await shot('clients-720', page.getByRole('heading', { level: 1, name: 'Clients' }));
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
  });
});
