/**
 * A remote server that moves to another authorization server: its 401 names new metadata, and the
 * old authorization server still renews the old login, whose tokens the server now refuses. Over
 * real sockets: two OAuth fixtures, and a relay on 127.0.0.1 standing for the server, passing its
 * requests to the first fixture's MCP server, then to the second's.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { playBrowser, startAuthServer, type AuthServer } from '../../helpers/oauth-server.ts';

const state = (g: Gateway) => g.servers().find((s) => s.name === 'remote');

describe('a remote server that moves to another authorization server', () => {
  let before: AuthServer;
  let after: AuthServer;
  let moved = false;
  let relay: Server;
  /** WebSocket connections through the relay (the server no longer tracks them once upgraded). */
  const upgraded = new Set<Duplex>();
  let base = '';
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway | undefined;

  beforeAll(async () => {
    [before, after] = await Promise.all([startAuthServer(), startAuthServer()]);
    dir = await tempDir('sb-oauth-moved-');
    relay = createServer((req, res) => {
      const path = req.url ?? '/';
      // Its protected resource metadata: at the well-known address before the move, at /moved after it.
      if (path.startsWith('/.well-known/oauth-protected-resource') || path.startsWith('/moved')) {
        const issuer = path.startsWith('/moved') ? after.base : before.base;
        res.writeHead(200, { 'content-type': 'application/json' });
        const ws = path.endsWith('/ws');
        const resource = {
          resource: ws ? `${base.replace('http:', 'ws:')}/ws` : `${base}/mcp`,
          authorization_servers: [`${issuer}/`],
          scopes_supported: ['mcp:tools'],
        };
        res.end(JSON.stringify(resource));
        return;
      }
      const target = moved ? after.base : before.base;
      const metadata = moved ? `${base}/moved` : `${base}/.well-known/oauth-protected-resource/mcp`;
      const headers = { ...req.headers, host: new URL(target).host };
      const onward = request(`${target}${path}`, { method: req.method, headers }, (answer) => {
        const out = { ...answer.headers };
        if (answer.statusCode === 401)
          out['www-authenticate'] = `Bearer error="invalid_token", resource_metadata="${metadata}"`;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      });
      req.pipe(onward);
    });
    // The WebSocket handshake, passed on the same way: its 401 names the metadata of the moment.
    relay.on('upgrade', (req, socket, head) => {
      upgraded.add(socket);
      socket.on('close', () => upgraded.delete(socket));
      const target = moved ? after.base : before.base;
      const metadata = moved ? `${base}/moved/ws` : `${base}/.well-known/oauth-protected-resource/ws`;
      const headers = { ...req.headers, host: new URL(target).host };
      const onward = request(`${target}${req.url ?? '/'}`, { method: 'GET', headers });
      onward.on('upgrade', (answer, upstream, upstreamHead) => {
        const lines = Object.entries(answer.headers).map(([k, v]) => `${k}: ${String(v)}`);
        socket.write(`HTTP/1.1 101 Switching Protocols\r\n${lines.join('\r\n')}\r\n\r\n`);
        if (upstreamHead.length) socket.write(upstreamHead);
        if (head.length) upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      onward.on('response', (answer) => {
        answer.resume();
        const challenge = `Bearer error="invalid_token", resource_metadata="${metadata}"`;
        socket.end(
          `HTTP/1.1 ${answer.statusCode} Refused\r\nWWW-Authenticate: ${challenge}\r\nContent-Length: 0\r\n\r\n`,
        );
      });
      onward.on('error', () => socket.destroy());
      onward.end();
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await gateway?.stop();
    before?.child.kill();
    after?.child.kill();
    relay?.closeAllConnections();
    relay?.close();
    await dir?.cleanup();
  });

  /** A gateway whose one server, `remote`, is logged in (at the authorization server it names now) and ready. */
  async function loggedIn(remote: { url: string }, file: string): Promise<Gateway> {
    const config = await writeConfig(dir.dir, { mcpServers: { remote } }, file);
    const g = await startGateway(config, { oauthStore: createMemorySecretStore(), openBrowser: playBrowser });
    await waitFor(() => state(g)?.auth?.state === 'needs-login', 10_000, 'needs login');
    await g.api.loginServer('remote');
    await waitFor(() => state(g)?.state === 'ready' && state(g)?.toolCount, 10_000, 'ready after the login');
    return g;
  }

  it('says it needs a login (once renewing did not help), and works after it', async () => {
    const g = (gateway = await loggedIn({ url: `${base}/mcp` }, 'config.json'));
    const client = await httpClient(g.httpUrl()!);
    const call = () =>
      client.callTool({ name: 'remote__whoami', arguments: {} }).then(
        (result) => textOf(result),
        (err: unknown) => String(err),
      );
    try {
      expect(await call()).toMatch(/mcp:tools/);
      moved = true;
      const renewals = (await before.stats()).refresh_token!;
      const told =
        'McpError: MCP error -32002: server "remote" needs you to log in (the server refuses the renewed token ' +
        `too; its challenge points to ${base}/moved): use Log in in Switchboard, or run "switchboard login remote"`;
      // Not "HTTP 401 from URL: invalid_token" for every call, each renewing the old login once more.
      expect(await call()).toBe(told);
      expect(await call()).toBe(told);
      expect((await before.stats()).refresh_token! - renewals).toBe(1);
      expect(state(g)?.auth?.state).toBe('needs-login');

      await g.api.loginServer('remote');
      await waitFor(() => state(g)?.state === 'ready', 10_000, 'ready after the new login');
      expect(state(g)?.auth).toMatchObject({ state: 'logged-in', issuer: `${after.base}/` });
      expect(await call()).toMatch(/mcp:tools/);
    } finally {
      await client.close();
    }
  });

  it('over WebSocket too: says it needs a login once renewing did not help, and works after it', async () => {
    await gateway?.stop();
    moved = false;
    const url = `${base.replace('http:', 'ws:')}/ws`;
    const g = (gateway = await loggedIn({ url }, 'ws.json'));
    const renewals = (await before.stats()).refresh_token ?? 0;
    // The server moves and drops the connection: each handshake now is refused.
    moved = true;
    for (const socket of upgraded) socket.destroy();
    await waitFor(() => state(g)?.auth?.state === 'needs-login', 10_000, 'needs login again');
    expect(state(g)?.auth?.reason ?? JSON.stringify(state(g)?.auth)).toContain(
      `the server refuses the renewed token too; its challenge points to ${base}/moved/ws`,
    );
    // Not the old login renewed at each reconnection.
    await new Promise((r) => setTimeout(r, 1000));
    expect(((await before.stats()).refresh_token ?? 0) - renewals).toBe(1);

    await g.api.loginServer('remote');
    await waitFor(() => state(g)?.state === 'ready', 10_000, 'ready after the new login');
    expect(state(g)?.auth).toMatchObject({ state: 'logged-in', issuer: `${after.base}/` });
  });
});
