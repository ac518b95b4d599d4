/**
 * The Secrets screen over a secret's life, in real Chromium against a real gateway whose store is a
 * real keychain (gnome-keyring on a private D-Bus session): a value stored or replaced says which
 * servers now use it; the keyring locked while the screen is open, then unlocked, is said and tried
 * again from the screen; and a failure is not left on the screen beside a later success.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeychainSecretStore, type Gateway, type SecretStore } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from '../keychain/keyring-session.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)('the Secrets screen and the keychain over time', () => {
  let keyring: KeyringSession;
  let dir: { dir: string; cleanup(): Promise<void> };
  let store: SecretStore;
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS;

  const focused = (): Promise<string> =>
    page.evaluate(`(() => {
      const el = document.activeElement;
      return !el || el === document.body ? 'nothing' : el.tagName.toLowerCase() + ' ' + el.textContent.trim();
    })()`);
  const status = () => page.locator('main [role="status"]');
  const banner = () => page.getByRole('alert').filter({ hasText: 'The keychain cannot be reached.' });

  /** The screen's listings of the secrets (it lists again after each config reload), started and ended. */
  const listings = { started: 0, ended: 0 };
  const isListing = (request: { url(): string; method(): string }) =>
    request.method() === 'GET' && new URL(request.url()).pathname === '/api/secrets';

  /**
   * Waits until the screen has listed the secrets after the gateway's last reload and lists nothing
   * now: a listing still to come would read the keychain a test is about to lock.
   */
  async function listedAfterReloads(): Promise<void> {
    const before = listings.started;
    await gateway.reload();
    await expect
      .poll(() => listings.started > before && listings.ended === listings.started, { timeout: 10_000 })
      .toBe(true);
  }

  async function storeValue(secret: string, value: string, replace: boolean): Promise<void> {
    await page.getByRole('button', { name: replace ? `Replace ${secret}` : 'New secret', exact: true }).click();
    const form = page.getByRole('region', { name: replace ? `Set ${secret}` : 'New secret' });
    if (!replace) await form.getByLabel('Name', { exact: true }).fill(secret);
    await form.getByLabel('Value', { exact: true }).fill(value);
    await form.getByRole('button', { name: 'Store' }).click();
  }

  beforeAll(async () => {
    keyring = await startKeyringSession();
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    dir = await tempDir('sb-ui-secrets-keychain-');
    store = createKeychainSecretStore({ stateDir: path.join(dir.dir, 'state') });
    await store.set('tok', 'first-value-AAAA');
    await store.set('spare', 'spare-value-CCCC');
    await store.set('gone-soon', 'gone-soon-value-DDDD');
    await store.set('switchboard-token', 'listener-token-GGGG-0123456789');
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:tok}' }),
        fy: fixtureServer('fy', { FIXTURE_TOKEN: '${secret:tok}' }),
      },
      listen: { http: { token: '${secret:switchboard-token}' } },
    });
    gateway = await startGateway(config, { uiDir: UI_DIR, secrets: store });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('request', (request) => void (isListing(request) && listings.started++));
    page.on('requestfinished', (request) => void (isListing(request) && listings.ended++));
    page.on('requestfailed', (request) => void (isListing(request) && listings.ended++));
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Secrets' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await keyring?.close();
    await dir?.cleanup();
    if (bus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = bus;
  });

  it('a value stored says which servers use it now, or that none does yet and how to use it', async () => {
    await storeValue('tok', 'second-value-BBBB', true);
    await status().getByText('Stored tok. fx and fy use this value now.', { exact: true }).waitFor();
    expect(await store.get('tok')).toBe('second-value-BBBB');
    await storeValue('unused', 'unused-value-FFFF', false);
    await status()
      .getByText(
        "Stored unused. No server uses it yet: write ${secret:unused} in a server's environment, a header or its URL.",
        { exact: true },
      )
      .waitFor();
  });

  it('the keyring locked while the screen is open: Delete says so, and Try again once it is unlocked', async () => {
    await listedAfterReloads();
    keyring.lock();
    let unlocked = false;
    try {
      await lockedThenBack(async () => {
        await keyring.unlock();
        unlocked = true;
      });
    } finally {
      // The next test needs it open, whatever happened here.
      if (!unlocked) await keyring.unlock();
    }
  }, 30_000);

  it('the keyring locked as a value is typed: Store says so in the banner, and stores it once unlocked', async () => {
    await listedAfterReloads();
    await page.getByRole('button', { name: 'Replace tok', exact: true }).click();
    const form = page.getByRole('region', { name: 'Set tok' });
    await form.getByLabel('Value', { exact: true }).fill('kept-while-locked-IIII');
    keyring.lock();
    try {
      await form.getByRole('button', { name: 'Store' }).click();
      await banner()
        .filter({ hasText: /not available \(storing "tok": .*The keyring is locked/ })
        .waitFor();
      // It was said at the Value field, as if the value were wrong, and the form had no Try again.
      expect(await form.getByLabel('Value', { exact: true }).getAttribute('aria-invalid')).toBeNull();
      expect(await form.getByRole('alert').count()).toBe(0);
      await expect.poll(focused).toBe('button Try again');
      await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-keychain-locked-store.png') });
    } finally {
      await keyring.unlock();
    }
    await page.keyboard.press('Enter');
    await status().getByText('The keychain can be reached again.').waitFor();
    // The value typed is still there: the keyboard is on Store.
    await expect.poll(focused).toBe('button Store');
    await page.keyboard.press('Enter');
    await status().getByText('Stored tok. fx and fy use this value now.', { exact: true }).waitFor();
    expect(await store.get('tok')).toBe('kept-while-locked-IIII');
  }, 30_000);

  async function lockedThenBack(unlock: () => Promise<void>): Promise<void> {
    await page.getByRole('button', { name: 'Delete spare' }).click();
    await banner()
      .filter({ hasText: /not available \(deleting "spare": .*The keyring is locked/ })
      .waitFor();
    // Nothing can be done but trying again; the keyboard is on that.
    expect(await page.getByRole('button', { name: 'New secret' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: /^(Replace|Delete|Set) / }).count()).toBe(0);
    expect(await page.getByRole('row').filter({ hasText: 'spare' }).getByRole('cell').nth(1).innerText()).toBe(
      'unknown',
    );
    await expect.poll(focused).toBe('button Try again');
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-keychain-locked.png') });

    // Still locked: it says so again.
    await page.keyboard.press('Enter');
    await waitFor(async () => !(await page.getByRole('button', { name: 'Try again' }).isDisabled()), 10_000);
    expect(await banner().count()).toBe(1);

    await unlock();
    await page.getByRole('button', { name: 'Try again' }).click();
    await status().getByText('The keychain can be reached again.').waitFor();
    expect(await banner().count()).toBe(0);
    await expect.poll(focused).toBe('button New secret');
    await page.getByRole('button', { name: 'Delete spare' }).click();
    await status().getByText('Deleted spare.', { exact: true }).waitFor();
    expect(await store.get('spare')).toBeUndefined();
  }

  it('a failure stays only until the next action: not beside a later success', async () => {
    // Removed in a terminal while the screen still lists it (it lists again only after a reload).
    await listedAfterReloads();
    await store.delete('gone-soon');
    await page.getByRole('button', { name: 'Delete gone-soon' }).click();
    await page.getByRole('alert').filter({ hasText: 'there is no secret named "gone-soon"' }).waitFor();
    await storeValue('tok', 'third-value-EEEE', true);
    await status()
      .getByText(/^Stored tok\./)
      .waitFor();
    expect(await store.get('tok')).toBe('third-value-EEEE');
    expect(await page.getByRole('alert').count()).toBe(0);
    // Deleting a secret in use names the servers that cannot start without it.
    await page.getByRole('button', { name: 'Delete tok' }).click();
    await status().getByText('Deleted tok. fx and fy cannot start without it until it is set again.').waitFor();
    await waitFor(
      () => gateway.servers().every((s) => s.state === 'failed'),
      15_000,
      'fx and fy to fail without their secret',
    );
  });

  // Last: without its secret the config file cannot be applied, which the whole app then says.
  it("the listener's token: the screen says Switchboard uses it, and Delete warns what its loss does", async () => {
    const row = page.getByRole('row').filter({ hasText: 'switchboard-token' });
    expect(await row.getByRole('cell').nth(2).innerText()).toBe('Switchboard (listen.http.token)');
    await storeValue('switchboard-token', 'listener-token-HHHH-0123456789', true);
    await status()
      .getByText('Stored switchboard-token. listen.http.token uses it: MCP clients send this value as their token now.')
      .waitFor();
    let asked = '';
    page.once('dialog', (dialog) => void (asked = dialog.message()));
    await page.getByRole('button', { name: 'Delete switchboard-token' }).click();
    await status()
      .getByText(/^Deleted switchboard-token\. The config file cannot be applied without it/)
      .waitFor();
    expect(asked).toBe(
      'Delete the secret switchboard-token? listen.http.token uses it: without it the config file cannot be ' +
        'applied, and at its next start the gateway runs no server.',
    );
    // Still listed, as missing, with Set: the config needs it.
    await row.getByText('missing').waitFor();
    await row.getByRole('button', { name: 'Set switchboard-token' }).waitFor();
  });
});
