/**
 * A Secret Service that answers late (started on demand, as D-Bus does, and slow to come up; or
 * stuck): `switchboard secrets set` says it did not answer in time, not that the keyring is locked.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowKeychain, type SlowKeychain } from '../../helpers/slow-keychain.ts';
import { cliPiped, tempDir } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi } from './keyring-session.ts';

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)('a keychain that answers late', () => {
  let keychain: SlowKeychain;
  let dir: { dir: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('sb-keychain-slow-');
    // Longer than the keyring library waits for an answer to a store.
    keychain = await startSlowKeychain(8000);
  });
  afterAll(async () => {
    await keychain?.close();
    await dir?.cleanup();
  });

  it('secrets set says the Secret Service did not answer in time, not that the keyring is locked', async () => {
    const env = {
      ...process.env,
      DBUS_SESSION_BUS_ADDRESS: keychain.address,
      SWITCHBOARD_CONFIG: path.join(dir.dir, 'config.json'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      NO_COLOR: '1',
    };
    const set = await cliPiped(env, 'value-1234\n', 'secrets', 'set', 'late-token');
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/Did not receive a reply/);
    expect(set.stderr).toContain(
      'The Secret Service did not answer in time: it may still be starting (try again in a moment), or be stuck',
    );
    // The D-Bus message says a policy may have "blocked" the reply: it was read as a locked keyring.
    expect(set.stderr).not.toContain('The keyring is locked');
  });
});
