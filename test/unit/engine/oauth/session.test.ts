import { describe, expect, it } from 'vitest';
import { OAuthSession } from '../../../../main/engine/oauth/session.ts';
import { OAuthVault } from '../../../../main/engine/oauth/vault.ts';
import { createMemorySecretStore } from '../../../../main/engine/secrets/memory-store.ts';
import type { SecretStore } from '../../../../main/engine/secrets/store.ts';

const RESOURCE = 'https://mcp.example.com/mcp';

/** A keychain that is locked until `unlock()`: reads fail as the real one does. */
function lockable(): SecretStore & { unlock(): void } {
  const inner = createMemorySecretStore();
  let locked = true;
  return {
    ...inner,
    kind: 'keychain',
    get: async (name) => {
      if (locked) throw new Error('the keyring is locked');
      return inner.get(name);
    },
    unlock: () => {
      locked = false;
    },
  };
}

const session = (store: SecretStore) =>
  new OAuthSession({
    name: 'remote',
    resource: RESOURCE,
    settings: { grant: 'authorization_code' },
    vault: new OAuthVault(store),
    fetch: () => Promise.reject(new Error('no network in this test')),
    clientInfo: { name: 'Switchboard', version: 'test' },
  });

describe('OAuthSession', () => {
  it('a keychain that could not be read is read again next time (it may have been unlocked)', async () => {
    const store = lockable();
    const s = session(store);
    await expect(s.accessToken()).rejects.toThrow(/locked/);
    store.unlock();
    await new OAuthVault(store).write({
      resource: RESOURCE,
      tokens: { access_token: 'at-1', token_type: 'bearer', issuer: 'https://as.example.com' },
    });
    expect(await s.accessToken()).toBe('at-1');
    expect(s.status()).toMatchObject({ state: 'logged-in', issuer: 'https://as.example.com' });
  });

  it('hides the tokens and a registered client secret; logout forgets them', async () => {
    const store = createMemorySecretStore();
    await new OAuthVault(store).write({
      resource: RESOURCE,
      client: { client_id: 'c', client_secret: 'cs-registered-secret' },
      tokens: { access_token: 'at-2', refresh_token: 'rt-2', token_type: 'bearer' },
    });
    const s = session(store);
    await s.accessToken();
    expect(s.secretValues().sort()).toEqual(['at-2', 'cs-registered-secret', 'rt-2']);
    await s.logout();
    expect(s.secretValues()).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect(s.status()).toMatchObject({ state: 'needs-login', reason: 'logged out' });
    expect(await s.accessToken()).toBeUndefined();
  });
});
