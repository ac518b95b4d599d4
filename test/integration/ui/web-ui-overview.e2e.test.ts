/**
 * The Overview in real Chromium against a real gateway: the servers that are down, each with why and
 * a way to its detail, and what it says of the last hour's calls when the traffic record is off.
 * Screenshots go to SCREENSHOT_DIR.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import {
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { rawSession, type RawSession } from '../../helpers/raw-http.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe('the Overview in the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let client: Client;
  let shots: string;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-overview-');
    shots = await screenshotDir();
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        fx: fixtureServer('fx'),
        // Gives up at once, saying why.
        broken: { command: NODE, args: ['-e', 'process.stderr.write("Error: cannot open notes.db"); process.exit(3)'] },
        off: { ...fixtureServer('off'), disabled: true },
        notes: { ...fixtureServer('notes'), env: { NOTES_TOKEN: '${secret:notes-token}' } },
      },
    });
    gateway = await startGateway(config, {
      uiDir: UI_DIR,
      backoff: { initialMs: 50, maxMs: 100, maxAttempts: 1, stableMs: 60_000 },
    });
    await waitFor(() => gateway.servers().find((s) => s.name === 'broken')?.state === 'failed', 10_000, 'broken');
    client = await httpClient(gateway.httpUrl()!);
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('says nothing of servers or clients before the gateway has answered', async () => {
    const tab = await browser.context.newPage();
    try {
      // Everything the page said while it loaded.
      await tab.addInitScript({
        content: `window.said = [];
          new MutationObserver(() => window.said.push(document.body ? document.body.innerText : ''))
            .observe(document, { subtree: true, childList: true, characterData: true });`,
      });
      await tab.goto(gateway.uiLoginUrl()!);
      await tab.getByRole('list', { name: 'Servers by state' }).getByText('1 ready').waitFor();
      const said = String(await tab.evaluate("window.said.join('\\n')"));
      // Each load offered to add a first server, and said no client was connected, until the lists came.
      expect(said).not.toContain('No servers are configured yet');
      expect(said).not.toContain('No client is connected');
    } finally {
      await tab.close();
    }
  });

  it('names each server that is down with why, and leads to its detail', async () => {
    const servers = page.getByRole('region', { name: 'Servers' });
    await servers.getByRole('list', { name: 'Servers by state' }).getByText('2 failed').waitFor();
    // It said "2 failed" and nothing of which, or why.
    const down = servers.getByRole('list', { name: 'Servers down' });
    const items = (await down.getByRole('listitem').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^broken failed: .*Error: cannot open notes\.db/);
    // Its name is said once, before the error.
    expect(items[1]).toMatch(/^notes failed: env\.NOTES_TOKEN refers to \$\{secret:notes-token\}, which is not in /);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'overview-servers-down.png'), fullPage: true });
    await down.getByRole('button', { name: 'broken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    const detail = page.getByRole('region', { name: 'Server broken' });
    await detail.getByRole('button', { name: 'Restart' }).waitFor();
    // The keyboard is on its heading.
    const heading = detail.getByRole('heading', { level: 2, name: 'broken' });
    await expect.poll(() => heading.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    // The next visit to Servers from the list of screens opens no server by itself.
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    expect(await page.getByRole('region', { name: 'Server broken' }).count()).toBe(0);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Overview' }).click();
  });

  it('does not count calls as none while the traffic record is off, and says where to turn it on', async () => {
    const hour = page.getByRole('region', { name: 'The last hour' });
    await client.callTool({ name: 'fx__echo', arguments: { message: 'recorded' } });
    await hour.getByText('1 tool call, 0 failed.').waitFor({ timeout: 10_000 });
    await gateway.api.changeSettings({ trafficEnabled: false });
    for (const message of ['not recorded', 'nor this'])
      await client.callTool({ name: 'fx__echo', arguments: { message } });
    // It said "1 tool call, 0 failed." (and "0 tool calls" for an hour with the record off throughout).
    const note = hour.getByRole('status');
    await note.getByText(/Recording is off, so calls made now are not counted/).waitFor({ timeout: 10_000 });
    const said = (await note.textContent())?.replace(/\s+/g, ' ');
    expect(said).toMatch(/the last hour's record holds 1 tool call, 0 failed/);
    expect(await hour.getByText(/^\s*1 tool call, 0 failed\.\s*$/).count()).toBe(0);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'overview-recording-off.png'), fullPage: true });
    await note.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByRole('checkbox', { name: 'Record every message (redacted)' }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved to the config file and applied.').waitFor();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Overview' }).click();
    await client.callTool({ name: 'fx__echo', arguments: { message: 'recorded again' } });
    await hour.getByText('2 tool calls, 0 failed.').waitFor({ timeout: 10_000 });
    await waitFor(async () => (await note.count()) === 0, 5_000, 'the note gone');
  });

  it('leads from the count of failed calls to those calls', async () => {
    const hour = page.getByRole('region', { name: 'The last hour' });
    await client.callTool({ name: 'fx__echo', arguments: { message: 'went well' } });
    await client.callTool({ name: 'fx__nope', arguments: {} }).catch(() => undefined);
    await hour.getByText(/\b1 failed\./).waitFor({ timeout: 10_000 });
    // "Open traffic" alone led to every exchange, the failed call among the lists and the calls that went well.
    await hour.getByRole('button', { name: 'Show the failed calls' }).click();
    await page.getByRole('heading', { level: 1, name: 'Traffic' }).waitFor();
    const filters = page.getByRole('list', { name: 'Filters' });
    // Polled: on a busy machine the screen may still be drawing what it was given.
    await expect
      .poll(async () => (await filters.getByRole('listitem').allInnerTexts()).map((t) => t.replace(/\s*×$/, '')))
      .toEqual(['last hour', 'method: tools/call', 'errors only']);
    const rows = page.getByRole('grid', { name: 'Exchanges' }).getByRole('row').filter({ hasNotText: 'Outcome' });
    await rows.filter({ hasText: 'fx__nope' }).waitFor();
    await expect.poll(async () => (await rows.allInnerTexts()).length).toBe(1);
    await page.screenshot({ path: path.join(shots, 'overview-failed-calls.png') });
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Overview' }).click();
  });

  it('sets Pause gateway apart from the facts above it, as Show servers is from the list above it', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Overview' }).click();
    const gatewaySection = page.getByRole('region', { name: 'Gateway' });
    const pause = gatewaySection.getByRole('button', { name: 'Pause gateway' });
    const show = page.getByRole('region', { name: 'Servers' }).getByRole('button', { name: 'Show servers' });
    // The room between a button and what is drawn right above it.
    const room = (button: typeof pause) =>
      button.evaluate((b) =>
        Math.round(b.getBoundingClientRect().top - b.previousElementSibling!.getBoundingClientRect().bottom),
      );
    await gatewaySection.screenshot({ path: path.join(shots, 'overview-pause-gateway.png') });
    // Pause gateway sat against "Clients connect at", with no room above it.
    expect(await room(pause)).toBe(await room(show));
  });

  it('keeps the keyboard on Pause and Resume, each of which takes the place of the other', async () => {
    // On the Overview whatever the test before left on screen.
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Overview' }).click();
    const gatewaySection = page.getByRole('region', { name: 'Gateway' });
    const focused = (name: string) =>
      gatewaySection.getByRole('button', { name }).evaluate((el) => el === el.ownerDocument.activeElement);
    await gatewaySection.getByRole('button', { name: 'Pause gateway' }).focus();
    await page.keyboard.press('Enter');
    await gatewaySection.getByRole('status').getByText('Paused:').waitFor();
    // The button pressed went away with its place: the keyboard fell to the page, and Tab started over at the top.
    await expect.poll(() => focused('Resume')).toBe(true);
    await page.screenshot({ path: path.join(shots, 'overview-paused.png') });
    await page.keyboard.press('Enter');
    await expect.poll(() => focused('Pause gateway')).toBe(true);
    expect(gateway.paused()).toBe(false);
  });
});

describe('the Overview of a gateway started with a config file it cannot read', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let file: string;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-overview-broken-');
    file = path.join(dir.dir, 'config.json');
    await writeFile(file, '{ "mcpServers": { "notes": { "command": "node" }, } ');
    gateway = await startGateway(file, { uiDir: UI_DIR, watch: true, keepRunningOnConfigError: true });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    await browser.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('says its servers wait for the file to be fixed, and offers no first server to add', async () => {
    const page = browser.page;
    const servers = page.getByRole('region', { name: 'Servers' });
    // It said "No servers are configured yet" and offered Add a server, which the broken file refuses.
    await servers.getByText('No server runs: the config file has the problem said above.').waitFor();
    // No previous config exists to keep running: the banner must not promise one.
    const banner = page.getByRole('alert').filter({ hasText: 'The config file has a problem' });
    await banner.getByText('no server runs until it is fixed and saved').waitFor();
    expect(await banner.getByText('previous config keeps running').count()).toBe(0);
    expect(await servers.getByText('No servers are configured yet').count()).toBe(0);
    expect(await servers.getByRole('button', { name: 'Add a server' }).count()).toBe(0);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(await screenshotDir(), 'overview-config-broken-at-start.png') });
    // Fixed by hand: its server is there.
    await writeFile(file, '{ "mcpServers": { "notes": { "command": "node", "args": ["-e", "0"] } } }');
    await servers.getByRole('list', { name: 'Servers by state' }).waitFor({ timeout: 10_000 });
    await banner.waitFor({ state: 'detached' });
    // Broken again: now the config it had does keep running, and the banner says so.
    await writeFile(file, '{ "mcpServers": ');
    await banner.getByText('the previous config keeps running').waitFor({ timeout: 10_000 });
    await servers.getByRole('list', { name: 'Servers by state' }).waitFor();
  });
});

describe('the Overview with many clients connected', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-overview-many-');
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }), {
      uiDir: UI_DIR,
    });
    // 60 real HTTP sessions: 30 clients of their own, then a script that connected 30 times.
    const url = gateway.httpUrl()!;
    const workers: RawSession[] = [];
    for (let i = 1; i <= 30; i++) {
      workers.push(await rawSession(url, '2025-06-18', { name: `worker-${i}`, version: '1.0' }));
      // Each heard from in a millisecond of its own: which ten are listed does not hang on a tie.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (let i = 1; i <= 30; i++) await rawSession(url, '2025-06-18', { name: 'batch-job', version: '2.1' });
    // Heard from last of all.
    await workers[0]!.call({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(await gateway.api.listSessions()).toHaveLength(60);
    browser = await openWebUi(gateway.uiLoginUrl()!);
    await browser.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('lists the clients heard from last, one connected many times once, and counts the rest', async () => {
    const page = browser.page;
    const section = page.getByRole('region', { name: 'Clients connected now' });
    await section.getByText('And 21 more connections, heard from less recently.').waitFor();
    await section.getByText('An HTTP client can go away without saying so').waitFor();
    // It listed all 60, one row each: the rest of the page went far below.
    const rows = section.getByRole('row').filter({ hasNot: page.getByRole('columnheader') });
    expect(await rows.count()).toBe(10);
    const clients = (await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent ?? ''))).map(
      (t) => t.replace(/\s+/g, ' ').trim(),
    );
    expect(clients.slice(0, 3)).toEqual(['worker-1 1.0', 'batch-job 2.1, 30 connections', 'worker-30 1.0']);
    expect(clients.at(-1)).toBe('worker-23 1.0');
    expect(clients).not.toContain('worker-22 1.0');
    expect(await seriousA11yProblems(page)).toEqual([]);
    await section.screenshot({ path: path.join(await screenshotDir(), 'overview-many-clients.png') });
  });
});
