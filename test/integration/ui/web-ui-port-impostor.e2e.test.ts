/**
 * When Settings moves the HTTP port, the page left at the old address keeps calling it (its event
 * stream reconnects by itself), bearer secret and all. Another local program (another user's, a
 * sandboxed one that may open ports but not read our files) can take the freed port and collect
 * that secret. It must open nothing at the gateway's new address: a web UI login holds only at the
 * port it was made on.
 */
import http from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a web UI login left behind at the old port', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let impostor: http.Server | undefined;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-impostor-');
    const configPath = await writeConfig(dir.dir, { mcpServers: {}, listen: { http: { port: await freePort() } } });
    gateway = await startGateway(configPath, { uiDir: UI_DIR, http: undefined });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    impostor?.closeAllConnections();
    await new Promise((resolve) => (impostor ? impostor.close(resolve) : resolve(undefined)));
    await gateway?.stop();
    await dir?.cleanup();
  });

  it("is worthless to a program that takes the freed port: it opens nothing at the gateway's new one", async () => {
    const { page } = browser;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const oldPort = Number(new URL(page.url()).port);
    await page.getByRole('link', { name: 'Settings' }).click();
    const newPort = await freePort();
    await page.getByLabel('HTTP port').fill(String(newPort));
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('link', { name: 'continue at the new address' }).waitFor();
    await waitFor(() => gateway.httpUrl()?.includes(`:${newPort}/`), 10_000, 'the gateway to move');

    // Another program takes the old port and notes what the page left there sends it.
    const heard: string[] = [];
    impostor = http.createServer((req, res) => {
      const auth = req.headers.authorization;
      if (auth) heard.push(auth.replace(/^Bearer +/i, ''));
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => impostor!.listen(oldPort, '127.0.0.1', resolve));
    const secret = await waitFor(() => heard[0], 20_000, "the old page's event stream to reconnect");

    const bearer = { authorization: `Bearer ${secret}` };
    const added = await fetch(`http://127.0.0.1:${newPort}/api/servers/planted`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'touch', args: [path.join(dir.dir, 'planted')] }),
    });
    expect(added.status).toBe(401);
    expect(((await added.json()) as { error: { message: string } }).error.message).toMatch(
      /a web UI login holds only at the address it was made at.*switchboard ui/,
    );
    expect(gateway.config().servers.planted).toBeUndefined();
    // Seen where it does not belong, the session is over: not even its own port would take it now.
    expect((await fetch(`http://127.0.0.1:${newPort}/api/status`, { headers: bearer })).status).toBe(401);

    // The page's own way onward still works: the link logs it in at the new port.
    await page.getByRole('link', { name: 'continue at the new address' }).click();
    await page.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${newPort}/`));
    await page.getByText('vtest').waitFor();
    expect(await page.getByText('Not logged in').count()).toBe(0);
  });
});
