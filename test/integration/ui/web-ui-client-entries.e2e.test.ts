/**
 * The desktop app's Clients screen (its gateway, with the entry the app writes: its program run as
 * Node on the shim file in its data folder) in real Chromium, on a HOME where `switchboard install`
 * (the real CLI) wrote Claude Desktop's entry and Cursor's points at a script that is gone. The CLI's
 * working entry is installed, says whose it is, and is switched only by a button named so; only the
 * broken one reads as outdated, saying why. Screenshots go to SCREENSHOT_DIR.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appShimCommand, installShimFile } from '../../../main/app/client-entry.ts';
import { shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { linesOf } from '../../helpers/layout.ts';
import { runCli } from '../installers/helpers.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

describe("the app's Clients screen with entries the command line wrote", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let home: string;
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let shots: string;
  const claude = () => path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
  const cursor = () => path.join(home, '.cursor', 'mcp.json');
  type Entry = { command: string; args: string[]; env?: Record<string, string> };
  const entryIn = async (file: string) =>
    (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: { switchboard: Entry } }).mcpServers.switchboard;

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html')))
      throw new Error(`the renderer is not built (${UI_DIR}): run "npm run build" first (npm test does)`);
    dir = await tempDir('sb-ui-entries-');
    shots = await screenshotDir();
    home = path.join(dir.dir, 'home');
    await mkdir(path.dirname(claude()), { recursive: true });
    await writeFile(claude(), '{ "mcpServers": {} }\n');
    const installed = runCli(['install', 'claude-desktop'], { HOME: home });
    expect(installed.stdout).toContain('Installed Switchboard (profile "default") in Claude Desktop');
    // What an older checkout of Switchboard wrote into Cursor: its script is gone.
    await mkdir(path.dirname(cursor()), { recursive: true });
    const gone = path.join(dir.dir, 'old-checkout', 'bin', 'switchboard.js');
    await writeFile(
      cursor(),
      JSON.stringify({ mcpServers: { switchboard: { command: NODE, args: [gone, 'shim', '--profile', 'default'] } } }),
    );
    // The app: its program (Node stands in for it, as ELECTRON_RUN_AS_NODE makes it) and its shim copy.
    const shimFile = await installShimFile(path.join(ROOT, 'out', 'shim', 'index.mjs'), path.join(dir.dir, 'data'));
    const runtime = { execPath: NODE, env: {}, platform: 'linux' as const };
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), {
      uiDir: UI_DIR,
      clientInstalls: {
        context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
        shim: (profile) => appShimCommand(runtime, shimFile, profile),
      },
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  const shoot = async (name: string) => {
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, `client-entries-${name}.png`), fullPage: true });
  };

  it("shows the command line's working entry as installed, says whose it is, switches it only when asked", async () => {
    const row = page.getByRole('row').filter({ hasText: 'Claude Desktop' });
    const state = row.getByRole('cell').nth(1);
    await state.getByText('installed (profile default)').waitFor();
    expect(await state.textContent()).not.toContain('outdated');
    await state
      .getByText('Command-line entry, written by switchboard install: it starts a gateway in the background')
      .waitFor();
    expect(await row.getByRole('button', { name: /Reinstall|Update|Install into/ }).count()).toBe(0);

    // Cursor's entry starts a script that is gone: that one is outdated, and the screen says why.
    const broken = page.getByRole('row').filter({ hasText: 'Cursor' });
    await broken.getByText('installed, outdated (profile default)').waitFor();
    await broken.getByText(/Outdated: the file it runs, .*old-checkout.*switchboard\.js, no longer exists\./).waitFor();
    await broken.getByRole('button', { name: "Replace entry in Cursor with the app's entry" }).waitFor();
    await shoot('list');

    await row.getByRole('button', { name: 'Switch to app entry in Claude Desktop' }).click();
    const panel = page.getByRole('region', { name: "Switch Claude Desktop to the app's entry" });
    await panel.getByText("Claude Desktop's entry works as it is: a command-line entry", { exact: false }).waitFor();
    await panel.getByText("makes it the app's entry, which starts the Switchboard app", { exact: false }).waitFor();
    expect(await panel.getByLabel('The change').textContent()).toContain('ELECTRON_RUN_AS_NODE');
    await shoot('switch');
    // Nothing was written by looking: the file still has the command line's entry.
    expect((await entryIn(claude())).env).toBeUndefined();
    await panel.getByRole('button', { name: 'Write the change' }).click();
    await page
      .getByRole('status')
      .getByText(/Claude Desktop now has the app's entry/)
      .waitFor();
    expect((await entryIn(claude())).env).toEqual({ ELECTRON_RUN_AS_NODE: '1' });
    await row.getByRole('button', { name: 'Reinstall into Claude Desktop' }).waitFor();
    expect(await state.textContent()).not.toContain('Command-line entry');

    // The command line, run for real, sees the app's entry as installed, and install leaves it the app's.
    const listed = runCli(['clients'], { HOME: home });
    expect(listed.stdout).toMatch(/claude-desktop\s+Claude Desktop\s+installed \(app entry\)\s+default/);
    const again = runCli(['install', 'claude-desktop'], { HOME: home });
    expect(again.stdout).toContain('Claude Desktop already has the switchboard entry for profile "default"');
    expect((await entryIn(claude())).env).toEqual({ ELECTRON_RUN_AS_NODE: '1' });
  });

  it("keeps each client's name on one line at 1280 pixels, every client Switchboard knows shown", async () => {
    const all = page.getByRole('checkbox', { name: 'Show every client Switchboard knows' });
    await all.check();
    try {
      const rows = page
        .getByRole('table')
        .getByRole('row')
        .filter({ has: page.getByRole('cell') });
      await rows.filter({ hasText: 'VS Code Insiders' }).waitFor();
      await page.screenshot({ path: path.join(shots, 'client-entries-names.png'), fullPage: true });
      const wrapped: string[] = [];
      for (const row of await rows.all()) {
        const name = row.getByRole('cell').first();
        // "Claude Desktop" wrapped after "Claude", beside the long note of its Switchboard column.
        if ((await linesOf(name, (await name.textContent())!.trim())) > 1) wrapped.push(await name.innerText());
        // So did "Switch to app entry", inside its button.
        for (const button of await row.getByRole('button').all()) {
          const label = (await button.textContent())!.trim();
          if ((await linesOf(button, label)) > 1) wrapped.push(label);
        }
      }
      expect(wrapped).toEqual([]);
    } finally {
      await all.uncheck();
    }
  });

  it("shows the app's entry as installed in `switchboard serve`'s web UI, which writes command-line ones", async () => {
    const served = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }, 'served.json'), {
      uiDir: UI_DIR,
      clientInstalls: {
        context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
        shim: (profile) =>
          shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
      },
    });
    const other = await openWebUi(served.uiLoginUrl()!);
    try {
      await other.page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
      const row = other.page.getByRole('row').filter({ hasText: 'Claude Desktop' });
      await row.getByText('installed (profile default)').waitFor();
      await row.getByText('App entry, written by the Switchboard app: it starts the Switchboard app').waitFor();
      await row.getByRole('button', { name: 'Switch to command-line entry in Claude Desktop' }).waitFor();
      expect(await seriousA11yProblems(other.page)).toEqual([]);
      await other.page.screenshot({ path: path.join(shots, 'client-entries-served.png'), fullPage: true });
    } finally {
      await other.close();
      await served.stop();
    }
  });

  it('says it is looking for AI clients until the gateway has read their files (seconds, if large)', async () => {
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('link', { name: 'Overview' }).click();
    let answer = (): void => {};
    const held = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/api/clients', async (route) => {
      await held;
      // Refused once the test has let go of the route (it failed before answering): nothing left to answer.
      await route.continue().catch(() => undefined);
    });
    try {
      await nav.getByRole('link', { name: 'Clients' }).click();
      // The screen showed its heading and nothing else meanwhile.
      await page.getByRole('status').getByText('Looking for AI clients on this machine…').waitFor();
      expect(await page.getByRole('table').count()).toBe(0);
      answer();
      await page.getByRole('row').filter({ hasText: 'Claude Desktop' }).waitFor();
      expect(await page.getByText('Looking for AI clients on this machine…').count()).toBe(0);
    } finally {
      answer();
      await page.unroute('**/api/clients');
    }
  });
});
