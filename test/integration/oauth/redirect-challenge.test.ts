/**
 * A 401 that comes from another origin a server's redirect led to is that origin's answer, not the
 * server's: it may not mark the server as needing a login, nor say which authorization server the
 * login goes to. Two real HTTP servers on 127.0.0.1: the configured one redirects its MCP endpoint
 * to the other, which answers 401 with resource metadata naming itself as the authorization server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthSession } from '../../../main/engine/oauth/session.ts';
import { OAuthVault } from '../../../main/engine/oauth/vault.ts';
import { createMemorySecretStore } from '../../../main/engine/secrets/memory-store.ts';
import { serverFetch } from '../../../main/engine/upstreams/mcp-http/http-upstream.ts';

const servers: Server[] = [];
async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const metadata = (issuer: string) =>
  JSON.stringify({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
  });

describe('a 401 from where a redirect led', () => {
  let good = '';
  let other = '';
  const otherHits: string[] = [];

  beforeAll(async () => {
    other = await listen((req, res) => {
      otherHits.push(req.url ?? '');
      if (req.url === '/elsewhere') {
        res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${other}/prm"` }).end();
        return;
      }
      if (req.url === '/prm')
        return void res.end(JSON.stringify({ resource: `${good}/mcp`, authorization_servers: [other] }));
      if (req.url?.startsWith('/.well-known/oauth-authorization-server')) return void res.end(metadata(other));
      res.writeHead(404).end();
    });
    good = await listen((req, res) => {
      if (req.url === '/mcp') return void res.writeHead(307, { location: `${other}/elsewhere` }).end();
      res.writeHead(404).end();
    });
  });
  afterAll(() => {
    for (const server of servers) server.close();
  });

  it("is passed on as is: the server is not marked as needing a login, the other's metadata never read", async () => {
    const session = new OAuthSession({
      name: 'good',
      resource: `${good}/mcp`,
      settings: { grant: 'authorization_code', onDemand: true },
      vault: new OAuthVault(createMemorySecretStore()),
      fetch: serverFetch({ allowPrivateNetwork: false }, {}),
      clientInfo: { name: 'Switchboard', version: 'test' },
    });
    const fetch = serverFetch({ allowPrivateNetwork: false, auth: session }, {});
    const answer = await fetch(`${good}/mcp`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(401);
    expect(session.status().state).not.toBe('needs-login');
    expect(otherHits).toEqual(['/elsewhere']);
  });
});
