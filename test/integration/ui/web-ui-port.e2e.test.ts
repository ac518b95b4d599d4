/**
 * The web UI in real Chromium keeps its login in the page (sessionStorage, this origin only), not
 * in a cookie that every port of 127.0.0.1 would get. So when Settings moves the HTTP port (another
 * origin), the page asks for a one-time login link first and continues at the new address with it.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the web UI across a change of the HTTP port', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-port-');
    const config = await writeConfig(dir.dir, { mcpServers: {}, listen: { http: { port: await freePort() } } });
    gateway = await startGateway(config, { uiDir: UI_DIR, http: undefined });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('continues logged in at the new address through the link it shows, with no cookie anywhere', async () => {
    const { page } = browser;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await page.context().cookies()).toEqual([]);
    await page.getByRole('link', { name: 'Settings' }).click();
    const next = await freePort();
    await page.getByLabel('HTTP port').fill(String(next));
    await page.getByRole('button', { name: 'Save settings' }).click();
    const onward = page.getByRole('link', { name: 'continue at the new address' });
    await onward.waitFor();
    expect(await onward.getAttribute('href')).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${next}/ui/.*#login=`));
    await onward.click();
    await page.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${next}/`));
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // The gateway's status came through the control API: the page is logged in there.
    await page.getByText('vtest').waitFor();
    expect(await page.getByText('Not logged in').count()).toBe(0);
    expect(await page.context().cookies()).toEqual([]);
  });
});
