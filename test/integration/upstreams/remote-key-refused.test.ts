/**
 * A remote server whose key (a fixed header from a secret) is refused once its session runs: the key
 * revoked or expired on the server's side. The call says so; the server's state says so too (it read
 * "ready" while every call failed), its tools leave the list, and a new key brings it back.
 *
 * The reference "everything" server over Streamable HTTP, and a stateless (2026-07-28) server, each behind
 * a real proxy on 127.0.0.1 that checks the Authorization header as an API gateway in front of it would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/gateway.ts';
import { createMemorySecretStore } from '../../../main/engine/secrets/memory-store.ts';
import { startEverything } from '../../fixtures/servers/http-everything.ts';
import { startStatelessHttp } from '../../fixtures/servers/stateless-launch.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';

const KINDS = [
  { kind: 'stateful (Streamable HTTP)', start: () => startEverything('streamableHttp') },
  { kind: 'stateless', start: () => startStatelessHttp() },
];

describe.each(KINDS)('a $kind remote server that refuses its key mid-session', ({ start }) => {
  let server: { url: string; kill(): Promise<void> };
  let proxy: http.Server;
  let accepted = 'Bearer key-1';
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    server = await start();
    proxy = http.createServer((req, res) => {
      if (req.headers.authorization !== accepted) {
        req.resume();
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
        return;
      }
      const upstream = http.request(server.url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    dir = await tempDir();
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        remote: { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: 'Bearer ${secret:remote-key}' } },
      },
    });
    gateway = await startGateway(config, { secrets: createMemorySecretStore({ 'remote-key': 'key-1' }) });
    client = await httpClient(gateway.httpUrl()!);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    proxy?.closeAllConnections();
    proxy?.close();
    await server?.kill();
    await dir?.cleanup();
  });

  const state = () => gateway.servers().find((s) => s.name === 'remote')!;

  const echo = (message: string) => client.callTool({ name: 'remote__echo', arguments: { message } });

  it('says so in the call, in the server state and in the tool list, and comes back with a new key', async () => {
    expect((await echo('before')).isError).toBeFalsy();
    accepted = 'Bearer key-2';
    const refused = await echo('after').then(
      (result) => textOf(result),
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/mcp: invalid_token \(it wants credentials/);
    // Not "ready" with every call failing: the state names the refusal, and its tools are not offered.
    await waitFor(() => state().state !== 'ready' && state().state !== 'starting', 10_000, 'the server to leave ready');
    expect(state().lastError).toMatch(/HTTP 401/);
    await waitFor(
      async () => !(await client.listTools()).tools.some((t) => t.name === 'remote__echo'),
      10_000,
      'remote__echo to leave the list',
    );
    await gateway.api.setSecret('remote-key', 'key-2');
    await waitFor(() => state().state === 'ready', 20_000, 'the server to be ready with the new key');
    expect((await echo('again')).isError).toBeFalsy();
  }, 60_000);
});
