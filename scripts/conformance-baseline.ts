/**
 * The expected-failures baseline of `npm run conformance` (test/conformance/expected-failures.yaml):
 * results in, differences out. One entry per failing scenario of a suite run on a target, with a
 * written reason and the ids of the checks that fail; a run that differs from it in either
 * direction (a new failing check, or a listed one that now passes) fails.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export type Kind = 'server' | 'client';

export interface CheckSummary {
  id: string;
  name: string;
  status: string;
  description?: string;
  errorMessage?: string;
}

export interface ScenarioResult {
  kind: Kind;
  suite: string;
  target: string;
  scenario: string;
  /** pass: no FAILURE or WARNING check; error: the scenario produced no checks (crash, timeout, not run). */
  outcome: 'pass' | 'fail' | 'error';
  counts: { success: number; failure: number; warning: number };
  /** Failing check ids (FAILURE or WARNING, as the suite's own baseline counts them), with the first message. */
  failing: { id: string; status: string; message: string }[];
  checks: CheckSummary[];
  error?: string;
  durationMs: number;
}

export interface BaselineEntry {
  reason: string;
  checks: string[];
}

/** kind → suite → target → scenario → entry */
export type Baseline = Record<Kind, Record<string, Record<string, Record<string, BaselineEntry>>>>;

/** The pseudo check id recorded when a scenario produced no checks at all. */
export const RUN_ERROR = 'run-error';
export const TODO = 'TODO';

export interface Difference {
  kind: 'unexpected' | 'stale';
  key: string;
  detail: string;
}

const FAILING = new Set(['FAILURE', 'WARNING']);

export function summarize(base: Omit<ScenarioResult, 'outcome' | 'counts' | 'failing'>): ScenarioResult {
  const counts = { success: 0, failure: 0, warning: 0 };
  const failing = new Map<string, { id: string; status: string; message: string }>();
  for (const c of base.checks) {
    if (c.status === 'SUCCESS') counts.success++;
    if (c.status === 'FAILURE') counts.failure++;
    if (c.status === 'WARNING') counts.warning++;
    if (FAILING.has(c.status) && !failing.has(c.id))
      failing.set(c.id, { id: c.id, status: c.status, message: c.errorMessage ?? c.description ?? c.name });
  }
  if (base.checks.length === 0) {
    return {
      ...base,
      outcome: 'error',
      counts,
      failing: [{ id: RUN_ERROR, status: 'FAILURE', message: base.error ?? 'the scenario produced no checks' }],
    };
  }
  return { ...base, outcome: failing.size === 0 ? 'pass' : 'fail', counts, failing: [...failing.values()] };
}

export const resultKey = (r: Pick<ScenarioResult, 'kind' | 'suite' | 'target' | 'scenario'>) =>
  `${r.kind} ${r.suite} ${r.target} ${r.scenario}`;

export function emptyBaseline(): Baseline {
  return { server: {}, client: {} };
}

// The YAML parser is the one the conformance package itself depends on (no extra dependency).
interface YamlModule {
  parse(text: string): unknown;
}
function yaml(root: string): YamlModule {
  const req = createRequire(path.join(root, 'node_modules/conformance-2026/package.json'));
  return req('yaml') as YamlModule;
}

export async function loadBaseline(root: string, file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyBaseline();
    throw err;
  }
  const raw = yaml(root).parse(text) ?? {};
  const where = path.relative(root, file);
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${where}: expected a mapping with "server" and "client" keys`);
  const out = emptyBaseline();
  for (const [kind, suites] of Object.entries(raw as Record<string, unknown>)) {
    if (kind !== 'server' && kind !== 'client')
      throw new Error(`${where}: unknown top-level key "${kind}" (expected server, client)`);
    for (const [suite, targets] of Object.entries(asMap(suites, `${where}: ${kind}`))) {
      for (const [target, scenarios] of Object.entries(asMap(targets, `${where}: ${kind}.${suite}`))) {
        for (const [scenario, entry] of Object.entries(asMap(scenarios, `${where}: ${kind}.${suite}.${target}`))) {
          const at = `${where}: ${kind}.${suite}.${target}.${scenario}`;
          const e = asMap(entry, at);
          const reason = typeof e.reason === 'string' ? e.reason.trim() : '';
          const checks = Array.isArray(e.checks) ? e.checks.map(String) : [];
          if (checks.length === 0) throw new Error(`${at}: "checks" must list the failing check ids`);
          ((out[kind][suite] ??= {})[target] ??= {})[scenario] = { reason, checks };
        }
      }
    }
  }
  return out;
}

function asMap(value: unknown, where: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected a mapping`);
  return value as Record<string, unknown>;
}

export function lookup(
  baseline: Baseline,
  r: Pick<ScenarioResult, 'kind' | 'suite' | 'target' | 'scenario'>,
): BaselineEntry | undefined {
  return baseline[r.kind][r.suite]?.[r.target]?.[r.scenario];
}

/** Entries whose reason is missing or still TODO. */
export function missingReasons(baseline: Baseline): string[] {
  const out: string[] = [];
  for (const kind of ['server', 'client'] as const) {
    for (const [suite, targets] of Object.entries(baseline[kind])) {
      for (const [target, scenarios] of Object.entries(targets)) {
        for (const [scenario, entry] of Object.entries(scenarios)) {
          if (entry.reason === '' || entry.reason === TODO) out.push(`${kind} ${suite} ${target} ${scenario}`);
        }
      }
    }
  }
  return out;
}

/** How each run result differs from the baseline. Scenarios that did not run are not compared. */
export function compare(results: ScenarioResult[], baseline: Baseline): Difference[] {
  const diffs: Difference[] = [];
  for (const r of results) {
    const entry = lookup(baseline, r);
    const key = resultKey(r);
    const failing = new Map(r.failing.map((f) => [f.id, f]));
    if (!entry) {
      for (const f of r.failing) diffs.push({ kind: 'unexpected', key, detail: `${f.id} ${f.status}: ${f.message}` });
      continue;
    }
    for (const f of r.failing) {
      if (!entry.checks.includes(f.id))
        diffs.push({ kind: 'unexpected', key, detail: `${f.id} ${f.status}: ${f.message}` });
    }
    const fixed = entry.checks.filter((id) => !failing.has(id));
    if (fixed.length > 0) {
      const detail =
        r.failing.length === 0
          ? 'the expected failure now passes: remove it from the baseline'
          : `expected-failing checks now pass: ${fixed.join(', ')}: remove them from the baseline`;
      diffs.push({ kind: 'stale', key, detail: `${detail} (npm run conformance -- --write-baseline)` });
    }
  }
  return diffs;
}

/** The baseline this run implies: run results replace their entries (keeping reasons), the rest is kept. */
export function updatedBaseline(results: ScenarioResult[], old: Baseline): Baseline {
  const next: Baseline = structuredClone(old);
  for (const r of results) {
    const targets = (next[r.kind][r.suite] ??= {});
    const scenarios = (targets[r.target] ??= {});
    if (r.failing.length === 0) {
      delete scenarios[r.scenario];
      continue;
    }
    scenarios[r.scenario] = { reason: lookup(old, r)?.reason || TODO, checks: r.failing.map((f) => f.id).sort() };
  }
  return next;
}

const HEADER = `# Expected failures of \`npm run conformance\` (scripts/conformance.ts); see docs/conformance.md.
#
#   kind (server | client) → suite run → target → scenario → { reason, checks }
#
# \`checks\` are the check ids the suite reports as FAILURE or WARNING (run-error: the scenario
# produced no result at all). A run fails when a check fails that is not listed here, or when a
# listed check passes. Regenerate with \`npm run conformance -- --write-baseline\`: it keeps the
# reasons already written and gives new entries the reason "TODO", which fails the next run until
# someone writes the real one.
`;

export async function writeBaseline(
  file: string,
  baseline: Baseline,
  order: { suites: string[]; targets: string[] },
): Promise<void> {
  const q = (s: string) => JSON.stringify(s);
  const rank = (list: string[], v: string) => {
    const i = list.indexOf(v);
    return i === -1 ? list.length : i;
  };
  const lines = [HEADER];
  for (const kind of ['server', 'client'] as const) {
    const suites = Object.keys(baseline[kind]).sort(
      (a, b) => rank(order.suites, a) - rank(order.suites, b) || a.localeCompare(b),
    );
    const kept = suites.filter((s) => Object.values(baseline[kind][s] ?? {}).some((t) => Object.keys(t).length > 0));
    if (kept.length === 0) {
      lines.push(`${kind}: {}`);
      continue;
    }
    lines.push(`${kind}:`);
    for (const suite of kept) {
      lines.push(`  ${q(suite)}:`);
      const targets = baseline[kind][suite]!;
      const names = Object.keys(targets).sort(
        (a, b) => rank(order.targets, a) - rank(order.targets, b) || a.localeCompare(b),
      );
      for (const target of names) {
        const scenarios = targets[target]!;
        if (Object.keys(scenarios).length === 0) continue;
        lines.push(`    ${q(target)}:`);
        for (const scenario of Object.keys(scenarios).sort()) {
          const entry = scenarios[scenario]!;
          lines.push(`      ${q(scenario)}:`);
          lines.push(`        reason: ${q(entry.reason || TODO)}`);
          if (entry.checks.length <= 2) lines.push(`        checks: [${entry.checks.map(q).join(', ')}]`);
          else lines.push('        checks:', ...entry.checks.map((id) => `          - ${q(id)}`));
        }
      }
    }
  }
  await writeFile(file, lines.join('\n') + '\n');
}
