/**
 * A web page on another site, in real Chromium, against a real gateway on 127.0.0.1: a browser
 * sends no Origin on a simple GET (a frame, a no-cors fetch, an image), so without more each frame
 * the page put on /sse opened an MCP session, listed as a client, holding a connection for as long
 * as the page stayed open. Browsers say where such a request comes from (Sec-Fetch-Site); clients
 * that are not browsers send none, and a browser client at an allowed origin sends its Origin.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { launchBrowser, type TestBrowser } from '../../helpers/browser.ts';
import { fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

/** A GET to the gateway with these headers: its status and body, the connection then closed. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
        // An event stream: its first bytes are enough.
        if (res.statusCode === 200) req.destroy();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

describe('pages on other sites and the local listener', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let base: string;
  let browser: TestBrowser;
  /** A page on another port of this machine: same-site to the browser, another program all the same. */
  let neighbour: http.Server;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx') },
        listen: { http: { port: 0, allowedOrigins: ['https://app.example'] } },
      }),
    );
    base = gateway.httpUrl()!.replace(/\/mcp$/, '');
    neighbour = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>x</p>'));
    await new Promise<void>((resolve) => neighbour.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser();
    browser.page.setDefaultTimeout(10_000);
    for (const origin of ['https://evil.example', 'https://app.example']) {
      // What the user allows when Chromium asks whether the site may reach this machine.
      await browser.context.grantPermissions(['local-network-access'], { origin });
      await browser.context.route(`${origin}/**`, (route) =>
        route.fulfill({ contentType: 'text/html', body: '<p>site</p>' }),
      );
    }
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => neighbour?.close(resolve));
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('opens no session for frames or no-cors GETs of /sse and /mcp from a page on another site or port', async () => {
    const neighbourOrigin = `http://127.0.0.1:${(neighbour.address() as AddressInfo).port}`;
    for (const origin of ['https://evil.example', neighbourOrigin]) {
      const page = await browser.context.newPage();
      await page.goto(`${origin}/`);
      // A frame keeps what it loads open for as long as the page is; no-cors fetches are sent all the same.
      await page.evaluate(
        `for (const path of ['/sse', '/sse', '/mcp']) {
          const frame = document.createElement('iframe');
          frame.src = ${JSON.stringify(base)} + path;
          document.body.append(frame);
          fetch(${JSON.stringify(base)} + path, { mode: 'no-cors' }).catch(() => undefined);
        }`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // While the page is open: what it opened would still be open.
      expect(gateway.listSessions(), origin).toEqual([]);
      await page.close();
    }
  });

  it('refuses such a request with 403 saying why; a client without Sec-Fetch-Site is served', async () => {
    const crossSite = await rawGet(`${base}/sse`, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body)).toEqual({
      error:
        'Forbidden: a request from a page on another site (Sec-Fetch-Site: cross-site) without an Origin header; ' +
        'a browser client must call with CORS from an origin in listen.http.allowedOrigins',
    });
    expect((await rawGet(`${base}/mcp`, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    // Node's fetch (the SDK's) sends Sec-Fetch-Mode alone.
    const node = await rawGet(`${base}/sse`, { 'sec-fetch-mode': 'cors' });
    expect(node.status).toBe(200);
    expect(node.body).toContain('event: endpoint');
    // The user following a link to the gateway from another site's page.
    const navigation = await rawGet(`${base}/sse`, {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    });
    expect(navigation.status).toBe(200);
  });

  it('still serves the SDK over legacy SSE, and a browser client at an allowed origin', async () => {
    const sdk = new Client({ name: 'sdk', version: '1' });
    await sdk.connect(new SSEClientTransport(new URL(`${base}/sse`)));
    try {
      expect((await sdk.listTools()).tools.map((t) => t.name)).toContain('fx__echo');
    } finally {
      await sdk.close();
    }
    const page = await browser.context.newPage();
    try {
      await page.goto('https://app.example/');
      // An inspector-style client: EventSource on /sse (CORS, with its Origin), told where to post.
      const endpoint = await page.evaluate(
        `new Promise((resolve, reject) => {
          const source = new EventSource(${JSON.stringify(`${base}/sse`)});
          source.addEventListener('endpoint', (event) => {
            source.close();
            resolve(event.data);
          });
          source.onerror = () => reject(new Error('the event stream failed'));
        })`,
      );
      expect(endpoint).toMatch(/^\/messages\?sessionId=/);
    } finally {
      await page.close();
    }
  });
});
