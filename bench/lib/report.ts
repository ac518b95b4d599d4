/**
 * Turns rounds into the summary: medians across rounds per path, ratios computed per round
 * (both sides measured in the same round) and then their median, the targets of issue 6 checked
 * against those, a console table and the generated part of docs/benchmarks.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { MachineInfo } from './machine.ts';
import type { Plan, RoundResult, Verification } from './measure.ts';
import type { PathKind, PathSpec } from './paths.ts';
import type { StartupResult } from './startup.ts';
import { median } from './stats.ts';

export interface PathSummary {
  id: string;
  label: string;
  kind: PathKind;
  note?: string;
  available: boolean;
  reason?: string;
  rounds: number;
  p50?: number;
  p90?: number;
  p99?: number;
  addedP50?: number;
  base: string;
  callsPerSec?: number;
  cpuSeq?: number;
  cpuConc?: number;
  serverCpu?: number;
  blobMbPerSec?: number;
  idleRss?: number;
  peakLoad?: number;
  peakAll?: number;
  mainIdleRss?: number;
  mainPeakLoad?: number;
  mainPeakAll?: number;
  firstResponseMs?: number;
  firstCallMs?: number;
  progressChecked: boolean;
  verify: Verification;
  /** Wrong, misrouted or failed answers, and progress problems where progress is expected. */
  problems: number;
}

export interface TargetResult {
  id: string;
  target: string;
  measured: string;
  /** undefined: could not be measured in this run. */
  met: boolean | undefined;
}

export interface Summary {
  paths: PathSummary[];
  /** Start-up figures (lib/startup.ts), medians in ms; absent when not measured. */
  startup?: { gatewayReadyMs: number | undefined; shimColdToolsMs: number | undefined };
  targets: TargetResult[];
  /** Share of the CPUs other programs used during the kept windows (median, max). */
  foreignCpu: { median: number | undefined; max: number | undefined };
}

function sumVerification(rs: RoundResult[]): Verification {
  const out: Verification = {
    echoCalls: 0,
    echoOk: 0,
    blobCalls: 0,
    blobOk: 0,
    failed: 0,
    misrouted: 0,
    wrong: 0,
    progressCalls: 0,
    progressExpected: 0,
    progressBeforeResult: 0,
    progressStray: 0,
    progressBadCalls: 0,
  };
  for (const r of rs) for (const k of Object.keys(out) as (keyof Verification)[]) out[k] += r.verify?.[k] ?? 0;
  return out;
}

function problems(v: Verification, progress: boolean): number {
  return v.failed + v.misrouted + v.wrong + (progress ? v.progressBadCalls + v.progressStray : 0);
}

/** Median over rounds of f(round of a) / g(round of b), both from the same round. */
function ratio(
  results: RoundResult[],
  a: string,
  b: string,
  f: (r: RoundResult, round: number) => number | undefined,
  g = f,
): number | undefined {
  const rounds = [...new Set(results.map((r) => r.round))];
  return median(
    rounds.map((round) => {
      const ra = results.find((r) => r.path === a && r.round === round && r.available);
      const rb = results.find((r) => r.path === b && r.round === round && r.available);
      if (!ra || !rb) return undefined;
      const x = f(ra, round);
      const y = g(rb, round);
      return x === undefined || y === undefined || y <= 0 ? undefined : x / y;
    }),
  );
}

export function aggregate(paths: PathSpec[], results: RoundResult[], startup?: StartupResult): Summary {
  const p50Of = (id: string, round: number) =>
    results.find((r) => r.path === id && r.round === round && r.available)?.latencyUs?.p50;
  const added = (r: RoundResult, base: string) => {
    const b = p50Of(base, r.round);
    return r.latencyUs && b !== undefined ? r.latencyUs.p50 - b : undefined;
  };
  const summaries: PathSummary[] = paths.map((spec) => {
    const all = results.filter((r) => r.path === spec.id);
    const ok = all.filter((r) => r.available);
    const m = (f: (r: RoundResult) => number | undefined) => median(ok.map(f));
    const verify = sumVerification(all);
    return {
      id: spec.id,
      label: spec.label,
      kind: spec.kind,
      ...(spec.note ? { note: spec.note } : {}),
      available: ok.length > 0,
      ...(ok.length === 0 ? { reason: all.find((r) => r.reason)?.reason ?? 'not run' } : {}),
      rounds: ok.length,
      base: spec.base,
      p50: m((r) => r.latencyUs?.p50),
      p90: m((r) => r.latencyUs?.p90),
      p99: m((r) => r.latencyUs?.p99),
      addedP50: spec.kind === 'direct' ? undefined : m((r) => added(r, spec.base)),
      callsPerSec: m((r) => r.callsPerSec),
      cpuSeq: m((r) => r.cpu?.seqUsPerCall),
      cpuConc: m((r) => r.cpu?.concUsPerCall),
      serverCpu: m((r) => r.serverCpuUsPerCall),
      blobMbPerSec: m((r) => r.blobMbPerSec),
      idleRss: m((r) => r.memMb?.idleRss),
      peakLoad: m((r) => r.memMb?.peakLoad),
      peakAll: m((r) => r.memMb?.peakAll),
      mainIdleRss: m((r) => r.memMb?.mainIdleRss),
      mainPeakLoad: m((r) => r.memMb?.mainPeakLoad),
      mainPeakAll: m((r) => r.memMb?.mainPeakAll),
      firstResponseMs: m((r) => r.firstResponseMs),
      firstCallMs: m((r) => r.firstCallMs),
      progressChecked: spec.progress,
      verify,
      problems: ok.length ? problems(verify, spec.progress) : 0,
    };
  });
  const shares = results.map((r) => r.foreignCpuShare).filter((x): x is number => x !== undefined);
  const start = startup && {
    gatewayReadyMs: median(startup.gatewayReadyMs),
    shimColdToolsMs: median(startup.shimColdToolsMs),
  };
  return {
    paths: summaries,
    ...(start ? { startup: start } : {}),
    targets: [...targets(summaries, results), ...startupTargets(start)],
    foreignCpu: { median: median(shares), max: shares.length ? Math.max(...shares) : undefined },
  };
}

const fmt = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

function targets(paths: PathSummary[], results: RoundResult[]): TargetResult[] {
  const get = (id: string) => paths.find((p) => p.id === id && p.available);
  const out: TargetResult[] = [];
  const addedOf = (base: string) => (r: RoundResult) => {
    const b = results.find((x) => x.path === base && x.round === r.round && x.available)?.latencyUs?.p50;
    return r.latencyUs && b !== undefined ? r.latencyUs.p50 - b : undefined;
  };
  const sbHttp = get('sb-http-stdio');
  const lean = get('lean-bridge');
  {
    const q = ratio(results, 'sb-http-stdio', 'lean-bridge', addedOf('direct-stdio'));
    out.push({
      id: 'http-latency',
      target: "Switchboard HTTP→stdio added p50 ≤ 1.2× the lean bridge's",
      measured: `${fmt(q, 2)}× (${fmt(sbHttp?.addedP50)} µs vs ${fmt(lean?.addedP50)} µs)`,
      met: q === undefined ? undefined : q <= 1.2,
    });
  }
  {
    const shim = get('sb-shim-stdio');
    const pipe = get('byte-pipe');
    const q = ratio(results, 'sb-shim-stdio', 'byte-pipe', addedOf('direct-stdio'));
    out.push({
      id: 'shim-latency',
      target: "Switchboard shim→stdio added p50 ≤ 2× the byte pipe's",
      measured: `${fmt(q, 2)}× (${fmt(shim?.addedP50)} µs vs ${fmt(pipe?.addedP50)} µs)`,
      met: q === undefined ? undefined : q <= 2,
    });
  }
  {
    const q = ratio(results, 'sb-http-stdio', 'lean-bridge', (r) => r.callsPerSec);
    out.push({
      id: 'http-throughput-floor',
      target: "Switchboard HTTP→stdio throughput (16 in flight) ≥ 0.8× the lean bridge's",
      measured: `${fmt(q, 2)}× (${fmt(sbHttp?.callsPerSec)} vs ${fmt(lean?.callsPerSec)} calls/s)`,
      met: q === undefined ? undefined : q >= 0.8,
    });
  }
  {
    const sbRemote = get('sb-stdio-http');
    const floor = get('lean-remote');
    const qLatency = ratio(results, 'sb-stdio-http', 'lean-remote', addedOf('direct-http'));
    const qThroughput = ratio(results, 'sb-stdio-http', 'lean-remote', (r) => r.callsPerSec);
    out.push({
      id: 'remote',
      target: "Switchboard stdio→remote HTTP added p50 ≤ 1.5× and throughput ≥ 0.6× the lean remote bridge's",
      measured:
        `${fmt(qLatency, 2)}× added p50 (${fmt(sbRemote?.addedP50)} vs ${fmt(floor?.addedP50)} µs), ` +
        `${fmt(qThroughput, 2)}× throughput (${fmt(sbRemote?.callsPerSec)} vs ${fmt(floor?.callsPerSec)} calls/s)`,
      met: qLatency === undefined || qThroughput === undefined ? undefined : qLatency <= 1.5 && qThroughput >= 0.6,
    });
  }
  {
    const http = get('sb-handler-http');
    const fcgi = get('sb-handler-fastcgi');
    const q = ratio(results, 'sb-handler-fastcgi', 'sb-handler-http', (r) => r.latencyUs?.p50);
    out.push({
      id: 'fastcgi',
      target: 'JSON handler over FastCGI p50 ≤ 1.2× the same handler over HTTP',
      measured: `${fmt(q, 2)}× (${fmt(fcgi?.p50)} vs ${fmt(http?.p50)} µs)`,
      met: q === undefined ? undefined : q <= 1.2,
    });
  }
  {
    const sg = get('supergateway');
    const q = ratio(results, 'sb-http-stdio', 'supergateway', (r) => r.callsPerSec);
    out.push({
      id: 'throughput',
      target: "Switchboard HTTP→stdio throughput (16 in flight) ≥ 3× supergateway's",
      measured: `${fmt(q, 2)}× (${fmt(sbHttp?.callsPerSec)} vs ${fmt(sg?.callsPerSec)} calls/s)`,
      met: q === undefined ? undefined : q >= 3,
    });
  }
  {
    const qs = ratio(results, 'sb-http-stdio', 'lean-bridge', (r) => r.cpu?.seqUsPerCall);
    const qc = ratio(results, 'sb-http-stdio', 'lean-bridge', (r) => r.cpu?.concUsPerCall);
    out.push({
      id: 'cpu',
      target: "Switchboard HTTP→stdio CPU per call ≤ 2× the lean bridge's (sequential and 16 in flight)",
      measured:
        `${fmt(qs, 2)}× sequential (${fmt(sbHttp?.cpuSeq)} vs ${fmt(lean?.cpuSeq)} ` +
        `µs), ${fmt(qc, 2)}× in flight (${fmt(sbHttp?.cpuConc)} vs ${fmt(lean?.cpuConc)} µs)`,
      met: qs === undefined || qc === undefined ? undefined : qs <= 2 && qc <= 2,
    });
  }
  {
    const off = get('sb-http-stdio-norec');
    const qLatency = ratio(results, 'sb-http-stdio', 'sb-http-stdio-norec', addedOf('direct-stdio'));
    const qThroughput = ratio(results, 'sb-http-stdio', 'sb-http-stdio-norec', (r) => r.callsPerSec);
    out.push({
      id: 'recording',
      target: 'Traffic record on vs off (HTTP→stdio): added p50 ≤ 1.1×, throughput ≥ 0.9×',
      measured:
        `${fmt(qLatency, 2)}× added p50 (${fmt(sbHttp?.addedP50)} vs ${fmt(off?.addedP50)} µs), ` +
        `${fmt(qThroughput, 2)}× throughput (${fmt(sbHttp?.callsPerSec)} vs ${fmt(off?.callsPerSec)} calls/s); ` +
        // What recording costs whether or not the machine is saturated: CPU per call.
        `CPU per call ${fmt(sbHttp?.cpuSeq)} vs ${fmt(off?.cpuSeq)} µs sequential, ` +
        `${fmt(sbHttp?.cpuConc)} vs ${fmt(off?.cpuConc)} µs in flight`,
      met: qLatency === undefined || qThroughput === undefined ? undefined : qLatency <= 1.1 && qThroughput >= 0.9,
    });
  }
  const sb = paths.filter((p) => p.kind === 'switchboard' && p.available);
  {
    const withBlob = sb.filter((p) => p.blobMbPerSec !== undefined);
    const worst = withBlob.reduce<PathSummary | undefined>(
      (w, p) => (w === undefined || (p.blobMbPerSec as number) < (w.blobMbPerSec as number) ? p : w),
      undefined,
    );
    out.push({
      id: 'blob',
      target: '10 MB responses ≥ 50 MB/s (every Switchboard path)',
      measured: withBlob.map((p) => `${p.id} ${fmt(p.blobMbPerSec)}`).join(', ') + ' MB/s',
      met: worst === undefined ? undefined : (worst.blobMbPerSec as number) >= 50,
    });
  }
  {
    const worst = Math.max(...sb.map((p) => p.mainIdleRss ?? 0));
    out.push({
      id: 'idle-rss',
      target: 'Gateway idle RSS ≤ 60 MB',
      measured: sb.map((p) => `${p.id} ${fmt(p.mainIdleRss)}`).join(', ') + ' MB',
      met: sb.length ? worst <= 60 : undefined,
    });
  }
  {
    const worst = Math.max(...sb.map((p) => p.mainPeakLoad ?? 0));
    out.push({
      id: 'peak-rss',
      target: 'Gateway peak RSS under load (16 in flight) ≤ 100 MB',
      measured:
        sb.map((p) => `${p.id} ${fmt(p.mainPeakLoad)}`).join(', ') +
        ' MB' +
        ` (after the 10 MB responses: ${sb.map((p) => fmt(p.mainPeakAll)).join(', ')} MB)`,
      met: sb.length ? worst <= 100 : undefined,
    });
  }
  {
    const bad = sb.reduce((n, p) => n + p.problems, 0);
    const checked = sb.reduce((n, p) => n + p.verify.echoCalls + p.verify.blobCalls + p.verify.progressCalls, 0);
    out.push({
      id: 'verification',
      target: 'Zero verification errors (every echo and blob byte for byte, nothing misrouted)',
      measured: `${bad} problems in ${checked} checked calls`,
      met: sb.length ? bad === 0 : undefined,
    });
  }
  {
    const prog = sb.filter((p) => p.progressChecked);
    const expected = prog.reduce((n, p) => n + p.verify.progressExpected, 0);
    const before = prog.reduce((n, p) => n + p.verify.progressBeforeResult, 0);
    const bad = prog.reduce((n, p) => n + p.verify.progressBadCalls + p.verify.progressStray, 0);
    out.push({
      id: 'progress',
      target: 'Every progress notification delivered, in order, before its result',
      measured: `${before}/${expected} delivered before their result${bad ? `, ${bad} problems` : ''}`,
      met: prog.length && expected > 0 ? before === expected && bad === 0 : undefined,
    });
  }
  return out;
}

function startupTargets(start: Summary['startup']): TargetResult[] {
  if (start === undefined) return [];
  return [
    {
      id: 'gateway-start',
      target: 'Gateway start to ready (empty config, HTTP answers initialize) ≤ 250 ms',
      measured: `${fmt(start.gatewayReadyMs)} ms`,
      met: start.gatewayReadyMs === undefined ? undefined : start.gatewayReadyMs <= 250,
    },
    {
      id: 'shim-cold',
      target: 'Shim with no gateway running: first tools/list with three stdio servers ≤ 1 s',
      measured: `${fmt(start.shimColdToolsMs)} ms`,
      met: start.shimColdToolsMs === undefined ? undefined : start.shimColdToolsMs <= 1000,
    },
  ];
}

function verifyCell(p: PathSummary): string {
  if (!p.available) return '–';
  const v = p.verify;
  const parts = [`${v.echoOk}/${v.echoCalls} echo`, `${v.blobOk}/${v.blobCalls} blob`];
  parts.push(p.progressChecked ? `${v.progressBeforeResult}/${v.progressExpected} progress` : 'progress n/a');
  if (v.misrouted) parts.push(`**${v.misrouted} misrouted**`);
  if (v.wrong) parts.push(`**${v.wrong} wrong**`);
  if (v.failed) parts.push(`**${v.failed} failed**`);
  if (p.progressChecked && (v.progressBadCalls || v.progressStray))
    parts.push(`**${v.progressBadCalls} bad progress calls, ${v.progressStray} stray**`);
  return parts.join(', ');
}

function mdTables(summary: Summary): string {
  const rows = summary.paths;
  const na = (p: PathSummary) => (p.available ? '' : ` — not available in this build: ${p.reason}`);
  const perf = [
    '| path | p50 µs | p90 µs | p99 µs | added p50 µs | calls/s (16 in flight) | 10 MB response MB/s |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...rows.map((p) =>
      p.available
        ? `| ${p.label} | ${fmt(p.p50)} | ${fmt(p.p90)} | ${fmt(p.p99)} ` +
          (`| ${p.kind === 'direct' ? '(base)' : `${fmt(p.addedP50)} vs ${p.base}`} ` +
            `| ${fmt(p.callsPerSec)} | ${fmt(p.blobMbPerSec)} |`)
        : `| ${p.label}${na(p)} | | | | | | |`,
    ),
  ];
  const res = [
    '| path | CPU µs/call sequential | CPU µs/call 16 in flight | idle RSS MB | peak RSS MB under load | ' +
      'peak RSS MB with 10 MB responses | first response ms | first call ms |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    ...rows
      .filter((p) => p.available)
      .map(
        (p) =>
          `| ${p.label} | ${fmt(p.cpuSeq)} | ${fmt(p.cpuConc)} | ${fmt(p.idleRss)} | ${fmt(p.peakLoad)} ` +
          `| ${fmt(p.peakAll)} | ${fmt(p.firstResponseMs)} | ${fmt(p.firstCallMs)} |`,
      ),
  ];
  const ver = [
    '| path | verified (all rounds) | note |',
    '|---|---|---|',
    ...rows.map(
      (p) =>
        `| ${p.label} | ${p.available ? verifyCell(p) : `not available in this build: ${p.reason}`} ` +
        `| ${p.note ?? ''} |`,
    ),
  ];
  const tgt = [
    '| target | measured | status |',
    '|---|---|---|',
    ...summary.targets.map(
      (t) => `| ${t.target} | ${t.measured} | ${t.met === undefined ? 'not measured' : t.met ? 'met' : '**missed**'} |`,
    ),
  ];
  return [
    '### Targets',
    '',
    ...tgt,
    '',
    '### Latency and throughput',
    '',
    ...perf,
    '',
    '### CPU, memory, start-up',
    '',
    "CPU and memory are the bridge's process tree without the echo server (for the shim path: gateway + " +
      'shim; the gateway alone is in the raw data as `mainIdleRss`/`mainPeakLoad`). Direct paths have no bridge.',
    '',
    ...res,
    '',
    '### Verification',
    '',
    ...ver,
    '',
  ].join('\n');
}

export interface DocsInput {
  machine: MachineInfo;
  plan: Plan;
  summary: Summary;
  durationS: number;
  resultsFile: string;
}

const BEGIN = '<!-- bench:begin (generated by npm run bench; edits inside are replaced) -->';
const END = '<!-- bench:end -->';
const IGNORE_START = '<!-- prettier-ignore-start -->';
const IGNORE_END = '<!-- prettier-ignore-end -->';

export function generatedSection(input: DocsInput): string {
  const { machine: m, plan } = input;
  return [
    BEGIN,
    '',
    `Run of ${m.date.slice(0, 16).replace('T', ' ')} UTC, ${plan.rounds} ` +
      `rounds, ${Math.round(input.durationS)} s; raw data in \`${input.resultsFile}\` (not committed).`,
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB memory, ${m.kernel}, Node ${m.node}.`,
    `Other programs used ${fmt((input.summary.foreignCpu.median ?? 0) * 100)}% of the CPUs during a measured ` +
      (`window (median; at most ${fmt((input.summary.foreignCpu.max ?? 0) * 100)}%; a window above 15% is ` +
        `measured again, twice at most).`),
    `Per path and round: ${plan.warmup} warm-up calls, ${plan.sequential} sequential echo ` +
      (`calls, ${plan.concurrent} calls with ${plan.inflight} in flight, ${plan.progressCalls} progress ` +
        (`calls × ${plan.progressCount} notifications (${plan.progressInflight} in flight), ${plan.smallBlobs} ` +
          (`blobs of ~${plan.smallBlobBytes / 1024} KiB (${plan.inflight} in flight), ${plan.blobCount} ` +
            (`× ${plan.blobBytes / 1e6} MB blobs, ${plan.collisionCalls} calls on each of two sessions ` +
              (`with the same ids. Values are medians over rounds; ratios ` +
                `are computed within each round, then the median taken.`))))),
    '',
    mdTables(input.summary),
    END,
  ].join('\n');
}

export function updateDocs(file: string, input: DocsInput): void {
  const section = generatedSection(input);
  // Prettier leaves the generated section as written (the ignore markers around it).
  const text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : `# Benchmarks\n\n## Latest run\n\n${IGNORE_START}\n${BEGIN}\n${END}\n${IGNORE_END}\n`;
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next =
    start !== -1 && end > start
      ? text.slice(0, start) + section + text.slice(end + END.length)
      : `${text.trimEnd()}\n\n## Latest run\n\n${IGNORE_START}\n${section}\n${IGNORE_END}\n`;
  writeFileSync(file, next);
}

const SCALE_BEGIN = '<!-- scale:begin (generated by npm run bench -- --scale; edits inside are replaced) -->';
const SCALE_END = '<!-- scale:end -->';

/** Replaces the scale section (between its markers) of docs/benchmarks.md, or adds one at the end. */
export function updateScaleDocs(file: string, markdown: string): void {
  const section = `${SCALE_BEGIN}\n\n${markdown.trim()}\n\n${SCALE_END}`;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(SCALE_BEGIN);
  const end = text.indexOf(SCALE_END);
  const next =
    start !== -1 && end > start
      ? text.slice(0, start) + section + text.slice(end + SCALE_END.length)
      : `${text.trimEnd()}\n\n## Scale\n\n${IGNORE_START}\n${section}\n${IGNORE_END}\n`;
  writeFileSync(file, next);
}

/** A compact plain-text table for the terminal. */
export function consoleTable(summary: Summary): string {
  const head = [
    'path',
    'p50',
    'p90',
    'p99',
    '+p50',
    'calls/s',
    'cpu seq',
    'cpu @16',
    'MB/s',
    'idle MB',
    'peak MB',
    'first ms',
    'problems',
  ];
  const rows = summary.paths.map((p) =>
    p.available
      ? [
          p.id,
          fmt(p.p50),
          fmt(p.p90),
          fmt(p.p99),
          p.kind === 'direct' ? '' : fmt(p.addedP50),
          fmt(p.callsPerSec),
          fmt(p.cpuSeq),
          fmt(p.cpuConc),
          fmt(p.blobMbPerSec),
          fmt(p.idleRss),
          fmt(p.peakLoad),
          fmt(p.firstCallMs),
          String(p.problems),
        ]
      : [p.id, `not available: ${p.reason ?? ''}`.slice(0, 60), '', '', '', '', '', '', '', '', '', '', ''],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const out = [
    '',
    line(head),
    ...rows.map((r) =>
      r[1]?.startsWith('not available') ? `${(r[0] as string).padEnd(widths[0] as number)}  ${r[1]}` : line(r),
    ),
  ];
  out.push('', 'targets:');
  for (const t of summary.targets)
    out.push(`  [${t.met === undefined ? '?' : t.met ? 'met' : 'MISSED'}] ${t.target}: ${t.measured}`);
  return out.join('\n') + '\n';
}
