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
      /keyring is locked.*unlock it in your desktop session.*does not store secrets in plain files/,
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

  it("on Windows, two writes at once leave one whole value and none of the other's parts", async () => {
    const backend = credentialManager();
    const set = backend.set;
    // The first write's entry lands last, as when its process is descheduled between two calls.
    backend.set = async (s, a, v) => {
      if (a === 'oauth-1' && v.includes('A')) await new Promise((r) => setTimeout(r, 30));
      return set(s, a, v);
    };
    const store = createKeychainSecretStore({ installId: 'win00002', backend, platform: 'win32' });
    const [a, b] = ['A'.repeat(3000), 'B'.repeat(4000)];
    await Promise.all([store.set('oauth-1', a), store.set('oauth-1', b)]);
    expect(await store.get('oauth-1')).toBe(b);
    expect(backend.data.size).toBe(4);
  });

  it('on Windows, a write that dies half-way leaves the value before it, whole', async () => {
    const backend = credentialManager();
    const store = createKeychainSecretStore({ installId: 'win00003', backend, platform: 'win32' });
    const before = 'A'.repeat(3000);
    await store.set('oauth-1', before);
    const set = backend.set;
    // The new parts are written, then the keychain fails before the entry that names them.
    backend.set = async (s, a, v) => {
      if (!a.includes('~')) throw new Error('The RPC server is unavailable. (os error 1722)');
      return set(s, a, v);
    };
    await expect(store.set('oauth-1', 'B'.repeat(3000))).rejects.toThrow('os error 1722');
    expect(await store.get('oauth-1')).toBe(before);
  });

  it('on Windows, a part deleted by hand is named, with what to do', async () => {
    const backend = credentialManager();
    const secrets = createKeychainSecretStore({ installId: 'win00004', backend, platform: 'win32' });
    const oauth = createKeychainSecretStore({ installId: 'win00004', backend, platform: 'win32', namespace: 'oauth' });
    await secrets.set('pem', 'k'.repeat(3000));
    await oauth.set('oauth-1', 't'.repeat(3000));
    for (const key of [...backend.data.keys()]) if (key.endsWith('~2')) backend.data.delete(key);
    await expect(secrets.get('pem')).rejects.toThrow(
      'secret "pem" is incomplete in the keychain (part 2 of 3 is missing): set it again',
    );
    await expect(oauth.get('oauth-1')).rejects.toThrow('(part 2 of 3 is missing): log in to that server again');
  });

  it('fails a read within its own time limit while it waits behind a call with a longer one', async () => {
    // A keychain whose call on "stuck" waits until it is given up, as on an unlock prompt.
    const backend = fakeKeyring();
    const get = backend.get;
    backend.get = (s, a, signal) =>
      a === 'stuck'
        ? new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('ended'))))
        : get(s, a);
    const patient = createKeychainSecretStore({ installId: 'gate0001', backend, callTimeoutMs: 5_000 });
    const hasty = createKeychainSecretStore({ installId: 'gate0001', backend, callTimeoutMs: 300 });
    let patientSettled = false;
    const stuck = patient.get('stuck').finally(() => (patientSettled = true));
    await expect(hasty.get('other')).rejects.toThrow(
      /\(reading "other": no answer within 0\.3 s: it waited 0\.\d s for an earlier keychain call, and was not made\)/,
    );
    // Not by waiting for the earlier call's end: that one still waits.
    expect(patientSettled).toBe(false);
    void stuck.catch(() => undefined);
  });
});
