import { describe, expect, it } from 'vitest';
import { withOAuth } from '../../../../main/engine/oauth/fetch.ts';
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

/**
 * Two authorization servers and a resource that switches from one to the other, answered by a
 * scripted fetch (what each endpoint says is all that matters here; the OAuth integration tests
 * run the real fixture server). Records every request.
 */
function twoAuthorizationServers(tokenAnswer: (as: string) => Response) {
  const A = 'https://as-a.example.com';
  const B = 'https://as-b.example.com';
  const state = { current: A, requests: [] as string[] };
  const meta = (issuer: string) => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
  });
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    state.requests.push(`${init?.method ?? 'GET'} ${url.origin}${url.pathname} ${init?.body ? String(init.body) : ''}`);
    if (url.pathname.startsWith('/.well-known/oauth-protected-resource'))
      return json({ resource: RESOURCE, authorization_servers: [state.current] });
    if (url.pathname.startsWith('/.well-known/oauth-authorization-server')) return json(meta(url.origin));
    if (url.pathname === '/register')
      return json({ client_id: `client-at-${url.host}`, redirect_uris: JSON.parse(String(init?.body)).redirect_uris });
    if (url.pathname === '/token') return tokenAnswer(url.origin);
    return new Response('not found', { status: 404 });
  };
  return { A, B, state, fetch, meta };
}

describe('a login given up', () => {
  it('leaves the saved login as it was: its refresh token goes to the server that issued it, no other', async () => {
    let now = Date.now();
    const as = twoAuthorizationServers((origin) =>
      Response.json({ access_token: `AT-from-${origin}`, token_type: 'bearer', expires_in: 3600 }),
    );
    const vault = new OAuthVault(createMemorySecretStore());
    await vault.write({
      resource: RESOURCE,
      client: { client_id: 'client-at-A' },
      tokens: {
        access_token: 'AT-A',
        token_type: 'bearer',
        refresh_token: 'RT-A-SECRET',
        issuer: as.A,
        obtainedAt: now,
        expiresAt: now + 3_600_000,
      },
      discovery: {
        authorizationServerUrl: as.A,
        authorizationServerMetadata: as.meta(as.A),
        resourceMetadata: { resource: RESOURCE, authorization_servers: [as.A] },
      },
    });
    const s = new OAuthSession({
      name: 'remote',
      resource: RESOURCE,
      settings: { grant: 'authorization_code' },
      vault,
      fetch: as.fetch,
      clientInfo: { name: 'Switchboard', version: 'test' },
      now: () => now,
      loginTimeoutMs: 20_000,
    });
    expect(await s.accessToken()).toBe('AT-A');
    // The resource now names another authorization server; the user starts a login, then gives up.
    as.state.current = as.B;
    const login = s.login(async () => undefined);
    await s.pendingUrl();
    s.cancel();
    await login.catch(() => undefined);
    now += 3_600_000 - 10_000;
    as.state.requests.length = 0;
    expect(await s.accessToken()).toBe(`AT-from-${as.A}`);
    const tokenRequests = as.state.requests.filter((r) => r.includes('/token'));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]).toMatch(/^POST https:\/\/as-a\.example\.com\/token .*refresh_token=RT-A-SECRET/);
    expect(as.state.requests.some((r) => r.startsWith(`POST ${as.B}`) && r.includes('RT-A-SECRET'))).toBe(false);
  });
});

describe('a "needs login" cleared by an answer (accepted)', () => {
  const withTokens = async (scope?: string) => {
    const store = createMemorySecretStore();
    await new OAuthVault(store).write({
      resource: RESOURCE,
      tokens: {
        access_token: 'at-now',
        token_type: 'bearer',
        issuer: 'https://as.example.com',
        ...(scope ? { scope } : {}),
      },
    });
    return session(store);
  };
  const ok = () => new Response('{}', { status: 200 });

  it('not by a call sent with the token before a logout', async () => {
    const s = await withTokens();
    let answer!: (r: Response) => void;
    const call = withOAuth(() => new Promise<Response>((resolve) => (answer = resolve)), s)(RESOURCE, {});
    await new Promise((r) => setTimeout(r, 10));
    await s.logout();
    answer(ok());
    await call;
    expect(s.status()).toMatchObject({ state: 'needs-login', reason: 'logged out' });
  });

  it('not for a wider scope the server asked for, by answers to the narrower token', async () => {
    const s = await withTokens('read');
    let refuse = true;
    const fetch = withOAuth(async () => {
      if (!refuse) return ok();
      return new Response('', {
        status: 403,
        headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="write"' },
      });
    }, s);
    await expect(fetch(RESOURCE, {})).rejects.toThrow(/asks for more access/);
    refuse = false;
    await fetch(RESOURCE, {});
    expect(s.status()).toMatchObject({ state: 'needs-login', reason: expect.stringMatching(/more access/) });
  });

  it('a step-up asked for before a logout does not outlive it: a later tokenless 2xx ends the need', async () => {
    const s = await withTokens('read');
    let answer: 'step-up' | 'unauthorized' | 'ok' = 'step-up';
    const fetch = withOAuth(async () => {
      if (answer === 'ok') return ok();
      const challenge = answer === 'step-up' ? 'Bearer error="insufficient_scope", scope="write"' : 'Bearer';
      return new Response('', { status: answer === 'step-up' ? 403 : 401, headers: { 'www-authenticate': challenge } });
    }, s);
    await expect(fetch(RESOURCE, {})).rejects.toThrow(/more access/);
    await s.logout();
    answer = 'unauthorized';
    await expect(fetch(RESOURCE, {})).rejects.toThrow(/needs you to log in/);
    answer = 'ok';
    await fetch(RESOURCE, {});
    expect(s.status().state).toBe('unknown');
  });

  it('not by a page on another origin a redirect led to (a login portal in front of the server)', async () => {
    const s = session(createMemorySecretStore());
    let portal = false;
    const fetch = withOAuth(async () => {
      if (!portal) return new Response('', { status: 401, headers: { 'www-authenticate': 'Bearer realm="x"' } });
      const page = new Response('<html>sign in</html>', { status: 200, headers: { 'content-type': 'text/html' } });
      Object.defineProperty(page, 'url', { value: 'https://sso.example.com/login?next=/mcp' });
      return page;
    }, s);
    await expect(fetch(RESOURCE, {})).rejects.toThrow(/needs you to log in/);
    portal = true;
    await fetch(RESOURCE, {});
    expect(s.status().state).toBe('needs-login');
  });
});
