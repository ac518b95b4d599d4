/**
 * The Servers screen in real Chromium, as a user meets what goes wrong there: a pasted block with a
 * name the config has for another server, refusals said in the form's words at their fields, and
 * what the screen shows once the situation changed. Screenshots go to SCREENSHOT_DIR.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import {
  FIXTURE,
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe('the Servers screen', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let shots: string;

  const config = async () =>
    JSON.parse(await readFile(gateway.configPath(), 'utf8')) as { mcpServers: Record<string, unknown> };
  const shoot = async (name: string) => {
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, `servers-${name}.png`), fullPage: true });
  };
  const addForm = () => page.getByRole('region', { name: 'Add a server' });
  async function openAddForm(kind: string): Promise<void> {
    if ((await addForm().count()) === 0) await page.getByRole('button', { name: 'Add server' }).click();
    await addForm().getByLabel(kind).check();
  }

  beforeAll(async () => {
    dir = await tempDir('sb-ui-servers-');
    shots = await screenshotDir();
    const file = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    // Watching the file, as the app does: a hand edit applies at once.
    gateway = await startGateway(file, { uiDir: UI_DIR, watch: true });
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 20_000);
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('offers the four kinds of server on one line at 1280 pixels, each kind on one line', async () => {
    await openAddForm('Local command');
    const kinds = addForm().getByRole('group', { name: 'What kind of server' });
    await kinds.screenshot({ path: path.join(shots, 'servers-add-kinds.png') });
    // Where each kind's words are drawn: "Paste a JSON block" went under the other three.
    const lines = await kinds.getByRole('radio').evaluateAll((radios) =>
      radios.map((radio) => {
        const label = radio.closest('label')!;
        const range = label.ownerDocument.createRange();
        range.selectNodeContents(label);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        return { kind: label.textContent!.trim(), tops: [...tops] };
      }),
    );
    expect(lines.map((l) => l.kind)).toEqual([
      'Local command',
      'Remote URL',
      'JSON handler (HTTP or FastCGI)',
      'Paste a JSON block',
    ]);
    expect(new Set(lines.flatMap((l) => l.tops)).size, JSON.stringify(lines)).toBe(1);
    await page.getByRole('button', { name: 'Add server' }).click();
  });

  it('says a pasted server whose name another entry has was not added; renamed and sent again, all go in', async () => {
    const fx = (await config()).mcpServers.fx;
    await openAddForm('Paste a JSON block');
    const block = addForm().getByLabel(/block from Claude Desktop/);
    const servers = (taken: string) =>
      JSON.stringify({
        mcpServers: {
          p1: fixtureServer('p1'),
          [taken]: { command: 'no-such-command-anywhere', args: ['--other'] },
          p2: fixtureServer('p2'),
        },
      });
    await block.fill(servers('fx'));
    await addForm().getByRole('button', { name: 'Save server' }).click();
    await addForm()
      .getByRole('alert')
      .getByText(
        'fx is already configured with a different entry, so it was not added (rename it here to add it as well). ' +
          'Added p1, p2 to the config file.',
      )
      .waitFor();
    // Nothing says fx was added, and its entry is as it was; the keyboard is on the block, to rename it.
    expect(await page.getByText(/Added p1, fx/).count()).toBe(0);
    await expect.poll(async () => (await config()).mcpServers.fx).toEqual(fx);
    expect(await block.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await shoot('paste-name-taken');
    // Renamed and sent again: p1 and p2, in already as they are here, count as added.
    await block.fill(servers('fx-other'));
    await addForm().getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('status').getByText('Added p1, fx-other, p2 to the config file.').waitFor();
    expect(Object.keys((await config()).mcpServers)).toEqual(['fx', 'p1', 'p2', 'fx-other']);
  });

  it('shows the alias in force in the box of a refused one, also once its error is gone', async () => {
    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    const alias = detail.getByRole('textbox', { name: 'Alias of big', exact: true });
    // A space is refused (a tool's name has none).
    await alias.fill('say it');
    await alias.press('Enter');
    await detail
      .getByRole('alert')
      .getByText(/^"say it" was not saved: aliases use letters/)
      .waitFor();
    await shoot('alias-refused');
    expect(await alias.inputValue()).toBe('');
    const row = detail
      .getByRole('row')
      .filter({ has: page.getByRole('textbox', { name: 'Alias of big', exact: true }) });
    await row.getByText('fx__big').waitFor();
    // Another tool's change takes the error away; the box still says what clients see.
    const echo = detail.getByRole('row').filter({ has: page.getByRole('checkbox', { name: 'Show echo' }) });
    await echo.getByRole('checkbox').uncheck();
    await echo.getByText('hidden').waitFor();
    expect(await detail.getByRole('alert').count()).toBe(0);
    expect(await alias.inputValue()).toBe('');
    await echo.getByRole('checkbox').click();
    await echo.getByText('fx__echo').waitFor();
  });

  it("says what is wrong in a pasted block that is not JSON in the config loader's words, with its hint", async () => {
    await openAddForm('Paste a JSON block');
    const block = addForm().getByLabel(/block from Claude Desktop/);
    const save = addForm().getByRole('button', { name: 'Save server' });
    await block.fill('{\n  "mcpServers": { "p1": { "command": "x", }\n');
    await save.click();
    await addForm().getByRole('alert').getByText('This is not JSON at line 3, column 1: expected "}"').waitFor();
    await block.fill("{ 'mcpServers': {} }");
    await save.click();
    await addForm()
      .getByRole('alert')
      .getByText(
        'This is not JSON at line 1, column 3: ' +
          `unexpected character (JSON takes double quotes: "name", not 'name')`,
      )
      .waitFor();
    // As a README shows it, without the braces: the mistake inside is said, not the colon after the key.
    await block.fill(`"mcpServers": {\n  'readme': { "command": "x" }\n}`);
    await save.click();
    await addForm()
      .getByRole('alert')
      .getByText(
        'This is not JSON at line 2, column 3: ' +
          `unexpected character (JSON takes double quotes: "name", not 'name')`,
      )
      .waitFor();
    await block.fill('"mcpServers": {\n  "readme": { "command": "x" }\n');
    await save.click();
    await addForm().getByRole('alert').getByText('This is not JSON at line 3, column 1: expected "}"').waitFor();
    await shoot('paste-not-json');
    expect(
      await addForm()
        .getByText(/Expected at character|InvalidSymbol/)
        .count(),
    ).toBe(0);
  });

  it("reads a README's block without braces, VS Code's and Zed's lists; names a refused server and place", async () => {
    await openAddForm('Paste a JSON block');
    const block = addForm().getByLabel(/block from Claude Desktop/);
    const save = addForm().getByRole('button', { name: 'Save server' });
    const said = (text: string) => addForm().getByRole('alert').getByText(text, { exact: true }).waitFor();
    const server = (name: string) => JSON.stringify(fixtureServer(name), null, 2);
    // As a server's README shows it: the key and its value, without the braces of the file around them.
    await block.fill(`// claude_desktop_config.json\n"mcpServers": {\n  "readme-one": ${server('readme-one')}\n}`);
    await save.click();
    await page.getByRole('status').getByText('Added readme-one to the config file.').waitFor();
    // VS Code's settings.json keeps its list under "mcp".
    await openAddForm('Paste a JSON block');
    await block.fill(`{\n  "mcp": {\n    "servers": {\n      "vscode-one": ${server('vscode-one')}\n    }\n  }\n}`);
    await save.click();
    await page.getByRole('status').getByText('Added vscode-one to the config file.').waitFor();
    // Zed's list is read: what Zed writes in an entry is named, once, with its server.
    await openAddForm('Paste a JSON block');
    await block.fill(JSON.stringify({ context_servers: { 'zed-one': { source: 'custom', ...fixtureServer('z') } } }));
    await save.click();
    await said('zed-one: "source" is Zed\'s ("custom" for a server it starts): remove it');
    await shoot('paste-zed');
    // A value deep in an entry is named by its place; an entry's own problem is not said to be its name's.
    await block.fill(JSON.stringify({ mcpServers: { num: { command: 'node', env: { PORT: 8080 } } } }));
    await save.click();
    await said('num: env.PORT: expected a string, got the number 8080');
    await block.fill(JSON.stringify({ mcpServers: { 'remote-x': { serverUrl: 'https://mcp.example.com/sse' } } }));
    await save.click();
    await said(
      'remote-x: needs "command" (a local program to start) or "url" (a remote MCP server); ' +
        'rename "serverUrl" to "url"',
    );
    // One server's entry alone: it has no name to be added under.
    await block.fill(JSON.stringify({ command: 'uvx', args: ['mcp-server-fetch'] }));
    await save.click();
    await said(
      'This is one server\'s entry, without its name ("command" is at the top): ' +
        'put it under a name of your choosing, {"mcpServers": {"name": {...}}}',
    );
    expect(Object.keys((await config()).mcpServers)).toEqual(expect.arrayContaining(['readme-one', 'vscode-one']));
    for (const name of ['zed-one', 'num', 'remote-x', 'mcp', 'context_servers'])
      expect(Object.keys((await config()).mcpServers)).not.toContain(name);
    await page.getByRole('button', { name: 'Add server' }).click();
  });

  it('says a secret-looking argument goes into the file in plain text: none comes from the keychain', async () => {
    await openAddForm('Paste a JSON block');
    const block = addForm().getByLabel(/block from Claude Desktop/);
    const note = addForm().getByText(/looks? secret: an argument cannot come from the keychain/);
    // As Supabase's and Tavily's READMEs give them.
    await block.fill(
      JSON.stringify({
        mcpServers: {
          supabase: { command: 'npx', args: ['-y', '@supabase/mcp-server-supabase', '--access-token', 'sbp_0a1b2c'] },
          tavily: { command: 'npx', args: ['-y', 'mcp-remote', 'https://mcp.tavily.com/mcp/?tavilyApiKey=tvly-1'] },
        },
      }),
    );
    await note.waitFor();
    expect(await note.innerText()).toMatch(/^supabase's argument 4 and tavily's argument 3 look secret: /);
    await shoot('paste-secret-argument');
    // A reference is no secret of its own; an argument that only names a flag is none either.
    await block.fill(
      JSON.stringify({ mcpServers: { s: { command: 'x', args: ['--access-token', '${secret:s}', '--api-key'] } } }),
    );
    await note.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Add server' }).click();
  });

  it('says a FastCGI handler needs its script at the Script field, not at the address', async () => {
    await openAddForm('JSON handler (HTTP or FastCGI)');
    await addForm().getByRole('textbox', { name: 'Name', exact: true }).fill('travel-php');
    const address = addForm().getByRole('textbox', { name: /^Address/ });
    const script = addForm().getByRole('textbox', { name: /^Script/ });
    await address.fill('127.0.0.1:9000');
    await addForm().getByRole('button', { name: 'Save server' }).click();
    await expect.poll(() => script.getAttribute('aria-invalid')).toBe('true');
    const said = await page.locator(`#${await script.getAttribute('aria-describedby')}`).textContent();
    expect(said).toMatch(/a FastCGI handler needs "entrypoint"/);
    expect(await address.getAttribute('aria-invalid')).toBeNull();
    expect(await script.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await shoot('fastcgi-no-script');
  });

  it('takes away what the last action said once the next one starts', async () => {
    if ((await addForm().count()) > 0) await page.getByRole('button', { name: 'Add server' }).click();
    await openAddForm('Local command');
    await addForm().getByRole('textbox', { name: 'Name', exact: true }).fill('travel-py');
    await addForm().getByRole('textbox', { name: 'Command' }).fill(NODE);
    await addForm()
      .getByRole('textbox', { name: /^Arguments/ })
      .fill(FIXTURE);
    await addForm().getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('status').getByText('Added travel-py to the config file.').waitFor();
    // The next server: the note about the last one goes, and does not stand beside this one's refusal.
    await openAddForm('JSON handler (HTTP or FastCGI)');
    await addForm().getByRole('textbox', { name: 'Name', exact: true }).fill('travel-php');
    await addForm()
      .getByRole('textbox', { name: /^Address/ })
      .fill('127.0.0.1:9000');
    await addForm().getByRole('button', { name: 'Save server' }).click();
    await addForm()
      .getByRole('alert')
      .getByText(/needs "entrypoint"/)
      .waitFor();
    expect(await page.getByText('Added travel-py to the config file.').count()).toBe(0);
    await shoot('next-action');
    await page.getByRole('button', { name: 'Add server' }).click();
  });

  it("takes away a refusal that was the config file's fault once the file is fixed", async () => {
    const good = await readFile(gateway.configPath(), 'utf8');
    await writeFile(gateway.configPath(), good.replace('"mcpServers": {', '"mcpServers": {,,'));
    await page.getByText('The config file has a problem; the previous config keeps running.').waitFor();
    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail.getByRole('button', { name: 'Turn off' }).click();
    await detail
      .getByRole('alert')
      .getByText(/syntax error/)
      .waitFor();
    await openAddForm('Local command');
    await addForm().getByRole('textbox', { name: 'Name', exact: true }).fill('zz');
    await addForm().getByRole('textbox', { name: 'Command' }).fill('echo');
    await addForm().getByRole('button', { name: 'Save server' }).click();
    await addForm()
      .getByRole('alert')
      .getByText(/syntax error/)
      .waitFor();
    await shoot('config-broken');
    // Fixed by hand: nothing on the screen says it is broken any more.
    await writeFile(gateway.configPath(), good);
    await waitFor(async () => (await page.getByText(/syntax error/).count()) === 0, 10_000, 'the errors to go');
    expect(await detail.getByRole('button', { name: 'Turn off' }).count()).toBe(1);
    await shoot('config-fixed');
  });

  it('adds the calls made while a server is open to its recent calls, without opening it again', async () => {
    await page.getByRole('button', { name: 'p1', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server p1' });
    // What it was asked when it started is there already (its tool list); no tool calls yet.
    const calls = detail.getByRole('row').filter({ hasText: 'tools/call' });
    await detail.getByRole('row').filter({ hasText: 'tools/list' }).first().waitFor();
    expect(await calls.count()).toBe(0);
    const client = await httpClient(gateway.httpUrl()!);
    try {
      await client.callTool({ name: 'p1__echo', arguments: { message: 'one' } });
      await calls.filter({ hasText: 'ok' }).first().waitFor();
      // A call its tool refuses (arguments its schema does not take) reads as the tool's error.
      await client.callTool({ name: 'p1__echo', arguments: { text: 'two' } });
      await calls.filter({ hasText: 'tool error' }).first().waitFor();
      expect(await calls.filter({ hasText: 'ok' }).count()).toBe(1);
      await calls.last().scrollIntoViewIfNeeded();
      await shoot('recent-calls-live');
    } finally {
      await client.close();
    }
  });

  it('closes the Add and Edit forms unsaved with Cancel, the keyboard back on the button that opened it', async () => {
    const focused = () => page.evaluate<string>(`document.activeElement?.textContent?.trim() ?? 'nothing'`);
    const before = await readFile(gateway.configPath(), 'utf8');
    await page.getByRole('link', { name: 'Servers' }).click();
    if ((await addForm().count()) > 0) await page.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('button', { name: 'Add server' }).click();
    await addForm().getByRole('textbox', { name: 'Name', exact: true }).fill('never-saved');
    await addForm().getByRole('button', { name: 'Cancel' }).click();
    await addForm().waitFor({ state: 'detached' });
    expect(await focused()).toBe('Add server');

    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail.getByRole('button', { name: 'Edit' }).click();
    const form = detail.getByRole('region', { name: 'Edit fx' });
    await form.getByLabel(/^Environment/).fill('FIXTURE_NAME=fx\nNEVER_SAVED=1');
    await shoot('edit-cancel');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
    expect(await focused()).toBe('Edit');
    expect(await readFile(gateway.configPath(), 'utf8')).toBe(before);
  });

  it('keeps an edit made in the file while the Edit form was open, and refuses one the form would undo', async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    const edit = async () => {
      await detail.getByRole('button', { name: 'Edit' }).click();
      return detail.getByRole('region', { name: 'Edit fx' });
    };
    const handEdit = async (change: (fx: { args: string[]; env: Record<string, string> }) => void) => {
      const file = (await config()) as { mcpServers: { fx: { args: string[]; env: Record<string, string> } } };
      change(file.mcpServers.fx);
      await writeFile(gateway.configPath(), JSON.stringify(file, null, 2));
    };
    let form = await edit();
    await form.getByLabel(/^Environment/).fill('FIXTURE_NAME=fx\nFROM_FORM=1');
    // Meanwhile, by hand: an argument more.
    await handEdit((fx) => fx.args.push('--by-hand'));
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').getByText('Saved fx to the config file.').waitFor();
    const fx = (await config()).mcpServers.fx as { args: string[]; env: Record<string, string> };
    expect(fx.args.at(-1)).toBe('--by-hand');
    expect(fx.env).toEqual({ FIXTURE_NAME: 'fx', FROM_FORM: '1' });

    // Both changed the environment: the form does not overwrite the file's edit, it says so.
    form = await edit();
    await form.getByLabel(/^Environment/).fill('FIXTURE_NAME=fx');
    await handEdit((fx) => (fx.env.BY_HAND = '1'));
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form
      .getByRole('alert')
      .getByText('env was changed in the config file while this form was open: Cancel, and edit again')
      .waitFor();
    expect(((await config()).mcpServers.fx as { env: Record<string, string> }).env.BY_HAND).toBe('1');
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });
  });

  it('keeps what a box cannot show (an empty last argument, a value on two lines) when another is saved', async () => {
    type Fx = { args: string[]; env: Record<string, string>; cwd?: string };
    const before = await readFile(gateway.configPath(), 'utf8');
    const file = (await config()) as { mcpServers: { fx: Fx } };
    file.mcpServers.fx.args.push('--label', '');
    file.mcpServers.fx.env.GREETING = 'line one\nline two';
    await writeFile(gateway.configPath(), JSON.stringify(file, null, 2));
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server fx' });
    await detail.getByRole('button', { name: 'Edit' }).click();
    const form = detail.getByRole('region', { name: 'Edit fx' });
    await form.getByLabel(/^Working directory/).fill(path.dirname(FIXTURE));
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').getByText('Saved fx to the config file.').waitFor();
    const fx = (await config()).mcpServers.fx as Fx;
    expect(fx.args.slice(-2)).toEqual(['--label', '']);
    expect(fx.env.GREETING).toBe('line one\nline two');
    expect(fx.cwd).toBe(path.dirname(FIXTURE));
    await writeFile(gateway.configPath(), before);
  });

  it('renames a server in its Edit form and its profile, the detail following it; refuses a taken name', async () => {
    await gateway.api.addServer('old-name', { command: NODE, args: [FIXTURE] });
    await gateway.api.saveProfile('crew', { servers: ['old-name'] });
    try {
      await page.getByRole('link', { name: 'Servers' }).click();
      await page.getByRole('button', { name: 'old-name', exact: true }).click();
      let detail = page.getByRole('region', { name: 'Server old-name' });
      await detail.getByRole('button', { name: 'Edit' }).click();
      const form = detail.getByRole('region', { name: 'Edit old-name' });
      const name = form.getByRole('textbox', { name: 'Name', exact: true });
      // Taken: said at the name, and nothing renamed.
      await name.fill('fx');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await form
        .getByRole('alert')
        .getByText('a server named "fx" is already configured: choose another name')
        .waitFor();
      await name.fill('new-name');
      await shoot('rename-form');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await page
        .getByRole('status')
        .getByText(
          'Renamed old-name to new-name and saved it to the config file (clients see its tools under the new name).',
        )
        .waitFor();
      detail = page.getByRole('region', { name: 'Server new-name' });
      await detail.getByRole('heading', { name: 'new-name' }).waitFor();
      await detail.getByRole('row').filter({ hasText: 'new-name__echo' }).waitFor();
      expect(await page.getByText('was removed', { exact: false }).count()).toBe(0);
      const file = await config();
      expect(Object.keys(file.mcpServers)).toContain('new-name');
      expect(Object.keys(file.mcpServers)).not.toContain('old-name');
      expect((await gateway.api.listProfiles()).find((p) => p.name === 'crew')?.servers).toEqual(['new-name']);
      await shoot('renamed');
    } finally {
      await gateway.api.removeProfile('crew');
      for (const name of ['old-name', 'new-name']) await gateway.api.removeServer(name).catch(() => undefined);
    }
  });

  it('says so when the open server is removed elsewhere, and offers no Edit or Remove for it', async () => {
    await gateway.api.addServer('leaving', { command: NODE, args: [FIXTURE] });
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'leaving', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Server leaving' });
    await detail.getByRole('button', { name: 'Edit' }).waitFor();
    // Another window removes it.
    await gateway.api.removeServer('leaving');
    await detail
      .getByText(
        'leaving is no longer in the config file: it was removed or renamed (in another window, or in the file',
      )
      .waitFor();
    expect(await detail.getByRole('button', { name: /^(Edit|Remove|Restart|Turn off)$/ }).count()).toBe(0);
    await shoot('removed-elsewhere');
  });

  it('shows an isolated server as starting with each client, with no Restart', async () => {
    await gateway.api.addServer('solo', { command: NODE, args: [FIXTURE], isolated: true });
    try {
      await page.getByRole('link', { name: 'Servers' }).click();
      const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'solo', exact: true }) });
      await row.getByText('starts with each client').waitFor();
      await page.getByRole('button', { name: 'solo', exact: true }).click();
      const detail = page.getByRole('region', { name: 'Server solo' });
      await detail.getByRole('button', { name: 'Edit' }).waitFor();
      expect(await detail.getByRole('button', { name: 'Restart' }).count()).toBe(0);
      // The Overview counts it as such, after the ready ones (not as stopped).
      await page.getByRole('link', { name: 'Overview' }).click();
      const counts = page.getByRole('list', { name: 'Servers by state' });
      await counts.getByText('starts with each client').waitFor();
      const listed = await counts.getByRole('listitem').allTextContents();
      expect(listed.slice(0, 2)).toEqual([expect.stringMatching(/^\d+ ready$/), '1 starts with each client']);
      expect(listed.join()).not.toContain('stopped');
      await page.getByRole('link', { name: 'Servers' }).click();
      await page.getByRole('button', { name: 'solo', exact: true }).click();
      // A client connects: its own process starts.
      const client = await httpClient(gateway.httpUrl()!);
      try {
        await client.listTools();
        await row.getByText('ready (one per client)').waitFor();
        // Its tools, as that client's process lists them (the same program for every client).
        await detail.getByRole('row').filter({ hasText: 'solo__echo' }).waitFor();
        expect(await row.getByRole('cell').nth(3).textContent()).toBe('10');
        await shoot('isolated');
      } finally {
        await client.close();
      }
    } finally {
      await gateway.api.removeServer('solo');
    }
  });

  it('says at once that a server a profile lists cannot be removed, without asking to confirm first', async () => {
    await gateway.api.addServer('kept', { command: NODE, args: [FIXTURE] });
    await gateway.api.saveProfile('team', { servers: ['kept'] });
    const dialogs: string[] = [];
    const onDialog = (dialog: Dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    };
    page.on('dialog', onDialog);
    try {
      await page.getByRole('link', { name: 'Servers' }).click();
      await page.getByRole('button', { name: 'kept', exact: true }).click();
      const detail = page.getByRole('region', { name: 'Server kept' });
      await detail.getByRole('button', { name: 'Remove' }).click();
      await page
        .getByRole('alert')
        .getByText('kept is in profile team: take it out of it first (Profiles), then remove it.')
        .waitFor();
      expect(dialogs).toEqual([]);
      expect(gateway.servers().some((x) => x.name === 'kept')).toBe(true);
      await shoot('remove-listed');
    } finally {
      page.off('dialog', onDialog);
      await gateway.api.removeProfile('team');
      await gateway.api.removeServer('kept');
    }
  });

  it('names the secrets a removed server leaves in the keychain, and deletes them only when asked', async () => {
    await gateway.api.setSecret('leaving.TOKEN', 'token-of-leaving');
    await gateway.api.setSecret('team.KEY', 'key-shared-with-staying');
    const env = { TOKEN: '${secret:leaving.TOKEN}', KEY: '${secret:team.KEY}' };
    await gateway.api.addServer('leaving', { command: NODE, args: [FIXTURE], env });
    await gateway.api.addServer('staying', { command: NODE, args: [FIXTURE], env: { KEY: '${secret:team.KEY}' } });
    const onDialog = (dialog: Dialog) => void dialog.accept();
    page.on('dialog', onDialog);
    try {
      await page.getByRole('link', { name: 'Servers' }).click();
      await page.getByRole('button', { name: 'leaving', exact: true }).click();
      await page.getByRole('region', { name: 'Server leaving' }).getByRole('button', { name: 'Remove' }).click();
      await page.getByRole('status').getByText('Removed leaving from the config file.').waitFor();
      // Only the one nothing else uses; it is still there.
      const left = page.getByRole('group', { name: 'Secrets left in the keychain' });
      await left
        .getByText(
          'leaving used the secret leaving.TOKEN, which nothing else uses: it stays in the keychain until you ' +
            'delete it.',
        )
        .waitFor();
      const stored = async () => (await gateway.api.listSecrets()).secrets.filter((s) => s.stored).map((s) => s.name);
      expect(await stored()).toEqual(expect.arrayContaining(['leaving.TOKEN', 'team.KEY']));
      await shoot('removed-secrets-left');
      await left.getByRole('button', { name: 'Delete from the keychain' }).click();
      await page.getByRole('status').getByText('Deleted leaving.TOKEN from the keychain.').waitFor();
      expect(await left.count()).toBe(0);
      const now = await stored();
      expect(now).not.toContain('leaving.TOKEN');
      expect(now).toContain('team.KEY');
    } finally {
      page.off('dialog', onDialog);
      await gateway.api.removeServer('staying');
      for (const name of ['leaving.TOKEN', 'team.KEY']) await gateway.api.deleteSecret(name).catch(() => undefined);
    }
  });

  it("says at a field what is wrong with it in the field's words, not with the API method's name", async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    await openAddForm('Local command');
    const name = addForm().getByRole('textbox', { name: 'Name', exact: true });
    await name.fill('');
    await addForm().getByRole('textbox', { name: 'Command' }).fill('echo');
    await addForm().getByRole('button', { name: 'Save server' }).click();
    await addForm().getByRole('alert').getByText('must not be empty', { exact: true }).waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await shoot('empty-name');
    expect(await page.getByText(/addServer/).count()).toBe(0);
    await page.getByRole('button', { name: 'Add server' }).click();

    await page.getByRole('link', { name: 'Settings' }).click();
    const port = page.getByRole('spinbutton', { name: 'HTTP port' });
    await port.fill('80.5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').getByText('Type a port number: a whole number from 0 to 65535.').waitFor();
    expect(await port.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText(/changeSettings|change\.httpPort/).count()).toBe(0);
    await page.screenshot({ path: path.join(shots, 'settings-port-refused.png') });
  });
});
