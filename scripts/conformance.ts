/**
 * `npm run conformance`: the MCP conformance suite (@modelcontextprotocol/conformance) against
 * Switchboard. Server scenarios run against four targets, for the 2025-11-25 requirements (suite
 * 0.1.x and the 0.2 prerelease) and the 2026-07-28 requirements (0.2 prerelease):
 *
 *   direct         the "everything" fixture (test/fixtures/servers/conformance-everything.ts) over HTTP
 *   gateway-stdio  Switchboard (`switchboard serve`) fronting the fixture spawned over stdio
 *   gateway-http   Switchboard fronting a second fixture over Streamable HTTP
 *
 * and client scenarios run Switchboard's upstream client (scripts/conformance-client.ts) against
 * the suite's mock servers. Results are compared with test/conformance/expected-failures.yaml; the
 * run fails only when they differ from it. See docs/conformance.md.
 *
 *   npm run conformance [-- --quick] [--write-baseline] [--target NAME,...] [--suite ID,...]
 *                          [--scenario NAME,...] [--write-docs] [--deadline-minutes N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  compare,
  loadBaseline,
  lookup,
  missingReasons,
  summarize,
  updatedBaseline,
  writeBaseline,
  type CheckSummary,
  type Difference,
  type Kind,
  type ScenarioResult,
} from './conformance-baseline.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const FIXTURE = path.join(ROOT, 'test/fixtures/servers/conformance-everything.ts');
const GATEWAY_CLI = path.join(ROOT, 'main/cli.ts');
const CLIENT = path.join(ROOT, 'scripts/conformance-client.ts');
const BASELINE = path.join(ROOT, 'test/conformance/expected-failures.yaml');
const RESULTS = path.join(ROOT, 'test/conformance/results');
const DOC = path.join(ROOT, 'docs/conformance.md');

/** Per-scenario bounds: the suite's own timeout (0.2 only), then a hard kill of the whole process group. */
const SUITE_TIMEOUT_MS = 30_000;
const KILL_AFTER_MS = 60_000;
const START_TIMEOUT_MS = 30_000;

const QUICK_SERVER = new Set([
  'server-initialize',
  'server-stateless',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-with-progress',
  'tools-call-elicitation',
  'resources-read-text',
  'prompts-get-with-args',
  'dns-rebinding-protection',
  'input-required-result-basic-elicitation',
  'caching',
]);
const QUICK_CLIENT = new Set(['initialize', 'tools_call', 'request-metadata']);

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  quick: boolean;
  writeBaseline: boolean;
  writeDocs: boolean;
  targets?: Set<string>;
  suites?: Set<string>;
  scenarios?: Set<string>;
  deadlineMs: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { quick: false, writeBaseline: false, writeDocs: false, deadlineMs: 8 * 60_000 };
  const list = (v: string | undefined, flag: string) => {
    if (!v) usage(`${flag} needs a value`);
    return new Set(
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') opts.quick = true;
    else if (a === '--write-baseline') opts.writeBaseline = true;
    else if (a === '--write-docs') opts.writeDocs = true;
    else if (a === '--target') opts.targets = list(argv[++i], a);
    else if (a === '--suite') opts.suites = list(argv[++i], a);
    else if (a === '--scenario') opts.scenarios = list(argv[++i], a);
    else if (a === '--deadline-minutes') {
      const n = Number(argv[++i]);
      if (!(n > 0)) usage('--deadline-minutes needs a positive number');
      opts.deadlineMs = n * 60_000;
    } else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  return opts;
}

function usage(problem?: string): never {
  if (problem) process.stderr.write(`conformance: ${problem}\n`);
  process.stderr.write(
    [
      'usage: npm run conformance -- [--quick] [--write-baseline] [--write-docs]',
      '         [--target direct,gateway-stdio,gateway-http,upstream-client]',
      '         [--suite 2025-11-25@0.1,2025-11-25@0.2,2026-07-28@0.2] [--scenario NAME,...] [--deadline-minutes N]',
      '',
    ].join('\n'),
  );
  process.exit(problem ? 2 : 0);
}

// ---------------------------------------------------------------------------------------------
// Processes: every child is a process-group leader, killed with its group; none outlives the run.

interface Proc {
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

const running = new Set<Proc>();
const TAIL = 64 * 1024;

function launch(args: string[], env: NodeJS.ProcessEnv = process.env, keepStdin = false): Proc {
  const child = spawn(NODE, args, {
    cwd: ROOT,
    env,
    detached: process.platform !== 'win32',
    stdio: [keepStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = {
    child,
    out: '',
    err: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (d: Buffer) => {
    proc.out = (proc.out + d.toString()).slice(-TAIL);
  });
  child.stderr!.on('data', (d: Buffer) => {
    proc.err = (proc.err + d.toString()).slice(-TAIL);
  });
  child.once('error', (e) => {
    proc.err += `\nspawn failed: ${e.message}`;
  });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

const alive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

function signal(p: Proc, sig: NodeJS.Signals): void {
  if (!p.child.pid) return;
  try {
    if (process.platform === 'win32') p.child.kill(sig);
    else process.kill(-p.child.pid, sig);
  } catch {
    // Already gone.
  }
}

async function terminate(p: Proc, graceMs = 3000): Promise<void> {
  if (!alive(p)) return;
  signal(p, 'SIGTERM');
  if (await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)])) return;
  signal(p, 'SIGKILL');
  await Promise.race([p.exited, sleep(2000)]);
}

/** The run's temp directory, removed even when the run is interrupted. */
let workDir: string | undefined;

process.on('exit', () => {
  for (const p of running) signal(p, 'SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

/** Waits until `pattern` matches the process's stdout or stderr. */
async function waitForOutput(
  p: Proc,
  stream: 'out' | 'err',
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = p[stream].match(pattern);
    if (m) return m;
    if (!alive(p))
      throw new Error(
        `${what} exited (code ${p.child.exitCode ?? p.child.signalCode}) before it was ready:\n${tail(p.err || p.out)}`,
      );
    if (Date.now() > deadline)
      throw new Error(`${what} was not ready after ${timeoutMs / 1000}s:\n${tail(p.err || p.out)}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tail = (text: string, lines = 12) => text.trim().split('\n').slice(-lines).join('\n');

// ---------------------------------------------------------------------------------------------
// Suites and scenario lists (asked from the installed suites, so upgrades need no edits here)

interface Suite {
  id: string;
  label: string;
  pkg: string;
  version: string;
  revision: string;
  bin: string;
  /**
   * 0.2+: --spec-version/--force/--timeout; 0.1 runs every scenario at 2025-11-25 and has no timeout flag for servers.
   */
  versionedCli: boolean;
  server: string[];
  client: string[];
}

async function packageVersion(pkg: string): Promise<string> {
  const json = JSON.parse(await readFile(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  return json.version;
}

async function runCapture(args: string[], timeoutMs = 30_000): Promise<string> {
  const p = launch(args);
  const timer = setTimeout(() => signal(p, 'SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  if (code !== 0)
    throw new Error(
      `node ${args.map((a) => path.relative(ROOT, a) || a).join(' ')} failed (exit ${code}):\n${tail(p.err || p.out)}`,
    );
  return p.out;
}

/** Items of `  - name` lists under the "Server scenarios" / "Client scenarios" headings of `conformance list`. */
function parseList(text: string): { server: string[]; client: string[] } {
  const out = { server: [] as string[], client: [] as string[] };
  let section: 'server' | 'client' | undefined;
  for (const line of text.split('\n')) {
    if (/^Server scenarios/.test(line)) section = 'server';
    else if (/^Client scenarios/.test(line)) section = 'client';
    else if (/^\S/.test(line)) section = undefined;
    const m = line.match(/^ {2}- (\S+)/);
    if (m && section) out[section].push(m[1]!);
  }
  return out;
}

async function loadSuites(): Promise<Suite[]> {
  const [v1, v2] = await Promise.all([packageVersion('conformance-2025'), packageVersion('conformance-2026')]);
  const bin1 = path.join(ROOT, 'node_modules/conformance-2025/dist/index.js');
  const bin2 = path.join(ROOT, 'node_modules/conformance-2026/dist/index.js');
  const [req2025, req2026, all1] = await Promise.all([
    runCapture([bin2, 'list', '--requirements', '2025-11-25']).then(parseList),
    runCapture([bin2, 'list', '--requirements', '2026-07-28']).then(parseList),
    runCapture([bin1, 'list']).then(parseList),
  ]);
  const minor = (v: string) => v.split('.').slice(0, 2).join('.');
  // 0.1.x predates frozen requirement sets: run what 2025-11-25 requires, as far as 0.1.x has it.
  const in1 = { server: new Set(all1.server), client: new Set(all1.client) };
  return [
    {
      id: `2025-11-25@${minor(v1)}`,
      label: `2025-11-25 · conformance ${v1}`,
      pkg: 'conformance-2025',
      version: v1,
      revision: '2025-11-25',
      bin: bin1,
      versionedCli: false,
      server: req2025.server.filter((s) => in1.server.has(s)),
      client: req2025.client.filter((s) => in1.client.has(s)),
    },
    {
      id: `2025-11-25@${minor(v2)}`,
      label: `2025-11-25 · conformance ${v2}`,
      pkg: 'conformance-2026',
      version: v2,
      revision: '2025-11-25',
      bin: bin2,
      versionedCli: true,
      ...req2025,
    },
    {
      id: `2026-07-28@${minor(v2)}`,
      label: `2026-07-28 · conformance ${v2}`,
      pkg: 'conformance-2026',
      version: v2,
      revision: '2026-07-28',
      bin: bin2,
      versionedCli: true,
      ...req2026,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Targets

interface Target {
  name: string;
  label: string;
  url?: string;
  /** Why it could not be started, when it could not. */
  failure?: string;
  notes: string[];
  start(): Promise<void>;
  healthy(): boolean;
  stop(): Promise<void>;
}

function fixtureTarget(name: string, label: string): Target & { proc?: Proc } {
  const t: Target & { proc?: Proc } = {
    name,
    label,
    notes: [],
    async start() {
      const proc = launch([FIXTURE, '--http', '--port', '0']);
      t.proc = proc;
      const m = await waitForOutput(
        proc,
        'out',
        /^(http:\/\/127\.0\.0\.1:\d+\/mcp)$/m,
        START_TIMEOUT_MS,
        'the fixture',
      );
      t.url = m[1];
    },
    healthy: () => !!t.proc && alive(t.proc),
    async stop() {
      if (t.proc) await terminate(t.proc);
    },
  };
  return t;
}

function gatewayTarget(
  name: string,
  label: string,
  dir: string,
  server: () => Promise<Record<string, unknown>>,
  upstream?: Target,
): Target {
  let proc: Proc | undefined;
  const t: Target = {
    name,
    label,
    notes: [],
    async start() {
      if (upstream && !upstream.healthy()) await upstream.start();
      await mkdir(dir, { recursive: true });
      const config = path.join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ mcpServers: { everything: await server() } }, null, 2));
      proc = launch([GATEWAY_CLI, 'serve', '--config', config, '--port', '0', '--no-socket'], {
        ...process.env,
        SWITCHBOARD_STATE_DIR: path.join(dir, 'state'),
        SWITCHBOARD_RUNTIME_DIR: path.join(dir, 'run'),
      });
      const m = await waitForOutput(
        proc,
        'err',
        /HTTP (http:\/\/127\.0\.0\.1:\d+\/mcp)/,
        START_TIMEOUT_MS,
        `the gateway (${name})`,
      );
      t.url = m[1];
      // Ready when the fixture's tools are listed under their own names (the aliases work).
      const deadline = Date.now() + START_TIMEOUT_MS;
      let last = '';
      for (;;) {
        if (!alive(proc)) throw new Error(`the gateway (${name}) exited:\n${tail(proc.err)}`);
        try {
          const listed = await fixtureNames(t.url!);
          if (listed.tools.includes('test_simple_text')) break;
          last = `tools/list through the gateway: ${listed.tools.slice(0, 5).join(', ') || '(none)'}`;
        } catch (err) {
          last = errorText(err);
        }
        if (Date.now() > deadline) {
          t.notes.push(
            `${name}: the gateway did not list test_simple_text under its own ` +
              `name within ${START_TIMEOUT_MS / 1000}s (${last}); running anyway`,
          );
          break;
        }
        await sleep(250);
      }
    },
    healthy: () => !!proc && alive(proc) && (!upstream || upstream.healthy()),
    async stop() {
      if (proc) await terminate(proc);
      if (upstream) await upstream.stop();
    },
  };
  return t;
}

/** Tool and prompt names the fixture lists, so the gateway can expose each under its own name. */
async function fixtureNames(url: string): Promise<{ tools: string[]; prompts: string[] }> {
  const client = new Client({ name: 'switchboard-conformance', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    return { tools, prompts };
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Running scenarios

interface Job {
  kind: Kind;
  suite: Suite;
  scenario: string;
}

async function findChecks(dir: string): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true })).map(String);
  } catch {
    return undefined;
  }
  const hit = entries.find((e) => path.basename(e) === 'checks.json');
  return hit === undefined ? undefined : path.join(dir, hit);
}

async function runOne(
  job: Job,
  target: Target,
  workDir: string,
  deadline: number,
): Promise<{ result: ScenarioResult; raw?: unknown }> {
  const started = Date.now();
  const base = { kind: job.kind, suite: job.suite.id, target: target.name, scenario: job.scenario };
  const done = (checks: CheckSummary[], error?: string, raw?: unknown) => ({
    result: summarize({ ...base, checks, durationMs: Date.now() - started, ...(error !== undefined ? { error } : {}) }),
    raw,
  });
  if (Date.now() > deadline) return done([], 'not run: the run passed its deadline (--deadline-minutes)');
  if (target.failure) return done([], `not run: ${target.failure}`);
  if (!target.healthy()) {
    const note = `${target.name} had exited; restarted before ${job.suite.id} ${job.scenario}`;
    target.notes.push(note);
    console.log(`  ! ${note}`);
    try {
      await target.stop();
      await target.start();
    } catch (err) {
      target.failure = `the target could not be restarted: ${errorText(err)}`;
      return done([], `not run: ${target.failure}`);
    }
  }

  const out = await mkdtemp(path.join(workDir, 'run-'));
  const timing = job.suite.versionedCli ? ['--spec-version', job.suite.revision, '--force'] : [];
  const args =
    job.kind === 'server'
      ? [
          job.suite.bin,
          'server',
          '--url',
          target.url!,
          '--scenario',
          job.scenario,
          ...timing,
          ...(job.suite.versionedCli ? ['--timeout', String(SUITE_TIMEOUT_MS)] : []),
          '-o',
          out,
        ]
      : [
          job.suite.bin,
          'client',
          '--command',
          `${shellQuote(NODE)} ${shellQuote(CLIENT)}`,
          '--scenario',
          job.scenario,
          ...timing,
          '--timeout',
          String(SUITE_TIMEOUT_MS),
          '-o',
          out,
        ];
  const proc = launch(args, { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' });
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    signal(proc, 'SIGKILL');
  }, KILL_AFTER_MS);
  const code = await proc.exited;
  clearTimeout(timer);

  const file = await findChecks(out);
  if (!file) {
    const why = killed
      ? `no result: the suite process was killed after ${KILL_AFTER_MS / 1000}s`
      : `no result (suite exit ${code})`;
    return done([], `${why}\n${tail(stripAnsi(proc.err || proc.out), 6)}`);
  }
  const raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const checks = (Array.isArray(raw) ? raw : []).map((c: Record<string, unknown>): CheckSummary => ({
    id: String(c.id),
    name: String(c.name ?? c.id),
    status: String(c.status),
    ...(typeof c.description === 'string' ? { description: c.description } : {}),
    ...(typeof c.errorMessage === 'string' ? { errorMessage: c.errorMessage } : {}),
  }));
  return done(checks, undefined, raw);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

// ---------------------------------------------------------------------------------------------
// Report

const TARGET_LABELS: Record<string, string> = {
  direct: 'direct (fixture over HTTP)',
  'gateway-stdio': 'Switchboard → fixture over stdio',
  'gateway-http': 'Switchboard → fixture over HTTP',
  'upstream-client': "Switchboard's upstream client",
};
const SERVER_TARGETS = ['direct', 'gateway-stdio', 'gateway-http'];

function cell(r: ScenarioResult | undefined, expected: boolean, diff: boolean): string {
  if (!r) return '—';
  const total = r.counts.success + r.counts.failure + r.counts.warning;
  const n = `${r.counts.success}/${total}`;
  if (r.outcome === 'pass') return diff ? `pass ${n} (in baseline)` : `pass ${n}`;
  const word = r.outcome === 'error' ? 'error' : 'fail';
  return expected && !diff ? `expected ${word} ${n}` : `**${word.toUpperCase()}** ${n}`;
}

function sanitize(message: string, max = 240): string {
  const one = stripAnsi(message)
    .replace(/(127\.0\.0\.1|localhost|\[::1\]):\d+/g, '$1:PORT')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\s+/g, ' ')
    .trim();
  return (one.length > max ? `${one.slice(0, max - 1)}…` : one).replace(/\|/g, '\\|');
}

interface RunReport {
  date: string;
  durationMs: number;
  suites: Suite[];
  results: ScenarioResult[];
  differences: Difference[];
  notes: string[];
  complete: boolean;
}

function renderMarkdown(report: RunReport, baseline: Awaited<ReturnType<typeof loadBaseline>>): string {
  const lines: string[] = [];
  const byKey = new Map(report.results.map((r) => [`${r.kind} ${r.suite} ${r.target} ${r.scenario}`, r]));
  const diffKeys = new Set(report.differences.map((d) => d.key));
  const get = (kind: Kind, suite: string, target: string, scenario: string) =>
    byKey.get(`${kind} ${suite} ${target} ${scenario}`);
  const versions = [...new Set(report.suites.map((s) => s.version))].join(' and ');
  const minutes = Math.floor(report.durationMs / 60_000);
  const seconds = Math.round((report.durationMs % 60_000) / 1000);

  lines.push(
    `Run ${report.date.slice(0, 10)} with @modelcontextprotocol/conformance ${versions}, Node ${process.version}, ` +
      `in ${minutes}m ${seconds}s${report.complete ? '' : ' (partial run: --quick or filters)'}.`,
    '',
  );
  lines.push(
    'Cells: outcome and passed checks / scored checks (FAILURE and WARNING count as failing, as in the ' +
      "suite's own baseline). " +
      '"expected fail" is in test/conformance/expected-failures.yaml; **FAIL** is not.',
    '',
  );

  lines.push('### Summary (scenarios passing)', '');
  lines.push(
    `| suite run | ${SERVER_TARGETS.map((t) => TARGET_LABELS[t]).join(' | ')} |`,
    `|---|${SERVER_TARGETS.map(() => '---').join('|')}|`,
  );
  for (const s of report.suites) {
    const row = SERVER_TARGETS.map((t) => {
      const rs = s.server.map((sc) => get('server', s.id, t, sc)).filter((r): r is ScenarioResult => !!r);
      return rs.length ? `${rs.filter((r) => r.outcome === 'pass').length}/${rs.length}` : '—';
    });
    lines.push(`| ${s.label} | ${row.join(' | ')} |`);
  }
  lines.push('', `| client suite run | ${TARGET_LABELS['upstream-client']} |`, '|---|---|');
  for (const s of report.suites) {
    const rs = s.client.map((sc) => get('client', s.id, 'upstream-client', sc)).filter((r): r is ScenarioResult => !!r);
    lines.push(`| ${s.label} | ${rs.length ? `${rs.filter((r) => r.outcome === 'pass').length}/${rs.length}` : '—'} |`);
  }
  lines.push('');

  for (const s of report.suites) {
    lines.push(`### Server scenarios: ${s.label}`, '');
    lines.push(
      `| scenario | ${SERVER_TARGETS.map((t) => TARGET_LABELS[t]).join(' | ')} |`,
      `|---|${SERVER_TARGETS.map(() => '---').join('|')}|`,
    );
    for (const sc of s.server) {
      const cells = SERVER_TARGETS.map((t) => {
        const key = { kind: 'server' as const, suite: s.id, target: t, scenario: sc };
        return cell(get('server', s.id, t, sc), !!lookup(baseline, key), diffKeys.has(`server ${s.id} ${t} ${sc}`));
      });
      lines.push(`| ${sc} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }

  lines.push(`### Client scenarios: ${TARGET_LABELS['upstream-client']}`, '');
  const clientNames = [...new Set(report.suites.flatMap((s) => s.client))];
  lines.push(
    `| scenario | ${report.suites.map((s) => s.label).join(' | ')} |`,
    `|---|${report.suites.map(() => '---').join('|')}|`,
  );
  for (const sc of clientNames) {
    const cells = report.suites.map((s) => {
      if (!s.client.includes(sc)) return 'n/a';
      const key = { kind: 'client' as const, suite: s.id, target: 'upstream-client', scenario: sc };
      return cell(
        get('client', s.id, 'upstream-client', sc),
        !!lookup(baseline, key),
        diffKeys.has(`client ${s.id} upstream-client ${sc}`),
      );
    });
    lines.push(`| ${sc} | ${cells.join(' | ')} |`);
  }
  lines.push('');

  lines.push(
    '### Failures through Switchboard',
    '',
    'Every failing check of the gateway targets and the upstream client, with the message the suite gives ' +
      '(ports and ids replaced). The same failure on both gateway targets is listed once.',
    '',
  );
  for (const s of report.suites) {
    const rows = new Map<string, { targets: string[]; line: string }>();
    const auth = report.results.filter(
      (r) => r.suite === s.id && r.kind === 'client' && r.scenario.startsWith('auth/') && r.outcome !== 'pass',
    );
    for (const r of report.results) {
      if (r.suite !== s.id || r.target === 'direct' || r.outcome === 'pass' || auth.includes(r)) continue;
      for (const f of r.failing) {
        const k = `${r.kind} ${r.scenario} ${f.id} ${sanitize(f.message)}`;
        const row = rows.get(k) ?? {
          targets: [],
          line: `\`${r.scenario}\` · \`${f.id}\` (${f.status}): ${sanitize(f.message)}`,
        };
        row.targets.push(r.target);
        rows.set(k, row);
      }
    }
    if (rows.size === 0 && auth.length === 0) continue;
    lines.push(
      `<details><summary>${s.label}: ${rows.size} failing ` +
        `checks${auth.length ? `, and ${auth.length} auth/* scenarios` : ''}</summary>`,
      '',
    );
    for (const row of rows.values()) lines.push(`- [${row.targets.join(', ')}] ${row.line}`);
    if (auth.length) {
      const checks = auth.reduce((n, r) => n + r.failing.length, 0);
      lines.push(
        `- [upstream-client] ${auth.length} \`auth/*\` scenarios, ${checks} failing checks: the upstream ` +
          `client has no OAuth yet (${auth.map((r) => `\`${r.scenario}\``).join(', ')})`,
      );
    }
    lines.push('', '</details>', '');
  }
  if (report.notes.length) lines.push('Notes from the run:', '', ...report.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

const BEGIN = '<!-- conformance:results:begin (generated by scripts/conformance.ts) -->';
const END = '<!-- conformance:results:end -->';

async function writeDocs(markdown: string): Promise<void> {
  let doc: string;
  try {
    doc = await readFile(DOC, 'utf8');
  } catch {
    doc = `# Conformance\n\n## Latest results\n\n${BEGIN}\n${END}\n`;
  }
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  const block = `${BEGIN}\n${markdown}\n${END}`;
  doc =
    start >= 0 && end > start
      ? doc.slice(0, start) + block + doc.slice(end + END.length)
      : `${doc.trimEnd()}\n\n## Latest results\n\n${block}\n`;
  await writeFile(DOC, doc);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();
  const deadline = startedAt + opts.deadlineMs;
  const baseline = await loadBaseline(ROOT, BASELINE);
  const todo = missingReasons(baseline);

  const suites = (await loadSuites()).filter((s) => !opts.suites || opts.suites.has(s.id));
  if (suites.length === 0) usage('no suite matches --suite');
  const pick = (names: string[], quickSet: Set<string>) =>
    names.filter((n) => (!opts.quick || quickSet.has(n)) && (!opts.scenarios || opts.scenarios.has(n)));
  for (const s of suites) {
    s.server = pick(s.server, QUICK_SERVER);
    s.client = pick(s.client, QUICK_CLIENT);
  }
  const wanted = (name: string) => !opts.targets || opts.targets.has(name);

  const work = await mkdtemp(path.join(tmpdir(), 'switchboard-conformance-'));
  workDir = work;
  const targets: Target[] = [];
  const results: ScenarioResult[] = [];
  const raws: { result: ScenarioResult; raw: unknown }[] = [];
  try {
    // The direct fixture always starts: the gateway configs alias the names it lists.
    const direct = fixtureTarget('direct', TARGET_LABELS.direct!);
    await direct.start();
    const names = await fixtureNames(direct.url!);
    const identity = (list: string[]) => Object.fromEntries(list.map((n) => [n, n]));
    const exposeAsIs = { tools: { aliases: identity(names.tools) }, prompts: { aliases: identity(names.prompts) } };
    if (wanted('direct')) targets.push(direct);
    else await direct.stop();
    if (wanted('gateway-stdio')) {
      targets.push(
        gatewayTarget('gateway-stdio', TARGET_LABELS['gateway-stdio']!, path.join(work, 'gateway-stdio'), async () => ({
          command: NODE,
          args: [FIXTURE, '--stdio'],
          ...exposeAsIs,
        })),
      );
    }
    if (wanted('gateway-http')) {
      const behind = fixtureTarget('fixture-behind-gateway', 'fixture');
      targets.push(
        gatewayTarget(
          'gateway-http',
          TARGET_LABELS['gateway-http']!,
          path.join(work, 'gateway-http'),
          async () => ({ url: behind.url!, ...exposeAsIs }),
          behind,
        ),
      );
    }
    for (const t of targets) {
      if (t.url) continue;
      try {
        await t.start();
      } catch (err) {
        t.failure = `it did not start: ${errorText(err)}`;
        console.log(`! ${t.name}: ${t.failure}`);
      }
    }

    const report = (r: ScenarioResult) => {
      const total = r.counts.success + r.counts.failure + r.counts.warning;
      const mark =
        r.outcome === 'pass' ? 'pass' : lookup(baseline, r) ? `${r.outcome} (expected)` : r.outcome.toUpperCase();
      console.log(
        `[${r.target}] ${r.suite} ${r.scenario}: ${mark} ${r.counts.success}/${total} ` +
          `(${(r.durationMs / 1000).toFixed(1)}s)`,
      );
    };
    const lane = async (target: Target, jobs: Job[]) => {
      const dir = path.join(work, `lane-${target.name}`);
      await mkdir(dir, { recursive: true });
      for (const job of jobs) {
        const { result, raw } = await runOne(job, target, dir, deadline);
        results.push(result);
        if (raw !== undefined) raws.push({ result, raw });
        report(result);
      }
    };
    const serverJobs = suites.flatMap((suite) =>
      suite.server.map((scenario): Job => ({ kind: 'server', suite, scenario })),
    );
    const clientJobs = suites.flatMap((suite) =>
      suite.client.map((scenario): Job => ({ kind: 'client', suite, scenario })),
    );
    const clientTarget: Target = {
      name: 'upstream-client',
      label: TARGET_LABELS['upstream-client']!,
      notes: [],
      start: async () => undefined,
      healthy: () => true,
      stop: async () => undefined,
    };
    // One lane per target (sequential inside: scenarios sharing one upstream must not interleave).
    await Promise.all([
      ...targets.map((t) => lane(t, serverJobs)),
      ...(wanted('upstream-client') ? [lane(clientTarget, clientJobs)] : []),
    ]);
  } finally {
    await Promise.all(targets.map((t) => t.stop().catch(() => undefined)));
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }

  // Stable order for the files: suites, then kind, target, scenario as listed.
  const order = (r: ScenarioResult) => {
    const s = suites.findIndex((x) => x.id === r.suite);
    const list = r.kind === 'server' ? suites[s]!.server : suites[s]!.client;
    return [s, r.kind === 'server' ? 0 : 1, SERVER_TARGETS.indexOf(r.target), list.indexOf(r.scenario)];
  };
  results.sort((a, b) => {
    const x = order(a),
      y = order(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  });

  // --write-baseline: the new baseline is the reference for this run's report.
  const reference = opts.writeBaseline ? updatedBaseline(results, baseline) : baseline;
  const differences = compare(results, reference);
  const changes = opts.writeBaseline ? compare(results, baseline) : [];
  const complete = !opts.quick && !opts.targets && !opts.suites && !opts.scenarios;
  const notes = targets.flatMap((t) => [...t.notes, ...(t.failure ? [`${t.name}: ${t.failure}`] : [])]);
  const run: RunReport = {
    date: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    suites,
    results,
    differences,
    notes,
    complete,
  };

  // Raw output for people debugging a failure: everything the suite said, per scenario.
  await rm(RESULTS, { recursive: true, force: true });
  await mkdir(path.join(RESULTS, 'raw'), { recursive: true });
  await writeFile(
    path.join(RESULTS, 'summary.json'),
    JSON.stringify(
      {
        ...run,
        suites: suites.map(({ id, label, pkg, version, revision, server, client }) => ({
          id,
          label,
          pkg,
          version,
          revision,
          server,
          client,
        })),
        node: process.version,
      },
      null,
      2,
    ),
  );
  for (const { result, raw } of raws) {
    const file = path.join(
      RESULTS,
      'raw',
      result.suite,
      result.target,
      `${result.kind}-${result.scenario.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`,
    );
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(raw, null, 2));
  }

  const markdown = renderMarkdown(run, reference);
  if (complete || opts.writeDocs) await writeDocs(markdown);

  console.log('');
  for (const s of suites) {
    const line = [...SERVER_TARGETS, 'upstream-client']
      .map((t) => {
        const rs = results.filter((r) => r.suite === s.id && r.target === t);
        return rs.length ? `${t} ${rs.filter((r) => r.outcome === 'pass').length}/${rs.length}` : undefined;
      })
      .filter(Boolean);
    console.log(`${s.label}: ${line.join(', ')}`);
  }
  const table = complete || opts.writeDocs ? `; table in ${path.relative(ROOT, DOC)}` : '';
  console.log(`took ${(run.durationMs / 1000).toFixed(0)}s; raw results in ${path.relative(ROOT, RESULTS)}/${table}`);
  for (const n of notes) console.log(`note: ${n}`);

  if (opts.writeBaseline) {
    await writeBaseline(BASELINE, reference, {
      suites: suites.map((s) => s.id),
      targets: [...SERVER_TARGETS, 'upstream-client'],
    });
    console.log(`\nwrote ${path.relative(ROOT, BASELINE)} (${changes.length} changes)`);
    for (const d of changes)
      console.log(`  ${d.kind === 'unexpected' ? 'added' : 'removed'}: ${d.key}: ${sanitize(d.detail, 300)}`);
    const newTodo = missingReasons(reference);
    if (newTodo.length)
      console.log(`\n${newTodo.length} entries need a reason (now "TODO"):\n  ${newTodo.join('\n  ')}`);
    return 0;
  }

  let failed = false;
  if (differences.length) {
    failed = true;
    console.log(`\n${differences.length} differences from ${path.relative(ROOT, BASELINE)}:`);
    for (const d of differences)
      console.log(
        `  ${d.kind === 'unexpected' ? 'unexpected failure' : 'now passes'}: ${d.key}: ${sanitize(d.detail, 400)}`,
      );
  }
  if (todo.length) {
    failed = true;
    console.log(
      `\n${todo.length} baseline entries have no reason (TODO): write ` +
        `one in ${path.relative(ROOT, BASELINE)}:\n  ${todo.join('\n  ')}`,
    );
  }
  console.log(failed ? '\nconformance: FAILED' : '\nconformance: ok (results match the baseline)');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`conformance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
