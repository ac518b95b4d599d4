/**
 * Logging in to a remote server from the web UI, in real Chromium: the server shows "needs login"
 * with a Log in button; the headless gateway cannot open a browser itself, so the page offers the
 * login link; the user's browser (played by fetch) logs in at the real authorization server of
 * the OAuth fixture, and the page follows the server to logged in and ready. Log out asks first.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { playBrowser, startAuthServer, type AuthServer } from '../../helpers/oauth-server.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let as: AuthServer;
let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let shots: string;

beforeAll(async () => {
  as = await startAuthServer();
  dir = await tempDir('sb-ui-oauth-');
  shots = await screenshotDir();
  const config = await writeConfig(dir.dir, { mcpServers: { remote: { url: `${as.base}/mcp` } } });
  gateway = await startGateway(config, { uiDir: UI_DIR, oauthStore: createMemorySecretStore() });
  await waitFor(() => gateway.servers()[0]?.auth?.state === 'needs-login', 10_000, 'needs login');
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  as?.child.kill();
  await dir?.cleanup();
});

describe('logging in to a remote server from the web UI', () => {
  it('shows "needs login", logs in through the link, and the server becomes ready', async () => {
    // The overview counts it as needing a login, not as failed.
    const counts = page.getByRole('list', { name: 'Servers by state' });
    await counts.getByText('1 needs login').waitFor();
    expect(await counts.getByText('failed').count()).toBe(0);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Servers' }).click();
    const row = page.getByRole('row').filter({ hasText: 'remote' });
    await row.getByText('needs login').waitFor();
    await row.getByRole('button', { name: 'Log in to remote' }).click();

    // No browser to open here (headless): the page gives the link to open.
    const banner = page.getByRole('status', { name: 'Login' });
    const link = banner.getByRole('link', { name: 'open the login page' });
    await link.waitFor();
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'servers-needs-login.png') });
    const href = (await link.getAttribute('href'))!;
    expect(new URL(href).searchParams.get('code_challenge_method')).toBe('S256');

    await playBrowser(href);
    await page.getByRole('status').getByText('Logged in to remote.').waitFor();
    await row.getByText('ready').waitFor();
    await page.getByRole('button', { name: 'remote', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server remote' });
    await detail
      .getByLabel('Login state')
      .getByText(/Logged in at http:\/\/127\.0\.0\.1:\d+\//)
      .waitFor();
    await detail.getByText('remote__whoami').waitFor();
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'servers-logged-in.png') });
  });

  it('logs out after asking, and the server needs a login again', async () => {
    const detail = page.getByRole('region', { name: 'Server remote' });
    page.once('dialog', (dialog) => void dialog.accept());
    await detail.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('status').getByText('Logged out of remote.').waitFor();
    await page.getByRole('row').filter({ hasText: 'remote' }).getByText('needs login').waitFor();
    expect(gateway.servers()[0]?.auth?.state).toBe('needs-login');
  });

  it('a login left waiting is cancelled from the page: its link goes, and what it would have done', async () => {
    const row = page.getByRole('row').filter({ hasText: 'remote' });
    await row.getByRole('button', { name: 'Log in to remote' }).click();
    const banner = page.getByRole('status', { name: 'Login' });
    const href = (await banner.getByRole('link', { name: 'open the login page' }).getAttribute('href'))!;
    await page.getByRole('button', { name: 'Cancel login', exact: true }).click();
    await page.getByRole('status').getByText('Login to remote cancelled.').waitFor();
    expect(await banner.count()).toBe(0);
    // The user's own doing: no failure said at the top.
    expect(await page.getByRole('alert').count()).toBe(0);
    await row.getByText('needs login').waitFor();
    // The page opened later leads nowhere: the gateway no longer waits for it.
    await expect(playBrowser(href)).rejects.toThrow();
    expect(gateway.servers()[0]?.auth?.state).toBe('needs-login');

    // One started elsewhere (another window, the CLI) is cancelled from the server's detail.
    const started = gateway.api.loginServer('remote');
    await started;
    await page.getByRole('button', { name: 'remote', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server remote' });
    await detail.getByLabel('Login state').getByText('Waiting for the login in the browser…').waitFor();
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'servers-login-waiting.png') });
    await detail.getByRole('button', { name: 'Cancel login to remote' }).click();
    await page.getByRole('status').getByText('Login to remote cancelled.').waitFor();
    await detail
      .getByLabel('Login state')
      .getByText(/^Needs a login/)
      .waitFor();
    expect(gateway.servers()[0]?.auth?.state).toBe('needs-login');
  });

  it('a browser on another machine: the address it ended on, pasted in, finishes the login', async () => {
    const row = page.getByRole('row').filter({ hasText: 'remote' });
    await row.getByRole('button', { name: 'Log in to remote' }).click();
    const link = page.getByRole('status', { name: 'Login' }).getByRole('link', { name: 'open the login page' });
    const href = (await link.getAttribute('href'))!;
    // The browser logs in, then fails to reach 127.0.0.1 here: the user copies its address bar.
    const location = (await fetch(href, { redirect: 'manual' })).headers.get('location')!;
    const field = page.getByLabel('Browser on another machine? Paste the address it ended on');
    // Something else first: refused at the field, the login still waiting.
    await field.fill('http://127.0.0.1:1/callback?code=x&state=y');
    await page.getByRole('button', { name: 'Finish login' }).click();
    await page
      .getByRole('alert')
      .getByText(/not this login's/)
      .waitFor();
    await field.fill(location);
    await page.getByRole('button', { name: 'Finish login' }).click();
    await page.getByRole('status').getByText('Logged in to remote.').waitFor();
    await row.getByText('ready').waitFor();
    expect(await seriousA11yProblems(page)).toEqual([]);
  });

  /** What the authorization server's page sends the browser back with when the user says no. */
  const deny = async (href: string) => {
    const authorize = new URL(href);
    const back = new URL(authorize.searchParams.get('redirect_uri')!);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('state', authorize.searchParams.get('state')!);
    await fetch(back);
  };

  it('a login refused at the authorization server says why, and that the one from before still works', async () => {
    await page.getByRole('button', { name: 'remote', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server remote' });
    await detail.getByRole('button', { name: 'Log in again' }).click();
    const link = page.getByRole('status', { name: 'Login' }).getByRole('link', { name: 'open the login page' });
    // While the new login waits, the working one can still be ended (Log out was hidden).
    await detail.getByRole('button', { name: 'Log out' }).waitFor();
    await deny((await link.getAttribute('href'))!);
    await page
      .getByRole('alert')
      .getByText(/^The login to server "remote" failed: .+\. The login from before still works\.$/)
      .waitFor();
    // It said "Logged in to remote." here: the server is logged in, with the tokens from before.
    expect(await page.getByText('Logged in to remote.').count()).toBe(0);
    expect(await page.getByRole('status', { name: 'Login' }).count()).toBe(0);
    expect(gateway.servers()[0]?.state).toBe('ready');
  });

  it('from the keyboard: Log in takes it to the login link; a refused first login leaves no dead link', async () => {
    const detail = page.getByRole('region', { name: 'Server remote' });
    page.once('dialog', (dialog) => void dialog.accept());
    await detail.getByRole('button', { name: 'Log out' }).click();
    const row = page.getByRole('row').filter({ hasText: 'remote' });
    await row.getByText('needs login').waitFor();
    await row.getByRole('button', { name: 'Log in to remote' }).focus();
    await page.keyboard.press('Enter');
    const link = page.getByRole('status', { name: 'Login' }).getByRole('link', { name: 'open the login page' });
    await waitFor(async () => (await page.locator(':focus').textContent()) === 'open the login page', 5_000, 'focus');
    await deny((await link.getAttribute('href'))!);
    await page
      .getByRole('alert')
      .getByText(/^The login to server "remote" failed: the authorization server said access_denied\.$/)
      .waitFor();
    // The banner and its link (whose listener is closed) are gone; Log in is offered again.
    expect(await page.getByRole('status', { name: 'Login' }).count()).toBe(0);
    await row.getByRole('button', { name: 'Log in to remote' }).waitFor();
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'servers-login-refused.png') });
    // A later login from elsewhere (switchboard login) that goes through takes the refusal away.
    const start = await gateway.api.loginServer('remote');
    await playBrowser(start.authorizationUrl!);
    await row.getByText('ready').waitFor();
    await waitFor(
      async () => (await page.getByText(/^The login to server "remote" failed/).count()) === 0,
      5_000,
      'the refusal gone',
    );
  });
});
