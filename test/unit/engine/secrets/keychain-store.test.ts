import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKeychainSecretStore, GatewayError, type KeyringBackend } from '../../../../main/engine/index.ts';

function fakeKeyring(): KeyringBackend & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: async (s, a) => data.get(`${s}|${a}`) ?? null,
    set: async (s, a, v) => void data.set(`${s}|${a}`, v),
    delete: async (s, a) => data.delete(`${s}|${a}`),
    accounts: async (s) => [...data.keys()].filter((k) => k.startsWith(`${s}|`)).map((k) => k.slice(s.length + 1)),
  };
}

describe('keychain secret store', () => {
  it('namespaces names per install under the service "switchboard:<install id>"', async () => {
    const backend = fakeKeyring();
    const a = createKeychainSecretStore({ installId: 'aaaa1111', backend });
    const b = createKeychainSecretStore({ installId: 'bbbb2222', backend });
    await a.set('github-token', 'one');
    await b.set('other', 'two');
    expect([...backend.data.keys()]).toEqual(['switchboard:aaaa1111|github-token', 'switchboard:bbbb2222|other']);
    expect(await a.list()).toEqual(['github-token']);
    expect(await a.get('other')).toBeUndefined();
    expect(await a.delete('github-token')).toBe(true);
    expect(await a.delete('github-token')).toBe(false);
    expect(a.kind).toBe('keychain');
    await expect(a.set('bad name', 'x')).rejects.toThrow(/invalid secret name/);
  });

  it('keeps a random install id in the state dir', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-state-'));
    try {
      const backend = fakeKeyring();
      await createKeychainSecretStore({ stateDir: dir, backend }).set('x', 'y');
      const id = (await readFile(path.join(dir, 'install-id'), 'utf8')).trim();
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      expect((await stat(path.join(dir, 'install-id'))).mode & 0o777).toBe(0o600);
      expect(await createKeychainSecretStore({ stateDir: dir, backend }).get('x')).toBe('y');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says clearly when the keychain is unreachable, with how to fix it', async () => {
    const failing: KeyringBackend = {
      get: async () => {
        throw new Error("Couldn't access platform storage: Secret Service: unlock prompt was dismissed");
      },
      set: async () => {
        throw new Error('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled');
      },
      delete: async () => false,
      accounts: async () => [],
    };
    const store = createKeychainSecretStore({
      installId: 'aaaa1111',
      backend: failing,
      platform: 'linux',
      env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' },
    });
    const locked = await store.get('x').catch((e: unknown) => e as GatewayError);
    expect(locked).toBeInstanceOf(GatewayError);
    expect((locked as GatewayError).code).toBe('secret_store_unavailable');
    expect((locked as Error).message).toMatch(
      /keyring is locked.*gnome-keyring-daemon --unlock.*does not store secrets in plain files/,
    );
    const noBus = createKeychainSecretStore({ installId: 'aaaa1111', backend: failing, platform: 'linux', env: {} });
    await expect(noBus.set('x', 'y')).rejects.toThrow(/no D-Bus session bus.*dbus-run-session/);
  });

  // Stands in for Windows Credential Manager, which cannot run here: it refuses an entry over
  // 2560 bytes, and the keyring library stores text there as UTF-16.
  function credentialManager(): ReturnType<typeof fakeKeyring> {
    const backend = fakeKeyring();
    const set = backend.set;
    backend.set = async (s, a, v) => {
      if (v.length * 2 > 2560) throw new Error('The stub received bad data. (os error 1783)');
      return set(s, a, v);
    };
    return backend;
  }

  it('on Windows, keeps an OAuth record longer than one credential entry takes, in parts', async () => {
    const backend = credentialManager();
    const store = createKeychainSecretStore({ installId: 'win00001', backend, platform: 'win32' });
    const record = JSON.stringify({ issuer: 'https://auth.example', tokens: { access_token: 'a'.repeat(3000) } });
    await store.set('oauth-0123abcd', record);
    expect(await store.get('oauth-0123abcd')).toBe(record);
    expect(await store.list()).toEqual(['oauth-0123abcd']);
    expect(backend.data.size).toBe(3);
    // Shorter again: the parts it no longer needs go.
    await store.set('oauth-0123abcd', 'short');
    expect(await store.get('oauth-0123abcd')).toBe('short');
    expect(backend.data.size).toBe(1);
    await store.set('oauth-0123abcd', record);
    expect(await store.delete('oauth-0123abcd')).toBe(true);
    expect(backend.data.size).toBe(0);
  });
});
