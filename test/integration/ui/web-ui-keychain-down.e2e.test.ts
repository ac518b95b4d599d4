/**
 * The Secrets screen with no keychain to reach (no D-Bus session: a headless server, an SSH login),
 * in real Chromium against a real gateway whose keychain store really fails: it says so, and still
 * lists the secrets the config uses, where each is used, and that whether each is stored is unknown.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeychainSecretStore, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { useUnreachableKeychain } from '../../helpers/unreachable-keychain.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let restoreKeychain: (() => void) | undefined;

beforeAll(async () => {
  dir = await tempDir('sb-ui-keychain-down-');
  restoreKeychain = useUnreachableKeychain(dir.dir);
  const config = await writeConfig(dir.dir, {
    mcpServers: { fx: fixtureServer('fx', { GH_TOKEN: '${secret:GH_TOKEN}' }) },
  });
  gateway = await startGateway(config, {
    uiDir: UI_DIR,
    secrets: createKeychainSecretStore({ stateDir: path.join(dir.dir, 'state') }),
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
