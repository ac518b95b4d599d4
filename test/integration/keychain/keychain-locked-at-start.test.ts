/**
 * A gateway that starts while the keychain is locked (the app started at login before the keyring
 * was unlocked): its servers that need a secret say so and that they are tried again, and once the
 * keychain is unlocked they start with their secrets, with no Restart of each. A real gnome-keyring
 * over a private D-Bus session, locked and unlocked as the desktop does.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeychainSecretStore, type Gateway, type SecretStore } from '../../../main/engine/index.ts';
import {
  fixtureServer,
  httpClient,
  initializeWith,
  startGateway,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi } from './keyring-session.ts';
import { keyringForFile } from './keyring-file.ts';

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)('a gateway started while the keychain is locked', () => {
  const file = keyringForFile('sb-keychain-locked-');
  let gateway: Gateway;
  // Before the session ends (after hooks run last to first).
  afterAll(async () => {
    await gateway?.stop();
  });

  it('starts the servers needing a secret once the keychain is unlocked', async () => {
    const stateDir = path.join(file.dir, 'state');
    await createKeychainSecretStore({ stateDir }).set('gh-token', 'ghp_after_unlock_0001');
    file.keyring.lock();
    const config = await writeConfig(file.dir, {
      mcpServers: { fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:gh-token}' }), plain: fixtureServer('plain') },
    });
    // The real keychain, its reads counted: each may ask the user to unlock it on a desktop.
    // A read under way while the unlock replaces the daemon never returns: given up after 2 s, the
    // next try reads from the new daemon.
    const keychain = createKeychainSecretStore({ stateDir, callTimeoutMs: 2_000 });
    let reads = 0;
    const secrets: SecretStore = { ...keychain, get: (name) => (reads++, keychain.get(name)) };
    gateway = await startGateway(config, { secrets, keychainRetryMs: 250 });
    const fx = () => gateway.servers().find((s) => s.name === 'fx')!;
    expect(fx().state).toBe('failed');
    expect(fx().lastError).toMatch(/^the OS keychain is not available /);
    const retried =
      /\(tried again by itself, less often each time, at most every 30 min; Restart on the Servers screen tries now\)$/;
    expect(fx().lastError).toMatch(retried);
    expect(gateway.servers().find((s) => s.name === 'plain')!.state).toBe('ready');
    // Still locked: tried again, less often each time (0.25, 0.5, 1, 2 s: not every 0.25 s, 12 reads).
    await new Promise((r) => setTimeout(r, 3000));
    expect(fx().state).toBe('failed');
    expect(fx().lastError).toMatch(retried); // still true after three tries: no "in N s" gone by
    expect(reads).toBeGreaterThanOrEqual(3);
    expect(reads).toBeLessThanOrEqual(5);

    await file.keyring.unlock();
    // The next try comes within 4 s (the wait doubles), and one under way as the daemon is replaced is
    // given up after 2 s.
    await waitFor(() => fx().state === 'ready', 30_000, 'fx to start once the keychain is unlocked');
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const seen = await client.callTool({ name: 'fx__env', arguments: { name: 'FIXTURE_TOKEN' } });
      expect(textOf(seen)).toBe('ghp_after_unlock_0001');
    } finally {
      await client.close();
    }
  }, 60_000);

  it('keeps a running server with its values when the keychain is locked again and it is restarted', async () => {
    // The gateway of the test above: fx runs with the secret read once the keychain was unlocked.
    const warnings: string[] = [];
    gateway.on('log', (line) => {
      if (line.level === 'warn' && line.server === 'fx') warnings.push(line.text);
    });
    file.keyring.lock();
    await gateway.restartServer('fx');
    await waitFor(() => gateway.servers().find((s) => s.name === 'fx')?.state === 'ready', 15_000, 'fx to run again');
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const seen = await client.callTool({ name: 'fx__env', arguments: { name: 'FIXTURE_TOKEN' } });
      expect(textOf(seen)).toBe('ghp_after_unlock_0001');
    } finally {
      await client.close();
    }
    expect(warnings).toEqual([
      expect.stringMatching(/^the keychain cannot be read now \(.*\): it keeps the values it was started with$/),
    ]);
  }, 40_000);

  it('applies a file whose listener token is in the keychain once unlocked, with no save of the file', async () => {
    await gateway.stop();
    // The test above left it locked.
    await file.keyring.unlock();
    const stateDir = path.join(file.dir, 'state-token');
    await createKeychainSecretStore({ stateDir }).set('listener-token', 'listener-token-after-unlock-0001');
    file.keyring.lock();
    const config = await writeConfig(file.dir, {
      mcpServers: { plain: fixtureServer('plain') },
      listen: { http: { token: '${secret:listener-token}' } },
    });
    const secrets = createKeychainSecretStore({ stateDir, callTimeoutMs: 2_000 });
    gateway = await startGateway(config, { secrets, keychainRetryMs: 250, keepRunningOnConfigError: true });
    // Not applied: whether it may be depends on the token.
    expect(gateway.runsWithoutConfig()).toBe(true);
    expect(gateway.configError()?.message).toMatch(
      /^\S+config\.json: listen\.http\.token: the OS keychain is not available \(reading "listener-token": /,
    );
    expect(gateway.configError()?.message).toMatch(/\(the file is read again by itself after 0 s, then less often\)$/);

    await file.keyring.unlock();
    await waitFor(() => !gateway.runsWithoutConfig(), 15_000, 'the file to be applied once the keychain is unlocked');
    await waitFor(() => gateway.servers().find((s) => s.name === 'plain')?.state === 'ready', 15_000, 'plain');
    // The listener takes the token from the keychain, and no request without it.
    expect(await initializeWith(gateway.httpUrl()!, 'not-the-token')).toBe(401);
    expect(await initializeWith(gateway.httpUrl()!, 'listener-token-after-unlock-0001')).toBe(200);
  }, 40_000);
});
