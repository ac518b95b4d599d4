/**
 * A new user's first minutes in the web UI, in real Chromium: a gateway with no config file yet, the
 * empty Overview leading to the Add server form, a first server added there, and an AI client that
 * starts the shim as Claude Desktop does, shown on the Overview by its name as it connects; a token in a
 * pasted Claude Desktop block kept in the keychain, or, with no keychain to reach, said to go into the
 * config file in plain text.
 * Screenshots go to SCREENSHOT_DIR.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKeychainSecretStore,
  createMemorySecretStore,
  type Gateway,
  type SecretStore,
} from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { CLI, FIXTURE, NODE, ROOT, httpClient, startGateway, tempDir, textOf, waitFor } from '../../helpers/gateway.ts';
import { useUnreachableKeychain } from '../../helpers/unreachable-keychain.ts';
import { startHttpRecorder } from '../../fixtures/servers/http-recorder.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe('the first run in the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let shots: string;
  let client: Client | undefined;
  let secrets: SecretStore;
  const runtimeDir = () => path.join(dir.dir, 'run');

  const shoot = async (name: string) => {
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, `first-run-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    dir = await tempDir('sb-ui-first-run-');
    shots = await screenshotDir();
    secrets = createMemorySecretStore();
    // No config file yet, as on a first `npm start`.
    gateway = await startGateway(path.join(dir.dir, 'config.json'), {
      secrets,
      uiDir: UI_DIR,
      watch: true,
      allowMissingConfig: true,
      runtimeDir: runtimeDir(),
      socket: true,
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 40_000);
  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('leads from the empty Overview to the Add server form, the keyboard on its first field', async () => {
    const servers = page.getByRole('region', { name: 'Servers' });
    await servers.getByText(/No servers are configured yet\. A server gives your AI clients tools/).waitFor();
    await shoot('overview-empty');
    await servers.getByRole('button', { name: 'Add a server' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    const form = page.getByRole('region', { name: 'Add a server' });
    await form.waitFor();
    const first = form.getByRole('radio', { name: 'Local command' });
    expect(await first.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('fx');
    await form.getByRole('textbox', { name: 'Command', exact: true }).fill(NODE);
    await form.getByRole('textbox', { name: 'Arguments, one per line' }).fill(FIXTURE);
    await form.getByRole('textbox', { name: /^Environment/ }).fill('FIXTURE_NAME=fx');
    await form.getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('status').getByText('Added fx to the config file.').waitFor();
    await page.getByRole('row').filter({ hasText: 'fx' }).getByText('ready').waitFor();
    await shoot('server-added');
    // Going to the Servers screen another way opens no form.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    expect(await page.getByRole('region', { name: 'Add a server' }).count()).toBe(0);
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1');
  });

  it('keeps a pasted token in the keychain: the file gets a reference, the server the value', async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('region', { name: 'Add a server' });
    await form.getByLabel('Paste a JSON block').check();
    const token = `ghp_${'a1B2'.repeat(9)}`;
    // As a server's README shows it.
    const block = (name: string) =>
      JSON.stringify(
        {
          mcpServers: {
            [name]: {
              command: NODE,
              args: [FIXTURE],
              env: { FIXTURE_NAME: 'gh', GITHUB_PERSONAL_ACCESS_TOKEN: token },
            },
          },
        },
        null,
        2,
      );
    const box = form.getByRole('textbox', { name: /block from Claude Desktop/ });
    // A server the config refuses (a space in its name): nothing is left in the keychain.
    await box.fill(block('git hub'));
    await form.getByRole('button', { name: 'Save server' }).click();
    await form
      .getByRole('alert')
      .getByText(/^git hub: /)
      .waitFor();
    expect(await secrets.list()).toEqual([]);
    await box.fill(block('github'));
    const keep = form.getByRole('checkbox', { name: /^Keep GITHUB_PERSONAL_ACCESS_TOKEN in the keychain/ });
    expect(await keep.isChecked()).toBe(true);
    await shoot('paste-token');
    await form.getByRole('button', { name: 'Save server' }).click();
    await page
      .getByRole('status')
      .getByText(
        'Added github to the config file; in the keychain: GITHUB_PERSONAL_ACCESS_TOKEN as ' +
          'github.GITHUB_PERSONAL_ACCESS_TOKEN.',
      )
      .waitFor();
    const file = await readFile(gateway.configPath(), 'utf8');
    expect(file).not.toContain(token);
    expect((JSON.parse(file) as { mcpServers: Record<string, { env: object }> }).mcpServers.github!.env).toEqual({
      FIXTURE_NAME: 'gh',
      GITHUB_PERSONAL_ACCESS_TOKEN: '${secret:github.GITHUB_PERSONAL_ACCESS_TOKEN}',
    });
    expect(await secrets.get('github.GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(token);
    // The server gets the value.
    await waitFor(() => gateway.servers().find((s) => s.name === 'github')?.state === 'ready', 20_000, 'github ready');
    const http = await httpClient(gateway.httpUrl()!);
    try {
      const got = await http.callTool({ name: 'github__env', arguments: { name: 'GITHUB_PERSONAL_ACCESS_TOKEN' } });
      expect(textOf(got)).toBe(token);
    } finally {
      // Ended as the spec asks, so the Overview does not list it for two hours.
      await (http.transport as StreamableHTTPClientTransport).terminateSession();
      await http.close();
    }
    // The block sent again with one more server: github, in already with its reference, counts as added.
    await page.getByRole('button', { name: 'Add server' }).click();
    await form.getByLabel('Paste a JSON block').check();
    const again = JSON.parse(block('github')) as { mcpServers: Record<string, unknown> };
    again.mcpServers.other = { command: NODE, args: [FIXTURE], env: { FIXTURE_NAME: 'other' } };
    await box.fill(JSON.stringify(again));
    await form.getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('status').getByText('Added github, other to the config file.').waitFor();
    expect(await secrets.list()).toEqual(['github.GITHUB_PERSONAL_ACCESS_TOKEN']);
    // A header from the form keeps its scheme in the file; the token alone goes to the keychain.
    await page.getByRole('button', { name: 'Add server' }).click();
    await form.getByLabel('Remote URL').check();
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('remote');
    await form.getByRole('textbox', { name: 'URL' }).fill('http://127.0.0.1:8/mcp');
    await form.getByRole('textbox', { name: /^Headers/ }).fill('Authorization: Bearer sk-remote-123456\nX-Team: blue');
    await form.getByRole('checkbox', { name: /^Keep Authorization in the keychain/ }).waitFor();
    await form.getByRole('button', { name: 'Save server' }).click();
    await page
      .getByRole('status')
      .getByText(/^Added remote to the config file; in the keychain: Authorization as/)
      .waitFor();
    const headers = (
      JSON.parse(await readFile(gateway.configPath(), 'utf8')) as {
        mcpServers: Record<string, { headers: object }>;
      }
    ).mcpServers.remote!.headers;
    expect(headers).toEqual({ Authorization: 'Bearer ${secret:remote.header.Authorization}', 'X-Team': 'blue' });
    expect(await secrets.get('remote.header.Authorization')).toBe('sk-remote-123456');

    // A new token typed into Edit: kept in the keychain, and the secret it replaces, used by nothing
    // else now, removed (they piled up: github.GITHUB_PERSONAL_ACCESS_TOKEN, …-2, …-3).
    await page.getByRole('button', { name: 'github', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server github' });
    await detail.getByRole('button', { name: 'Edit' }).click();
    const edit = detail.getByRole('region', { name: 'Edit github' });
    const rotated = `ghp_${'c3D4'.repeat(9)}`;
    await edit.getByLabel(/^Environment/).fill(`FIXTURE_NAME=gh\nGITHUB_PERSONAL_ACCESS_TOKEN=${rotated}`);
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByRole('status')
      .getByText(
        'Saved github to the config file; in the keychain: GITHUB_PERSONAL_ACCESS_TOKEN as ' +
          'github.GITHUB_PERSONAL_ACCESS_TOKEN-2 (github.GITHUB_PERSONAL_ACCESS_TOKEN, no longer used, removed).',
      )
      .waitFor();
    expect(await secrets.list()).toEqual(['github.GITHUB_PERSONAL_ACCESS_TOKEN-2', 'remote.header.Authorization']);
    expect(await secrets.get('github.GITHUB_PERSONAL_ACCESS_TOKEN-2')).toBe(rotated);
  });

  it('keeps a key in the query of a pasted remote URL in the keychain; the server is asked with it', async () => {
    const remote = await startHttpRecorder();
    try {
      await page.getByRole('link', { name: 'Servers' }).click();
      await page.getByRole('button', { name: 'Add server' }).click();
      const form = page.getByRole('region', { name: 'Add a server' });
      await form.getByLabel('Paste a JSON block').check();
      // As hosted servers give their address: the key in the query, beside another parameter.
      const key = `ek-${'9f8E'.repeat(6)}`;
      const url = `${remote.url}?exaApiKey=${key}&tools=web_search`;
      await form
        .getByRole('textbox', { name: /block from Claude Desktop/ })
        .fill(JSON.stringify({ mcpServers: { exa: { type: 'http', url } } }, null, 2));
      const keep = form.getByRole('checkbox', { name: /^Keep exaApiKey in the keychain/ });
      expect(await keep.isChecked()).toBe(true);
      await shoot('paste-url-key');
      await form.getByRole('button', { name: 'Save server' }).click();
      await page
        .getByRole('status')
        .getByText('Added exa to the config file; in the keychain: exaApiKey as exa.url.exaApiKey.')
        .waitFor();
      const file = await readFile(gateway.configPath(), 'utf8');
      expect(file).not.toContain(key);
      const entry = (JSON.parse(file) as { mcpServers: Record<string, { url: string }> }).mcpServers.exa!;
      expect(entry.url).toBe(`${remote.url}?exaApiKey=\${secret:exa.url.exaApiKey}&tools=web_search`);
      expect(await secrets.get('exa.url.exaApiKey')).toBe(key);
      await waitFor(() => gateway.servers().find((s) => s.name === 'exa')?.state === 'ready', 20_000, 'exa ready');
      expect(remote.requests.map((r) => r.path)).toContain(
        `${new URL(url).pathname}?exaApiKey=${key}&tools=web_search`,
      );
    } finally {
      await remote.close();
    }
  });

  it('names a client that connects through the shim on the Overview as it connects, without a reload', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    const table = page.getByRole('region', { name: 'Clients connected now' });
    await table.getByText('No client is connected.').waitFor();
    // As Claude Desktop starts the entry Install writes: the shim, with a minimal environment.
    const transport = new StdioClientTransport({
      command: NODE,
      args: [CLI, 'shim', '--profile', 'default'],
      env: {
        HOME: dir.dir,
        PATH: process.env.PATH ?? '',
        SWITCHBOARD_RUNTIME_DIR: runtimeDir(),
        // The gateway runs in this test process: the shim must not start another one.
        SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, '-e', 'process.exit(1)']),
      },
      stderr: 'pipe',
    });
    client = new Client({ name: 'Claude', version: '0.9.1' });
    await client.connect(transport);
    const row = table.getByRole('row').filter({ hasText: 'Claude 0.9.1' });
    await row.waitFor({ timeout: 5000 });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('the shim');
    expect(await row.getByRole('cell').nth(3).textContent()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await table.getByText('not introduced yet').count()).toBe(0);
    // The shim says when its client goes: the note about HTTP clients that go without a word is not for it.
    expect(await table.getByText('An HTTP client can go away without saying so').count()).toBe(0);
    await shoot('overview-client');
  });
});

describe('a pasted token with no keychain to reach', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let restoreKeychain: (() => void) | undefined;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-first-run-no-keychain-');
    restoreKeychain = useUnreachableKeychain(dir.dir);
    gateway = await startGateway(path.join(dir.dir, 'config.json'), {
      uiDir: UI_DIR,
      allowMissingConfig: true,
      secrets: createKeychainSecretStore({ stateDir: path.join(dir.dir, 'state') }),
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
    restoreKeychain?.();
  });

  it('says at Save that the token goes into the config file in plain text, and why', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('region', { name: 'Add a server' });
    await form.getByLabel('Paste a JSON block').check();
    await form
      .getByRole('textbox', { name: /block from Claude Desktop/ })
      .fill(JSON.stringify({ mcpServers: { github: { command: 'npx', env: { GITHUB_TOKEN: 'ghp_x1y2z3' } } } }));
    const save = form.getByRole('button', { name: 'Save server' });
    // Read out with Save: what Save will do with the token.
    const note = async () => {
      const id = await save.getAttribute('aria-describedby');
      return id ? ((await page.locator(`#${id}`).textContent()) ?? '').replace(/\s+/g, ' ').trim() : '';
    };
    await expect
      .poll(note)
      .toMatch(
        'GITHUB_TOKEN looks secret, and the keychain cannot be reached (the Secrets screen says why): saved now, ' +
          'it goes into the config file in plain text.',
      );
    expect(await form.getByRole('checkbox').count()).toBe(0);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'first-run-paste-token-no-keychain.png') });
  });
});
