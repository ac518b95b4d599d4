import { describe, expect, it } from 'vitest';
import {
  findReferences,
  parseConfigText,
  resolveServer,
  resolveServerReferences,
  resolveSetting,
  type ResolvedServer,
} from '../../../../main/engine/config/index.ts';
import { literalUrlCredentials, parseTemplate } from '../../../../main/engine/config/references.ts';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import { createMemorySecretStore } from '../../../../main/engine/secrets/memory-store.ts';
import type { SecretStore } from '../../../../main/engine/secrets/store.ts';

const config = parseConfigText(
  JSON.stringify({
    mcpServers: {
      github: {
        command: '${env:HOME}/bin/github-mcp',
        args: ['--org', '${env:ORG}', 'price: $${USD}'],
        env: { GITHUB_TOKEN: '${secret:github-token}', PLAIN: 'no refs' },
        cwd: '${env:HOME}/work',
      },
      remote: {
        url: 'https://${env:API_HOST}/mcp?key=${secret:api-key}',
        headers: { Authorization: 'Bearer ${secret:api-key}', 'X-Static': 'x' },
      },
    },
  }),
  'config.json',
).config;

const github = config.servers.github as ResolvedServer;
const remote = config.servers.remote as ResolvedServer;
const env = { HOME: '/home/me', ORG: 'acme', API_HOST: 'api.example.com' };

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('resolveServerReferences', () => {
  it('substitutes env and secret references and unescapes $${, leaving the input untouched', async () => {
    const secrets = createMemorySecretStore({ 'github-token': 'ghp_123', 'api-key': 'k-456' });
    const resolved = await resolveServerReferences(github, { env, secrets });
    expect(resolved).toMatchObject({
      kind: 'stdio',
      command: '/home/me/bin/github-mcp',
      args: ['--org', 'acme', 'price: ${USD}'],
      env: { GITHUB_TOKEN: 'ghp_123', PLAIN: 'no refs' },
      cwd: '/home/me/work',
    });
    expect(github.kind === 'stdio' && github.env.GITHUB_TOKEN).toBe('${secret:github-token}');

    const resolvedRemote = await resolveServerReferences(remote, { env, secrets });
    expect(resolvedRemote).toMatchObject({
      kind: 'http',
      url: 'https://api.example.com/mcp?key=k-456',
      headers: { Authorization: 'Bearer k-456', 'X-Static': 'x' },
    });
  });

  it('percent-encodes a secret inside a URL, so it stays one credential', async () => {
    const server = parseConfigText(
      JSON.stringify({ mcpServers: { r: { url: 'https://ada:${secret:pw}@h.test/mcp?k=${secret:pw}' } } }),
      'c.json',
    ).config.servers.r!;
    const secrets = createMemorySecretStore({ pw: 'p@ss/w?rd#1' });
    const resolved = await resolveServerReferences(server, { env, secrets });
    const url = new URL(resolved.kind === 'http' ? resolved.url : '');
    expect([url.host, url.pathname, decodeURIComponent(url.password), url.searchParams.get('k')]).toEqual([
      'h.test',
      '/mcp',
      'p@ss/w?rd#1',
      'p@ss/w?rd#1',
    ]);
  });

  it('tells the redactor what to hide: secrets, secret-looking env and headers, URL credentials', async () => {
    const parsed = parseConfigText(
      JSON.stringify({
        mcpServers: {
          s: {
            command: 'x',
            env: {
              API_TOKEN: 'literal-token-123',
              FROM_ENV: '${env:DB_PASSWORD}',
              SHORT_KEY: 'no',
              PLAIN: 'plain-value',
            },
          },
          r: {
            url: 'https://ada:${secret:pw}@h.test/mcp?api_key=query-key-9&page=2',
            headers: { Authorization: 'Bearer bearer-token-77', 'X-Other': 'other-value' },
          },
        },
      }),
      'c.json',
    ).config;
    const context = {
      env: { DB_PASSWORD: 'db-password-5' },
      secrets: createMemorySecretStore({ pw: 'pw-from-keychain' }),
    };
    const stdio = await resolveServer(parsed.servers.s!, context);
    expect(stdio.secrets).toEqual([
      { label: 'DB_PASSWORD', value: 'db-password-5' },
      { label: 'API_TOKEN', value: 'literal-token-123' },
    ]);
    const remoteSecrets = (await resolveServer(parsed.servers.r!, context)).secrets;
    expect(remoteSecrets).toEqual(
      expect.arrayContaining([
        { label: 'pw', value: 'pw-from-keychain' },
        { label: 'Authorization', value: 'Bearer bearer-token-77' },
        { label: 'Authorization', value: 'bearer-token-77' },
        { label: 'url-credentials', value: 'pw-from-keychain' },
        { label: 'url-credentials', value: 'ada:pw-from-keychain' },
        { label: 'api_key', value: 'query-key-9' },
      ]),
    );
    expect(JSON.stringify(remoteSecrets)).not.toContain('other-value');
  });

  it('resolves a setting such as listen.http.token, naming it when the secret is missing', async () => {
    const secrets = createMemorySecretStore({ tok: 'a-long-enough-token' });
    expect(await resolveSetting('${secret:tok}', 'listen.http.token', { env, secrets })).toEqual({
      value: 'a-long-enough-token',
      secrets: [{ label: 'tok', value: 'a-long-enough-token' }],
    });
    const err = await rejection(resolveSetting('${secret:nope}', 'listen.http.token', { env, secrets }));
    expect(err.message).toBe(
      'listen.http.token refers to ${secret:nope}, which is not in the memory secret store (add it on the ' +
        'Secrets screen, or with: switchboard secrets set nope)',
    );
  });

  it('tells literal credentials in a URL from referenced ones', () => {
    expect(literalUrlCredentials('https://ada:hunter2@h/')).toBe(true);
    expect(literalUrlCredentials('https://ghp_token@h/')).toBe(true);
    expect(literalUrlCredentials('https://ada:${secret:pw}@h/')).toBe(false);
    expect(literalUrlCredentials('https://${secret:token}@h/')).toBe(false);
    expect(literalUrlCredentials('https://${env:USER}:${secret:pw}@h/x@y')).toBe(false);
    expect(literalUrlCredentials('https://h/path@x')).toBe(false);
  });

  it('reads each secret once', async () => {
    const inner = createMemorySecretStore({ 'api-key': 'k' });
    const names: string[] = [];
    const counting: SecretStore = {
      ...inner,
      kind: 'memory',
      get: async (name) => (names.push(name), inner.get(name)),
    };
    await resolveServerReferences(remote, { env, secrets: counting });
    expect(names).toEqual(['api-key']);
  });

  it('names the server, the field and the reference when an env var is missing', async () => {
    const err = await rejection(
      resolveServerReferences(github, {
        env: { HOME: '/home/me' },
        secrets: createMemorySecretStore({ 'github-token': 'x' }),
      }),
    );
    expect(err.code).toBe('env_missing');
    expect(err.message).toBe(
      `server "github": args[1] refers to \${env:ORG}, which is not set in Switchboard's environment`,
    );
  });

  it('names the server, the field and the store when a secret is missing', async () => {
    const err = await rejection(resolveServerReferences(github, { env, secrets: createMemorySecretStore() }));
    expect(err.code).toBe('secret_missing');
    expect(err.message).toBe(
      'server "github": env.GITHUB_TOKEN refers to ${secret:github-token}, which is not in the memory secret ' +
        'store (add it on the Secrets screen, or with: switchboard secrets set github-token)',
    );

    const keychain: SecretStore = { ...createMemorySecretStore(), kind: 'keychain' };
    const err2 = await rejection(resolveServerReferences(github, { env, secrets: keychain }));
    expect(err2.message).toContain('refers to ${secret:github-token}, which is not in the keychain');
  });

  it('names every reference that cannot be resolved, not the first alone', async () => {
    const err = await rejection(resolveServerReferences(github, { env: {}, secrets: createMemorySecretStore() }));
    // The first one's code; all of them said, each once.
    expect(err.code).toBe('env_missing');
    expect(err.message).toBe(
      `server "github": command refers to \${env:HOME}, which is not set in Switchboard's environment; ` +
        `args[1] refers to \${env:ORG}, which is not set in Switchboard's environment; ` +
        'env.GITHUB_TOKEN refers to ${secret:github-token}, which is not in the memory secret store (add it ' +
        'on the Secrets screen, or with: switchboard secrets set github-token); cwd refers to ${env:HOME}, ' +
        "which is not set in Switchboard's environment",
    );
    // A store that cannot be read hides no missing variable.
    const broken: SecretStore = {
      ...createMemorySecretStore(),
      kind: 'keychain',
      get: async () => {
        throw new Error('dbus not running');
      },
    };
    const both = await rejection(resolveServerReferences(github, { env: { HOME: '/home/me' }, secrets: broken }));
    expect(both.code).toBe('secret_store_unavailable');
    expect(both.message).toBe(
      'server "github": cannot read secret "github-token" from the keychain; args[1] refers to ${env:ORG}, ' +
        "which is not set in Switchboard's environment",
    );
  });

  it('reports a failing store as secret_store_unavailable', async () => {
    const broken: SecretStore = {
      ...createMemorySecretStore(),
      kind: 'keychain',
      get: async () => {
        throw new Error('dbus not running');
      },
    };
    const err = await rejection(resolveServerReferences(github, { env, secrets: broken }));
    expect(err.code).toBe('secret_store_unavailable');
    expect(err.message).toBe('cannot read secret "github-token" from the keychain');
  });
});

describe('findReferences', () => {
  it('lists every reference with server and field', () => {
    expect(findReferences(config)).toEqual([
      { server: 'github', field: 'command', kind: 'env', name: 'HOME' },
      { server: 'github', field: 'args[1]', kind: 'env', name: 'ORG' },
      { server: 'github', field: 'env.GITHUB_TOKEN', kind: 'secret', name: 'github-token' },
      { server: 'github', field: 'cwd', kind: 'env', name: 'HOME' },
      { server: 'remote', field: 'url', kind: 'env', name: 'API_HOST' },
      { server: 'remote', field: 'url', kind: 'secret', name: 'api-key' },
      { server: 'remote', field: 'headers.Authorization', kind: 'secret', name: 'api-key' },
    ]);
  });
});

describe('parseTemplate', () => {
  it('splits literals and references, with $${ as an escape', () => {
    expect(parseTemplate('a${env:X}b$${env:Y}${secret:s.1}')).toEqual({
      ok: true,
      parts: ['a', { kind: 'env', name: 'X' }, 'b${env:Y}', { kind: 'secret', name: 's.1' }],
    });
    expect(parseTemplate('cost $5 and $$ stay')).toEqual({ ok: true, parts: ['cost $5 and $$ stay'] });
  });

  it('explains malformed references', () => {
    expect(parseTemplate('x${env:A')).toEqual({
      ok: false,
      index: 1,
      message: 'unterminated "${" (write "$${" for a literal "${")',
    });
    expect(parseTemplate('${env:1A}')).toMatchObject({
      ok: false,
      message: '"${env:1A}": "1A" is not a valid environment variable name',
    });
    expect(parseTemplate('${secret:}')).toMatchObject({
      ok: false,
      message: expect.stringContaining('is not a valid secret name'),
    });
  });
});
