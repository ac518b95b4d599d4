/**
 * A remote server that said 401 for a while (a proxy in front of it, a key rotated and put back)
 * and then answers without a token: it is no longer "needs login", so its next outage is retried
 * like any other instead of being taken for a missing login and left failed for good; and, being
 * remote, retried for as long as the outage lasts (a local program is given up on after a few).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';

/** A minimal Streamable HTTP server answering 401 (with a Bearer challenge) while `refusing`. */
function switchableServer(): { server: Server; refusing: { now: boolean } } {
  const refusing = { now: true };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (refusing.now) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="gate"', 'content-type': 'application/json' });
        return res.end('{"error":"unauthorized"}');
      }
      if (req.method !== 'POST') return res.writeHead(405).end();
      const msg = JSON.parse(body) as { id?: number; method: string; params?: { protocolVersion?: string } };
      if (msg.id === undefined) return res.writeHead(202).end();
      const result =
        msg.method === 'initialize'
          ? { protocolVersion: msg.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'gate' } }
          : msg.method === 'tools/list'
            ? { tools: [{ name: 'hello', inputSchema: { type: 'object' } }] }
            : msg.method === 'tools/call'
              ? { content: [{ type: 'text', text: 'hello' }] }
              : {};
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'gate-session' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  return { server, refusing };
}

describe('a remote server that asked for a login, then no longer does', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let upstream: ReturnType<typeof switchableServer>;
  let port: number;

  const view = async () => (await gateway.api.listServers()).find((s) => s.name === 'gate')!;
  const listen = () => new Promise<void>((resolve) => upstream.server.listen(port, '127.0.0.1', resolve));

  beforeAll(async () => {
    dir = await tempDir('sb-needs-login-');
    upstream = switchableServer();
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    port = (upstream.server.address() as AddressInfo).port;
    const config = await writeConfig(dir.dir, {
      mcpServers: { gate: { url: `http://127.0.0.1:${port}/mcp`, allowPrivateNetwork: true } },
    });
    gateway = await startGateway(config);
  });
  afterAll(async () => {
    await gateway?.stop();
    upstream?.server.closeAllConnections();
    upstream?.server.close();
    await dir?.cleanup();
  });

  it('is "needs login" while it answers 401, and not once it answers without a token', async () => {
    await waitFor(async () => (await view()).auth?.state === 'needs-login', 10_000, 'needs login');
    upstream.refusing.now = false;
    await gateway.restartServer('gate');
    await waitFor(async () => (await view()).state === 'ready', 10_000, 'ready');
    expect((await view()).auth?.state).not.toBe('needs-login');
  });

  it('an outage after that is retried, and the server comes back by itself', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      expect(textOf(await client.callTool({ name: 'gate__hello', arguments: {} }))).toBe('hello');
      upstream.server.closeAllConnections();
      await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
      await client.callTool({ name: 'gate__hello', arguments: {} }).catch(() => undefined);
      await waitFor(async () => (await view()).state !== 'ready', 10_000, 'the outage seen');
      expect((await view()).lastError ?? '').not.toMatch(/needs you to log in/);
      // Longer than the attempts a local program gets (4 here): a remote server is never given up on.
      await new Promise((r) => setTimeout(r, 2_000));
      // Between tries, or in one (a busy machine may catch it trying): not given up ('failed').
      expect(['backoff', 'starting']).toContain((await view()).state);
      await listen();
      await waitFor(async () => (await view()).state === 'ready', 15_000, 'back by itself');
      expect(textOf(await client.callTool({ name: 'gate__hello', arguments: {} }))).toBe('hello');
    } finally {
      await client.close();
    }
  });
});
