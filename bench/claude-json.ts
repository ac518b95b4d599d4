#!/usr/bin/env node
/**
 * `node bench/claude-json.ts`: what each client action costs on a large ~/.claude.json (Claude Code
 * keeps its whole state there; 20 MB and more for someone who uses it a lot): CPU and wall time, and
 * how many times the file is read. The file comes from test/fixtures/claude-state.ts (projects with
 * long prompt histories and pasted text, unicode, written as Claude Code writes it). Measured in one
 * process through the engine's functions, so two versions can be compared in a minute.
 *
 *   node bench/claude-json.ts               a 22 MB file, 3 rounds, median
 *   node bench/claude-json.ts --mb 5 --rounds 5
 */
import { mkdir, mkdtemp, readFile as readText, rm, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  adoptClient,
  createMemorySecretStore,
  detectClient,
  detectClients,
  installClient,
  listAdoptable,
  planAdoption,
  planInstall,
  restoreClient,
  uninstallClient,
  verifyClient,
} from '../main/engine/index.ts';
import { claudeState } from '../test/fixtures/claude-state.ts';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '22' }, rounds: { type: 'string', default: '3' } },
});
const ROUNDS = Math.max(1, Number(values.rounds));
const state = claudeState({ bytes: Number(values.mb) * 1_000_000 });
const TEXT = JSON.stringify(state, null, 2);
const SHIM = {
  command: '/usr/bin/node',
  args: ['/opt/switchboard/bin/switchboard.js', 'shim', '--profile', 'default'],
};

// Every read of the client's file is counted (the engine reads through node:fs/promises).
const promises = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
const readFile = promises.readFile;
let reads = 0;
let watched = '';
promises.readFile = ((file: unknown, ...rest: unknown[]) => {
  if (file === watched) reads++;
  return (readFile as (...args: unknown[]) => unknown)(file, ...rest);
}) as typeof readFile;
syncBuiltinESMExports();

const home = await mkdtemp(path.join(tmpdir(), 'sb-bench-claude-'));
watched = path.join(home, '.claude.json');
const ctx = {
  platform: process.platform,
  env: {},
  home,
  stateDir: path.join(home, 'state'),
  secrets: createMemorySecretStore(),
  configPath: path.join(home, 'switchboard', 'config.json'),
};

/** Puts the file and Switchboard's state back as they were before any action. */
async function fresh(text = TEXT): Promise<void> {
  await rm(ctx.stateDir, { recursive: true, force: true });
  await rm(path.dirname(ctx.configPath), { recursive: true, force: true });
  await writeFile(watched, text);
  await mkdir(path.join(home, '.claude'), { recursive: true });
}

interface Action {
  name: string;
  /** Brings the files to where the action starts. */
  setup(): Promise<void>;
  run(): Promise<unknown>;
}

const installed = async () => {
  await fresh();
  await installClient('claude-code', ctx, SHIM);
};

const ACTIONS: Action[] = [
  { name: 'Clients screen, doctor (all clients)', setup: () => fresh(), run: () => detectClients(ctx, () => SHIM) },
  {
    name: 'Clients screen again (file unchanged)',
    // Listed once already, and saved more than 2 seconds ago (a file just saved is always read again).
    setup: async () => {
      await fresh();
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await detectClients(ctx, () => SHIM);
    },
    run: () => detectClients(ctx, () => SHIM),
  },
  {
    name: 'switchboard install claude-code',
    setup: () => fresh(),
    // The command looks at the client first, then installs (which checks the result).
    run: async () => {
      await detectClient('claude-code', ctx);
      await installClient('claude-code', ctx, SHIM);
    },
  },
  { name: 'install preview', setup: () => fresh(), run: () => planInstall('claude-code', ctx, SHIM) },
  { name: 'install again (nothing to change)', setup: installed, run: () => installClient('claude-code', ctx, SHIM) },
  { name: 'verify', setup: installed, run: () => verifyClient('claude-code', ctx, SHIM) },
  { name: 'uninstall', setup: installed, run: () => uninstallClient('claude-code', ctx) },
  { name: 'restore (file as Switchboard left it)', setup: installed, run: () => restoreClient('claude-code', ctx) },
  {
    name: 'restore (Claude Code saved since)',
    setup: async () => {
      await installed();
      // Claude Code saved once more since the install (a count went up): only the servers are put back.
      const after = await readText(watched, 'utf8');
      await writeFile(watched, after.replace('"numStartups": 1873', '"numStartups": 1874'));
    },
    run: () => restoreClient('claude-code', ctx),
  },
  {
    name: 'adopt preview (app: list, entry, plan twice)',
    setup: () => fresh(),
    run: async () => {
      await listAdoptable('claude-code', ctx);
      await detectClient('claude-code', ctx);
      await planAdoption('claude-code', ctx, { shim: SHIM });
      await planAdoption('claude-code', ctx, { shim: SHIM, servers: ['github'] });
    },
  },
  { name: 'adopt (3 servers)', setup: () => fresh(), run: () => adoptClient('claude-code', ctx, { shim: SHIM }) },
];

console.log(
  `~/.claude.json of ${(Buffer.byteLength(TEXT) / 1e6).toFixed(1)} MB, ${TEXT.split('\n').length} lines; ` +
    `median of ${ROUNDS} rounds`,
);
console.log('action                                        | CPU ms | wall ms | reads of the file');
for (const action of ACTIONS) {
  const runs: { cpu: number; wall: number; reads: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await action.setup();
    reads = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    await action.run();
    const used = process.cpuUsage(cpu);
    runs.push({ cpu: (used.user + used.system) / 1000, wall: performance.now() - start, reads });
  }
  const median = (key: 'cpu' | 'wall') => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
  console.log(
    `${action.name.padEnd(45)} | ${median('cpu').toFixed(0).padStart(6)} | ` +
      `${median('wall').toFixed(0).padStart(7)} | ` +
      `${runs[0]!.reads}`,
  );
}
await rm(home, { recursive: true, force: true });
