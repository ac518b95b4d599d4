/**
 * The traffic inspector in real Chromium, against a real gateway and server: what a user does
 * with it over a working day. Pause and resume lose nothing; a network break is caught up; older
 * entries load on request; the open exchange follows its call to the end and never offers to
 * replay another; the keyboard stays on its row while calls arrive above it.
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { clock, dayOf } from '../../../renderer/src/lib/format.ts';
import {
  launchBrowser,
  openWebUi,
  screenshotDir,
  seriousA11yProblems,
  type TestBrowser,
} from '../../helpers/browser.ts';
import { lockDatabase } from '../../helpers/sqlite-lock.ts';
import { ROOT, fixtureServer, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let client: Client;
let shots: string;

beforeAll(async () => {
  dir = await tempDir('sb-ui-traffic-');
  shots = await screenshotDir();
  const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
  gateway = await startGateway(config, { uiDir: UI_DIR, trafficHistoryFile: path.join(dir.dir, 'traffic.db') });
  await waitFor(() => gateway.servers()[0]?.state === 'ready', 10_000, 'fx ready');
  client = await httpClient(gateway.httpUrl()!);
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Traffic' }).click();
}, 60_000);

// A test that fails midway may leave a filter or a pause behind: take them away, so one failure stays one.
afterEach(async () => {
  const chips = page.getByRole('list', { name: 'Filters' }).getByRole('button', { name: /^Remove filter / });
  while ((await chips.count()) > 0) await chips.first().click();
  const resume = page.getByRole('button', { name: /^Resume live list/ });
  if ((await resume.count()) > 0) await resume.click();
  await page.keyboard.press('Escape');
});

afterAll(async () => {
  await client?.close();
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

const echo = (message: string) => client.callTool({ name: 'fx__echo', arguments: { message } });
const grid = () => page.getByRole('grid', { name: 'Exchanges' });
/** A time as a `datetime-local` field holds it: local, to the minute. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
/** A `datetime-local` value as a filter chip says it: the time alone today, with its date on another day. */
function chipTime(input: string): string {
  return input.slice(0, 10) === localInput(Date.now()).slice(0, 10) ? input.slice(11) : input.replace('T', ' ');
}

/**
 * Ends every event stream of the gateway's control API, as a network break or a sleeping laptop
 * does (the routes are internal to the gateway; nothing public ends a stream from its side).
 */
function dropEventStreams(g: Gateway): void {
  (g as unknown as { apiRoutes: { close(): void } }).apiRoutes.close();
}

/** Where the focused element's outline is cut off by a scrolling or clipping box around it, or ''. */
function ringCut(): Promise<string> {
  return page.locator('body').evaluate((body) => {
    const doc = body.ownerDocument;
    const view = doc.defaultView!;
    const el = doc.activeElement;
    if (!el || el === doc.body || !el.matches(':focus-visible')) return '';
    const style = view.getComputedStyle(el);
    const reach = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth);
    const box = el.getBoundingClientRect();
    const ring = { left: box.left - reach, top: box.top - reach, right: box.right + reach, bottom: box.bottom + reach };
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (view.getComputedStyle(up).overflow === 'visible') continue;
      const outer = up.getBoundingClientRect();
      const left = outer.left + up.clientLeft;
      const top = outer.top + up.clientTop;
      const sides = [
        ring.left < left - 0.5 && 'left',
        ring.top < top - 0.5 && 'top',
        ring.right > left + up.clientWidth + 0.5 && 'right',
        ring.bottom > top + up.clientHeight + 0.5 && 'bottom',
      ].filter(Boolean);
      // A side scrolled out of view is not cut: scrolled into view, its ring shows.
      const inView = box.top >= top && box.bottom <= top + up.clientHeight;
      const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 30);
      if (sides.length && inView) return `${el.tagName} "${text}": ${sides.join(', ')}`;
    }
    return '';
  });
}

/** The client's calls of fx__echo the table shows, by the message they sent (from the gateway's record). */
async function shownCalls(): Promise<number> {
  return grid().getByRole('row').filter({ hasText: 'fx__echo' }).filter({ hasText: 'test-client → gateway' }).count();
}

describe('the traffic inspector', () => {
  it('catches up after a network break: what ended meanwhile appears, each call once', async () => {
    await echo('before the break');
    await waitFor(async () => (await shownCalls()) === 1, 10_000, 'the first call');
    const streams: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/events')) streams.push(r.headers()['last-event-id'] ?? '');
    });
    // The gateway's side of a network break: every event stream ends; the calls go on meanwhile. The
    // page reconnects (after half a second at first) and is told it missed live traffic.
    dropEventStreams(gateway);
    for (let i = 0; i < 3; i++) await echo(`during the break ${i}`);
    await waitFor(() => streams.some((id) => id !== ''), 20_000, 'the event stream resumed');
    await waitFor(async () => (await shownCalls()) === 4, 10_000, 'the calls of the break');
    await new Promise((r) => setTimeout(r, 300));
    expect(await shownCalls()).toBe(4);
  });

  it('shows what a call caused right under it, even when calls overlap', async () => {
    await Promise.all(Array.from({ length: 6 }, (_, i) => echo(`overlapping ${i}`)));
    const calls = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 6 }).entries;
    const caused = gateway.traffic.list({ edge: 'upstream', method: 'tools/call', limit: 50 }).entries;
    const rowIndex = async (id: string) =>
      Number(await grid().locator(`[data-id="${id}"]`).getAttribute('aria-rowindex'));
    for (const call of calls) {
      const child = caused.find((e) => e.parentId === call.id)!;
      await grid().locator(`[data-id="${child.id}"]`).waitFor({ timeout: 10_000 });
      expect(await rowIndex(child.id)).toBe((await rowIndex(call.id)) + 1);
    }
    await page.screenshot({ path: path.join(shots, 'traffic-threads.png') });
  });

  it('holds what comes in while the live list is paused, counts it, shows it all on resume, a break too', async () => {
    const before = await shownCalls();
    await page.getByRole('button', { name: 'Pause live list' }).click();
    await echo('paused 1');
    await page.getByRole('button', { name: /^Resume live list \(\d+ new\)$/ }).waitFor();
    // "Pause" and "Resume" alone read as the Overview's Pause gateway and Resume, which stop and start every server.
    await page.screenshot({
      path: path.join(shots, 'traffic-paused.png'),
      clip: { x: 180, y: 0, width: 1100, height: 140 },
    });
    // A break while paused: the count can no longer be whole, and Resume lists again.
    dropEventStreams(gateway);
    await echo('paused 2');
    await page.getByRole('button', { name: /^Resume live list \(\d+\+ new\)$/ }).waitFor({ timeout: 10_000 });
    expect(await shownCalls()).toBe(before);
    await page.getByRole('button', { name: /^Resume live list/ }).click();
    await waitFor(async () => (await shownCalls()) === before + 2, 10_000, 'both calls after resume');
  });

  it('follows the open exchange to its end, and never offers to replay the one opened before', async () => {
    const slow = client.callTool({ name: 'fx__slow', arguments: { steps: 10, delayMs: 100 } });
    const row = grid().getByRole('row').filter({ hasText: 'fx__slow' }).filter({ hasText: 'test-client' });
    await row.getByText('pending').waitFor({ timeout: 10_000 });
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('Request of tools/call').first().waitFor();
    await slow;
    // The open tree is fetched again when its call ends: its answer appears without opening it again.
    await detail.getByText('Response to tools/call').first().waitFor({ timeout: 10_000 });

    // Opening another row: while its tree loads, nothing of the first (its Replay least of all) is shown.
    await page.route('**/api/traffic/*', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    try {
      await grid().getByRole('row').filter({ hasText: 'fx__echo' }).filter({ hasText: 'test-client' }).first().click();
      await detail.getByText('Loading…').waitFor();
      expect(await detail.getByRole('button', { name: 'Replay' }).count()).toBe(0);
      expect(await detail.getByText('fx__slow').count()).toBe(0);
      await detail.getByRole('button', { name: 'Replay' }).waitFor();
    } finally {
      await page.unroute('**/api/traffic/*');
    }
    await page.keyboard.press('Escape');
  });

  it('says what came of Copy where a screen reader hears it: copied, or refused by the browser', async () => {
    await echo('copy me');
    const call = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
    await grid().locator(`[data-id="${call.id}"]`).click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    const copy = detail.getByRole('button', { name: 'Copy Request of tools/call' }).first();
    // On the page before the press, as a screen reader needs a status to be to read out its change.
    await copy.waitFor();
    expect(await copy.locator('xpath=following-sibling::*[@role="status"]').count()).toBe(1);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    try {
      await copy.click();
      await detail.getByRole('status').filter({ hasText: 'Copied: Request of tools/call.' }).waitFor();
      expect(await page.evaluate('navigator.clipboard.readText()')).toContain('"copy me"');
    } finally {
      await page.context().clearPermissions();
    }
    // Refused (a page over plain HTTP from another machine, or the user said no).
    await page.evaluate(() => {
      Object.defineProperty(navigator, 'clipboard', {
        configurable: true,
        value: { writeText: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')) },
      });
    });
    await copy.click();
    await detail
      .getByRole('status')
      .filter({ hasText: 'The browser did not allow copying: select the text instead.' })
      .waitFor();
    await page.screenshot({ path: path.join(shots, 'traffic-copy-refused.png') });
    await page.reload();
    await grid().waitFor();
  });

  it('does not offer to replay a request whose secrets were taken out, and says why', async () => {
    await client.callTool({ name: 'fx__echo', arguments: { message: 'sign in', password: 'hunter2' } });
    const lastCall = () => gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
    await grid().locator(`[data-id="${lastCall().id}"]`).click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('Request of tools/call').first().waitFor();
    await detail.getByText('"[redacted]"').first().waitFor();
    expect(await detail.getByRole('button', { name: 'Replay' }).count(), 'Replay offered').toBe(0);
    await detail.getByText(/Not offered for replay: this request had secrets taken out when it was recorded/).waitFor();
    await page.screenshot({ path: path.join(shots, 'traffic-replay-redacted.png') });
    // A request without secrets is offered, as before.
    await echo('nothing secret');
    await grid().locator(`[data-id="${lastCall().id}"]`).click();
    await detail.getByRole('button', { name: 'Replay' }).waitFor();
    expect(await detail.getByText(/Not offered for replay/).count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it('replays once while the replay waits, then opens the new exchange and leads back to the original', async () => {
    await client.callTool({ name: 'fx__slow', arguments: { steps: 8, delayMs: 100 } });
    const original = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
    await grid().locator(`[data-id="${original.id}"]`).click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    const replay = detail.getByRole('button', { name: 'Replay' });
    page.once('dialog', (dialog) => void dialog.accept());
    await replay.click();
    // The call takes most of a second: the button waits with it, and says so.
    await detail.getByRole('status').filter({ hasText: 'Sending again…' }).waitFor();
    expect(await replay.isDisabled(), 'Replay pressable while its replay waits').toBe(true);
    await page.screenshot({ path: path.join(shots, 'traffic-replay-sending.png') });
    await detail.getByRole('status').filter({ hasText: 'Sent again: ok.' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(shots, 'traffic-replay-sent.png') });
    expect(await replay.isDisabled()).toBe(false);
    const replays = gateway.traffic.list({
      client: 'Switchboard replay',
      edge: 'client',
      method: 'tools/call',
    }).entries;
    expect(replays.map((e) => e.target)).toEqual(['fx__slow']);

    await detail.getByRole('button', { name: 'Open the new exchange' }).click();
    await detail.getByText('Switchboard replay → gateway').first().waitFor();
    await detail.getByText(`A replay of the exchange of ${clock(original.startedAt)}.`).waitFor();
    // The keyboard is on the exchange just opened, not lost with the button that opened it.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Exchange');
    expect(await grid().getByRole('row', { selected: true }).getAttribute('data-id')).toBe(replays[0]!.id);
    await page.screenshot({ path: path.join(shots, 'traffic-replay-opened.png') });
    await detail.getByRole('button', { name: 'Open the original' }).click();
    await detail.getByText('test-client → gateway').first().waitFor();
    // What the replay gave is still said where it was sent from, with the way to it.
    await detail.getByRole('status').filter({ hasText: 'Sent again: ok.' }).waitFor();
    await detail.getByRole('button', { name: 'Open the new exchange' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('says a call whose tool failed (isError) failed: in the list, Errors only, the exchange, its replay', async () => {
    // A tool answers a call it cannot do with a result marked isError (here: arguments its schema refuses).
    await client.callTool({ name: 'fx__slow', arguments: { steps: 'many' } });
    const call = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
    expect(call.outcome).toBe('tool_error');
    const row = grid().locator(`[data-id="${call.id}"]`);
    await expect.poll(() => row.getByRole('gridcell', { name: 'tool error', exact: true }).count()).toBe(1);
    // "Errors only" keeps it (and the request it became), and drops the calls that went well.
    await page.getByRole('checkbox', { name: 'Errors only' }).check();
    await expect.poll(() => grid().getByRole('row').filter({ hasText: 'ok' }).count()).toBe(0);
    expect(await grid().getByRole('row').filter({ hasText: 'tool error' }).count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: path.join(shots, 'traffic-errors-only-tool-error.png') });
    await page.getByRole('checkbox', { name: 'Errors only' }).uncheck();
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    const said = /^The tool reported an error: MCP error -32602: Input validation error: .*expected number/;
    // The client's call and the request it became both say so.
    await expect.poll(() => detail.getByText(said).count(), { timeout: 10_000 }).toBe(2);
    expect(await detail.getByText('tool error', { exact: true }).count()).toBe(2);
    await page.screenshot({ path: path.join(shots, 'traffic-tool-error.png') });
    page.once('dialog', (dialog) => void dialog.accept());
    await detail.getByRole('button', { name: 'Replay' }).click();
    await detail
      .getByRole('status')
      .filter({
        hasText: /^\s*Sent again: the tool reported an error: MCP error -32602: .*steps\.\s+Open the new exchange/,
      })
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
  });

  it('draws the waterfall of a call still running on the time so far: its progress as ticks, in order', async () => {
    // Progress at 2 s and 4 s, the answer at 6 s: time enough, on a loaded machine, to read the pending call.
    const slow = client.callTool({ name: 'fx__slow', arguments: { steps: 3, delayMs: 2000 } }, undefined, {
      onprogress: () => {},
    });
    // Awaited below; a failed step before that must not leave it rejecting unheard.
    slow.catch(() => undefined);
    const row = grid().getByRole('row').filter({ hasText: 'fx__slow' }).filter({ hasText: 'pending' });
    await row.first().click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    /** Where a node's own bar is drawn on its track, as fractions of the track. */
    const barOf = async (node: Locator) => {
      const track = (await node.locator('.waterfall').first().boundingBox())!;
      const bar = (await node.locator('.bar').first().boundingBox())!;
      return { left: (bar.x - track.x) / track.width, width: bar.width / track.width };
    };
    // The exchanges that caused nothing, as the server sent them: its progress reports.
    const progress = detail
      .getByRole('listitem')
      .filter({ hasNot: page.getByRole('list') })
      .filter({ hasText: 'fx → gateway' })
      .filter({ hasText: 'notifications/progress' });
    await progress.first().waitFor({ timeout: 10_000 });
    const first = await barOf(progress.first());
    expect(first.width, 'a progress report is an instant').toBeLessThan(0.03);
    expect(first.left).toBeGreaterThan(0.3);
    // Time passes: the scale is the time so far, so what happened at 2 s moves left.
    await new Promise((r) => setTimeout(r, 700));
    expect((await barOf(progress.first())).left).toBeLessThan(first.left - 0.1);
    await waitFor(async () => (await progress.count()) === 2, 10_000, 'the second progress report');
    const [a, b] = [await barOf(progress.nth(0)), await barOf(progress.nth(1))];
    expect(b.left).toBeGreaterThan(a.left + 0.2);
    expect(b.width).toBeLessThan(0.03);
    // The request it became upstream, still waiting, runs from its start to now.
    const upstream = detail.getByRole('listitem').filter({ hasText: 'gateway → fx' }).last();
    const running = await barOf(upstream);
    expect(running.left).toBeLessThan(0.05);
    expect(running.width).toBeGreaterThan(0.9);
    await page.screenshot({ path: path.join(shots, 'traffic-waterfall-pending.png') });
    // How long the call has been running, counting up, for it and the request it became.
    const soFar = async () => {
      const text = (await detail.locator('summary').first().textContent())!;
      const [, n, unit] = /pending\s+([\d.]+) (ms|s) so far/.exec(text) ?? [];
      expect(n, `${text} says how long so far`).toBeDefined();
      return Number(n) * (unit === 's' ? 1000 : 1);
    };
    const before = await soFar();
    await new Promise((r) => setTimeout(r, 600));
    expect(await soFar()).toBeGreaterThan(before + 300);
    expect(await upstream.locator('summary').first().textContent()).toMatch(/pending\s+[\d.]+ (ms|s) so far/);
    await slow;
    await detail.getByText('Response to tools/call').first().waitFor({ timeout: 10_000 });
    // Ended: the same picture on the call's own duration.
    const ended = await barOf(progress.nth(0));
    expect(ended.width).toBeLessThan(0.03);
    expect(ended.left).toBeGreaterThan(0.25);
    expect(ended.left).toBeLessThan(0.45);
    await page.keyboard.press('Escape');
  });

  it('keeps the keyboard on its row while calls arrive above it; Esc returns to the row that was open', async () => {
    const first = grid().getByRole('row').filter({ hasText: 'test-client → gateway' }).first();
    await first.focus();
    const id = await first.getAttribute('data-id');
    const rowCount = async () => Number(await grid().getAttribute('aria-rowcount'));
    const before = await rowCount();
    for (let i = 0; i < 30; i++) await echo(`above ${i}`);
    // Each call and the request it became: 60 more rows, above the focused one.
    await waitFor(async () => (await rowCount()) >= before + 60, 10_000, 'the new calls');
    await new Promise((r) => setTimeout(r, 300));
    expect(await page.locator(':focus').getAttribute('data-id')).toBe(id);
    // One tab stop for the whole list.
    expect(await grid().locator('[role="row"][tabindex="0"]').count()).toBe(1);
    await page.keyboard.press('ArrowDown');
    const below = await page.locator(':focus').getAttribute('data-id');
    expect(below).not.toBe(id);
    await page.keyboard.press('Enter');
    await page.getByRole('complementary', { name: 'Exchange' }).waitFor();
    await page.keyboard.press('Escape');
    await waitFor(
      async () => (await page.locator(':focus').getAttribute('data-id')) === below,
      5000,
      'focus back on the row',
    );
    // Clicking outside the list (its heading) leaves it: calls arriving then do not pull focus back.
    await page.getByRole('heading', { name: 'Traffic' }).click();
    await echo('after leaving the list');
    await new Promise((r) => setTimeout(r, 400));
    expect(await page.evaluate('document.activeElement?.closest("[role=grid]") ? "in the list" : "elsewhere"')).toBe(
      'elsewhere',
    );
  });

  it('moves the keyboard a page at a time with PageDown and PageUp', async () => {
    const first = grid().getByRole('row').filter({ hasText: 'test-client → gateway' }).first();
    await first.focus();
    const at = async () => Number(await page.locator(':focus').getAttribute('aria-rowindex'));
    const start = await at();
    await page.keyboard.press('PageDown');
    // The list shows about 24 rows: a page is most of them.
    await expect.poll(async () => (await at()) - start).toBeGreaterThan(10);
    const box = (await page.locator(':focus').boundingBox())!;
    const list = (await grid().boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(list.y + list.height);
    await page.keyboard.press('PageUp');
    await expect.poll(at).toBe(start);
  });

  it('moves one row per key for keys pressed faster than a frame (a held key repeating)', async () => {
    const first = grid().getByRole('row').filter({ hasText: 'test-client → gateway' }).first();
    await first.focus();
    const at = async () => Number(await page.locator(':focus').getAttribute('aria-rowindex'));
    const start = await at();
    // Three keys before the next frame: the row they move to takes focus only then. Each moved from the
    // row still focused, the first, so the three moved the keyboard one row.
    await page.evaluate(`(() => {
      for (let i = 0; i < 3; i++)
        document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    })()`);
    await expect.poll(at).toBe(start + 3);
  });

  it('keeps Escape in the search box to the box: the open exchange stays open', async () => {
    await grid().getByRole('row').filter({ hasText: 'fx__echo' }).first().click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('Request of tools/call').first().waitFor();
    const search = page.getByRole('searchbox', { name: 'Search traffic' });
    await search.focus();
    await page.keyboard.type('nothing-matches-this');
    await page.keyboard.press('Escape');
    expect(await search.inputValue()).toBe('');
    expect(await page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Search traffic');
    expect(await detail.isVisible()).toBe(true);
    // Outside a field, Escape closes it.
    await grid().getByRole('row', { selected: true }).focus();
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('keeps the rows readable beside an open exchange at 1280 pixels: duration and size give way', async () => {
    await echo('beside the exchange');
    const call = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
    const caused = gateway.traffic.list({ edge: 'upstream', method: 'tools/call', limit: 1 }).entries[0]!;
    const row = grid().locator(`[data-id="${call.id}"]`);
    // The newest first: Home takes the list back to its top, where an earlier test may have left it.
    await grid().getByRole('row').nth(1).focus();
    await page.keyboard.press('Home');
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('Request of tools/call').first().waitFor();
    await page.screenshot({ path: path.join(shots, 'traffic-open-1280.png') });
    // Seven columns beside the exchange were each cut to a few letters ("test-client…", "gatewa…").
    const headers = await grid()
      .getByRole('columnheader')
      .evaluateAll((all) => all.filter((h) => h.getClientRects().length > 0).map((h) => h.textContent));
    expect(headers).toEqual(['Time', 'From → to', 'Method', 'Tool or target', 'Outcome']);
    for (const rowId of [call.id, caused.id]) {
      const cells = grid().locator(`[data-id="${rowId}"]`).getByRole('gridcell');
      const cut = await cells.evaluateAll((all) =>
        all.filter((c) => c.getClientRects().length > 0 && c.scrollWidth > c.clientWidth).map((c) => c.textContent),
      );
      expect(cut, 'cells cut short').toEqual([]);
    }
    // The row the keyboard is on still shows the two columns, each named.
    const focused = () => row.evaluate((r) => r === r.ownerDocument.activeElement);
    await row.focus();
    // Each key once the last has moved the keyboard (a row takes it in the next frame): pressed at once, the
    // second went from the same row, to the row above it.
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe(false);
    await page.keyboard.press('ArrowUp');
    await expect.poll(focused).toBe(true);
    for (const label of ['Duration', 'Size']) {
      expect(await row.locator(`[data-label="${label}"]`).isVisible(), label).toBe(true);
    }
    await page.screenshot({ path: path.join(shots, 'traffic-open-1280-keyboard.png') });
    await page.keyboard.press('Escape');
  });

  it('keeps its controls on two lines beside an open exchange at 1280 pixels, on one with none open', async () => {
    await echo('toolbar');
    const list = page.locator('.list');
    const heading = page.getByRole('heading', { level: 1, name: 'Traffic' });
    // What the list shows, then which exchanges: each group on a line of its own when they do not fit on one.
    const shows = [
      page.getByRole('button', { name: 'Pause live list' }),
      page.getByRole('searchbox', { name: 'Search traffic' }),
      page.getByRole('checkbox', { name: 'Errors only' }),
      page.getByRole('checkbox', { name: 'Slow only' }),
    ];
    const which = [
      page.getByRole('combobox', { name: 'Time' }),
      page.getByRole('combobox', { name: 'Filter by' }),
      page.getByRole('combobox', { name: 'Filter value' }),
      page.getByRole('button', { name: 'Add filter' }),
    ];
    const exports = [
      page.getByRole('button', { name: 'Export JSONL' }),
      page.getByRole('button', { name: 'Export HAR' }),
    ];
    type Box = { x: number; y: number; width: number; height: number };
    const boxes = async (controls: Locator[]) => Promise.all(controls.map(async (c) => (await c.boundingBox())!));
    /** The lines the controls are drawn on, by their middles, under the heading's line. */
    const linesUnder = async (all: Box[]) => {
      const head = (await heading.boundingBox())!;
      const middles = all.map((b) => b.y + b.height / 2).filter((m) => m > head.y + head.height);
      return [...new Set(middles.map((m) => Math.round(m / 8)))].length;
    };
    const line = (group: Box[]) => new Set(group.map((b) => Math.round((b.y + b.height / 2) / 8))).size;
    const check = async (shot: string, most: number) => {
      await page.screenshot({ path: path.join(shots, shot) });
      const [a, b, c] = [await boxes(shows), await boxes(which), await boxes(exports)];
      const all = [...a, ...b, ...c];
      expect(await linesUnder(all), `lines of controls under the heading (${shot})`).toBeLessThanOrEqual(most);
      expect(line(a), `Pause, search, Errors only, Slow only on one line (${shot})`).toBe(1);
      expect(line(b), `the time and the filter on one line (${shot})`).toBe(1);
      // Every control whole, within the list's column (not under the open exchange), none over another.
      const column = (await list.boundingBox())!;
      for (const [i, box] of all.entries()) {
        expect(box.x + box.width, `control ${i} within the list (${shot})`).toBeLessThanOrEqual(
          column.x + column.width,
        );
        for (const other of all.slice(i + 1)) {
          const apart =
            box.x + box.width <= other.x ||
            other.x + other.width <= box.x ||
            box.y + box.height <= other.y ||
            other.y + other.height <= box.y;
          expect(apart, `controls over each other (${shot})`).toBe(true);
        }
      }
    };
    await check('traffic-toolbar-1280.png', 1);
    await grid().getByRole('row').filter({ hasText: 'fx__echo' }).first().click();
    await page.getByRole('complementary', { name: 'Exchange' }).getByText('Request of tools/call').first().waitFor();
    // Beside the exchange, the controls took three lines, the exports alone on the last.
    await check('traffic-toolbar-1280-open.png', 2);
    await page.setViewportSize({ width: 1440, height: 900 });
    try {
      await check('traffic-toolbar-1440-open.png', 2);
      // Beside the exchange in a small window, the search box and the filter's name give way: four lines, else.
      await page.setViewportSize({ width: 1024, height: 700 });
      await check('traffic-toolbar-1024-open.png', 2);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    await page.keyboard.press('Escape');
  });

  it('gives a cut cell ("test-clien…") its whole text: on hovering, and in the row the keyboard is on', async () => {
    await echo('cut short 1');
    await echo('cut short 2');
    await page.setViewportSize({ width: 1000, height: 700 });
    const calls = grid().getByRole('row').filter({ hasText: 'fx__echo' }).filter({ hasText: 'test-client' });
    const cut = (cell: Locator) => cell.evaluate((c) => c.scrollWidth > c.clientWidth || c.offsetWidth === 0);
    try {
      await calls.nth(1).waitFor();
      await calls.first().click();
      await page.getByRole('complementary', { name: 'Exchange' }).waitFor();
      const cell = calls.nth(1).getByRole('gridcell').filter({ hasText: 'test-client' });
      expect(await cut(cell), 'the cell is cut').toBe(true);
      expect(await cell.getAttribute('title')).toBe('test-client → gateway');
      // The keyboard on that row: all of its text is shown, over the rows below.
      await calls.first().focus();
      const second = await calls.nth(1).getAttribute('data-id');
      // Each press moves focus by the next frame.
      for (let i = 0; i < 5 && (await page.locator(':focus').getAttribute('data-id')) !== second; i++) {
        await page.keyboard.press('ArrowDown');
        await page.waitForTimeout(100);
      }
      expect(await page.locator(':focus').getAttribute('data-id')).toBe(second);
      // That row by its id: a row arriving above it (another test's call ending) moves it down the list.
      const focusedCell = grid()
        .locator(`[data-id="${second}"]`)
        .getByRole('gridcell')
        .filter({ hasText: 'test-client' });
      // Polled: a live row arriving redraws the list, and focus comes back to the row by the next frame.
      await expect
        .poll(() => cut(focusedCell), { message: 'the cell of the row the keyboard is on is cut' })
        .toBe(false);
      await page.screenshot({ path: path.join(shots, 'traffic-cut-keyboard-1000.png') });

      // 800 pixels wide: the list drops columns; the row the keyboard is on shows them, each named.
      await page.setViewportSize({ width: 800, height: 600 });
      const focused = page.locator(':focus');
      await expect.poll(() => focused.getByRole('gridcell').filter({ hasText: 'tools/call' }).isVisible()).toBe(true);
      for (const [column, text] of [
        ['From → to', 'test-client → gateway'],
        ['Method', 'tools/call'],
        ['Duration', / (ms|µs|s)$/],
        ['Size', / (B|KiB)$/],
      ] as const) {
        const shown = focused.getByRole('gridcell').filter({ hasText: text });
        expect(await shown.isVisible(), `${column} shown`).toBe(true);
        expect(await cut(shown), `${column} cut`).toBe(false);
        expect(await shown.evaluate((c) => c.ownerDocument.defaultView!.getComputedStyle(c, '::before').content)).toBe(
          `"${column}: "`,
        );
      }
      await page.screenshot({ path: path.join(shots, 'traffic-cut-keyboard-800.png') });
      // Another row: that one is drawn one line high again, its columns left out.
      await page.keyboard.press('ArrowUp');
      await expect.poll(async () => (await page.locator(':focus').getAttribute('data-id')) !== second).toBe(true);
      expect(await calls.nth(1).getByRole('gridcell').filter({ hasText: 'tools/call' }).isVisible()).toBe(false);
      expect((await calls.nth(1).boundingBox())!.height).toBeLessThanOrEqual(29);
      await page.keyboard.press('Escape');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('narrows the list, live rows and the export to a time range: the last minutes, or from–to', async () => {
    await echo('in the last minutes');
    const time = page.getByRole('combobox', { name: 'Time' });
    await time.selectOption({ label: 'Last 15 minutes' });
    await page.getByRole('button', { name: 'Remove filter last 15 minutes' }).waitFor();
    await grid().getByRole('row').filter({ hasText: 'fx__echo' }).first().waitFor();

    await time.selectOption({ label: 'From – to…' });
    const range = page.getByRole('form', { name: 'Time range' });
    const from = range.getByLabel('From');
    const to = range.getByLabel('To');
    // Starts as the range chosen before (the last 15 minutes), open-ended.
    const startsAt = new Date(await from.inputValue()).getTime();
    expect(Math.abs(startsAt - (Date.now() - 15 * 60_000))).toBeLessThan(61_000);
    expect(await to.inputValue()).toBe('');
    // A To before its From is refused at the To field, which gets the keyboard.
    await to.fill(localInput(Date.now() - 2 * 3_600_000));
    await range.getByRole('button', { name: 'Apply range' }).click();
    await page.getByRole('alert').filter({ hasText: 'To is before From.' }).waitFor();
    expect(await to.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement?.closest("label")?.textContent?.trim()')).toBe('To');
    await page.screenshot({ path: path.join(shots, 'traffic-time-refused.png') });

    // Until an hour ago (before the gateway started): nothing, not even a call made now.
    await from.fill('');
    const hourAgo = localInput(Date.now() - 3_600_000);
    await to.fill(hourAgo);
    await range.getByRole('button', { name: 'Apply range' }).click();
    await page.getByRole('button', { name: `Remove filter until ${chipTime(hourAgo)}` }).waitFor();
    await page.getByText('Nothing matches these filters.').waitFor();
    await echo('after the range');
    await new Promise((r) => setTimeout(r, 500));
    expect(Number(await grid().getAttribute('aria-rowcount'))).toBe(1);
    // The export is of what the filters pick: nothing, which it says (an empty file is not downloaded).
    const exported = async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export JSONL' }).click(),
      ]);
      const text = await new Promise<string>((resolve, reject) => {
        void download.createReadStream().then((stream) => {
          let all = '';
          stream.on('data', (c: Buffer) => (all += c.toString()));
          stream.on('end', () => resolve(all));
          stream.on('error', reject);
        }, reject);
      });
      return text.split('\n').filter(Boolean).length;
    };
    await page.getByRole('button', { name: 'Export JSONL' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Nothing was exported: no exchange matches these filters.' })
      .waitFor();

    // From an hour ago: everything since, the call made meanwhile included, and in the export too.
    await from.fill(hourAgo);
    await to.fill('');
    await range.getByRole('button', { name: 'Apply range' }).click();
    await page.getByRole('button', { name: `Remove filter since ${chipTime(hourAgo)}` }).waitFor();
    await grid().getByRole('row').filter({ hasText: 'fx__echo' }).first().waitFor();
    expect(await exported()).toBe(gateway.traffic.list({ since: Date.now() - 3_600_000, limit: 1000 }).entries.length);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'traffic-time-range.png') });

    // The chip's × takes the range away, fields and all.
    await page.getByRole('button', { name: `Remove filter since ${chipTime(hourAgo)}` }).click();
    await range.waitFor({ state: 'detached' });
    expect(await time.inputValue()).toBe('all');
  });

  it("keeps the keyboard after a filter's × takes it away: on the next filter, or the search box", async () => {
    await page.getByRole('checkbox', { name: 'Errors only' }).check();
    await page.getByRole('checkbox', { name: 'Slow only' }).check();
    const label = () => page.evaluate('document.activeElement?.getAttribute("aria-label") ?? "nothing"');
    await page.getByRole('button', { name: 'Remove filter errors only' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(label).toBe('Remove filter slower than 1 s');
    await page.keyboard.press('Enter');
    await expect.poll(label).toBe('Search traffic');
    expect(await page.getByRole('list', { name: 'Filters' }).count()).toBe(0);
  });

  it('counts a slow call held while paused under "Slow only" (it waits first, then fits)', async () => {
    await page.getByRole('checkbox', { name: 'Slow only' }).check();
    const rowCount = async () => Number(await grid().getAttribute('aria-rowcount'));
    // The earlier slow call (a second) fits already: wait for the list to settle.
    await waitFor(async () => (await rowCount()) === 1 + gateway.traffic.list({ minDurationMs: 1000 }).entries.length);
    const before = await rowCount();
    await page.getByRole('button', { name: 'Pause live list' }).click();
    await client.callTool({ name: 'fx__slow', arguments: { steps: 12, delayMs: 100 } });
    // The client's call and the request it became: both took over a second.
    await page.getByRole('button', { name: 'Resume live list (2 new)' }).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Resume live list (2 new)' }).click();
    await waitFor(async () => (await rowCount()) === before + 2, 5000, 'the two slow exchanges shown');
    await page.getByRole('checkbox', { name: 'Slow only' }).uncheck();
  });

  it('shows a size with its unit, also the widest (over 1000 KiB), in the list and in the open exchange', async () => {
    // About 293 KiB, and about 1016 KiB: the most characters a size takes.
    for (const bytes of [300_000, 1_040_000]) await client.callTool({ name: 'fx__big', arguments: { bytes } });
    const calls = grid().getByRole('row').filter({ hasText: 'fx__big' }).filter({ hasText: 'test-client' });
    await waitFor(async () => (await calls.count()) === 2, 10_000, 'both calls of fx__big');
    const sizes = async () => {
      const shown: string[] = [];
      for (const row of await calls.all()) {
        const cell = row.getByRole('gridcell').last();
        // Cut text ends in "…" where it runs out of room: all of it must fit.
        const cut = await cell.evaluate((c) => c.scrollWidth > c.clientWidth);
        shown.push(`${await cell.textContent()}${cut ? ' (cut)' : ''}`);
      }
      return shown;
    };
    expect(await sizes()).toEqual([expect.stringMatching(/^10\d\d\.\d KiB$/), expect.stringMatching(/^29\d\.\d KiB$/)]);
    await calls.first().click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('Request of tools/call').first().waitFor();
    await page.screenshot({ path: path.join(shots, 'traffic-sizes.png') });
    // Beside the open exchange the list has no Size column: the exchange says its sizes.
    expect(await grid().getByRole('columnheader', { name: 'Size' }).isVisible()).toBe(false);
    await detail
      .getByText(/^10\d\d\.\d KiB/)
      .first()
      .waitFor();
    await page.keyboard.press('Escape');
  });

  it('keeps the window still beside a long exchange: scrolling over the sidebar shows no blank page', async () => {
    // Arguments of many lines: its payloads, each a box that scrolls on its own, reach far below the window.
    const details = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`line${i}`, i]));
    await client.callTool({ name: 'fx__echo', arguments: { message: 'a long exchange', details } });
    await grid().getByRole('row').filter({ hasText: 'fx__echo' }).filter({ hasText: 'test-client' }).first().click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    await detail.getByText('Request of tools/call').first().waitFor();
    await page.mouse.move(60, 500);
    await page.mouse.wheel(0, 3000);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, 'traffic-long-exchange-wheel.png') });
    // The screen's heading and the open exchange stay where they were, not scrolled away above an empty window.
    expect((await page.getByRole('heading', { level: 1, name: 'Traffic' }).boundingBox())!.y).toBeGreaterThan(0);
    expect((await detail.boundingBox())!.y).toBeGreaterThanOrEqual(0);
    expect(await page.evaluate('document.documentElement.scrollHeight - innerHeight')).toBe(0);
    await page.keyboard.press('Escape');
  });

  it('fits a small window (800 by 600): every control and column within it', async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    try {
      await echo('small window');
      await grid().getByRole('row').filter({ hasText: 'fx__echo' }).first().waitFor();
      for (const control of [
        page.getByRole('button', { name: 'Export HAR' }),
        page.getByRole('button', { name: 'Export JSONL' }),
        grid().getByRole('columnheader', { name: 'Size' }),
      ]) {
        const box = (await control.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(800);
      }
      // With an exchange open, the list gives the detail its room: no column runs under it.
      await grid().getByRole('row').filter({ hasText: 'fx__echo' }).first().click();
      const detail = page.getByRole('complementary', { name: 'Exchange' });
      await detail.getByText('Request of tools/call').first().waitFor();
      await page.screenshot({ path: path.join(shots, 'traffic-small-detail.png') });
      const pane = (await detail.boundingBox())!;
      const close = (await detail.getByRole('button', { name: 'Close' }).boundingBox())!;
      expect(close.x + close.width).toBeLessThanOrEqual(800);
      for (const name of ['Outcome', 'Duration', 'Size']) {
        const header = grid().getByRole('columnheader', { name });
        if (!(await header.isVisible())) continue;
        const box = (await header.boundingBox())!;
        expect(box.x + box.width, `${name} under the detail`).toBeLessThanOrEqual(pane.x + 1);
      }
      await page.keyboard.press('Escape');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('brings the exchange a row opens into view in a narrow window, the keyboard on its heading', async () => {
    // 680 pixels: a small window, or 1360 at 200% zoom. The exchange opens under the list, which is a window high.
    await page.setViewportSize({ width: 680, height: 700 });
    try {
      await echo('narrow window');
      const call = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
      const row = grid().locator(`[data-id="${call.id}"]`);
      const heading = page.getByRole('complementary', { name: 'Exchange' }).getByRole('heading', { name: 'Exchange' });
      const inView = async (target: Locator) => {
        const box = (await target.boundingBox())!;
        return box.y >= 0 && box.y + box.height <= 700;
      };
      const focused = (target: Locator) => target.evaluate((el) => el === el.ownerDocument.activeElement);
      await row.click();
      await waitFor(async () => (await focused(heading)) && (await inView(heading)), 10_000, 'the exchange in view');
      await page.getByText('Response to tools/call').first().waitFor();
      expect(await inView(heading)).toBe(true);
      await page.screenshot({ path: path.join(shots, 'traffic-narrow-open.png') });
      // Esc: back to the row, in view; Enter opens it again, and again its exchange comes into view.
      await page.keyboard.press('Escape');
      await waitFor(async () => (await focused(row)) && (await inView(row)), 10_000, 'back on the row');
      await page.keyboard.press('Enter');
      await waitFor(async () => (await focused(heading)) && (await inView(heading)), 10_000, 'the exchange in view');
      await page.keyboard.press('Escape');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('draws the keyboard ring whole on everything Tab reaches in the open exchange, wide and narrow', async () => {
    await echo('ring');
    const call = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
    const exchange = page.getByRole('complementary', { name: 'Exchange' });
    for (const width of [1280, 680]) {
      await page.setViewportSize({ width, height: 800 });
      try {
        await grid().locator(`[data-id="${call.id}"]`).click();
        await exchange.getByText('Response to tools/call').first().waitFor();
        const clipped: string[] = [];
        // Replay, Close, each node of the tree, its Copy buttons and payloads (the tree has two nodes).
        for (let i = 0; i < 12; i++) {
          await page.keyboard.press('Tab');
          const cut = await ringCut();
          if (cut) clipped.push(cut);
        }
        await page.screenshot({ path: path.join(shots, `traffic-exchange-ring-${width}.png`) });
        // Esc: back on its row in the list, whose ring is inside its edge.
        await page.keyboard.press('Escape');
        await page.locator('[role="row"]:focus').waitFor();
        clipped.push(await ringCut());
        expect([width, clipped.filter(Boolean)]).toEqual([width, []]);
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    }
  });

  it('offers the names seen as a filter is typed; exports nothing, and says so, when nothing matches', async () => {
    await page.getByRole('combobox', { name: 'Filter by' }).selectOption('server');
    const value = page.getByRole('combobox', { name: 'Filter value' });
    // A filter matches a name exactly: the names seen are offered as it is typed.
    const offered = async () => {
      const list = await value.getAttribute('list');
      return await page
        .locator(`datalist#${list} option`)
        .evaluateAll((all) => all.map((o) => o.getAttribute('value')));
    };
    expect(await offered()).toContain('fx');
    await page.getByRole('combobox', { name: 'Filter by' }).selectOption('client');
    expect(await offered()).toContain('test-client');
    await page.getByRole('combobox', { name: 'Filter by' }).selectOption('method');
    expect(await offered()).toEqual(expect.arrayContaining(['initialize', 'tools/list']));
    await page.getByRole('combobox', { name: 'Filter by' }).selectOption('server');
    await value.fill('FX');
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByText('Nothing matches these filters.').waitFor();
    const downloads: string[] = [];
    const onDownload = (d: { suggestedFilename(): string }) => downloads.push(d.suggestedFilename());
    page.on('download', onDownload);
    try {
      await page.getByRole('button', { name: 'Export HAR' }).click();
      const note = page.getByRole('status').filter({ hasText: 'Nothing was exported' });
      await note.waitFor();
      expect(await note.textContent()).toBe('Nothing was exported: no exchange matches these filters.');
      await new Promise((r) => setTimeout(r, 500));
      expect(downloads, 'an empty file downloaded').toEqual([]);
      // The note was about those filters: it goes with them.
      await page.getByRole('button', { name: 'Remove filter server: FX' }).click();
      await note.waitFor({ state: 'detached' });
    } finally {
      page.off('download', onDownload);
    }
  });

  it("gives an exchange of another day its date: a history kept overnight does not read as today's", async () => {
    await echo('the day before');
    const call = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
    const at = new Date(call.startedAt);
    const pad = (n: number) => String(n).padStart(2, '0');
    const month = at.toLocaleString('en', { month: 'short' });
    // The screen opened the next morning, the gateway having kept its history (as after a restart).
    const next = await launchBrowser();
    try {
      const p = next.page;
      p.setDefaultTimeout(10_000);
      await p.clock.setSystemTime(dayOf(call.startedAt).end + 9 * 3_600_000);
      await p.goto(gateway.uiLoginUrl()!);
      await p.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Traffic' }).click();
      const row = p.getByRole('grid', { name: 'Exchanges' }).locator(`[data-id="${call.id}"]`);
      const cell = row.getByRole('gridcell').first();
      // The day, then the time of day: whole in its column, and the full date and time on hovering.
      expect(await cell.textContent()).toBe(`${month} ${at.getDate()} ${clock(call.startedAt).slice(0, 8)}`);
      expect(await cell.evaluate((c) => c.scrollWidth <= c.clientWidth)).toBe(true);
      const date = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
      expect(await cell.getAttribute('title')).toBe(`${date} ${clock(call.startedAt)}`);
      // The open exchange says the date too.
      await row.click();
      const detail = p.getByRole('complementary', { name: 'Exchange' });
      await detail
        .getByText(`${date} ${clock(call.startedAt)}`)
        .first()
        .waitFor();
      await p.screenshot({ path: path.join(shots, 'traffic-another-day.png') });
      // As do the server's recent calls.
      await p.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Servers' }).click();
      await p.getByRole('button', { name: 'fx', exact: true }).click();
      const recent = p.getByRole('table').filter({ has: p.getByRole('columnheader', { name: 'Target' }) });
      await recent
        .getByRole('cell', { name: `${month} ${at.getDate()} ` })
        .first()
        .waitFor();
    } finally {
      await next.close();
    }
  });

  it('says while the history cannot be written, and why, until it can again', async () => {
    const note = page.getByRole('status').filter({ hasText: 'The traffic history is not being written' });
    expect(await note.count()).toBe(0);
    // A database browser with the file open in a write transaction.
    const lock = await lockDatabase(path.join(dir.dir, 'traffic.db'));
    try {
      await echo('while the history is locked');
      await note.waitFor({ timeout: 10_000 });
      expect(await note.textContent()).toMatch(/another program holds it locked.*held in memory/s);
      // What is recorded meanwhile is still listed.
      await grid().getByRole('row').filter({ hasText: 'fx__echo' }).first().waitFor();
      expect(await seriousA11yProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(shots, 'traffic-history-not-written.png') });
    } finally {
      await lock.release();
    }
    await note.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('says when recording is off and where to turn it on; what was recorded before stays listed', async () => {
    const rowCount = async () => Number(await grid().getAttribute('aria-rowcount'));
    const before = await rowCount();
    const note = page.getByRole('status').filter({ hasText: 'Recording is off' });
    expect(await note.count()).toBe(0);
    // Turned off in the config while the screen is open (as an edit of the file would).
    await gateway.api.changeSettings({ trafficEnabled: false });
    await note.waitFor({ timeout: 10_000 });
    expect(await note.textContent()).toMatch(/new calls are not recorded.*Turn it on in Settings/s);
    await echo('while recording is off');
    await new Promise((r) => setTimeout(r, 500));
    expect(await rowCount()).toBe(before);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'traffic-recording-off.png') });

    // Its link leads to the setting.
    await note.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    const box = page.getByRole('checkbox', { name: 'Record every message (redacted)' });
    await expect.poll(() => box.isChecked(), { timeout: 10_000 }).toBe(false);
    await box.check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved to the config file and applied.').waitFor({ timeout: 10_000 });
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Traffic' }).click();
    await note.waitFor({ state: 'detached', timeout: 10_000 });
    await echo('recording again');
    // The call and the request it became.
    await waitFor(async () => (await rowCount()) === before + 2, 10_000, 'the call made once recording is on');
  });

  it('loads older entries on request, and a removed text filter empties the search box', async () => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < 1100; i = next++) await echo(`bulk ${i}`);
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const search = page.getByRole('searchbox', { name: 'Search traffic' });
    await search.fill('bulk');
    await search.press('Enter');
    // 1000 at first (of 2200: the client's calls and the requests they became), newest first.
    await waitFor(async () => (await grid().getAttribute('aria-rowcount')) === '1001', 10_000, 'the first page');
    const older = page.getByRole('button', { name: 'Load older' });
    await older.click();
    await waitFor(async () => (await grid().getAttribute('aria-rowcount')) === '2001', 10_000, 'the next page');
    expect(await seriousA11yProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'traffic-older.png') });
    await page.getByRole('button', { name: 'Remove filter text: bulk' }).click();
    expect(await search.inputValue()).toBe('');

    // Typing filters without Enter. A live call whose payload holds the text shows up, though live
    // rows come without payloads.
    await search.fill('needle-7f3a');
    await page.getByRole('button', { name: 'Remove filter text: needle-7f3a' }).waitFor();
    await page.getByText('Nothing matches these filters.').waitFor({ timeout: 10_000 });
    await echo('a needle-7f3a in the haystack');
    await waitFor(async () => (await grid().getAttribute('aria-rowcount')) === '3', 10_000, 'the call and its request');
  });

  it('finds a message by what it says, quotes and backslashes as they read (the JSON shows \\" and \\\\)', async () => {
    await echo('she said "yes" to C:\\Temp');
    const search = page.getByRole('searchbox', { name: 'Search traffic' });
    await search.fill('said "yes" to C:\\Temp');
    await search.press('Enter');
    await waitFor(async () => (await grid().getAttribute('aria-rowcount')) === '3', 10_000, 'the call and its request');
    expect(await grid().getByRole('row').filter({ hasText: 'fx__echo' }).count()).toBe(1);
  });
});
