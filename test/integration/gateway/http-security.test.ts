import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import type { Gateway } from '../../../main/engine/index.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { createMemorySecretStore } from '../../../main/engine/secrets/memory-store.ts';
import { JSON_HEADERS, rawSession, readRpc } from '../../helpers/raw-http.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { STATELESS, statelessMeta, statelessPost } from '../../helpers/stateless.ts';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
});

/** fetch() will not let us forge Host, so this uses node:http directly. */
function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP listener security', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx') },
        listen: { http: { port: 0, allowedOrigins: ['https://app.example'] } },
        limits: { maxRequestBytes: 64 * 1024 },
      }),
    );
    url = gateway.httpUrl()!;
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('refuses a foreign Host header (DNS rebinding) with 403, saying where the gateway answers', async () => {
    const res = await rawPost(url, { ...JSON_HEADERS, host: 'evil.example:80' }, INIT);
    expect(res.status).toBe(403);
    const port = new URL(url).port;
    expect(JSON.parse(res.body)).toEqual({
      error:
        'Forbidden: Host header "evil.example:80" is not this gateway\'s address: ' +
        `it answers as 127.0.0.1:${port} (or localhost:${port})`,
    });
  });

  it('accepts localhost and 127.0.0.1 with the right port', async () => {
    const port = new URL(url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      expect((await rawPost(url, { ...JSON_HEADERS, host }, INIT)).status).toBe(200);
    }
  });

  it('refuses a web page Origin that is not allowed, accepts an allowed one', async () => {
    const bad = await fetch(url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: 'https://evil.example' },
      body: INIT,
    });
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { error: string }).error).toMatch(/Origin "https:\/\/evil.example" is not allowed/);
    const good = await fetch(url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: 'https://app.example' },
      body: INIT,
    });
    expect(good.status).toBe(200);
    // CORS for that origin only (never a wildcard, never credentials), so its page can read the answer.
    expect(good.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(good.headers.get('access-control-allow-credentials')).toBeNull();
    expect(good.headers.get('access-control-expose-headers')).toContain('mcp-session-id');
  });

  it("answers a browser's preflight for an allowed origin, and only on the MCP endpoints", async () => {
    const preflight = (origin: string, path = '/mcp') =>
      fetch(new URL(path, url), {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, mcp-session-id',
        },
      });
    const ok = await preflight('https://app.example');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')).toContain('mcp-session-id');
    expect((await preflight('https://evil.example')).status).toBe(403);
    const api = await preflight('https://app.example', '/api/status');
    expect(api.status).toBe(403);
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets a page on an allowed origin in real Chromium start a session and read its id', async () => {
    const browser = await launchBrowser();
    try {
      const origin = 'https://app.example';
      // What the user allows when Chromium asks whether the site may reach this machine.
      await browser.context.grantPermissions(['local-network-access'], { origin });
      await browser.page.route(`${origin}/**`, (route) =>
        route.fulfill({ contentType: 'text/html', body: '<p>app</p>' }),
      );
      await browser.page.goto(`${origin}/`);
      const call =
        `fetch(${JSON.stringify(url)}, ` +
        `{ method: 'POST', headers: ${JSON.stringify(JSON_HEADERS)}, body: ${JSON.stringify(INIT)} })`;
      const read =
        `.then(async (r) => ` +
        `({ status: r.status, session: r.headers.get('mcp-session-id'), body: await r.text() }))`;
      const seen = (await browser.page.evaluate(call + read)) as {
        status: number;
        session: string | null;
        body: string;
      };
      expect(seen.status).toBe(200);
      expect(seen.session).toMatch(/^[0-9a-f-]{16,}$/);
      expect(seen.body).toContain('"protocolVersion"');
    } finally {
      await browser.close();
    }
  });

  it('refuses CORS-simple bodies (text/plain, forms) with 415 before parsing', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': type, accept: JSON_HEADERS.accept },
        body: INIT,
      });
      expect(res.status).toBe(415);
    }
  });

  it('refuses an oversized body with 413 and a JSON-RPC error, and the session lives on', async () => {
    const s = await rawSession(url);
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { message: 'x'.repeat(100 * 1024) } },
    });
    const res = await s.post(big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/over the 65536-byte limit/);
    const ok = await s.call({
      jsonrpc: '2.0',
      id: 6,
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { message: 'small' } },
    });
    expect((ok.result as { structuredContent: { message: string } }).structuredContent.message).toBe('small');
  });

  it('refuses an oversized message from a legacy SSE client with 413, and its session lives on', async () => {
    const legacy = new Client({ name: 'legacy', version: '1' });
    await legacy.connect(new SSEClientTransport(new URL(url.replace(/\/mcp$/, '/sse'))));
    try {
      const refused = await legacy.callTool({ name: 'fx__echo', arguments: { message: 'x'.repeat(100 * 1024) } }).then(
        () => 'the call worked',
        (err: unknown) => String(err),
      );
      expect(refused).toMatch(/HTTP 413.*over the 65536-byte limit \(limits\.maxRequestBytes\)/);
      const ok = await legacy.callTool({ name: 'fx__echo', arguments: { message: 'small' } });
      expect((ok.structuredContent as { message: string }).message).toBe('small');
    } finally {
      await legacy.close();
    }
  });

  it('refuses an oversized stateless (2026-07-28) call with 413, declared or chunked; the next is served', async () => {
    const big = await statelessPost(url, 'tools/call', {
      name: 'fx__echo',
      arguments: { message: 'x'.repeat(100 * 1024) },
    });
    expect(big.status).toBe(413);
    expect((big.body.error as { message: string }).message).toMatch(
      /over the 65536-byte limit \(limits\.maxRequestBytes\)/,
    );
    // No Content-Length: counted as the chunks arrive, and refused once past the limit.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            ...JSON_HEADERS,
            'mcp-protocol-version': STATELESS,
            'mcp-method': 'tools/call',
            'mcp-name': 'fx__echo',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      const head = JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'fx__echo', _meta: statelessMeta(), arguments: { message: '' } },
      });
      req.write(head.slice(0, -4));
      for (let i = 0; i < 10; i++) req.write('x'.repeat(16 * 1024));
      req.end(head.slice(-4));
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toMatch(/over the 65536-byte limit/);
    const ok = await statelessPost(url, 'tools/call', { name: 'fx__echo', arguments: { message: 'small' } });
    expect((ok.body.result as { structuredContent: { message: string } }).structuredContent.message).toBe('small');
  });

  it('answers malformed JSON with a parse error and keeps the session', async () => {
    const s = await rawSession(url);
    const res = await s.post('{"jsonrpc":"2.0","id":1,"method":');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number } };
    expect(body.error.code).toBe(-32700);
    const bad = await s.post({ jsonrpc: '1.0', id: 2, method: 'tools/list' });
    expect(((await bad.json()) as { error: { code: number; message: string } }).error.message).toMatch(/jsonrpc/);
    const ok = await s.call({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect((ok.result as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
  });

  it('no session: 400; an unknown session: 404; a bad protocol version: refused', async () => {
    const noSession = await fetch(url, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    const unknown = await fetch(url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'mcp-session-id': 'nope' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    const s = await rawSession(url);
    const badVersion = await s.post(
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { 'mcp-protocol-version': '1999-01-01' },
    );
    expect(badVersion.status).toBe(400);
  });

  it('ends a session on DELETE', async () => {
    const s = await rawSession(url);
    const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': s.sessionId } });
    expect(del.status).toBe(200);
    const after = await s.post({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(after.status).toBe(404);
  });

  it('requires the bearer token when one is configured', async () => {
    const d = await tempDir();
    const g = await startGateway(
      await writeConfig(d.dir, { mcpServers: {}, listen: { http: { port: 0, token: 'sesame-0123456789' } } }),
    );
    try {
      const none = await fetch(g.httpUrl()!, { method: 'POST', headers: JSON_HEADERS, body: INIT });
      expect(none.status).toBe(401);
      const wrong = await fetch(g.httpUrl()!, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: 'Bearer nope' },
        body: INIT,
      });
      expect(wrong.status).toBe(401);
      const right = await fetch(g.httpUrl()!, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: 'Bearer sesame-0123456789' },
        body: INIT,
      });
      expect(right.status).toBe(200);
      expect((await readRpc(right)).result).toBeDefined();
    } finally {
      await g.stop();
      await d.cleanup();
    }
  });

  it('refuses a listener token from the keychain that no client could send (a space in it), saying why', async () => {
    const d = await tempDir();
    const file = await writeConfig(d.dir, {
      mcpServers: {},
      listen: { http: { port: 0, token: '${secret:listener}' } },
    });
    try {
      await expect(
        startGateway(file, {
          http: undefined,
          secrets: createMemorySecretStore({ listener: 'a token with spaces 0123456789' }),
        }),
      ).rejects.toThrow(
        /listen\.http\.token may hold only visible ASCII characters \(no spaces\).*a space after its first character/,
      );
    } finally {
      await d.cleanup();
    }
  });

  it('says where a listener token has what no client can send: a line break at its end (from a file)', async () => {
    const d = await tempDir();
    const file = await writeConfig(d.dir, {
      mcpServers: {},
      listen: { http: { port: 0, token: '${env:SB_TEST_LISTENER_TOKEN}' } },
    });
    process.env.SB_TEST_LISTENER_TOKEN = '0123456789abcdef0123456789abcdef\n';
    try {
      // It said only that a token may hold only visible ASCII characters (no spaces): this one is hex.
      await expect(startGateway(file, { http: undefined })).rejects.toThrow(
        'listen.http.token may hold only visible ASCII characters (no spaces), as a client sends it in ' +
          '"Authorization: Bearer <token>", and it has a line break at its end; ' +
          'e.g. the output of: openssl rand -hex 32',
      );
    } finally {
      delete process.env.SB_TEST_LISTENER_TOKEN;
      await d.cleanup();
    }
  });

  it("never takes listen.http.token for /api, which has its own token, also after the listener's changed", async () => {
    const d = await tempDir();
    const file = await writeConfig(d.dir, {
      mcpServers: {},
      listen: { http: { port: 0, token: 'first-token-0123456789' } },
    });
    const g = await startGateway(file, { http: undefined });
    const status = (token: string) =>
      fetch(g.httpUrl()!.replace(/\/mcp$/, '/api/status'), { headers: { authorization: `Bearer ${token}` } });
    try {
      const apiToken = g.apiToken()!;
      expect(apiToken).not.toBe('first-token-0123456789');
      expect((await status('first-token-0123456789')).status).toBe(401);
      expect((await status(apiToken)).status).toBe(200);
      await writeConfig(d.dir, { mcpServers: {}, listen: { http: { port: 0, token: 'second-token-0123456789' } } });
      await g.reload();
      expect(g.apiToken()).toBe(apiToken);
      expect((await status('second-token-0123456789')).status).toBe(401);
      expect((await status(apiToken)).status).toBe(200);
    } finally {
      await g.stop();
      await d.cleanup();
    }
  });
});
