#!/usr/bin/env node
/**
 * `npm run bench`: Switchboard beside its peers and the lean floors, measured in one run.
 *
 *   npm run bench                      full run (5 rounds, ~6 min on 2 cores), updates docs/benchmarks.md
 *   npm run bench -- --quick           smoke run (1 round, fewer calls, well under a minute), docs untouched
 *   npm run bench -- --rounds 7        more rounds
 *   npm run bench -- --only a,b        only these paths (ids as in bench/lib/paths.ts; `startup`: start-up)
 *   npm run bench -- --scale           also the scale curves (bench/scale.ts: servers, tools, clients;
 *                                      ~4 min more), with their charts, in docs/benchmarks.md
 *   npm run bench -- --profile         CPU-profile the Switchboard paths and the floors
 *                                      (node --cpu-prof), small calls and 10 MB responses
 *                                      separately, and summarise the top frames; no table
 *   npm run bench -- --no-docs         do not touch docs/benchmarks.md
 *   npm run bench -- --switchboard-ts  experiment: run Switchboard from its TypeScript sources
 *                                      (type stripping) instead of the build npm start runs
 *   npm run bench -- --node-flags="--max-semi-space-size=2"
 *                                      experiment: these node flags for Switchboard processes
 *                                      instead of the ones npm start gives (GATEWAY_NODE_FLAGS)
 *   (experiments and --only never touch docs/benchmarks.md)
 *
 * Raw data: bench/results/<timestamp>.json. Every process started is ended before the next path
 * starts; the whole run has a hard deadline.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summariseProfile, type ProfileSummary } from './lib/cpuprofile.ts';
import { buildJs } from './lib/build.ts';
import { killScaleProcesses, runScale } from './scale.ts';
import { measureStartup, type StartupResult } from './lib/startup.ts';
import { GATEWAY_NODE_FLAGS } from '../main/shared/node-flags.ts';
import { machine } from './lib/machine.ts';
import {
  FULL_PLAN,
  PROFILE_BLOBS_PLAN,
  PROFILE_CALLS_PLAN,
  QUICK_PLAN,
  measurePath,
  type Plan,
  type RoundResult,
} from './lib/measure.ts';
import { PATHS, type PathSpec } from './lib/paths.ts';
import { ProcessGroup } from './lib/proc.ts';
import { aggregate, consoleTable, updateDocs, updateScaleDocs } from './lib/report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN_DEADLINE_MS = 25 * 60_000;
/** A path-round where other processes used more than this share of the CPUs is measured again... */
const MAX_FOREIGN_SHARE = 0.15;
/** ...at most this many times (the last attempt is kept, with its share recorded). */
const MAX_RETRIES = 2;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    scale: { type: 'boolean', default: false },
    'switchboard-ts': { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(/\/\*\*([\s\S]*?)\*\//.exec(text)?.[1]?.replace(/^ \* ?/gm, '') ?? '');
  process.exit(0);
}

const plan: Plan = { ...(values.quick ? QUICK_PLAN : FULL_PLAN) };
if (values.rounds) plan.rounds = Math.max(1, Number(values.rounds));
if (values.profile) plan.rounds = 1;

let paths: PathSpec[] = PATHS;
if (values.only) {
  const wanted = new Set(values.only.split(',').map((s) => s.trim()));
  const unknown = [...wanted].filter((w) => w !== 'startup' && !PATHS.some((p) => p.id === w));
  if (unknown.length) {
    process.stderr.write(
      `unknown path ids: ${unknown.join(', ')}\nknown: ${PATHS.map((p) => p.id).join(', ')}, startup\n`,
    );
    process.exit(2);
  }
  paths = PATHS.filter((p) => wanted.has(p.id));
}
if (values.profile) paths = paths.filter((p) => p.kind === 'switchboard' || p.kind === 'floor');
const experiment = values['switchboard-ts'] || values['node-flags'] !== undefined;

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = path.join(ROOT, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const scratch = mkdtempSync(path.join('/tmp', 'sbb-'));
const groups = new Set<ProcessGroup>();
const JS = buildJs(ROOT, path.join(scratch, 'build'));
// Switchboard runs as `npm start` runs it: the esbuild bundle, with the gateway's node flags.
if (!values['switchboard-ts'])
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.ts')], { stdio: 'inherit' });
const SWITCHBOARD_CLI = values['switchboard-ts'] ? path.join(ROOT, 'main/cli.ts') : path.join(ROOT, 'out/main/cli.js');
const SWITCHBOARD_FLAGS = values['node-flags']?.split(/\s+/).filter(Boolean) ?? [...GATEWAY_NODE_FLAGS];

// Whatever happens, nothing we started outlives the run.
const killEverything = () => {
  killScaleProcesses();
  for (const g of groups) g.killNow();
  rmSync(scratch, { recursive: true, force: true });
};
process.on('exit', killEverything);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping everything\n`);
    process.exit(130);
  });
}
const hardStop = setTimeout(() => {
  process.stderr.write(`bench: the run exceeded ${RUN_DEADLINE_MS / 60_000} minutes, stopping\n`);
  process.exit(1);
}, RUN_DEADLINE_MS);
hardStop.unref();

const log = (line: string) => process.stderr.write(`${line}\n`);

async function runOne(spec: PathSpec, round: number, profileDir?: string): Promise<RoundResult> {
  const group = new ProcessGroup();
  groups.add(group);
  const tmp = mkdtempSync(path.join(scratch, `${spec.id}-`));
  let timer: NodeJS.Timeout | undefined;
  try {
    const ctx = {
      root: ROOT,
      js: JS,
      node: process.execPath,
      tmp,
      group,
      ...(profileDir ? { profileDir } : {}),
      switchboardCli: SWITCHBOARD_CLI,
      switchboardFlags: SWITCHBOARD_FLAGS,
    };
    const timeout = new Promise<RoundResult>((resolve) => {
      timer = setTimeout(() => {
        void group.stopAll(500).then(() =>
          resolve({
            path: spec.id,
            round,
            available: false,
            reason: `timed out after ${plan.pathTimeoutMs / 1000} s`,
            verify: {} as RoundResult['verify'],
            errors: [],
            durationMs: plan.pathTimeoutMs,
          }),
        );
      }, plan.pathTimeoutMs);
    });
    return await Promise.race([measurePath(spec, round, plan, ctx), timeout]);
  } finally {
    clearTimeout(timer);
    await group.stopAll(500);
    const left = group.leftovers();
    if (left.length) log(`  warning: processes still alive after ${spec.id}: ${left.join(', ')}`);
    groups.delete(group);
    rmSync(tmp, { recursive: true, force: true });
  }
}

function short(r: RoundResult): string {
  if (!r.available) return `not available: ${r.reason}`;
  const v = r.verify;
  const bad = v.failed + v.misrouted + v.wrong + v.progressBadCalls + v.progressStray;
  return [
    `p50 ${r.latencyUs?.p50.toFixed(0)} µs`,
    `${r.callsPerSec?.toFixed(0)} calls/s`,
    r.cpu ? `cpu ${r.cpu.seqUsPerCall.toFixed(0)}/${r.cpu.concUsPerCall.toFixed(0)} µs/call` : '',
    r.blobMbPerSec ? `${r.blobMbPerSec.toFixed(0)} MB/s` : '',
    r.memMb ? `rss ${r.memMb.idleRss.toFixed(0)}/${r.memMb.peakLoad.toFixed(0)}/${r.memMb.peakAll.toFixed(0)} MB` : '',
    `first call ${r.firstCallMs?.toFixed(0)} ms`,
    r.foreignCpuShare !== undefined && r.foreignCpuShare > 0.05
      ? `others used ${(r.foreignCpuShare * 100).toFixed(0)}% CPU`
      : '',
    bad ? `${bad} verification problems: ${r.errors.slice(0, 2).join(' | ')}` : 'verified',
    `(${(r.durationMs / 1000).toFixed(1)} s)`,
  ]
    .filter(Boolean)
    .join(', ');
}

async function main(): Promise<void> {
  const started = performance.now();
  const info = machine(process.execPath);
  log(
    `bench: ${paths.length} paths × ${plan.rounds} round(s) ` +
      `on ${info.cpuModel} (${info.cores} cores), node ${info.node}`,
  );

  if (values.profile) {
    const dir = path.join(resultsDir, `${stamp}-profiles`);
    mkdirSync(dir, { recursive: true });
    const summaries: Record<string, ProfileSummary[]> = {};
    for (const [kind, profilePlan] of [
      ['calls', PROFILE_CALLS_PLAN],
      ['blobs', PROFILE_BLOBS_PLAN],
    ] as const) {
      Object.assign(plan, profilePlan);
      for (const spec of paths) {
        const sub = path.join(dir, `${spec.id}-${kind}`);
        mkdirSync(sub, { recursive: true });
        log(`profiling ${spec.id} (${kind === 'calls' ? 'small calls only' : '10 MB responses only'})`);
        const r = await runOne(spec, 0, sub);
        log(`  ${short(r)}`);
        const list = readdirSync(sub)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => summariseProfile(path.join(sub, f), ROOT));
        summaries[`${spec.id}-${kind}`] = list;
        for (const s of list) log(s.text);
      }
    }
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summaries, null, 2));
    log(`profiles: ${path.relative(ROOT, dir)}`);
    return;
  }

  const results: RoundResult[] = [];
  const disturbed: RoundResult[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    // Interleaved: every path once per round, the order rotated so no path always follows another.
    const order = paths.map((_, i) => paths[(i + round) % paths.length] as PathSpec);
    log(`round ${round + 1}/${plan.rounds}`);
    for (const spec of order) {
      let r = await runOne(spec, round);
      // Another program busy on the machine makes a window meaningless: measure it again.
      for (let retry = 1; retry <= MAX_RETRIES && (r.foreignCpuShare ?? 0) > MAX_FOREIGN_SHARE; retry++) {
        log(
          `  ${spec.id.padEnd(20)} disturbed: other processes ` +
            `used ${((r.foreignCpuShare ?? 0) * 100).toFixed(0)}% of the CPUs; measuring again`,
        );
        disturbed.push(r);
        await new Promise((res) => setTimeout(res, 2000 * retry));
        r = await runOne(spec, round);
      }
      results.push(r);
      log(`  ${spec.id.padEnd(20)} ${short(r)}`);
    }
  }
  // Start-up, measured apart from the paths (3 times; once in a quick run).
  let startup: StartupResult | undefined;
  if (!values.profile && (!values.only || values.only.split(',').includes('startup'))) {
    log('startup');
    startup = await measureStartup({
      node: process.execPath,
      cli: SWITCHBOARD_CLI,
      flags: SWITCHBOARD_FLAGS,
      js: JS,
      scratch,
      repeats: values.quick ? 1 : 3,
    });
    const ms = (list: number[]) => `${list.map((x) => x.toFixed(0)).join(', ')} ms`;
    log(`  gateway ready ${ms(startup.gatewayReadyMs)}; shim cold tools/list ${ms(startup.shimColdToolsMs)}`);
  }
  const summary = aggregate(paths, results, startup);
  const durationS = (performance.now() - started) / 1000;
  const file = path.join(resultsDir, `${stamp}.json`);
  const variant = { switchboardTs: values['switchboard-ts'], nodeFlags: SWITCHBOARD_FLAGS };
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: info,
        plan,
        quick: values.quick,
        variant,
        durationS,
        summary,
        rounds: results,
        disturbed,
      },
      null,
      2,
    ),
  );
  process.stdout.write(consoleTable(summary));
  // The scale curves after the paths: their own processes, on a machine the paths left quiet.
  const writeDocs = !values.quick && !values['no-docs'] && !values.only && !experiment;
  if (values.scale) {
    log('scale curves');
    const scale = await runScale({
      quick: values.quick,
      build: false,
      cli: SWITCHBOARD_CLI,
      flags: SWITCHBOARD_FLAGS,
      log,
      ...(writeDocs ? {} : { chartsDir: path.join(resultsDir, `${stamp}-scale`) }),
    });
    process.stdout.write(`${scale.markdown}\n`);
    log(`scale raw data: ${path.relative(ROOT, scale.resultsFile)}`);
    if (writeDocs) updateScaleDocs(path.join(ROOT, 'docs/benchmarks.md'), scale.markdown);
  }
  log(`\nraw data: ${path.relative(ROOT, file)} (${durationS.toFixed(0)} s)`);
  if (writeDocs) {
    updateDocs(path.join(ROOT, 'docs/benchmarks.md'), {
      machine: info,
      plan,
      summary,
      durationS,
      resultsFile: path.relative(ROOT, file),
    });
    log('docs/benchmarks.md updated');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
