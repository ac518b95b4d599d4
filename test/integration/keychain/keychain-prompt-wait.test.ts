/**
 * The time limit of a keychain call counts from when it is asked for: one that waits for its turn
 * behind a call stuck on an unlock prompt nobody answers (a real gnome-keyring whose prompter never
 * answers) fails within its own limit, not after the stuck call's limit and then its own.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, createKeychainSecretStore, type Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import {
  keyringMissingOutsideCi,
  silentPrompterMissing,
  startKeyringSession,
  type KeyringSession,
} from './keyring-session.ts';

const missing = keyringMissingOutsideCi() ?? silentPrompterMissing();

describe.skipIf(missing !== undefined)('a keychain call waiting behind one stuck on an unlock prompt', () => {
  let keyring: KeyringSession;
  let dir: { dir: string; cleanup(): Promise<void> };
  let stateDir: string;
  let gateway: Gateway | undefined;

  beforeAll(async () => {
    keyring = await startKeyringSession({ unansweredPrompts: true });
    // Before the first keyring call in this process: libdbus reads the address once.
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    dir = await tempDir('sb-keychain-wait-');
    stateDir = path.join(dir.dir, 'state');
    await createKeychainSecretStore({ stateDir }).set('gh-token', 'ghp_never_read_0001');
    keyring.lock();
  }, 30_000);
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    if (await keyring.promptOpen()) await keyring.closePrompt();
  });
  afterAll(async () => {
    await keyring?.close();
    await dir?.cleanup();
  });

  it('a secret saved on the Secrets screen while a read waits on the prompt fails within its limit', async () => {
    const config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:gh-token}' }) },
    });
    const secrets = createKeychainSecretStore({ stateDir, callTimeoutMs: 3_000 });
    gateway = createGateway({ configPath: config, secrets, version: 'test', http: false, socket: false });
    gateway.on('log', () => undefined);
    // Starting reads fx's secret: the keychain opens an unlock prompt, which nobody answers.
    const starting = gateway.start();
    await waitFor(() => keyring.promptOpen(), 15_000, 'the unlock prompt to open');
    const asked = Date.now();
    const saved = await gateway.setSecret('other-token', 'ghp_typed_0003').then(
      () => 'stored',
      (err: Error) => err.message,
    );
    // Not the read's 3 s and then 3 s of its own: its wait for its turn is part of its limit.
    expect(Date.now() - asked).toBeLessThan(4_500);
    expect(saved).toMatch(
      new RegExp(
        '^the OS keychain is not available \\(storing "other-token": no answer within 3 s: it waited \\d(\\.\\d)? s ' +
          'for an earlier keychain call, and was not made\\)\\. An unlock prompt may be waiting for your answer',
      ),
    );
    await starting;
  }, 40_000);
});
