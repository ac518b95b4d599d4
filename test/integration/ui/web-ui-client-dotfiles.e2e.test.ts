/**
 * The Clients screen in real Chromium with Cursor's config linked from a dotfiles repository:
 * Install's preview says Switchboard does not write through the link, shows the change to make there
 * by hand, and offers no Write. A row for a file that cannot be read names its line, and the rows' cells
 * line up. Screenshots go to SCREENSHOT_DIR.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { runCli } from '../installers/helpers.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

describe('the Clients screen with a config linked from a dotfiles repository', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let dotfile: string;
  let zed: string;
  const theirs = '{\n  "mcpServers": {\n    "notes": { "command": "notes-mcp" }\n  }\n}\n';

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html')))
      throw new Error(`the renderer is not built (${UI_DIR}): run "npm run build" first (npm test does)`);
    dir = await tempDir('sb-ui-dotfiles-');
    const home = path.join(dir.dir, 'home');
    dotfile = path.join(home, 'dotfiles', 'cursor-mcp.json');
    await mkdir(path.dirname(dotfile), { recursive: true });
    await mkdir(path.join(home, '.cursor'), { recursive: true });
    await writeFile(dotfile, theirs);
    await symlink(dotfile, path.join(home, '.cursor', 'mcp.json'));
    // And Zed's settings with a comma missing: a row with a message and no buttons.
    zed = path.join(home, '.config', 'zed', 'settings.json');
    await mkdir(path.dirname(zed), { recursive: true });
    await writeFile(zed, '{\n  "theme": "One Dark"\n  "vim_mode": true\n}\n');
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), {
      uiDir: UI_DIR,
      clientInstalls: {
        context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
        shim: (profile) =>
          shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
      },
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('shows the change to make by hand and offers no Write that would fail', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Cursor' });
    await row.getByText('Switchboard does not write through it', { exact: false }).waitFor();
    // Zed's row names the file, line and column; every cell fills its row, the buttons' too (laid out as a
    // flex box, theirs ended short of the row's line where the buttons were fewer than the lines of text).
    const zedRow = page.getByRole('row').filter({ hasText: 'Zed' });
    await zedRow.getByText(`${zed}:3:3: syntax error`).waitFor();
    // Nothing tried to change it: the listing does not say it was "not changed" (nor does `switchboard clients`).
    expect(await zedRow.textContent()).not.toContain('the file was not changed');
    const listed = runCli(['clients'], { HOME: path.dirname(path.dirname(dotfile)) });
    expect(listed.stdout).toContain(`zed: ${zed}:3:3: syntax error: expected ","\n`);
    for (const tr of await page.locator('tbody tr').all()) {
      const rowBox = (await tr.boundingBox())!;
      for (const td of await tr.getByRole('cell').all())
        expect(Math.abs((await td.boundingBox())!.height - rowBox.height)).toBeLessThan(1);
    }
    await page.screenshot({ path: path.join(await screenshotDir(), 'clients-dotfiles-list.png'), fullPage: true });
    await row.getByRole('button', { name: 'Install into Cursor' }).click();
    const panel = page.getByRole('region', { name: 'Install into Cursor' });
    await panel.getByText(`this is the change to make in ${dotfile}`, { exact: false }).waitFor();
    expect(await panel.getByLabel('The change').textContent()).toMatch(/^\+ {4}"switchboard": \{$/m);
    expect(await panel.getByRole('button', { name: 'Write the change' }).isDisabled()).toBe(true);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await panel.screenshot({ path: path.join(await screenshotDir(), 'clients-dotfiles-preview.png') });
    expect(await readFile(dotfile, 'utf8')).toBe(theirs);
  });
});
