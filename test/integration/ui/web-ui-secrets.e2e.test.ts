/**
 * The Secrets screen in real Chromium as a user fills it: values pasted with the keyboard (Ctrl+V from
 * the clipboard), what the server that uses the secret gets, and what is said of a server turned off.
 */
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway, type SecretStore } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import {
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
  'BKcwggSjAgEAAoIBAQC7',
  '-----END PRIVATE KEY-----',
].join('\n');

describe('the Secrets screen as a user fills it', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let secrets: SecretStore;
  let browser: TestBrowser;
  let page: Page;
  let sdk: Client;

  const status = () => page.locator('main p[role="status"]:not(.visually-hidden)');
  const form = () => page.getByRole('region', { name: 'Set key' });
  const valueField = () => form().getByLabel('Value', { exact: true });

  /** Text on the clipboard, pasted into the Value field with Ctrl+V. */
  async function paste(text: string): Promise<void> {
    await page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(text)})`);
    await valueField().focus();
    await page.keyboard.press('Control+V');
  }
  /** What the server that uses the secret has in its environment now. */
  async function serverSees(): Promise<string> {
    await waitFor(() => gateway.servers().find((s) => s.name === 'signer')?.state === 'ready', 20_000, 'signer');
    return textOf(await sdk.callTool({ name: 'signer__env', arguments: { name: 'SIGNING_KEY' } }));
  }

  beforeAll(async () => {
    dir = await tempDir('sb-ui-secrets-');
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        signer: fixtureServer('signer', { SIGNING_KEY: '${secret:key}' }),
        idle: { ...fixtureServer('idle', { IDLE_TOKEN: '${secret:idle-token}' }), disabled: true },
      },
    });
    secrets = createMemorySecretStore();
    gateway = await startGateway(file, { uiDir: UI_DIR, secrets });
    sdk = await httpClient(gateway.httpUrl()!);
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(page.url()).origin,
    });
    await page.getByRole('link', { name: 'Secrets' }).click();
  }, 40_000);
  afterAll(async () => {
    await sdk?.close();
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('stores a key of several lines pasted into the value field with its line breaks', async () => {
    await page.getByRole('button', { name: 'Set key' }).click();
    // Copied from a file, with the line break it ends in.
    await paste(`${PEM}\n`);
    await form().getByText('4 lines pasted: stored with their line breaks.').waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-pasted-lines.png') });
    await form().getByRole('button', { name: 'Store' }).click();
    await status().getByText('Stored key. signer uses this value now.').waitFor();
    // A space for each line break, before: the server got a key no library reads.
    expect(await secrets.get('key')).toBe(PEM);
    expect(await serverSees()).toBe(PEM);
  });

  it('takes out a pasted value of several lines that is then typed into, saying to paste it again', async () => {
    await page.getByRole('button', { name: 'Replace key' }).click();
    await paste(PEM);
    await valueField().press('x');
    const refusal = form().getByRole('alert');
    await refusal.getByText('A value of several lines can be pasted whole, not edited here').waitFor();
    expect(await valueField().inputValue()).toBe('');
    expect(await valueField().getAttribute('aria-invalid')).toBe('true');
    await form().getByRole('button', { name: 'Store' }).click();
    await form().getByRole('alert').getByText('Type the value to keep.').waitFor();
    // Pasted again whole, it is kept.
    await paste(PEM.replace('BKcw', 'ZZcw'));
    await form().getByRole('button', { name: 'Store' }).click();
    await status().getByText('Stored key.', { exact: false }).waitFor();
    expect(await secrets.get('key')).toBe(PEM.replace('BKcw', 'ZZcw'));
  });

  it('stores a token of one line copied with its line break as the token alone', async () => {
    await page.getByRole('button', { name: 'Replace key' }).click();
    await paste('ghp_0123456789abcdef\n');
    expect(await form().getByText('lines pasted').count()).toBe(0);
    await form().getByRole('button', { name: 'Store' }).click();
    await status().getByText('Stored key.', { exact: false }).waitFor();
    expect(await secrets.get('key')).toBe('ghp_0123456789abcdef');
    expect(await serverSees()).toBe('ghp_0123456789abcdef');
  });

  it('says a server turned off gets a value stored once it is turned on, not that it uses it now', async () => {
    const row = page.getByRole('row').filter({ hasText: 'idle-token' });
    await row.getByText('idle (env.IDLE_TOKEN, turned off)').waitFor();
    await row.getByRole('button', { name: 'Set idle-token' }).click();
    await page.getByRole('region', { name: 'Set idle-token' }).getByLabel('Value', { exact: true }).fill('idle-1234');
    await page.getByRole('region', { name: 'Set idle-token' }).getByRole('button', { name: 'Store' }).click();
    // It said "idle uses this value now.", of a server that runs nothing.
    await status().getByText('Stored idle-token. idle is turned off, and gets it once turned on.').waitFor();
    expect(gateway.servers().find((s) => s.name === 'idle')?.state).toBe('stopped');
  });

  it('refuses a new secret under a name already stored, at the name, keeping the stored value', async () => {
    const before = await secrets.get('key');
    await page.getByRole('button', { name: 'New secret' }).click();
    const form = page.getByRole('region', { name: 'New secret' });
    await form.getByLabel('Name', { exact: true }).fill('key');
    await form.getByLabel('Value', { exact: true }).fill('typed-for-another-one');
    await form.getByRole('button', { name: 'Store' }).click();
    // It said "Stored key.": the value signer started with was gone, without a word of it.
    await form
      .getByRole('alert')
      .getByText('There is a secret named key already: its Replace sets a new value.')
      .waitFor();
    expect(await secrets.get('key')).toBe(before);
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // Typing another name takes the refusal away: it was about the name typed before.
    await form.getByLabel('Name', { exact: true }).fill('key-2');
    await form.getByRole('alert').waitFor({ state: 'detached' });
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBeNull();
  });

  it('takes the keyboard to the field a refusal is about', async () => {
    const form = page.getByRole('region', { name: 'New secret' });
    if ((await form.count()) > 0) await form.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'New secret' }).click();
    const focused = () => page.evaluate('document.activeElement?.id');
    // What a name may be is said before one is refused (it was said only after Store).
    const hint = await form
      .getByLabel('Name', { exact: true })
      .evaluate((el) => el.ownerDocument.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent);
    expect(hint?.replace(/\s+/g, ' ').trim()).toBe(
      'Letters, digits, "_", "." and "-". A server uses it as ${secret:NAME}.',
    );
    await form.getByLabel('Name', { exact: true }).fill('my token');
    await form.getByLabel('Value', { exact: true }).fill('abc');
    await form.getByRole('button', { name: 'Store' }).click();
    await form
      .getByRole('alert')
      .getByText(/^invalid secret name "my token"/)
      .waitFor();
    // The Store button, disabled while it asked, had the keyboard: it fell to the page.
    await expect.poll(focused).toBe('secret-name');
    await form.getByLabel('Name', { exact: true }).fill('my-token');
    await form.getByLabel('Value', { exact: true }).fill('   ');
    await form.getByRole('button', { name: 'Store' }).click();
    await form
      .getByRole('alert')
      .getByText(/^the value is only spaces/)
      .waitFor();
    await expect.poll(focused).toBe('secret-value');
    await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-refused-value.png') });
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it("says how long a value too long to store is, at the value, where the dots don't show it", async () => {
    await page.getByRole('button', { name: 'New secret' }).click();
    const form = page.getByRole('region', { name: 'New secret' });
    await form.getByLabel('Name', { exact: true }).fill('whole-file');
    await form.getByLabel('Value', { exact: true }).fill('v'.repeat(70_000));
    await form.getByRole('button', { name: 'Store' }).click();
    // It said "must be at most 65536 characters", of a field that shows only dots.
    await form
      .getByRole('alert')
      .getByText('The value is 70,000 characters long, more than a secret may be (65,536): a whole file pasted?')
      .waitFor();
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('secret-value');
    expect(await secrets.get('whole-file')).toBeUndefined();
    await form.getByRole('button', { name: 'Cancel' }).click();
  });
});

describe('the Secrets screen in a small window, beside a server with a long name', () => {
  // As long as a server's name goes (64 characters), in one word.
  const server = 'github_enterprise_production_readonly_mirror_for_ci_and_releases';
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-secrets-small-');
    const secrets = createMemorySecretStore();
    await secrets.set('mirror-token', 'mirror-1234');
    const file = await writeConfig(dir.dir, {
      mcpServers: { [server]: { ...fixtureServer('mirror', { TOKEN: '${secret:mirror-token}' }), disabled: true } },
    });
    gateway = await startGateway(file, { uiDir: UI_DIR, secrets });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    await browser.page.setViewportSize({ width: 800, height: 600 });
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it("keeps a secret's row, and its Replace and Delete, within an 800x600 window", async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Secrets' }).click();
    const remove = page.getByRole('button', { name: 'Delete mirror-token' });
    await remove.waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-long-server-name.png') });
    // The server's name ran on in one line in Used by: the row's buttons were past the window's edge.
    const [width, scroll] = (await page.evaluate(
      '[document.querySelector("main").clientWidth, document.querySelector("main").scrollWidth]',
    )) as [number, number];
    expect(scroll).toBeLessThanOrEqual(width);
    const box = (await remove.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(800);
  });
});

describe("the Secrets screen's word for whether a secret is stored", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-secrets-state-');
    const secrets = createMemorySecretStore();
    await secrets.set('github-token', 'ghp_1234');
    // The key the backups of client files are encrypted with, made at the first install.
    await secrets.set('switchboard.backup-key', 'a2V5');
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        github: { ...fixtureServer('github', { GITHUB_TOKEN: '${secret:github-token}' }), disabled: true },
        linear: { ...fixtureServer('linear', { LINEAR_TOKEN: '${secret:linear-token}' }), disabled: true },
      },
    });
    gateway = await startGateway(file, { uiDir: UI_DIR, secrets });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('says "stored" or "missing" in a State column, as the Servers screen says a state', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Secrets' }).click();
    const table = page.getByRole('table');
    await table.getByRole('row', { name: /^linear-token/ }).waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-state.png') });
    // It read "Stored" over "yes" (and "Stored: yes" in a narrow window).
    // The buttons' column is named for a screen reader, as the Clients and Profiles screens' are.
    const headers = await table.getByRole('columnheader').evaluateAll((ths) => ths.map((th) => th.textContent));
    expect(headers).toEqual(['Name', 'State', 'Used by', 'Actions']);
    const state = (secret: string) => table.getByRole('row').filter({ hasText: secret }).getByRole('cell').nth(1);
    expect(await state('github-token').innerText()).toBe('stored');
    expect(await state('linear-token').innerText()).toBe('missing');
    // A narrow window names the column beside each cell instead.
    await page.setViewportSize({ width: 600, height: 600 });
    try {
      const named = await state('github-token').evaluate(
        (cell) => cell.ownerDocument.defaultView!.getComputedStyle(cell, '::before').content,
      );
      expect(named).toBe('"State: "');
      await page.screenshot({ path: path.join(await screenshotDir(), 'secrets-state-600.png') });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("says the backup key is Switchboard's own, for the backups of client files, not used by no one", async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Secrets' }).click();
    const row = page.getByRole('table').getByRole('row').filter({ hasText: 'switchboard.backup-key' });
    expect(await row.getByRole('cell').nth(2).innerText()).toBe('Switchboard (backups of client files)');
  });
});
