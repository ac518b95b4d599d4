/**
 * The Clients screen in real Chromium when Switchboard will not write a client's file: a read-only
 * file is named in the preview, which offers no Write; a preview that cannot be made (a server of the
 * user's named "switchboard") is said in that client's own panel, not above the list under another
 * client's preview; a Write that fails (the file changed after the preview) says why inside the
 * panel, by its buttons; and Write writes only the change shown: a file edited since so that it needs
 * another is not written, and the panel shows the new change. A Restore that fails says why in its
 * row, which may be far down a long list. Screenshots go to SCREENSHOT_DIR.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

describe('the Clients screen when a client file cannot be written', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let home: string;
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  const put = async (relative: string, text: string): Promise<string> => {
    const file = path.join(home, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    return file;
  };
  const cursor = '{ "mcpServers": { "notes": { "command": "notes-mcp" } } }\n';
  const claude = '{ "mcpServers": { "switchboard": { "command": "npx", "args": ["other-switchboard"] } } }\n';
  const zed = '{\n  // mine\n  "theme": "One Dark",\n  "context_servers": {},\n  "vim_mode": true,\n}\n';
  const vscode = '// mine\n{\n  "servers": {\n    "github": { "type": "stdio", "command": "gh" },\n  },\n}\n';

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html')))
      throw new Error(`the renderer is not built (${UI_DIR}): run "npm run build" first (npm test does)`);
    dir = await tempDir('sb-ui-refusals-');
    home = path.join(dir.dir, 'home');
    await chmod(await put('.cursor/mcp.json', cursor), 0o444);
    await put('.config/Claude/claude_desktop_config.json', claude);
    await put('.config/Code/User/mcp.json', vscode);
    await put('.config/zed/settings.json', zed);
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), {
      uiDir: UI_DIR,
      clientInstalls: {
        context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
        shim: (profile) =>
          shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
      },
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('row').filter({ hasText: 'Cursor' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  const shoot = async (name: string) => {
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), `clients-refusals-${name}.png`) });
  };

  it('names a read-only file in the preview and offers no Write', async () => {
    const file = path.join(home, '.cursor', 'mcp.json');
    await page.getByRole('button', { name: 'Install into Cursor' }).click();
    const panel = page.getByRole('region', { name: 'Install into Cursor' });
    await panel.getByText(`${file} is read-only; make it writable (chmod u+w)`, { exact: false }).waitFor();
    expect(await panel.getByLabel('The change').textContent()).toContain('"switchboard"');
    expect(await panel.getByRole('button', { name: 'Write the change' }).isDisabled()).toBe(true);
    await shoot('read-only');
  });

  it('names a read-only file when moving its servers, and offers no Move', async () => {
    const file = path.join(home, '.cursor', 'mcp.json');
    const row = page.getByRole('row').filter({ hasText: 'Cursor' });
    await row.getByRole('button', { name: 'Move servers of Cursor into Switchboard' }).click();
    const panel = page.getByRole('region', { name: "Move Cursor's servers into Switchboard" });
    await panel.getByText(`${file} is read-only; make it writable (chmod u+w)`, { exact: false }).waitFor();
    await panel.getByLabel("The change to Cursor's file").waitFor();
    // Move them was offered, and refused only once pressed.
    expect(await panel.getByRole('button', { name: 'Move them' }).isDisabled()).toBe(true);
    await panel.getByRole('button', { name: 'Cancel' }).click();
  });

  it("says why a client's preview cannot be made in that client's panel, closing the other client's", async () => {
    const file = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    await page.getByRole('button', { name: 'Install into Claude Desktop' }).click();
    const panel = page.getByRole('region', { name: 'Install into Claude Desktop' });
    await panel
      .getByRole('alert')
      .getByText(`${file} already has a server named "switchboard" that is not Switchboard`, { exact: false })
      .waitFor();
    expect(await page.getByRole('region', { name: 'Install into Cursor' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Write the change' }).count()).toBe(0);
    await shoot('preview-failed');
    await panel.getByRole('button', { name: 'Close' }).click();
    expect(await panel.count()).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(claude);
  });

  it('says why a Write failed inside the panel, by its buttons, when the file changed after the preview', async () => {
    const file = path.join(home, '.config', 'Code', 'User', 'mcp.json');
    await page.getByRole('button', { name: 'Install into VS Code' }).click();
    const panel = page.getByRole('region', { name: 'Install into VS Code' });
    await panel.getByLabel('The change').waitFor();
    // Meanwhile the user adds a server of their own named "switchboard" in VS Code.
    const theirs = '\n    "switchboard": { "type": "http", "url": "http://x" },';
    const edited = vscode.replace('"servers": {', `"servers": {${theirs}`);
    await writeFile(file, edited);
    await panel.getByRole('button', { name: 'Write the change' }).click();
    await panel
      .getByRole('alert')
      .getByText(`Installing into VS Code: ${file} already has a server named "switchboard"`, { exact: false })
      .waitFor();
    expect(await page.locator('h1 ~ p.banner.error').count()).toBe(0);
    await shoot('write-failed');
    expect(await readFile(file, 'utf8')).toBe(edited);
  });

  it('writes only the change shown: a file edited since so that it needs another shows that one first', async () => {
    const file = path.join(home, '.config', 'zed', 'settings.json');
    await page.getByRole('button', { name: 'Install into Zed' }).click();
    const panel = page.getByRole('region', { name: 'Install into Zed' });
    const shown = await panel.getByLabel('The change').textContent();
    expect(shown).toContain('-  "context_servers": {},');
    // Meanwhile the user adds a server of their own next to where ours goes.
    const added = zed.replace('"context_servers": {}', '"context_servers": { "notes": { "command": "notes-mcp" } }');
    await writeFile(file, added);
    await panel.getByRole('button', { name: 'Write the change' }).click();
    await panel
      .getByRole('alert')
      .getByText(`${file} changed since the change was shown (Zed or someone saved it); nothing was written`, {
        exact: false,
      })
      .waitFor();
    await panel.getByLabel('The change').getByText('"notes"', { exact: false }).first().waitFor();
    expect(await readFile(file, 'utf8')).toBe(added);
    await shoot('changed-since-preview');
    // Zed saves another setting (not what the change is about): Write writes the change shown now.
    const saved = added.replace('One Dark', 'One Light');
    await writeFile(file, saved);
    await panel.getByRole('button', { name: 'Write the change' }).click();
    await page.getByRole('status').getByText('Installed into Zed', { exact: false }).waitFor();
    const after = await readFile(file, 'utf8');
    expect(after).toContain('"theme": "One Light"');
    expect(after).toMatch(/"notes": \{ "command": "notes-mcp" \},?\s+"switchboard": \{/);
  });

  it("says why a Restore failed in the client's row, far down the list of every client", async () => {
    const file = path.join(home, '.claude.json');
    await writeFile(file, '{ "numStartups": 1, "mcpServers": {} }\n');
    await gateway.api.installClient('claude-code', 'default');
    // Claude Code cut off while saving its state: the file cannot be read now.
    await writeFile(file, '{ "numStartups": 2, "mcpServers": { "switchboard": ');
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
    await page.getByLabel('Show every client Switchboard knows').check();
    const row = page.getByRole('row').filter({ hasText: 'Claude Code' });
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Restore Claude Code' }).click();
    await row.getByRole('alert').getByText(`Restoring Claude Code: ${file}:1:`, { exact: false }).waitFor();
    expect(await page.locator('h1 ~ p.banner.error').count()).toBe(0);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await row.screenshot({ path: path.join(await screenshotDir(), 'clients-refusals-restore-failed.png') });
  });
});
