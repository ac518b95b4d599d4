/**
 * A keychain that answers for some items and not others, as the macOS keychain does (each item has
 * its own access rule and prompt): a server waiting for its secret starts once that one can be read,
 * even while the file's new listener token still cannot. The per-item refusal is a stand-in around
 * a memory store (gnome-keyring, which runs here, locks and unlocks all items at once); the gateway,
 * its retries and the server are real.
 */
import { writeFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { GatewayError, createMemorySecretStore, type Gateway, type SecretStore } from '../../../main/engine/index.ts';
import { fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

let gateway: Gateway | undefined;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
afterEach(async () => {
  await gateway?.stop();
  await dir?.cleanup();
});

it('starts a server whose secret becomes readable while the file waits for its token', async () => {
  dir = await tempDir();
  const memory = createMemorySecretStore();
  await memory.set('gh-token', 'ghp_per_item_0001');
  await memory.set('listener-token', 'listener-token-per-item-0001');
  const refused = new Set(['gh-token', 'listener-token']);
  const secrets: SecretStore = {
    ...memory,
    kind: 'keychain',
    get: async (name) => {
      if (refused.has(name))
        throw new GatewayError('secret_store_unavailable', `the OS keychain is not available (reading "${name}")`);
      return memory.get(name);
    },
  };
  const servers = { fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:gh-token}' }) };
  const config = await writeConfig(dir.dir, { mcpServers: servers });
  gateway = await startGateway(config, { secrets, keychainRetryMs: 200, keepRunningOnConfigError: true });
  const fx = () => gateway!.servers().find((s) => s.name === 'fx')!;
  expect(fx().lastError).toMatch(/^the OS keychain is not available \(reading "gh-token"\)/);

  // A new listener token the keychain does not give: the file waits, the config before runs on.
  await writeFile(
    config,
    JSON.stringify({ mcpServers: servers, listen: { http: { token: '${secret:listener-token}' } } }),
  );
  await gateway.reload();
  expect(gateway.configError()?.message).toMatch(/listen\.http\.token: the OS keychain is not available/);

  // The user allows Switchboard the server's item, not the token's.
  refused.delete('gh-token');
  await waitFor(() => fx().state === 'ready', 15_000, 'fx to start once its secret can be read');
  expect(gateway.configError()?.message).toMatch(/listen\.http\.token/);
}, 30_000);
