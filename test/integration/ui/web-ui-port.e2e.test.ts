/**
 * The web UI in real Chromium keeps its login in the page (sessionStorage, this origin only), not
 * in a cookie that every port of 127.0.0.1 would get. So when Settings moves the HTTP port (another
 * origin), the page asks for a one-time login link first and continues at the new address with it.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
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
  let configPath: string;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-port-');
    configPath = await writeConfig(dir.dir, { mcpServers: {}, listen: { http: { port: await freePort() } } });
    gateway = await startGateway(configPath, { uiDir: UI_DIR, http: undefined });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('refuses, at the field, a port another program holds, and changes nothing', async () => {
    const { page } = browser;
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as { port: number }).port;
    try {
      const before = await readFile(configPath, 'utf8');
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('HTTP port').fill(String(taken));
      await page.getByRole('button', { name: 'Save settings' }).click();
      const port = page.getByLabel('HTTP port');
      await page.getByText(`port ${taken} is in use by another program on 127.0.0.1`).waitFor();
      expect(await port.getAttribute('aria-invalid')).toBe('true');
      await page.screenshot({ path: path.join(await screenshotDir(), 'settings-port-taken.png') });
      expect(await readFile(configPath, 'utf8')).toBe(before);
      // Still served where it was.
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      expect(new URL(page.url()).port).toBe(new URL(gateway.uiLoginUrl()!).port);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
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

  it('moved to port 0 (any free port), says how to find it instead of linking to port 0', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Settings' }).click();
    const before = gateway.httpUrl();
    await page.getByLabel('HTTP port').fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // It linked to http://127.0.0.1:0/ui/#login=…, where nothing answers.
    await page
      .getByRole('status')
      .getByText(/a free port the system picked now, which this page cannot follow/)
      .waitFor();
    expect(await page.getByRole('link', { name: 'continue at the new address' }).count()).toBe(0);
    expect(await page.locator('a[href*=":0/"]').count()).toBe(0);
    await page.screenshot({ path: path.join(await screenshotDir(), 'settings-port-any.png'), fullPage: true });
    expect(JSON.parse(await readFile(configPath, 'utf8'))).toMatchObject({ listen: { http: { port: 0 } } });
    await expect.poll(() => gateway.httpUrl() !== before && !gateway.httpUrl()!.includes(':0/')).toBe(true);
  });
});
