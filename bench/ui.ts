#!/usr/bin/env node
/**
 * `npm run bench:ui`: how the web UI feels, in real Chromium against a real `switchboard serve`
 * with the fixture server behind it.
 *
 *   - first paint of each screen: a fresh page load of /ui/#/<screen> until its heading and its
 *     data are on screen (median of 5 loads per screen);
 *   - the traffic view under a stream of about 1000 entries a second (SDK clients calling a tool
 *     500 times a second, two entries per call) for 8 s: frame times (requestAnimationFrame
 *     deltas) and input latency (the Event Timing API's duration of key presses typed into the
 *     search box meanwhile: from the key to the next paint).
 *
 * Targets (issue 12): first paint <= 300 ms on every screen; input latency <= 100 ms. Prints a
 * table; `--docs` writes it into docs/benchmarks.md between the ui-bench markers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = path.join(ROOT, 'test/fixtures/servers/fixture-server.ts');
const SCREENS = [
  ['overview', 'Overview', 'text=ready'],
  ['servers', 'Servers', 'role=cell[name="fx"]'],
  ['traffic', 'Traffic', 'role=row >> nth=1'],
  ['questions', 'Questions', 'text=No questions are waiting.'],
  ['profiles', 'Profiles', 'text=every enabled server'],
  ['secrets', 'Secrets', 'text=/No secrets yet|keychain cannot be reached|Replace/'],
  ['clients', 'Clients', 'role=checkbox[name="Show every client Switchboard knows"]'],
  ['settings', 'Settings', 'text=Keep history for'],
] as const;
const LOADS = 5;
const STREAM_MS = 8000;
const CALLS_PER_SECOND = 500;

/**
 * Runs in the page (as text: this file is type-checked without the DOM's types): every frame's
 * time since the one before, and the duration of every key event slower than 16 ms (Event Timing).
 */
const RECORD_IN_PAGE = `(() => {
  window.__frames = [];
  window.__inputs = [];
  let last = performance.now();
  const tick = (now) => { window.__frames.push(now - last); last = now; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name.startsWith('key')) window.__inputs.push(e.duration);
  }).observe({ type: 'event', durationThreshold: 16 });
})()`;
const READ_IN_PAGE = '({ frames: window.__frames.slice(5), inputs: window.__inputs })';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

async function startGateway(dir: string): Promise<{ child: ChildProcess; link: string; mcp: string }> {
  const config = path.join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ mcpServers: { fx: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_NAME: 'fx' } } } }),
  );
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'main/cli.ts'), 'serve', '--config', config, '--port', '0', '--no-socket'],
    {
      env: {
        ...process.env,
        SWITCHBOARD_STATE_DIR: path.join(dir, 'state'),
        SWITCHBOARD_RUNTIME_DIR: path.join(dir, 'run'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  const link = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway printed no login link:\n${err}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /web UI: (http:\/\/\S+#login=\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}):\n${err}`)));
  });
  return { child, link, mcp: `${new URL(link).origin}/mcp` };
}

async function firstPaints(page: Page, origin: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [id, heading, ready] of SCREENS) {
    const times: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      await page.goto('about:blank');
      await page.goto(`${origin}/ui/#/${id}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.locator(ready).first().waitFor();
      times.push(await page.evaluate(() => performance.now()));
    }
    out[id] = median(times);
  }
  return out;
}

async function underStream(page: Page, origin: string, mcp: string) {
  await page.goto(`${origin}/ui/#/traffic`);
  await page.getByRole('heading', { level: 1, name: 'Traffic' }).waitFor();
  await page.evaluate(RECORD_IN_PAGE);
  const clients = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const c = new Client({ name: 'bench-ui', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(mcp)));
      return c;
    }),
  );
  let calls = 0;
  const end = Date.now() + STREAM_MS;
  const load = clients.map(async (c) => {
    const every = (1000 * clients.length) / CALLS_PER_SECOND;
    let next = Date.now();
    while (Date.now() < end) {
      await c.callTool({ name: 'fx__echo', arguments: { message: `m${calls++}` } });
      next += every;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  });
  // A person typing into the search box meanwhile (Enter not pressed: no filter is applied).
  const typing = (async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const box = page.getByRole('searchbox', { name: 'Search traffic' });
    await box.click();
    while (Date.now() < end - 500) {
      await box.press('a');
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  await Promise.all([...load, typing]);
  const { frames, inputs } = (await page.evaluate(READ_IN_PAGE)) as { frames: number[]; inputs: number[] };
  for (const c of clients) await c.close();
  return { calls, entriesPerSecond: (calls * 2) / (STREAM_MS / 1000), frames, inputs };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-ui-'));
  const { child, link, mcp } = await startGateway(dir);
  // The same Chromium, flags and fresh profile as the UI tests.
  const browser = await launchBrowser();
  try {
    const page = browser.page;
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const origin = new URL(link).origin;
    // Some traffic first, so the Traffic screen has rows to paint.
    const warm = new Client({ name: 'bench-ui', version: '1' });
    await warm.connect(new StreamableHTTPClientTransport(new URL(mcp)));
    for (let i = 0; i < 50; i++) await warm.callTool({ name: 'fx__echo', arguments: { message: `w${i}` } });
    await warm.close();
    const paints = await firstPaints(page, origin);
    const stream = await underStream(page, origin, mcp);
    const worstPaint = Math.max(...Object.values(paints));
    const inputP95 = stream.inputs.length ? pct(stream.inputs, 0.95) : 0;
    const inputMax = stream.inputs.length ? Math.max(...stream.inputs) : 0;
    const ms = (n: number, digits = 0) => `${n.toFixed(digits)} ms`;
    const met = (ok: boolean) => (ok ? 'met' : '**missed**');
    const lines = [
      `| screen | first paint, ms (median of ${LOADS}) |`,
      '| --- | ---: |',
      ...Object.entries(paints).map(([id, t]) => `| ${id} | ${t.toFixed(0)} |`),
      '',
      `Traffic view under ${stream.entriesPerSecond.toFixed(0)} entries/s for ${STREAM_MS / 1000} s: ` +
        `frame time p50 ${ms(pct(stream.frames, 0.5), 1)}, p95 ${ms(pct(stream.frames, 0.95), 1)}, ` +
        `max ${ms(Math.max(...stream.frames))} over ${stream.frames.length} frames; ` +
        `key presses slower than 16 ms: ${stream.inputs.length}, p95 ${ms(inputP95)}, max ${ms(inputMax)}.`,
      '',
      `Targets: first paint <= 300 ms on every screen: ${met(worstPaint <= 300)} (worst ${ms(worstPaint)}); ` +
        `input latency <= 100 ms: ${met(inputP95 <= 100)} (p95 ${ms(inputP95)}).`,
    ];
    const table = lines.join('\n');
    process.stdout.write(`${table}\n`);
    if (process.argv.includes('--docs')) {
      const docs = path.join(ROOT, 'docs/benchmarks.md');
      const text = readFileSync(docs, 'utf8');
      const begin = '<!-- ui-bench:begin (generated by npm run bench:ui -- --docs) -->';
      const endMark = '<!-- ui-bench:end -->';
      const at = text.indexOf(begin);
      const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
      const stamp = `Run of ${when} UTC on ${os.cpus().length} cores.`;
      const block = `${begin}\n\n${stamp}\n\n${table}\n\n${endMark}`;
      writeFileSync(
        docs,
        at === -1
          ? `${text.trimEnd()}\n\n## The web UI\n\n${block}\n`
          : text.slice(0, at) + block + text.slice(text.indexOf(endMark) + endMark.length),
      );
    }
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
