/**
 * Each screen's table in real Chromium in a window of 800x600, with names as they come: short ones
 * ("default", "github-token") stay whole, and a word of 64 characters (a server's name, a profile's)
 * or a path wraps within the window, which never scrolls sideways.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, fixtureServer, httpClient, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { brokenWords, linesOf, pastTheEdge } from '../../helpers/layout.ts';

/** A server's name as long as names go (64 characters), in one word. */
const LONG_SERVER = 'github_enterprise_production_readonly_mirror_for_ci_and_releases';
const SEARCH_DOCS = 'https://docs.github.com/en/search-github/searching-on-github/searching-issues-and-pull-requests';
/** A profile's name as long as names go. */
const LONG_PROFILE = `research.${'x'.repeat(55)}`;

describe('the tables in an 800x600 window', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-narrow-');
    const home = path.join(dir.dir, 'home');
    const claude = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    await mkdir(path.dirname(claude), { recursive: true });
    const npx = { command: 'npx', args: ['-y', 'some-mcp-server'] };
    await writeFile(claude, JSON.stringify({ mcpServers: { filesystem: npx, [LONG_SERVER]: npx, postgres: npx } }));
    const secrets = createMemorySecretStore();
    await secrets.set('github-token', 'ghp_x');
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        github: fixtureServer('github', {
          GITHUB_TOKEN: '${secret:github-token}',
          FIXTURE_TOOL_DESCRIPTION:
            'Searches issues and pull requests across repositories; the query syntax is at ' +
            `${SEARCH_DOCS} (qualifiers such as is:open and label:"help wanted").`,
        }),
        linear: fixtureServer('linear'),
        // Fails: its second secret is not stored.
        [LONG_SERVER]: fixtureServer('mirror', {
          GITHUB_TOKEN: '${secret:github-token}',
          MIRROR_TOKEN: '${secret:mirror-token}',
        }),
      },
      profiles: { default: { servers: ['github', 'linear'] }, [LONG_PROFILE]: { servers: ['github', LONG_SERVER] } },
    });
    gateway = await startGateway(file, {
      uiDir: path.join(ROOT, 'renderer/dist'),
      secrets,
      clientInstalls: {
        context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
        shim: (profile) =>
          shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
      },
    });
    await gateway.api.installClient('claude-desktop', 'default');
    client = await httpClient(new URL(`/mcp/${LONG_PROFILE}`, gateway.httpUrl()!).href);
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.setViewportSize({ width: 800, height: 600 });
  }, 40_000);
  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  /** The screen's table, shot whole (the screen scrolls within the window). */
  async function table(screen: string, rowName: RegExp): Promise<Locator> {
    await page.getByRole('link', { name: screen }).click();
    const found = page.getByRole('table').filter({ has: page.getByRole('row', { name: rowName }) });
    await found.waitFor();
    await found.screenshot({ path: path.join(await screenshotDir(), `narrow-${screen.toLowerCase()}-800.png`) });
    return found;
  }

  it('keeps the Profiles table whole-worded, a failed server of 64 characters wrapping in its note', async () => {
    const profiles = await table('Profiles', /^research/);
    // "Not counted, their tools are not known yet: <the long name> (failed)." ran on in one line, past the window.
    const note = profiles
      .getByRole('row', { name: /^research/ })
      .getByRole('cell')
      .nth(3);
    await note.getByText('Not counted', { exact: false }).waitFor();
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    expect(await brokenWords(profiles)).toEqual([]);
    expect(await linesOf(note, LONG_SERVER)).toBeGreaterThan(1);
  });

  it('keeps the Secrets table whole-worded, a server of 64 characters using a secret wrapping', async () => {
    const secrets = await table('Secrets', /^mirror-token/);
    // "github-token" broke after its hyphen: the column beside it, which broke anywhere, took its room.
    expect(await brokenWords(secrets)).toEqual([]);
    const usedBy = secrets
      .getByRole('row', { name: /^mirror-token/ })
      .getByRole('cell')
      .nth(2);
    expect(await linesOf(usedBy, LONG_SERVER)).toBeGreaterThan(1);
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
  });

  it("keeps the Clients table within the window, beside a client's server of 64 characters", async () => {
    const clients = await table('Clients', /^Claude Desktop/);
    // The other server's name ran on in one line: the table went past the window, its buttons out of sight.
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    const row = clients.getByRole('row', { name: /^Claude Desktop/ });
    expect(await linesOf(row.getByRole('cell').nth(2), LONG_SERVER)).toBeGreaterThan(1);
    // The config file's path breaks after a "/": ".config/" and "Claude/" stay whole.
    expect(await brokenWords(clients)).toEqual([]);
    const restore = (await row.getByRole('button', { name: 'Restore Claude Desktop' }).boundingBox())!;
    expect(restore.x + restore.width).toBeLessThanOrEqual(800);
  });

  it("keeps the Servers tables within the window, a server's name of 64 characters wrapping", async () => {
    const servers = await table('Servers', /^github_enterprise/);
    // The name ran on in one line: the table went past the window, the last error out of sight.
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    const name = servers
      .getByRole('row', { name: /^github_enterprise/ })
      .getByRole('cell')
      .first();
    expect(await linesOf(name, LONG_SERVER)).toBeGreaterThan(1);
    expect(await brokenWords(servers)).toEqual([]);
    // A tool's description with a URL in it: the URL wraps, the words around it stay whole.
    await servers.getByRole('button', { name: 'github', exact: true }).click();
    const tools = page.getByRole('table').filter({ hasText: 'Name clients see' });
    const described = tools.getByRole('row', { name: /^Show described/ });
    await described.screenshot({ path: path.join(await screenshotDir(), 'narrow-server-tools-800.png') });
    expect(await linesOf(described.getByRole('cell').last(), SEARCH_DOCS)).toBeGreaterThan(1);
    expect(await brokenWords(tools)).toEqual([]);
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
  });

  it("keeps the Overview's table of clients within the window, a profile of 64 characters wrapping", async () => {
    const clients = await table('Overview', /^test-client/);
    // The profile's name ran on in one line, past the window, and "test-client" broke after its hyphen.
    expect(await pastTheEdge(page)).toBeLessThanOrEqual(0);
    expect(await brokenWords(clients)).toEqual([]);
    const profile = clients
      .getByRole('row', { name: /^test-client/ })
      .getByRole('cell')
      .nth(2);
    expect(await linesOf(profile, LONG_PROFILE)).toBeGreaterThan(1);
  });
});
