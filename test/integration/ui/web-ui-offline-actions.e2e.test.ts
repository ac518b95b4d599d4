/**
 * While the gateway cannot be reached, no screen offers what would ask it: each screen's actions are disabled, saying
 * why (the page's notice describes them), and what is shown can still be read and selected. Once the gateway is back,
 * they are offered again.
 *
 * A real `switchboard serve` process, frozen with SIGSTOP and continued with SIGCONT (its keep-alive made short, so
 * the page notices within a second or two), in real Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { CLI, NODE, cliRun, fixtureServer, httpClient, tempDir, waitFor } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from '../keychain/keyring-session.ts';

const KEEP_ALIVE_MS = 400;
const NOTICE = /The gateway cannot be reached: the live connection to it broke/;

// The Secrets screen offers its actions only with a keychain to store in: a real one, on a private D-Bus session.
const missing = keyringMissingOutsideCi();

let dir: { dir: string; cleanup(): Promise<void> };
let keyring: KeyringSession | undefined;
let env: NodeJS.ProcessEnv;
let gateway: ChildProcess | undefined;
let browser: TestBrowser;
let page: Page;
let mcpUrl: string;

function signal(name: NodeJS.Signals): void {
  if (gateway?.pid !== undefined && gateway.exitCode === null && gateway.signalCode === null)
    process.kill(gateway.pid, name);
}

/** The accessible description of a control: the text of what its aria-describedby names. */
async function description(control: Locator): Promise<string> {
  const ids = (await control.getAttribute('aria-describedby'))?.split(' ').filter(Boolean) ?? [];
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ').trim();
}

/** Freezes the gateway, checks `controls` are disabled saying why (and `readable` are not), continues it. */
async function whileUnreachable(controls: Locator[], readable: Locator[], shot?: string): Promise<void> {
  for (const control of controls) expect(await control.isEnabled(), String(control)).toBe(true);
  signal('SIGSTOP');
  try {
    await page.getByRole('alert').getByText(NOTICE).waitFor({ timeout: 10_000 });
    for (const control of controls) {
      expect(await control.isDisabled(), String(control)).toBe(true);
      expect(await description(control), String(control)).toMatch(NOTICE);
    }
    for (const control of readable) expect(await control.isEnabled(), String(control)).toBe(true);
    if (shot) await page.screenshot({ path: path.join(await screenshotDir(), shot) });
  } finally {
    signal('SIGCONT');
    await page.getByRole('alert').getByText(NOTICE).waitFor({ state: 'detached', timeout: 15_000 });
  }
  for (const control of controls) expect(await control.isEnabled(), String(control)).toBe(true);
}

beforeAll(async () => {
  dir = await tempDir('sb-ui-offline-');
  keyring = missing ? undefined : await startKeyringSession();
  env = {
    ...process.env,
    ...keyring?.env,
    HOME: dir.dir,
    XDG_CONFIG_HOME: path.join(dir.dir, '.config'),
    SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    SWITCHBOARD_API_KEEPALIVE_MS: String(KEEP_ALIVE_MS),
  };
  const configDir = path.join(dir.dir, '.config', 'switchboard');
  await fs.mkdir(configDir, { recursive: true });
  // Cursor is on this machine (its folder is): the Clients screen lists it.
  await fs.mkdir(path.join(dir.dir, '.cursor'));
  await fs.writeFile(
    path.join(configDir, 'config.json'),
    JSON.stringify({
      listen: { http: { port: 0 } },
      mcpServers: { fx: fixtureServer('fx', { FX_TOKEN: '${secret:fx-token}' }) },
      profiles: { work: { servers: ['fx'] } },
    }),
  );
  const child = spawn(NODE, [CLI, 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  gateway = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => /ready/.test(stderr), 20_000, 'the gateway to be ready');
  mcpUrl = /HTTP (http:\/\/\S+\/mcp)/.exec(stderr)![1]!;
  browser = await launchBrowser();
  page = browser.page;
  page.setDefaultTimeout(10_000);
  const { stdout, stderr: said } = await cliRun(env, 'ui');
  const link = /http:\/\/\S+#login=[A-Za-z0-9_-]+/.exec(stdout + said)?.[0];
  if (!link) throw new Error(`switchboard ui printed no link: ${stdout}${said}`);
  // Its live stream open: until its answer says the gateway's keep-alive interval, the page waits the default's.
  const stream = page.waitForResponse((r) => r.url().includes('/api/events'));
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  await stream;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  signal('SIGCONT');
  const exited = gateway && new Promise((resolve) => gateway!.once('exit', resolve));
  signal('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  signal('SIGKILL');
  await keyring?.close();
  await dir?.cleanup();
});

describe('the screens while the gateway cannot be reached', () => {
  it('Overview: Pause gateway', async () => {
    await whileUnreachable([page.getByRole('button', { name: 'Pause gateway' })], []);
  });

  it("Servers: a server's actions and the form's Save; its name and the Add server form still open", async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    const name = page.getByRole('button', { name: 'fx', exact: true });
    await name.click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail.getByRole('button', { name: 'Turn off' }).waitFor();
    await page.getByRole('button', { name: 'Add server' }).click();
    const actions = ['Restart', 'Turn off', 'Edit', 'Remove'].map((n) => detail.getByRole('button', { name: n }));
    await whileUnreachable(
      [...actions, page.getByRole('button', { name: 'Save server' })],
      [name, page.getByRole('button', { name: 'Add server' })],
      'web-ui-offline-servers.png',
    );
  });

  it('Profiles: Remove and Save; Edit still opens the form', async () => {
    await page.getByRole('link', { name: 'Profiles' }).click();
    const edit = page.getByRole('button', { name: 'Edit work' });
    await edit.click();
    await page.getByRole('button', { name: 'Save profile' }).waitFor();
    await whileUnreachable(
      [page.getByRole('button', { name: 'Remove work' }), page.getByRole('button', { name: 'Save profile' })],
      [edit],
    );
  });

  it.skipIf(missing)('Secrets: Store; Set still opens the form', async () => {
    await page.getByRole('link', { name: 'Secrets' }).click();
    const set = page.getByRole('button', { name: 'Set fx-token' });
    await set.click();
    await page.getByRole('region', { name: 'Set fx-token' }).waitFor();
    await whileUnreachable([page.getByRole('button', { name: 'Store' })], [set]);
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it("Clients: a client's Install", async () => {
    await page.getByRole('link', { name: 'Clients' }).click();
    const install = page.getByRole('button', { name: 'Install into Cursor' });
    await install.waitFor();
    await whileUnreachable([install], []);
  });

  it("Traffic: the exports and an exchange's Replay; its rows still open", async () => {
    // A client's tools/list: a request the gateway would send again.
    const client = await httpClient(mcpUrl);
    await client.listTools();
    await client.close();
    await page.getByRole('link', { name: 'Traffic' }).click();
    const row = page.getByRole('grid').getByRole('row').filter({ hasText: 'tools/list' }).first();
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByRole('button', { name: 'Replay' }).waitFor();
    await whileUnreachable(
      [
        page.getByRole('button', { name: 'Export JSONL' }),
        page.getByRole('button', { name: 'Export HAR' }),
        detail.getByRole('button', { name: 'Replay' }),
      ],
      [row, page.getByRole('button', { name: 'Pause live list' })],
      'web-ui-offline-traffic.png',
    );
  });

  it('Settings: Save settings', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const save = page.getByRole('button', { name: 'Save settings' });
    await waitFor(() => save.isEnabled(), 10_000, 'the settings to load');
    await whileUnreachable([save], []);
  });
});
