#!/usr/bin/env node
/**
 * `node bench/scale.ts`: how Switchboard's cost grows with servers (1 → 100, stdio), tools
 * (100 → 10,000) and clients (1 → 200 Streamable HTTP sessions). A fresh gateway per step, run
 * as `npm start` runs it (out/main/cli.js, built first, with the gateway's node flags). The
 * servers and tools steps are measured for an aggregating peer too (mcp-hub, scale-peer.ts).
 *
 *   node bench/scale.ts           full run (3 rounds, ~4 min on 2 cores); charts in docs/images/bench-scale-*.svg
 *   node bench/scale.ts --quick   servers 1,10; tools 100,1000; clients 1,50 (~20 s); charts in
 *                                 bench/results/<timestamp>-scale/
 *   node bench/scale.ts --from bench/results/<timestamp>-scale.json [--charts DIR]
 *                                 no measuring: tables and charts again from a results file
 *
 * Markdown tables on stdout; raw data in bench/results/<timestamp>-scale.json. Each step has a
 * timeout, the run a deadline, and every process started is ended. run.ts calls runScale().
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GATEWAY_NODE_FLAGS } from '../main/shared/node-flags.ts';
import { buildJs } from './lib/build.ts';
import { machine } from './lib/machine.ts';
import { ProcessGroup } from './lib/proc.ts';
import { median } from './lib/stats.ts';
import { lineChartSvg } from './lib/scale-chart.ts';
import { clientsPoint, type ClientsPoint } from './lib/scale-clients.ts';
import { peerName } from './lib/scale-peer.ts';
import { mergeRounds } from './lib/scale-merge.ts';
import { nodeListenerFloor, type ScaleContext } from './lib/scale-gateway.ts';
import { scaleCharts, scaleMarkdown, type ScaleResults } from './lib/scale-report.ts';
import {
  FULL_SCALE_PLAN,
  QUICK_SCALE_PLAN,
  peerPoint,
  serversPoint,
  sleep,
  toolsPoint,
  type PeerPoint,
  type ScalePlan,
  type ServersPoint,
  type ToolsPoint,
} from './lib/scale-steps.ts';

/** maxPendingConnections for the second measurement of points that saw resets (the default is 64). */
const RAISED_PENDING = 1024;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ScaleOptions {
  quick?: boolean;
  /** Overrides of the plan (steps, calls, timeouts). */
  plan?: Partial<ScalePlan>;
  /** Switchboard's CLI; default out/main/cli.js, built first unless `build` is false. */
  cli?: string;
  build?: boolean;
  flags?: readonly string[];
  /** Default: docs/images on a full run, bench/results/<timestamp>-scale/ on a quick one. */
  chartsDir?: string;
  log?: (line: string) => void;
}

export interface ScaleOutput {
  markdown: string;
  /** Chart files written (absolute paths). */
  charts: string[];
  raw: unknown;
  resultsFile: string;
}

/** Every process group and scratch directory of a run in progress, so an exit handler can end them. */
const live = new Set<ProcessGroup>();
const scratchDirs = new Set<string>();

/** SIGKILLs whatever a scale run still has running and removes its scratch (exit and signal handlers). */
export function killScaleProcesses(): void {
  for (const g of live) g.killNow();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
}

/** Charts (written to `chartsDir`) and markdown from results, measured now or read back (--from). */
export async function renderScale(
  results: ScaleResults,
  chartsDir: string,
): Promise<{ markdown: string; charts: string[] }> {
  mkdirSync(chartsDir, { recursive: true });
  const charts: string[] = [];
  for (const { name, spec } of scaleCharts(results)) {
    const file = path.join(chartsDir, `bench-scale-${name}.svg`);
    writeFileSync(file, await lineChartSvg(spec));
    charts.push(file);
  }
  // Links as docs/benchmarks.md sees them (or from the repo root, for charts elsewhere).
  const linkBase = chartsDir === path.join(ROOT, 'docs/images') ? path.join(ROOT, 'docs') : ROOT;
  const links = charts.map((c) => path.relative(linkBase, c));
  return { markdown: scaleMarkdown(results, links), charts };
}

export async function runScale(opts: ScaleOptions = {}): Promise<ScaleOutput> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const plan: ScalePlan = { ...(opts.quick ? QUICK_SCALE_PLAN : FULL_SCALE_PLAN), ...opts.plan };
  const started = performance.now();
  const deadline = started + plan.deadlineMs;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const scratch = mkdtempSync(path.join('/tmp', 'sbs-'));
  scratchDirs.add(scratch);
  const results: ScaleResults = { plan, servers: [], tools: [], clients: [], clientsRaisedLimit: [], failures: [] };
  try {
    if (!opts.cli && opts.build !== false)
      execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.ts')], { stdio: 'inherit' });
    const ctx: ScaleContext = {
      js: buildJs(ROOT, path.join(scratch, 'build')),
      node: process.execPath,
      scratch,
      cli: opts.cli ?? path.join(ROOT, 'out/main/cli.js'),
      flags: opts.flags ?? GATEWAY_NODE_FLAGS,
      ...(plan.httpLimits ? { httpLimits: plan.httpLimits } : {}),
    };

    const step = async <T>(name: string, run: (group: ProcessGroup) => Promise<T>): Promise<T | undefined> => {
      const left = deadline - performance.now();
      if (left < 10_000) {
        results.failures.push({ step: name, error: 'skipped: the run deadline was near' });
        return undefined;
      }
      const group = new ProcessGroup();
      live.add(group);
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const limit = Math.min(plan.stepTimeoutMs, left);
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(limit / 1000)} s`)), limit);
        });
        const r = await Promise.race([run(group), timeout]);
        log(`  ${name}: done (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        return r;
      } catch (err) {
        const error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        results.failures.push({ step: name, error });
        log(`  ${name}: FAILED: ${error}`);
        return undefined;
      } finally {
        clearTimeout(timer);
        await group.stopAll(1000);
        const leftovers = group.leftovers();
        if (leftovers.length) log(`  warning: still alive after ${name}: ${leftovers.join(', ')}`);
        live.delete(group);
        await sleep(500); // let exited processes' pages and CPU settle before the next gateway
      }
    };

    log(`scale: servers ${plan.servers.join(',')}; tools ${plan.tools.join(',')}; clients ${plan.clients.join(',')}`);
    const floor = await step('node listener floor', async (g) => {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) runs.push(await nodeListenerFloor(ctx, g));
      return median(runs);
    });
    if (floor !== undefined) results.nodeListenerMs = floor;
    // Rounds interleaved (every step once per round), so a disturbance hits one round of many steps.
    const rounds = { servers: new Map<number, ServersPoint[]>(), tools: new Map<number, ToolsPoint[]>() };
    const peerRounds = { servers: new Map<number, PeerPoint[]>(), tools: new Map<number, PeerPoint[]>() };
    const peer = peerName();
    const clientRounds = new Map<number, ClientsPoint[]>();
    const keep = <T>(map: Map<number, T[]>, n: number, p: T | undefined) => p && map.set(n, [...(map.get(n) ?? []), p]);
    for (let r = 1; r <= plan.rounds; r++) {
      const of = plan.rounds > 1 ? ` (round ${r}/${plan.rounds})` : '';
      for (const n of plan.servers)
        keep(rounds.servers, n, await step(`servers ${n}${of}`, (g) => serversPoint(ctx, g, plan, n)));
      for (const n of plan.tools)
        keep(rounds.tools, n, await step(`tools ${n}${of}`, (g) => toolsPoint(ctx, g, plan, n)));
      for (const n of plan.servers)
        keep(
          peerRounds.servers,
          n,
          await step(`${peer}, servers ${n}${of}`, (g) => peerPoint(ctx, g, plan, n, plan.toolsPerServer)),
        );
      for (const n of plan.tools)
        keep(
          peerRounds.tools,
          n,
          await step(`${peer}, tools ${n}${of}`, (g) =>
            peerPoint(ctx, g, plan, plan.toolServers, Math.round(n / plan.toolServers)),
          ),
        );
      for (const n of plan.clients)
        keep(clientRounds, n, await step(`clients ${n}${of}`, (g) => clientsPoint(ctx, g, plan, n)));
    }
    results.servers = [...rounds.servers.values()].map(mergeRounds);
    results.tools = [...rounds.tools.values()].map(mergeRounds);
    results.clients = [...clientRounds.values()].map(mergeRounds);
    results.peer = {
      name: peer,
      servers: [...peerRounds.servers.values()].map(mergeRounds),
      tools: [...peerRounds.tools.values()].map(mergeRounds),
    };

    // Resets come from the listener closing waiting connections over its limit: measure those
    // points again with the limit raised, to tell the limit's effect from the gateway's own cost.
    if (!plan.httpLimits) {
      const raised = { ...ctx, httpLimits: { maxPendingConnections: RAISED_PENDING } };
      for (const p of results.clients.filter((c) => c.resets > 0)) {
        const again: ClientsPoint[] = [];
        for (let r = 1; r <= plan.rounds; r++) {
          const q = await step(`clients ${p.sessions}, maxPendingConnections ${RAISED_PENDING} (round ${r})`, (g) =>
            clientsPoint(raised, g, plan, p.sessions),
          );
          if (q) again.push(q);
        }
        if (again.length) results.clientsRaisedLimit.push(mergeRounds(again));
      }
    }
  } finally {
    killScaleProcesses();
  }

  const resultsDir = path.join(ROOT, 'bench/results');
  const chartsDir =
    opts.chartsDir ?? (opts.quick ? path.join(resultsDir, `${stamp}-scale`) : path.join(ROOT, 'docs/images'));
  const { markdown, charts } = await renderScale(results, chartsDir);
  const durationS = (performance.now() - started) / 1000;
  const raw = {
    date: new Date().toISOString(),
    machine: machine(process.execPath),
    quick: !!opts.quick,
    durationS,
    ...results,
  };
  const resultsFile = path.join(resultsDir, `${stamp}-scale.json`);
  writeFileSync(resultsFile, JSON.stringify(raw, null, 2));
  const rel = (p: string) => path.relative(ROOT, p);
  log(`scale: ${durationS.toFixed(0)} s; raw data ${rel(resultsFile)}; ${charts.length} charts in ${rel(chartsDir)}`);
  return { markdown, charts, raw, resultsFile };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      from: { type: 'string' },
      charts: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    const text = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    process.stdout.write(/\/\*\*([\s\S]*?)\*\//.exec(text)?.[1]?.replace(/^ \* ?/gm, '') ?? '');
    process.exit(0);
  }
  if (values.from) {
    const results = JSON.parse(readFileSync(values.from, 'utf8')) as ScaleResults & { quick?: boolean };
    const dir = path.resolve(
      values.charts ??
        (results.quick ? path.join(ROOT, 'bench/results/rendered-scale') : path.join(ROOT, 'docs/images')),
    );
    const { markdown } = await renderScale(results, dir);
    process.stdout.write(`${markdown}\n`);
    process.exit(0);
  }
  process.on('exit', killScaleProcesses);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(sig, () => {
      process.stderr.write(`\nscale: ${sig}, stopping everything\n`);
      process.exit(130);
    });
  const plan = values.quick ? QUICK_SCALE_PLAN : FULL_SCALE_PLAN;
  // Beyond runScale's own deadline: whatever hangs, the process ends.
  setTimeout(() => {
    process.stderr.write('scale: hard deadline, stopping\n');
    process.exit(1);
  }, plan.deadlineMs + 60_000).unref();
  runScale({ quick: values.quick }).then(
    (out) => {
      process.stdout.write(`${out.markdown}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`scale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
