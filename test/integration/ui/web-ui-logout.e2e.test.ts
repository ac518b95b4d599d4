/**
 * The web UI in real Chromium: a login opens the whole control API (it can add a server, that is,
 * start a program), so the user can end it. Log out makes its secret worthless wherever it was
 * copied, ends what it holds open (its event stream), and leaves the page saying it is not logged in.
 * Without it, the secret worked for 12 hours after the tab was closed.
 */
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

/** Opens /api/events with `secret`; resolves with the status, and `ended` once the gateway ends the stream. */
function openStream(origin: string, secret: string): Promise<{ status: number; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${origin}/api/events`, { headers: { authorization: `Bearer ${secret}` } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, ended: new Promise((done) => res.once('end', done)) });
    });
    req.on('error', reject);
  });
}

describe('logging out of the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-logout-');
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), { uiDir: UI_DIR });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('ends the login at the gateway: its secret opens nothing, its stream ends, the page says so', async () => {
    const { page } = browser;
    const origin = gateway.httpUrl()!.replace(/\/mcp$/, '');
    await page.getByText('vtest').waitFor();
    const secret = (await page.evaluate(() => sessionStorage.getItem('switchboard-session')))!;
    expect(secret).toBeTruthy();
    // Someone who copied the secret holds a stream open with it.
    const copied = await openStream(origin, secret);
    expect(copied.status).toBe(200);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('alert').getByText('Not logged in.').waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'web-ui-logged-out.png') });
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard-session'))).toBeNull();

    const status = await fetch(`${origin}/api/status`, { headers: { authorization: `Bearer ${secret}` } });
    expect(status.status).toBe(401);
    await copied.ended;
    expect((await openStream(origin, secret)).status).toBe(401);

    // A new link logs the tab in again.
    await page.goto(gateway.uiLoginUrl()!);
    await page.getByText('vtest').waitFor();
    expect(await page.getByText('Not logged in').count()).toBe(0);
  });

  it('answers a logout without a session 401, and one of a session already ended 204', async () => {
    const origin = gateway.httpUrl()!.replace(/\/mcp$/, '');
    const bare = await fetch(`${origin}/ui/logout`, { method: 'POST' });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: string }).error).toMatch(/Authorization: Bearer <session>/);
    const gone = await fetch(`${origin}/ui/logout`, { method: 'POST', headers: { authorization: 'Bearer gone' } });
    expect(gone.status).toBe(204);
    expect((await fetch(`${origin}/ui/logout`)).status).toBe(405);
  });
});
