/**
 * The Clients and Profiles screens in real Chromium follow the clients' files while they are open:
 * Claude Desktop rewriting its file without Switchboard's entry shows as not installed, with a note
 * saying so, and `switchboard install` run in a terminal (the real CLI) shows on the Profiles screen
 * as the profile's user, without reopening either screen. Screenshots go to SCREENSHOT_DIR.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClient, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { runCli, SHIM } from '../installers/helpers.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

describe("the Clients and Profiles screens follow the clients' files", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let home: string;
  let gateway: Gateway;
  let browser: TestBrowser;
  const claude = () => path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
  const original = '{ "mcpServers": { "notes": { "command": "notes-server" } } }\n';

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html')))
      throw new Error(`the renderer is not built (${UI_DIR}): run "npm run build" first (npm test does)`);
    dir = await tempDir('sb-ui-client-watch-');
    home = path.join(dir.dir, 'home');
    await mkdir(path.dirname(claude()), { recursive: true });
    await writeFile(claude(), original);
    const context = {
      platform: 'linux' as const,
      env: {},
      home,
      stateDir: path.join(home, '.local', 'state', 'switchboard'),
    };
    await installClient('claude-desktop', context, SHIM);
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), {
      uiDir: UI_DIR,
      watch: true,
      clientInstalls: { context, shim: () => SHIM },
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('shows a client that dropped the entry as not installed, saying so in its row, after a reload too', async () => {
    const page = browser.page;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Claude Desktop' });
    await row.getByText('installed (profile default)').waitFor();

    // Claude Desktop rewrites its file from its own store on launch, without our entry.
    await writeFile(claude(), original);
    const state = row.getByRole('cell').nth(1);
    await state.getByText('not installed', { exact: true }).waitFor({ timeout: 10_000 });
    await row.getByRole('button', { name: 'Install into Claude Desktop' }).waitFor();
    const said = new RegExp(
      "^Claude Desktop took Switchboard's entry out of its config at \\d\\d:\\d\\d:\\d\\d: " +
        'it no longer starts Switchboard\\. Install puts it back\\.$',
    );
    await state.getByText(said).waitFor();
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'clients-entry-dropped.png'), fullPage: true });
    // Still said in a window opened later (the notification's click opens one): the gateway keeps it.
    await page.reload();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
    await state.getByText(/^Claude Desktop took Switchboard's entry out of its config/).waitFor();
  });

  it("shows an install from a terminal as the profile's user on the Profiles screen", async () => {
    const page = browser.page;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Profiles' }).click();
    const usedBy = page
      .getByRole('row', { name: /^default/ })
      .getByRole('cell')
      .nth(5);
    await usedBy.getByText('no client found').waitFor();
    const cli = runCli(['install', 'claude-desktop'], { HOME: home });
    expect(cli.code, cli.stderr).toBe(0);
    await usedBy.getByText('Claude Desktop').waitFor({ timeout: 10_000 });
  });
});
