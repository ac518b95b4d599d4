/**
 * The web UI end to end, as a user meets it: real Chromium opens the login link a real gateway
 * made, with real MCP servers behind it (our fixture server and the reference `everything`
 * server) and SDK clients making calls. Controls are found by role and name; every screen is
 * checked with axe-core and photographed (into SCREENSHOT_DIR, default a temporary directory).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import {
  EVERYTHING,
  FIXTURE,
  MEMORY,
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let dir: { dir: string; cleanup(): Promise<void> };
let home: string;
const claudeConfig = () => path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
/** As a user left it: odd spacing and a server of their own. */
const CLAUDE_ORIGINAL =
  '{\n    "mcpServers": {\n        "notes": { "command": "notes-mcp", ' +
  '"env": { "NOTES_TOKEN": "tok-5f1e2d3c4b5a6978" } },\n        "scratch": { "command": "scratch-mcp" }\n    }\n}\n';
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let shots: string;
const clients: Client[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(UI_DIR, 'index.html')))
    throw new Error(`the renderer is not built (${UI_DIR}): run "npm run build" first (npm test does)`);
  dir = await tempDir('sb-ui-e2e-');
  shots = await screenshotDir();
  const config = await writeConfig(dir.dir, {
    mcpServers: { fx: fixtureServer('fx'), everything: { command: NODE, args: [EVERYTHING, 'stdio'] } },
    profiles: { work: { servers: ['fx'], description: 'What the work laptop needs' } },
    // Not a whole MiB: the Settings screen must keep it as it is unless its box is edited.
    traffic: { history: { maxBytes: 300_000 } },
  });
  // A home of its own with a Claude Desktop config in it, for the Clients screen.
  home = path.join(dir.dir, 'home');
  await mkdir(path.dirname(claudeConfig()), { recursive: true });
  await writeFile(claudeConfig(), CLAUDE_ORIGINAL);
  gateway = await startGateway(config, {
    uiDir: UI_DIR,
    trafficHistoryFile: path.join(dir.dir, 'traffic.db'),
    clientInstalls: {
      context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
      shim: (profile) =>
        shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
    },
  });
  await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 30_000);
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

async function client(capabilities: Record<string, unknown> = {}): Promise<Client> {
  const c = await httpClient(gateway.httpUrl()!, capabilities);
  clients.push(c);
  return c;
}

async function screen(name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Waits for `saved`; if the page shows a refusal instead, the failure says what it was. */
async function savedOrSaysWhy(saved: Locator): Promise<void> {
  const refusals = page.locator('.banner.error, .field-error');
  await expect
    .poll(
      async () =>
        (await saved.count()) > 0 ? 'saved' : (await refusals.allTextContents()).join(' | ') || 'nothing yet',
      {
        timeout: 20_000,
      },
    )
    .toBe('saved');
}

async function checkAndShoot(name: string): Promise<void> {
  expect(await seriousA11yProblems(page), `axe on ${name}`).toEqual([]);
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

describe('the web UI in Chromium', () => {
  it('logs in with the link, takes the code out of the address bar, and shows the overview', async () => {
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(page.url()).not.toContain('login=');
    await page.getByText('2 ready').waitFor();
    expect(await page.getByText(gateway.configPath()).count()).toBe(1);
    await checkAndShoot('overview');
  });

  it("lists the servers, and shows one server's tools and log", async () => {
    await screen('Servers');
    const row = page.getByRole('row').filter({ hasText: 'everything' });
    await row.getByText('ready').waitFor();
    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail.getByText('fx__echo').waitFor();
    await detail.getByRole('button', { name: 'Restart' }).waitFor();
    // A short tool name on one line: it broke as "log_floo / d", squeezed by the descriptions beside it.
    const lines = await detail.getByText('log_flood', { exact: true }).evaluate((el) => el.getClientRects().length);
    expect(lines).toBe(1);
    await checkAndShoot('servers');
  });

  it('hides a tool, renames another and turns a server off and on, and clients see it at once', async () => {
    const sdk = await client();
    const names = async () => (await sdk.listTools()).tools.map((t) => t.name);
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail.getByRole('checkbox', { name: 'Show big' }).uncheck();
    await waitFor(async () => !(await names()).includes('fx__big'), 10_000, 'fx__big hidden');
    await detail.getByRole('row').filter({ hasText: 'big' }).getByText('hidden').waitFor();
    const alias = detail.getByLabel('Alias of echo');
    await alias.fill('say');
    await alias.press('Enter');
    await waitFor(async () => (await names()).includes('say'), 10_000, 'the alias listed');
    expect(await names()).not.toContain('fx__echo');
    // The screen says so, and shows the name clients see now.
    await detail.getByRole('status').getByText('Saved: clients see say.').waitFor();
    await detail.getByRole('row').filter({ hasText: 'echo' }).getByText('say', { exact: true }).waitFor();
    // Leaving the field saves it too (Tab, not only Enter).
    await alias.fill('speak');
    await alias.press('Tab');
    await waitFor(async () => (await names()).includes('speak'), 10_000, 'the alias saved on leaving the field');
    // An alias the config refuses is said next to the tool.
    await alias.fill('no spaces please');
    await alias.press('Enter');
    await detail
      .getByRole('alert')
      .getByText(/aliases use letters, digits/)
      .waitFor();
    // Back as it was, for the tests after this one.
    await alias.fill('');
    await alias.press('Enter');
    await detail.getByRole('checkbox', { name: 'Show big' }).check();
    await waitFor(
      async () => (await names()).includes('fx__echo') && (await names()).includes('fx__big'),
      10_000,
      'echo and big back',
    );

    await page.getByRole('button', { name: 'everything', exact: true }).click();
    const everything = page.getByRole('region', { name: 'Server everything' });
    await everything.getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('row').filter({ hasText: 'everything' }).getByText('off', { exact: true }).waitFor();
    await waitFor(async () => !(await names()).some((n) => n.startsWith('everything__')), 10_000, 'everything off');
    // Off, it has nothing to restart: Turn on is what starts it.
    expect(await everything.getByRole('button', { name: 'Restart' }).count()).toBe(0);
    await everything.getByRole('button', { name: 'Turn on' }).click();
    await waitFor(() => gateway.servers().find((s) => s.name === 'everything')?.state === 'ready', 20_000);
    // Its log shows what happened as it happens, with the time of day as every log line has.
    await everything
      .getByLabel('Log of everything')
      .getByText(/\d\d:\d\d:\d\d\.\d{3} stopped\n(?:.*\n)*\d\d:\d\d:\d\d\.\d{3} ready/)
      .waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'fx', exact: true }).click();
  });

  it('adds a local command server from the form, and an SDK client calls its tool', async () => {
    await screen('Servers');
    const add = page.getByRole('button', { name: 'Add server' });
    // The form takes focus as it opens, and Escape closes it, focus back on the button.
    await add.click();
    await page.getByRole('region', { name: 'Add a server' }).waitFor();
    expect(await page.getByRole('region', { name: 'Add a server' }).locator(':focus').count()).toBe(1);
    await page.keyboard.press('Escape');
    await page.getByRole('region', { name: 'Add a server' }).waitFor({ state: 'detached' });
    expect(await page.locator(':focus').textContent()).toBe('Add server');
    await add.click();
    const form = page.getByRole('region', { name: 'Add a server' });
    // A name the config refuses: said at the field, nothing added.
    await form.getByLabel('Name', { exact: true }).fill('bad name');
    await form.getByLabel('Command', { exact: true }).fill(NODE);
    await form.getByRole('button', { name: 'Save server' }).click();
    await form.getByText(/server names use letters, digits/).waitFor();
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // The keyboard is taken to the field at fault, and its message is an alert (read out).
    await waitFor(async () => (await page.locator(':focus').getAttribute('aria-invalid')) === 'true', 5000);
    await form
      .getByRole('alert')
      .getByText(/server names use letters, digits/)
      .waitFor();
    await form.getByLabel('Name', { exact: true }).fill('formed');
    await form.getByLabel('Arguments, one per line').fill(FIXTURE);
    // A line that is not NAME=value: said at the environment box, which is marked.
    const envBox = form.getByLabel(/^Environment/);
    await envBox.fill('JUSTTEXT');
    await form.getByRole('button', { name: 'Save server' }).click();
    await form.getByRole('alert').getByText('"JUSTTEXT" is not NAME=value').waitFor();
    expect(await envBox.getAttribute('aria-invalid')).toBe('true');
    await envBox.fill('FIXTURE_NAME=formed');
    await form.getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('status').getByText('Added formed to the config file.').waitFor();
    await page.getByRole('row').filter({ hasText: 'formed' }).getByText('ready').waitFor({ timeout: 20_000 });
    await waitFor(() => gateway.servers().find((s) => s.name === 'formed')?.state === 'ready', 20_000);
    const sdk = await client();
    await waitFor(async () => (await sdk.listTools()).tools.some((t) => t.name === 'formed__echo'), 10_000);
    const result = await sdk.callTool({ name: 'formed__echo', arguments: { message: 'added-by-form' } });
    expect(textOf(result)).toContain('added-by-form');
  });

  it('edits a server in place: the form starts from its entry, and keys the form does not own stay', async () => {
    await gateway.api.setToolOptions('formed', 'big', { shown: false });
    await page.getByRole('button', { name: 'formed', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server formed' });
    await detail.getByRole('button', { name: 'Edit' }).click();
    const form = detail.getByRole('region', { name: 'Edit formed' });
    expect(await form.getByLabel('Name', { exact: true }).inputValue()).toBe('formed');
    expect(await form.getByLabel('Command', { exact: true }).inputValue()).toBe(NODE);
    const env = form.getByLabel(/^Environment/);
    expect(await env.inputValue()).toBe('FIXTURE_NAME=formed');
    await env.fill('FIXTURE_NAME=reformed\nPADDED= kept as typed ');
    // An empty argument is an argument; only empty lines at the end are left out.
    await form.getByLabel('Arguments, one per line').fill(`${FIXTURE}\n\n--last\n\n`);
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').getByText('Saved formed to the config file.').waitFor();
    const config = JSON.parse(await readFile(gateway.configPath(), 'utf8')) as {
      mcpServers: Record<string, { args?: string[]; env?: Record<string, string>; tools?: { deny?: string[] } }>;
    };
    expect(config.mcpServers.formed?.env).toEqual({ FIXTURE_NAME: 'reformed', PADDED: ' kept as typed ' });
    expect(config.mcpServers.formed?.args).toEqual([FIXTURE, '', '--last']);
    expect(config.mcpServers.formed?.tools?.deny).toEqual(['big']);
    await waitFor(() => gateway.servers().find((s) => s.name === 'formed')?.state === 'ready', 20_000);
    const sdk = await client();
    await waitFor(
      async () => {
        const result = await sdk.callTool({ name: 'formed__echo', arguments: { message: 'x' } });
        return (result.structuredContent as { server?: string } | undefined)?.server === 'reformed';
      },
      10_000,
      'the edited server answering',
    );
  });

  it('adds the servers of a pasted Claude Desktop block, and removes one again', async () => {
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('region', { name: 'Add a server' });
    await form.getByLabel('Paste a JSON block').check();
    const block = form.getByLabel(/block from Claude Desktop/);
    // Something that is not JSON at all is refused, saying where.
    await block.fill('{"mcpServers": {"memory": }');
    await form.getByRole('button', { name: 'Save server' }).click();
    await form.getByRole('alert').getByText('This is not JSON at line 1, column 27: expected a value').waitFor();
    // A block as client config files have them, with a comment and a trailing comma, is taken as it is.
    const server = JSON.stringify({ command: NODE, args: [MEMORY] });
    await block.fill(`{\n  // copied from Claude Desktop\n  "mcpServers": { "memory": ${server}, },\n}`);
    await form.getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('row').filter({ hasText: 'memory' }).getByText('ready').waitFor({ timeout: 20_000 });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('region', { name: 'Server memory' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('status').getByText('Removed memory from the config file.').waitFor();
    await waitFor(() => !gateway.servers().some((s) => s.name === 'memory'), 10_000);
  });

  it('shows each profile with its servers, address and what its tool list costs', async () => {
    await screen('Profiles');
    const work = page.getByRole('row').filter({ hasText: 'What the work laptop needs' });
    await work.getByText(`${gateway.httpUrl()!}/work`).waitFor();
    const cells = await work.getByRole('cell').allTextContents();
    expect(cells[1]).toBe('fx');
    expect(Number.parseInt(cells[2]!, 10)).toBe(gateway.servers().find((s) => s.name === 'fx')!.toolCount);
    await work.getByText('names').click();
    await work.getByText('fx__echo').waitFor();
    expect(cells[3]!.trim()).toMatch(/^[\d,]+ tokens$/);
    expect(Number(cells[3]!.replace(/\D/g, ''))).toBeGreaterThan(100);
    await page.getByRole('row').filter({ hasText: 'every enabled server' }).getByText('fx, everything').waitFor();
    await checkAndShoot('profiles');
  });

  it('makes a profile from some servers, changes it and removes it; its clients see each change', async () => {
    await screen('Profiles');
    const config = async () =>
      (JSON.parse(await readFile(gateway.configPath(), 'utf8')) as { profiles: Record<string, unknown> }).profiles;
    await page.getByRole('button', { name: 'New profile' }).click();
    const form = page.getByRole('region', { name: 'New profile' });
    const name = form.getByLabel('Name', { exact: true });
    // A name the config cannot take is said at the field.
    await name.fill('deep work');
    await form.getByRole('checkbox', { name: 'everything' }).check();
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form
      .getByRole('alert')
      .getByText(/^profile names use letters, digits/)
      .waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    // The keyboard is taken to the field (Save gave it up while it was disabled).
    await waitFor(async () => (await page.locator(':focus').getAttribute('id')) === 'profile-name', 5_000);
    // "default" is every enabled server: a new profile of that name would replace it for every client.
    await name.fill('default');
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form
      .getByRole('alert')
      .getByText(/default is every enabled server, and is not made here/)
      .waitFor();
    expect(Object.keys(await config())).toEqual(['work']);
    await name.fill('research');
    await form.getByLabel('Description (optional)').fill('Reading and notes');
    await checkAndShoot('profiles-form');
    await form.getByRole('button', { name: 'Save profile' }).click();
    await savedOrSaysWhy(page.getByRole('status').getByText('Saved research: its clients see 1 server now.'));
    expect((await config()).research).toEqual({ servers: ['everything'], description: 'Reading and notes' });
    const row = page.getByRole('row').filter({ hasText: 'Reading and notes' });
    await row.getByText(`${gateway.httpUrl()!}/research`).waitFor();
    await checkAndShoot('profiles-new');

    // A client of the profile sees only its servers, and the change when fx joins.
    const researcher = await httpClient(`${gateway.httpUrl()!}/research`);
    clients.push(researcher);
    const names = async () => (await researcher.listTools()).tools.map((t) => t.name);
    expect((await names()).every((n) => n.startsWith('everything__'))).toBe(true);
    await row.getByRole('button', { name: 'Edit research' }).click();
    const editor = page.getByRole('region', { name: 'Edit research' });
    // Its name is shown, not offered as a field: a profile is not renamed.
    expect(await editor.getByRole('textbox', { name: 'Name', exact: true }).count()).toBe(0);
    await editor.getByRole('checkbox', { name: 'fx' }).check();
    await editor.getByRole('button', { name: 'Save profile' }).click();
    await savedOrSaysWhy(page.getByRole('status').getByText('Saved research: its clients see 2 servers now.'));
    await waitFor(async () => (await names()).includes('fx__echo'), 10_000, 'fx in the profile');
    expect((await config()).research).toEqual({ servers: ['fx', 'everything'], description: 'Reading and notes' });

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Remove research' }).click();
    await page.getByRole('status').getByText('Removed research.').waitFor();
    expect(Object.keys(await config())).toEqual(['work']);
    expect((await gateway.api.listProfiles()).map((p) => p.name)).toEqual(['default', 'work']);
  });

  it('changes settings in the config file, refusing a bad value at its field; switches to dark', async () => {
    await screen('Settings');
    const save = page.getByRole('button', { name: 'Save settings' });
    await waitFor(() => save.isEnabled(), 10_000, 'the settings loaded');
    const days = page.getByLabel('Keep history for (days; 0 keeps none)');
    expect(await page.getByLabel('Largest history on disk (MiB; 0 keeps none)').inputValue()).toBe('0.29');
    // The config's port (the default here) is not where this gateway listens: the screen says so.
    const port = new URL(gateway.httpUrl()!).port;
    await page.getByText(`was started with --port, so it listens on ${port} now`).waitFor();
    await days.fill('-1');
    await save.click();
    // At the field, saying what it takes: not where it is in the config file.
    await page.getByRole('alert').getByText('Type a number of days from 0 to 3650 (0 keeps no history).').waitFor();
    expect(await days.getAttribute('aria-invalid')).toBe('true');
    await waitFor(async () => (await page.locator(':focus').getAttribute('id')) === 'history-days', 5_000);
    expect(await page.getByText('traffic.history.days').count()).toBe(0);
    await days.fill('7');
    // From the keyboard: Save is disabled while it saves, and has the keyboard again afterwards.
    await save.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Saved to the config file and applied.').waitFor();
    await waitFor(async () => (await page.locator(':focus').textContent()) === 'Save settings', 5_000, 'focus back');
    const config = JSON.parse(await readFile(gateway.configPath(), 'utf8')) as {
      traffic: { history: { days: number; maxBytes: number } };
    };
    expect(config.traffic.history.days).toBe(7);
    expect(config.traffic.history.maxBytes).toBe(300_000);
    expect((await gateway.api.getSettings()).historyDays).toBe(7);
    // A new port goes into the config, but a gateway started with --port stays where it is (with
    // --port 0 it used to reopen on another random port, and the page linked to the config's).
    await page.getByLabel('HTTP port').fill('8799');
    await save.click();
    await page
      .getByRole('status')
      .getByText(`The gateway keeps listening on ${port}, the port it was started`)
      .waitFor();
    expect(await page.getByRole('link', { name: 'continue at the new address' }).count()).toBe(0);
    expect(new URL(gateway.httpUrl()!).port).toBe(port);
    expect(
      (JSON.parse(await readFile(gateway.configPath(), 'utf8')) as { listen: { http: { port: number } } }).listen,
    ).toEqual({ http: { port: 8799 } });
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByLabel('Dark').check();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await checkAndShoot('settings-dark');
    await page.getByLabel('As the system').check();
    expect(await page.locator('html').getAttribute('data-theme')).toBeNull();
  });

  it('stores a secret, and a server added with ${secret:} gets its value', async () => {
    await screen('Secrets');
    await page.getByText('No secrets yet.').waitFor();
    await page.getByRole('button', { name: 'New secret' }).click();
    const form = page.getByRole('region', { name: 'New secret' });
    await form.getByLabel('Name', { exact: true }).fill('envy-token');
    await form.getByLabel('Value', { exact: true }).fill('v4lue-kept-by-switchboard');
    await form.getByRole('button', { name: 'Store' }).click();
    await page.getByRole('status').getByText('Stored envy-token.', { exact: false }).waitFor();
    // The form closed: the keyboard is back on the button that opened it.
    await waitFor(async () => (await page.locator(':focus').textContent()) === 'New secret', 5000, 'focus back');
    const row = page.getByRole('row').filter({ hasText: 'envy-token' });
    await row.getByText('no server').waitFor();
    // The value is never shown back.
    expect(await page.getByText('v4lue-kept-by-switchboard').count()).toBe(0);
    await checkAndShoot('secrets');

    await screen('Servers');
    await page.getByRole('button', { name: 'Add server' }).click();
    const add = page.getByRole('region', { name: 'Add a server' });
    await add.getByLabel('Name', { exact: true }).fill('envy');
    await add.getByLabel('Command', { exact: true }).fill(NODE);
    await add.getByLabel('Arguments, one per line').fill(`${EVERYTHING}\nstdio`);
    // The secret picked from the list, not typed: it lands where the cursor is.
    await add.getByLabel(/^Environment/).fill('API_TOKEN=');
    await add.getByLabel('Insert a secret into the environment').selectOption('envy-token');
    expect(await add.getByLabel(/^Environment/).inputValue()).toBe('API_TOKEN=${secret:envy-token}');
    await add.getByRole('button', { name: 'Save server' }).click();
    await waitFor(() => gateway.servers().find((s) => s.name === 'envy')?.state === 'ready', 20_000);
    const sdk = await client();
    await waitFor(async () => (await sdk.listTools()).tools.some((t) => t.name === 'envy__get-env'), 10_000);
    expect(textOf(await sdk.callTool({ name: 'envy__get-env', arguments: {} }))).toContain('v4lue-kept-by-switchboard');

    await screen('Secrets');
    await row.getByText('envy (env.API_TOKEN)').waitFor();
    // Another window (or the CLI) adds a server that uses it too: the screen open here says so.
    const env = { API_TOKEN: '${secret:envy-token}' };
    await gateway.api.addServer('envy2', { command: NODE, args: [EVERYTHING, 'stdio'], env });
    try {
      await row.getByText('envy2 (env.API_TOKEN)').waitFor();
    } finally {
      await gateway.api.removeServer('envy2');
    }
    await row.getByText('envy2 (env.API_TOKEN)').waitFor({ state: 'detached' });
  });

  it('installs into a client after showing the change, and restores its original byte for byte', async () => {
    await screen('Clients');
    const row = page.getByRole('row').filter({ hasText: 'Claude Desktop' });
    await row.getByText('not installed').waitFor();
    // In a window of 800 by 600 the long config path wraps; the row's buttons stay in the window.
    await page.setViewportSize({ width: 800, height: 600 });
    const move = row.getByRole('button', { name: 'Move servers of Claude Desktop into Switchboard' });
    const box = await move.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(800);
    await page.setViewportSize({ width: 1280, height: 800 });
    await row.getByRole('button', { name: 'Install into Claude Desktop' }).click();
    const preview = page.getByRole('region', { name: 'Install into Claude Desktop' });
    const diff = await preview.getByLabel('The change').textContent();
    expect(diff).toContain('+');
    expect(diff).toContain('"switchboard"');
    await checkAndShoot('clients');
    await preview.getByRole('button', { name: 'Write the change' }).click();
    await page
      .getByRole('status')
      .getByText(/Installed into Claude Desktop/)
      .waitFor();
    await row.getByText('installed (profile default)').waitFor();
    const installed = JSON.parse(await readFile(claudeConfig(), 'utf8')) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(installed.mcpServers).sort()).toEqual(['notes', 'scratch', 'switchboard']);
    // Another profile: picked in the preview, which then shows that change. One made meanwhile is offered.
    await row.getByRole('button', { name: 'Reinstall into Claude Desktop' }).click();
    const profile = preview.getByRole('combobox', { name: 'Profile' });
    expect(await profile.inputValue()).toBe('default');
    await gateway.api.saveProfile('made-meanwhile', { servers: ['fx'] });
    await profile.getByRole('option', { name: 'made-meanwhile' }).waitFor({ state: 'attached' });
    await gateway.api.removeProfile('made-meanwhile');
    await waitFor(async () => (await profile.getByRole('option').allTextContents()).length === 2, 10_000);
    await profile.selectOption('work');
    await preview.getByLabel('The change').getByText('"work"').waitFor();
    await checkAndShoot('clients-profile');
    await preview.getByRole('button', { name: 'Write the change' }).click();
    await row.getByText('installed (profile work)').waitFor();
    const reinstalled = JSON.parse(await readFile(claudeConfig(), 'utf8')) as {
      mcpServers: { switchboard: { args: string[] } };
    };
    expect(reinstalled.mcpServers.switchboard.args.slice(-2)).toEqual(['--profile', 'work']);
    // A profile the config does not have is refused, naming the ones it has.
    await expect(gateway.api.installClient('claude-desktop', 'wrok')).rejects.toThrow(
      'there is no profile "wrok" (the config has "default", "work")',
    );
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Restore Claude Desktop' }).click();
    await page
      .getByRole('status')
      .getByText(/Restored Claude Desktop's original config/)
      .waitFor();
    expect(await readFile(claudeConfig(), 'utf8')).toBe(CLAUDE_ORIGINAL);
    await row.getByText('not installed').waitFor();
    // Restore went with the backup; the keyboard is on the client's Install button, not the page.
    await waitFor(
      async () => (await page.locator(':focus').getAttribute('aria-label')) === 'Install into Claude Desktop',
      5_000,
      'focus on Install',
    );
  });

  it('shows a call live in Traffic and opens it as a tree with its upstream request', async () => {
    await screen('Traffic');
    const sdk = await client();
    await sdk.callTool({ name: 'fx__echo', arguments: { message: 'seen-in-the-browser' } });
    const row = page.getByRole('row').filter({ hasText: 'fx__echo' }).first();
    await row.getByText('ok').waitFor({ timeout: 10_000 });
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('Request of tools/call').first().waitFor();
    expect(await detail.locator('pre').filter({ hasText: 'seen-in-the-browser' }).count()).toBeGreaterThanOrEqual(2);
    // The request the gateway sent the server, under the client's call, by its own name.
    await detail.getByText('gateway → fx').waitFor();
    await checkAndShoot('traffic');
    // Esc closes the detail; "/" goes to the search box.
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    await page.keyboard.press('/');
    expect(await page.locator(':focus').getAttribute('aria-label')).toBe('Search traffic');
  });

  it('answers an elicitation in Questions while a client that cannot show it waits for the answer', async () => {
    const sdk = await client(); // no elicitation capability: the gateway asks the user in the app
    const call = sdk.callTool({ name: 'fx__ask', arguments: {} });
    await screen('Questions');
    const question = page.getByRole('article', { name: 'Question from fx' });
    await question.getByText('What is your name?').waitFor({ timeout: 10_000 });
    await checkAndShoot('questions');
    await question.getByRole('button', { name: 'Accept' }).click();
    // Required and empty: refused at the field before anything is sent.
    await question.getByText('name is required.').waitFor();
    await question.getByLabel('name (required)').fill('Ada');
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(textOf(await call)).toBe('hello Ada');
    await page.getByText('No questions are waiting.').waitFor();
  });

  it('types a field the server marks secret hidden, and gives focus back once the question is answered', async () => {
    const sdk = await client();
    const call = sdk.callTool({ name: 'fx__survey', arguments: {} });
    await screen('Questions');
    const question = page.getByRole('article', { name: 'Question from fx' });
    await question.getByText('Who are you?').waitFor({ timeout: 10_000 });
    expect(await question.getByLabel('pin').getAttribute('type')).toBe('password');
    expect(await question.getByLabel('name (required)').getAttribute('type')).toBe('text');
    await question.getByLabel('name (required)').fill('Ada');
    await question.getByLabel('pin').fill('1234');
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(textOf(await call)).toBe('surveyed Ada');
    await page.getByRole('status').getByText('Answered the question from fx.').waitFor();
    expect(await page.locator(':focus').textContent()).toBe('Questions');
  });

  it('announces a new question, and says so when one goes away unanswered (its call was cancelled)', async () => {
    const sdk = await client();
    const abort = new AbortController();
    const call = sdk.callTool({ name: 'fx__ask', arguments: {} }, undefined, { signal: abort.signal });
    await screen('Questions');
    const question = page.getByRole('article', { name: 'Question from fx' });
    await question.getByText('What is your name?').waitFor({ timeout: 10_000 });
    await page.getByRole('status').getByText('A question from fx is waiting.').waitFor();
    // Times read as a person says them: to the second, 24-hour, like the logs.
    await question.getByText(/^· \d\d:\d\d:\d\d · answer before \d\d:\d\d:\d\d$/).waitFor();
    await question.getByLabel('name (required)').fill('half-typed');
    abort.abort();
    await call.catch(() => undefined);
    const gone = page.getByRole('alert').filter({ hasText: 'The question from fx was withdrawn' });
    await gone.waitFor();
    await question.waitFor({ state: 'detached' });
    // The live region no longer says one is waiting.
    expect(await page.getByText('A question from fx is waiting.').count()).toBe(0);
    await checkAndShoot('questions-withdrawn');
    await gone.getByRole('button', { name: 'Dismiss' }).click();
    await gone.waitFor({ state: 'detached' });
  });

  it('shows the clients connected now, and follows them coming and going', async () => {
    await screen('Overview');
    const table = page.getByRole('region', { name: 'Clients connected now' });
    // The sessions of one client alike are one row, counting them ("test-client 1.0.0, 3 connections").
    const listed = async () =>
      (await table.getByRole('row').filter({ hasText: 'test-client 1.0.0' }).allTextContents())
        .map((text) => Number(/(\d+) connections/.exec(text)?.[1] ?? 1))
        .reduce((a, b) => a + b, 0);
    const before = gateway.listSessions().length;
    await waitFor(async () => (await listed()) === before, 10_000, 'every open session listed');
    const extra = await httpClient(gateway.httpUrl()!);
    await waitFor(async () => (await listed()) === before + 1, 10_000, 'the new client listed');
    // Heard from last, first.
    expect(await table.getByRole('row').nth(1).getByRole('cell').nth(1).textContent()).toBe('HTTP');
    expect(await table.getByRole('row').nth(1).getByRole('cell').last().textContent()).toBe('just now');
    // The last hour's calls follow the calls as they are made, without a reload.
    const hour = page.getByRole('region', { name: 'The last hour' });
    const counted = async () => Number(/(\d+) tool call/.exec((await hour.textContent()) ?? '')?.[1]);
    await hour.getByText(/tool calls?,/).waitFor();
    const callsBefore = await counted();
    await extra.callTool({ name: 'fx__echo', arguments: { message: 'counted' } });
    await waitFor(async () => (await counted()) === callsBefore + 1, 10_000, 'the call counted');
    // A call no server saw (the gateway refused it) failed all the same, for the user.
    const failed = async () => Number(/(\d+) failed/.exec((await hour.textContent()) ?? '')?.[1]);
    const failedBefore = await failed();
    await expect(extra.callTool({ name: 'fx__no_such_tool', arguments: {} })).rejects.toThrow(/fx__no_such_tool/);
    await waitFor(
      async () => (await counted()) === callsBefore + 2 && (await failed()) === failedBefore + 1,
      10_000,
      'the refused call counted as failed',
    );
    // A client that ends its session (DELETE, as the spec asks) is gone at once.
    await (extra.transport as StreamableHTTPClientTransport).terminateSession();
    await extra.close();
    await waitFor(async () => (await listed()) === before, 10_000, 'the client gone');
  });

  it('pauses the gateway from the overview, says so, and resumes it', async () => {
    await screen('Overview');
    const ready = await page.getByRole('list', { name: 'Servers by state' }).textContent();
    await page.getByRole('button', { name: 'Pause gateway' }).click();
    const banner = page.getByRole('status').filter({ hasText: 'Paused: every server is stopped' });
    await banner.waitFor();
    await page
      .getByRole('list', { name: 'Servers by state' })
      .getByText(/^\d+ stopped$/)
      .waitFor();
    expect(gateway.paused()).toBe(true);
    await checkAndShoot('overview-paused');
    await banner.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause gateway' }).waitFor();
    await waitFor(
      async () => (await page.getByRole('list', { name: 'Servers by state' }).textContent()) === ready,
      20_000,
      'every server back as before',
    );
  });

  it('rejects a sampling request, and the server hears no', async () => {
    await screen('Questions');
    const sdk = await client();
    const call = sdk.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'Write a haiku' } });
    const question = page.getByRole('article', { name: 'Question from everything' });
    await question.getByText('Write a haiku').waitFor({ timeout: 10_000 });
    await question.getByRole('button', { name: 'Send reply' }).isDisabled();
    await question.getByRole('button', { name: 'Reject' }).click();
    const result = await call;
    expect(JSON.stringify(result)).toMatch(/reject|declin/i);
    await page.getByText('No questions are waiting.').waitFor();
  });

  it("moves a client's servers into Switchboard and its secrets into the keychain, showing both diffs", async () => {
    await screen('Clients');
    const row = page.getByRole('row').filter({ hasText: 'Claude Desktop' });
    await row.getByRole('button', { name: 'Move servers of Claude Desktop into Switchboard' }).click();
    const move = page.getByRole('region', { name: "Move Claude Desktop's servers into Switchboard" });
    expect(await move.getByRole('checkbox', { name: /notes/ }).isChecked()).toBe(true);
    await move.getByText('env.NOTES_TOKEN goes to the keychain as').waitFor();
    const diffs = (await move.locator('pre').allTextContents()).join('\n');
    expect(diffs).toContain('notes');
    expect(diffs).not.toContain('tok-5f1e2d3c4b5a6978');
    await checkAndShoot('adopt');
    // Unticked while its preview is slow to come: Move waits for it, and then leaves that server be.
    await page.route('**/adoption-preview', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    try {
      await move.getByRole('checkbox', { name: /scratch/ }).uncheck();
      expect(await move.getByRole('button', { name: 'Move them' }).isDisabled()).toBe(true);
      await waitFor(() => move.getByRole('button', { name: 'Move them' }).isEnabled(), 10_000, 'the preview');
    } finally {
      await page.unroute('**/adoption-preview');
    }
    expect(await move.getByLabel("The change to Switchboard's config").textContent()).not.toContain('scratch-mcp');
    await move.getByRole('button', { name: 'Move them' }).click();
    await page
      .getByRole('status')
      .getByText(/Moved notes into Switchboard/)
      .waitFor();
    const config = JSON.parse(await readFile(gateway.configPath(), 'utf8')) as {
      mcpServers: Record<string, { env?: Record<string, string> }>;
    };
    expect(config.mcpServers.notes?.env?.NOTES_TOKEN).toMatch(/^\$\{secret:[^}]+\}$/);
    const client = JSON.parse(await readFile(claudeConfig(), 'utf8')) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(client.mcpServers)).toEqual(['scratch', 'switchboard']);
    const stored = (await gateway.api.listSecrets()).secrets.filter((x) => x.usedBy.some((u) => u.server === 'notes'));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.stored).toBe(true);
    expect(await readFile(claudeConfig(), 'utf8')).not.toContain('tok-5f1e2d3c4b5a6978');
  });

  it("restores only Claude Code's servers once Claude Code saved its state, and says so", async () => {
    const file = path.join(home, '.claude.json');
    await writeFile(file, JSON.stringify({ numStartups: 3, projects: {}, mcpServers: {} }, null, 2) + '\n');
    await gateway.api.installClient('claude-code', 'default');
    // Claude Code saves its state, as it does all the time.
    const state = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...state, numStartups: 4, projects: { '/home/me/app': {} } }, null, 2));
    // Opened afresh, the screen lists Claude Code (found now that its file exists).
    await screen('Servers');
    await screen('Clients');
    const row = page.getByRole('row').filter({ hasText: 'Claude Code' });
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Restore Claude Code' }).click();
    const note = page.getByRole('status').filter({ hasText: "Restored only Claude Code's servers" });
    await note.waitFor();
    const said = await note.textContent();
    expect(said).toMatch(/took Switchboard out of .*\.claude\.json\. The rest of the file stays as it is now: /);
    expect(said).toContain("it changed since Switchboard wrote it, and it is Claude Code's whole state");
    await checkAndShoot('clients-restore-servers');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      numStartups: 4,
      projects: { '/home/me/app': {} },
      mcpServers: {},
    });
  });

  it("shows a server's log lines once each, and a refused tool change as it still is", async () => {
    const sdk = await client();
    await sdk.callTool({ name: 'fx__stderr', arguments: { text: 'BEFORE-OPENING' } });
    await waitFor(() => gateway.servers().length > 0, 1000);
    await screen('Servers');
    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail
      .getByText(/BEFORE-OPENING/)
      .first()
      .waitFor();
    await sdk.callTool({ name: 'fx__stderr', arguments: { text: 'AFTER-OPENING' } });
    await detail
      .getByText(/AFTER-OPENING/)
      .first()
      .waitFor();
    await new Promise((r) => setTimeout(r, 300));
    const log = (await detail.getByLabel('Log of fx').textContent()) ?? '';
    expect(log.match(/BEFORE-OPENING/g)).toHaveLength(1);
    expect(log.match(/AFTER-OPENING/g)).toHaveLength(1);

    // With an allow list in the config, showing a tool outside it is refused: the box stays clear.
    const file = gateway.configPath();
    const config = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
    const before = JSON.stringify(config, null, 2);
    config.mcpServers.fx!.tools = { allow: ['echo', 'stderr'] };
    await writeFile(file, JSON.stringify(config, null, 2));
    await gateway.reload();
    try {
      await screen('Overview');
      await screen('Servers');
      await page.getByRole('button', { name: 'fx', exact: true }).click();
      const big = detail.getByRole('checkbox', { name: 'Show big' });
      await big.waitFor();
      expect(await big.isChecked()).toBe(false);
      await big.click();
      await detail.getByRole('alert').first().waitFor();
      await waitFor(async () => !(await big.isChecked()), 5000, 'the box cleared again');
    } finally {
      await writeFile(file, before);
      await gateway.reload();
    }
  });
});
