/**
 * The Secrets screen while the keychain is slow to answer (its daemon starting, or the system asking
 * the user to unlock it), in real Chromium against a real gateway whose store is gnome-keyring on a
 * private D-Bus session that starts the daemon only seconds after the first call.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeychainSecretStore, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { startSlowKeychain, type SlowKeychain } from '../../helpers/slow-keychain.ts';
import { keyringMissing } from '../keychain/keyring-session.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

const missing = keyringMissing();
if (missing && process.env.CI) throw new Error(`this test needs a Secret Service in CI: ${missing}`);

describe.skipIf(missing !== undefined)('the Secrets screen while the keychain is slow to answer', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let keychain: SlowKeychain;
  let gateway: Gateway;
  let browser: TestBrowser;
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-secrets-slow-');
    // No server uses a secret: the screen's listing is the first keychain call, answered 4 s later.
    keychain = await startSlowKeychain(4000);
    // Before the first keychain call in this process: libdbus reads the address once.
    process.env.DBUS_SESSION_BUS_ADDRESS = keychain.address;
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    gateway = await startGateway(config, {
      uiDir: UI_DIR,
      secrets: createKeychainSecretStore({ stateDir: path.join(dir.dir, 'state') }),
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await keychain?.close();
    await dir?.cleanup();
    if (bus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = bus;
  });

  it('says it is reading the keychain (and that it may be asking to be unlocked) until the list comes', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Secrets' }).click();
    const reading = page.getByText(
      'Reading the keychain… If it is locked, your system may be asking you to unlock it.',
      { exact: true },
    );
    await reading.waitFor({ timeout: 2000 });
    await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-slow-keychain.png') });
    await page.getByText('No secrets yet.', { exact: false }).waitFor({ timeout: 20_000 });
    expect(await reading.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'New secret' }).isEnabled()).toBe(true);
  });
});
