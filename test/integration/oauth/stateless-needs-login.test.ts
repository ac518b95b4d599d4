/**
 * A remote server on the stateless 2026-07-28 revision that starts asking for a login (401 with a
 * Bearer challenge) while it runs: it shows "needs login" and stops offering its tools, and a call
 * to it says what to do, as a stateful server does. It stayed "ready", its tools listed, and every
 * call failed with "got no HTTP response: lost the connection to URL (… needs you to log in …)".
 * One that asks for more access (403 insufficient_scope) fails that call alone and stays ready.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { startStatelessHttp, type StatelessHttpServer } from '../../fixtures/servers/stateless-launch.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';

/**
 * Passes requests on to `target`, or answers 401 with a Bearer challenge while `refusing`, or 403
 * insufficient_scope (more access wanted) while `narrow`.
 */
function gate(target: URL): { server: Server; refusing: { now: boolean }; narrow: { now: boolean } } {
  const refusing = { now: false };
  const narrow = { now: false };
  const server = createServer((req, res) => {
    if (narrow.now) {
      const challenge = 'Bearer error="insufficient_scope", scope="admin"';
      res.writeHead(403, { 'www-authenticate': challenge, 'content-type': 'application/json' });
      return void res.end('{"error":"insufficient_scope"}');
    }
    if (refusing.now) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="gate"', 'content-type': 'application/json' });
      return void res.end('{"error":"unauthorized"}');
    }
    const headers = { ...req.headers, host: target.host };
    const onward = request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    onward.on('error', () => res.destroy());
    req.pipe(onward);
  });
  return { server, refusing, narrow };
}

describe('a stateless remote server that starts asking for a login', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let backend: StatelessHttpServer;
  let front: ReturnType<typeof gate>;
  let gateway: Gateway;

  const view = async () => (await gateway.api.listServers()).find((s) => s.name === 'gate')!;

  beforeAll(async () => {
    dir = await tempDir('sb-stateless-login-');
    backend = await startStatelessHttp();
    front = gate(new URL(backend.url));
    await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(front.server.address() as AddressInfo).port}/mcp`;
    const config = await writeConfig(dir.dir, { mcpServers: { gate: { url, protocol: 'stateless' } } });
    gateway = await startGateway(config);
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    front?.server.closeAllConnections();
    front?.server.close();
    await backend?.kill();
    await dir?.cleanup();
  });

  it('needs login, and a call says so and what to do', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      await waitFor(async () => (await view()).state === 'ready', 15_000, 'ready');
      expect(textOf(await client.callTool({ name: 'gate__echo', arguments: { message: 'hi' } }))).toContain('hi');

      front.refusing.now = true;
      const told =
        'MCP error -32002: server "gate" needs you to log in (the server requires a login): ' +
        'use Log in in Switchboard, or run "switchboard login gate"';
      const call = () => client.callTool({ name: 'gate__echo', arguments: { message: 'hi' } });
      await expect(call()).rejects.toThrow(told);
      const shown = await view();
      expect(shown.state).toBe('failed');
      expect(shown.auth?.state).toBe('needs-login');
      expect(await gateway.api.listTools('gate')).toEqual([]);
      await expect(call()).rejects.toThrow(told);
    } finally {
      await client.close();
    }
  });
});

describe('a stateless remote server that asks for more access (403 insufficient_scope)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let backend: StatelessHttpServer;
  let front: ReturnType<typeof gate>;
  let gateway: Gateway;

  const view = async () => (await gateway.api.listServers()).find((s) => s.name === 'gate')!;

  beforeAll(async () => {
    dir = await tempDir('sb-stateless-scope-');
    backend = await startStatelessHttp();
    front = gate(new URL(backend.url));
    await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(front.server.address() as AddressInfo).port}/mcp`;
    const config = await writeConfig(dir.dir, { mcpServers: { gate: { url, protocol: 'stateless' } } });
    gateway = await startGateway(config);
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    front?.server.closeAllConnections();
    front?.server.close();
    await backend?.kill();
    await dir?.cleanup();
  });

  it('fails that call saying to log in, and stays ready with its tools', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      await waitFor(async () => (await view()).state === 'ready', 15_000, 'ready');
      const call = () => client.callTool({ name: 'gate__echo', arguments: { message: 'hi' } });
      front.narrow.now = true;
      await expect(call()).rejects.toThrow(
        'MCP error -32002: server "gate" needs you to log in (the server asks for more access (scope admin)): ' +
          'use Log in in Switchboard, or run "switchboard login gate"',
      );
      front.narrow.now = false;
      const shown = await view();
      expect(shown).toMatchObject({ state: 'ready', auth: { state: 'needs-login' } });
      expect((await gateway.api.listTools('gate')).length).toBeGreaterThan(0);
      expect(textOf(await call())).toContain('hi');
    } finally {
      await client.close();
    }
  });
});
