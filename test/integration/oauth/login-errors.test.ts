/**
 * A login that fails at the authorization server says at which request, naming its URL: one that
 * publishes no metadata (or redirects it to another host), and one that refuses to register
 * Switchboard as a client. Over real sockets: a server on 127.0.0.1 that is the protected
 * resource and its authorization server (at /as), and a real gateway.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const state = (g: Gateway) => g.servers().find((s) => s.name === 'remote');

describe('a login the authorization server fails', () => {
  /** What the authorization server's metadata addresses answer. */
  let metadata: 'none' | 'elsewhere' | 'fine' = 'fine';
  /** What the resource metadata the server's challenge names answers. */
  let resource: 'fine' | 'missing' | 'page' | 'broken' = 'fine';
  let server: Server;
  let base = '';
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway | undefined;

  beforeAll(async () => {
    dir = await tempDir('sb-oauth-errors-');
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', base).pathname;
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/mcp') {
        res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${base}/resource"` });
        return res.end();
      }
      if (path === '/resource' && resource === 'page') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html><head><title>Sign in to Example Proxy</title></head></html>');
      }
      if (path === '/resource' && resource === 'broken') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"resource": ');
      }
      if (path === '/resource' && resource === 'fine')
        return json(200, { resource: `${base}/mcp`, authorization_servers: [`${base}/as`] });
      if (path === '/.well-known/oauth-authorization-server/as' && metadata === 'fine')
        return json(200, {
          issuer: `${base}/as`,
          authorization_endpoint: `${base}/as/authorize`,
          token_endpoint: `${base}/as/token`,
          registration_endpoint: `${base}/as/register`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        });
      if (path.startsWith('/.well-known/') && metadata === 'elsewhere') {
        res.writeHead(302, { location: 'https://login.example.net/metadata?tenant=1' });
        return res.end();
      }
      if (path === '/as/register') return json(400, { error: 'invalid_client_metadata', error_description: 'closed' });
      json(404, {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    resource = 'fine';
    await gateway?.stop();
    gateway = undefined;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await dir?.cleanup();
  });

  /** Why Log in fails, as the Servers screen and `switchboard login` say it; the server's loginFailed says the same. */
  async function loginFailure(): Promise<string> {
    const config = await writeConfig(dir.dir, { mcpServers: { remote: { url: `${base}/mcp` } } });
    const g = (gateway = await startGateway(config, {
      oauthStore: createMemorySecretStore(),
      openBrowser: async () => undefined,
    }));
    await waitFor(() => state(g)?.auth?.state === 'needs-login', 10_000, 'needs login');
    const failure = await g.api.loginServer('remote').then(
      () => 'the login started',
      (err: unknown) => (err as Error).message,
    );
    expect(state(g)?.auth?.loginFailed).toBe(failure);
    return failure;
  }

  it('that publishes no metadata: says so, and what each address answered', async () => {
    metadata = 'none';
    const at = (path: string) => `GET ${base}${path} answered HTTP 404`;
    // Not "HTTP 404: Invalid OAuth error response: [ { "expected": "string", … } ]. Raw body: {}" from a
    // registration at the default /register the SDK falls back to.
    expect(await loginFailure()).toBe(
      `server "remote": the authorization server ${base}/as publishes no metadata ` +
        `(${at('/.well-known/oauth-authorization-server/as')}; ${at('/.well-known/openid-configuration/as')}; ` +
        `${at('/as/.well-known/openid-configuration')})`,
    );
  });

  it('whose metadata redirects to another host: says where, and that it is not followed', async () => {
    metadata = 'elsewhere';
    const redirected = (path: string) =>
      `GET ${base}${path} answered HTTP 302, a redirect to https://login.example.net/metadata that is not followed`;
    expect(await loginFailure()).toBe(
      `server "remote": the authorization server ${base}/as publishes no metadata ` +
        `(${redirected('/.well-known/oauth-authorization-server/as')}; ` +
        `${redirected('/.well-known/openid-configuration/as')}; ` +
        `GET ${base}/as/.well-known/openid-configuration answered HTTP 404)`,
    );
  });

  it('that refuses to register Switchboard: names the registration endpoint', async () => {
    metadata = 'fine';
    // Not only "the login to server "remote" failed: closed".
    expect(await loginFailure()).toBe(
      `the login to server "remote" failed: closed (POST ${base}/as/register answered HTTP 400)`,
    );
  });

  it.each([
    ['missing', 'answered HTTP 404'],
    ['page', 'answered a web page (Sign in to Example Proxy), not JSON'],
    ['broken', 'answered something that is not JSON'],
  ] as const)(
    'whose resource metadata, named by the challenge, is %s: says so, not that a guessed /register failed',
    async (kind, what) => {
      resource = kind;
      // It was "HTTP 404, not an OAuth error answer: {} (POST <server>/register answered HTTP 404)": the metadata
      // the server named was passed over, and a 2025-03-26 server's default endpoints at its origin were tried.
      expect(await loginFailure()).toBe(
        `server "remote": its login challenge names its OAuth metadata at ${base}/resource, which ${what}`,
      );
    },
  );
});
