/**
 * The Secrets screen with no keychain to reach (no D-Bus session: a headless server, an SSH login),
 * in real Chromium against a real gateway whose keychain store really fails: it says so, and still
 * lists the secrets the config uses, where each is used, and that whether each is stored is unknown.
 * The Clients screen, installing there, says the backup of the client's file is not encrypted.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeychainSecretStore, shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { useUnreachableKeychain } from '../../helpers/unreachable-keychain.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let restoreKeychain: (() => void) | undefined;

const cursorConfig = () => path.join(dir.dir, 'home', '.cursor', 'mcp.json');
const CURSOR_ORIGINAL = '{ "mcpServers": { "notes": { "command": "notes-mcp" } } }\n';

beforeAll(async () => {
  dir = await tempDir('sb-ui-keychain-down-');
  restoreKeychain = useUnreachableKeychain(dir.dir);
  const config = await writeConfig(dir.dir, {
    mcpServers: { fx: fixtureServer('fx', { GH_TOKEN: '${secret:GH_TOKEN}' }) },
  });
  const stateDir = path.join(dir.dir, 'state');
  await mkdir(path.dirname(cursorConfig()), { recursive: true });
  await writeFile(cursorConfig(), CURSOR_ORIGINAL);
  gateway = await startGateway(config, {
    uiDir: UI_DIR,
    secrets: createKeychainSecretStore({ stateDir }),
    // As `switchboard serve` has them: the user's clients, and the keychain that would hold the backups' key.
    clientInstalls: {
      context: {
        platform: 'linux',
        env: {},
        home: path.join(dir.dir, 'home'),
        stateDir,
        secrets: createKeychainSecretStore({ stateDir }),
      },
      shim: (profile) =>
        shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
    },
  });
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
  restoreKeychain?.();
});

describe('the Secrets screen with no keychain', () => {
  it('says the keychain cannot be reached, and lists the secrets the config uses, stored or not unknown', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Secrets' }).waitFor();
    await page
      .getByRole('alert')
      .filter({ hasText: /The keychain cannot be reached\. The OS keychain is not available \(listing secrets: / })
      .waitFor();
    const row = page.getByRole('row').filter({ hasText: 'GH_TOKEN' });
    await row.waitFor();
    expect(await row.getByRole('cell').allInnerTexts()).toEqual(['GH_TOKEN', 'unknown', 'fx (env.GH_TOKEN)', '']);
    // Nothing can be set or deleted while the keychain is away; nothing else is offered in its place.
    expect(await page.getByRole('button', { name: 'New secret' }).isDisabled()).toBe(true);
    expect(await row.getByRole('button').count()).toBe(0);
    expect(await page.getByText('No secrets yet').count()).toBe(0);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-keychain-down.png') });
  });
});

describe('the Clients screen with no keychain', () => {
  it('installs, and says the backup of the original file is not encrypted, as `switchboard install` does', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Cursor' });
    await row.getByRole('button', { name: 'Install into Cursor' }).click();
    await page
      .getByRole('region', { name: 'Install into Cursor' })
      .getByRole('button', { name: 'Write the change' })
      .click();
    const done = page.getByRole('status').filter({ hasText: /Installed into Cursor/ });
    await done.waitFor();
    expect(await done.textContent()).toContain(
      ' The backup of the original file is not encrypted (the OS keychain that would hold its key is not ' +
        'available here); it is readable only by you (mode 0600). Next: ',
    );
    // What it says is so: the original is kept as it was, in plain text.
    const backups = path.join(dir.dir, 'state', 'backups');
    const kept = (await readdir(backups)).find((f) => f.startsWith('cursor-') && !f.endsWith('.enc'));
    expect(await readFile(path.join(backups, kept!), 'utf8')).toBe(CURSOR_ORIGINAL);
    await page.screenshot({ path: path.join(await screenshotDir(), 'clients-keychain-down-installed.png') });
  });
});
