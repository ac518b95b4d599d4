/**
 * A client's headers reach a backend only as its config allows (issue 10, item 7). A hostile
 * HTTP client sends a Cookie, hop-by-hop headers, its own X-Api-Key (trying to replace the key
 * the config takes from the keychain) and an X-Tenant, through the gateway, to real backends: a
 * JSON handler with no forwarding config, one that forwards X-Tenant and lets clients override
 * its configured X-Region, and a remote MCP server that forwards X-Tenant.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../main/engine/index.ts';
import { createMemorySecretStore } from '../../main/engine/index.ts';
import { jsonResponder, startHttpHandler, type TestServer } from '../fixtures/handlers/servers.ts';
import { startHttpRecorder, type HttpRecorder } from '../fixtures/servers/http-recorder.ts';
import { startGateway, tempDir, waitFor, writeConfig } from '../helpers/gateway.ts';
import { JSON_HEADERS, readRpc } from '../helpers/raw-http.ts';

const HANDLER_KEY = 'handler-key-from-keychain';
const REMOTE_KEY = 'remote-key-from-keychain';

/** What a hostile client sends with every request (node:http, so nothing is filtered on our side). */
const HOSTILE = {
  cookie: 'session=stolen-by-forwarding',
  'x-api-key': 'attacker-key',
  'x-tenant': 'acme',
  'x-region': 'client-region',
  'keep-alive': 'timeout=5',
  connection: 'keep-alive, X-Hop',
  'x-hop': 'named in Connection',
  'accept-language': 'nb',
};

/** POSTs one JSON-RPC message with the hostile headers and returns the response message. */
async function post(url: string, message: unknown, session?: string): Promise<{ session?: string; body: unknown }> {
  const target = new URL(url);
  const body = JSON.stringify(message);
  const headers: Record<string, string> = {
    ...JSON_HEADERS,
    ...HOSTILE,
    'mcp-protocol-version': '2025-06-18',
    ...(session ? { 'mcp-session-id': session } : {}),
  };
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers,
    });
    req.on('response', resolve).on('error', reject).end(body);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  const sessionId = res.headers['mcp-session-id'];
  const parsed = text
    ? await readRpc(new Response(text, { headers: { 'content-type': String(res.headers['content-type']) } }))
    : undefined;
  return { ...(typeof sessionId === 'string' ? { session: sessionId } : {}), body: parsed };
}

describe('client headers reach backends only as configured', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let plain: TestServer;
  let tenant: TestServer;
  let remote: HttpRecorder;

  beforeAll(async () => {
    dir = await tempDir();
    const answer = jsonResponder(({ envelope }) =>
      envelope.type === 'discover' ? { tools: [{ name: 'go' }] } : { content: [{ type: 'text', text: 'ok' }] },
    );
    [plain, tenant, remote] = await Promise.all([
      startHttpHandler(answer),
      startHttpHandler(answer),
      startHttpRecorder(),
    ]);
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          plain: { handler: plain.address, headers: { 'X-Api-Key': '${secret:handler-key}' } },
          tenant: {
            handler: tenant.address,
            headers: { 'X-Api-Key': '${secret:handler-key}', 'X-Region': 'eu' },
            forwardHeaders: ['X-Tenant', 'X-Api-Key', 'X-Hop'],
            overridableHeaders: ['X-Region'],
          },
          remote: { url: remote.url, headers: { 'X-Api-Key': '${secret:remote-key}' }, forwardHeaders: ['X-Tenant'] },
        },
      }),
      { secrets: createMemorySecretStore({ 'handler-key': HANDLER_KEY, 'remote-key': REMOTE_KEY }) },
    );
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 15_000, 'servers ready');
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([plain?.close(), tenant?.close(), remote?.close(), dir?.cleanup()]);
  });

  it('never forwards Cookie or hop-by-hop headers, and never lets a client replace a configured key', async () => {
    const url = gateway.httpUrl()!;
    const init = await post(url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } },
    });
    const session = init.session!;
    await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    for (const [id, name] of [
      [2, 'plain__go'],
      [3, 'tenant__go'],
      [4, 'remote__whoami'],
    ] as const) {
      const { body } = await post(
        url,
        { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } },
        session,
      );
      expect(body).toHaveProperty('result');
    }

    const plainCall = plain.received.find((r) => r.envelope.type === 'call_tool')!.headers;
    expect(plainCall['x-api-key']).toBe(HANDLER_KEY);
    expect(plainCall['accept-language']).toBe('nb');
    for (const name of ['cookie', 'x-tenant', 'x-region', 'x-hop', 'keep-alive'])
      expect(plainCall).not.toHaveProperty(name);

    const tenantCall = tenant.received.find((r) => r.envelope.type === 'call_tool')!.headers;
    expect(tenantCall).toMatchObject({ 'x-api-key': HANDLER_KEY, 'x-tenant': 'acme', 'x-region': 'client-region' });
    for (const name of ['cookie', 'x-hop', 'keep-alive']) expect(tenantCall).not.toHaveProperty(name);

    const remoteCall = remote.requests.find((r) => r.rpcMethod === 'tools/call')!.headers;
    expect(remoteCall).toMatchObject({ 'x-api-key': REMOTE_KEY, 'x-tenant': 'acme' });
    for (const name of ['cookie', 'x-region', 'x-hop']) expect(remoteCall).not.toHaveProperty(name);
    // fetch sends its own Accept-Language; the client's is not forwarded to a remote server by default.
    expect(remoteCall['accept-language']).not.toBe('nb');
    // The gateway's own requests (initialize, lists) carry no client's headers.
    const initialize = remote.requests.find((r) => r.rpcMethod === 'initialize')!.headers;
    expect(initialize).not.toHaveProperty('x-tenant');
  });

  it('refuses a config that asks to forward Cookie or Authorization', async () => {
    const { parseConfigText } = await import('../../main/engine/index.ts');
    const text = JSON.stringify({
      mcpServers: {
        h: { handler: 'http://127.0.0.1:1/', forwardHeaders: ['Cookie'], overridableHeaders: ['Authorization'] },
      },
    });
    expect(() => parseConfigText(text, '/tmp/c.json')).toThrow(/forwardHeaders\[0\]: "Cookie" is never forwarded/);
  });
});
