/**
 * A Switchboard gateway for the scale benchmark, started as `npm start` starts it (the esbuild
 * bundle, the gateway's node flags) in a private directory, with N many-tools-echo servers over
 * stdio. Times from the spawn: the HTTP listener's first answer and first initialize answered
 * (polled on a port picked beforehand, not taken from what the gateway prints), every server ready
 * (the gateway's own `server "NAME" ready` lines, confirmed by GET /api/servers).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { freePort } from './paths.ts';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { processTree, readMemory, readStat, type ProcessGroup, type Spawned } from './proc.ts';
import { Session } from './scale-client.ts';

export interface ScaleContext {
  /** Where lib/build.ts stripped the bench servers. */
  js: string;
  /** The Node 24 binary. */
  node: string;
  /** Scratch directory of the run; each gateway gets its own directory inside. */
  scratch: string;
  /** out/main/cli.js, or main/cli.ts. */
  cli: string;
  /** GATEWAY_NODE_FLAGS unless an experiment says otherwise. */
  flags: readonly string[];
  /** Experiment: config listen.http.limits (default: the gateway's own defaults). */
  httpLimits?: Record<string, number>;
}

export interface Gateway {
  url: string;
  pid: number;
  /** Spawn → the listener's first HTTP answer (any status), ms. */
  listenerMs: number;
  /** Spawn → the first initialize answered, ms. */
  initializeMs: number;
  /** Spawn → every server ready, ms. */
  readyMs: number;
  rssMb(): number;
  /**
   * How long the gateway itself took for the newest `limit` client requests of `method`, in ms:
   * from the traffic record (request read until its answer was written), no client or network.
   */
  recordedMs(method: string, limit: number): Promise<number[]>;
  /** SIGTERM → the gateway exited, and → every process it had started is gone, ms. */
  stop(timeoutMs?: number): Promise<{ exitMs: number; goneMs: number }>;
  stderr(): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STATUS_LINE = /server "([^"]+)" (\w+)/;

function writeSetup(ctx: ScaleContext, port: number, servers: number, tools: number): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(ctx.scratch, 'gw-'));
  mkdirSync(path.join(dir, 'run'), { recursive: true, mode: 0o700 });
  const script = path.join(ctx.js, 'servers/many-tools-echo.js');
  const mcpServers: Record<string, unknown> = {};
  for (let i = 1; i <= servers; i++)
    mcpServers[`s${String(i).padStart(3, '0')}`] = { command: ctx.node, args: [script, String(tools)] };
  const config = path.join(dir, 'switchboard.json');
  const httpListen = { port, ...(ctx.httpLimits ? { limits: ctx.httpLimits } : {}) };
  writeFileSync(config, JSON.stringify({ mcpServers, listen: { http: httpListen, socket: false } }, null, 2));
  return { dir, config };
}

/** Any HTTP answer (a GET without a session: an error status) from `url`, or undefined. */
function httpAnswer(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function checker(gw: Spawned, deadline: number): (what: string) => void {
  return (what) => {
    if (performance.now() > deadline || gw.child.exitCode !== null)
      throw new Error(`the listener did not answer ${what}\n${gw.stderr().slice(-1000)}`);
  };
}

/** When the listener first answers anything. */
async function waitForHttp(url: string, gw: Spawned, deadline: number): Promise<number> {
  const check = checker(gw, deadline);
  while (!(await httpAnswer(url))) {
    check('at all');
    await sleep(5);
  }
  return performance.now();
}

/** When it first answers an initialize (which may wait up to a second for servers still starting). */
async function waitForInitialize(url: string, gw: Spawned, deadline: number): Promise<number> {
  const check = checker(gw, deadline);
  const agent = new http.Agent({ keepAlive: false });
  try {
    for (;;) {
      const probe = new Session(url, agent);
      try {
        await probe.initialize(5000);
        const at = performance.now();
        await probe.close(); // the probe is not a session to count later
        return at;
      } catch (err) {
        check(`an initialize: ${(err as Error).message}`);
        await sleep(5);
      }
    }
  } finally {
    agent.destroy();
  }
}

/** The floor under "listener answers": plain Node starting and answering HTTP, polled the same way. */
export async function nodeListenerFloor(ctx: ScaleContext, group: ProcessGroup): Promise<number> {
  const port = await freePort();
  const code = `require('node:http').createServer((q, s) => s.end()).listen(${port}, '127.0.0.1')`;
  const spawned = group.spawn(ctx.node, [...ctx.flags, '-e', code]);
  const at = await waitForHttp(`http://127.0.0.1:${port}/`, spawned, spawned.at + 10_000);
  return at - spawned.at;
}

/** Resolves when every server has said `ready`; rejects when one says `failed`, or at the deadline. */
function watchReady(spawned: Spawned, names: number, deadline: number): Promise<number> {
  const ready = new Set<string>();
  let pending = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${ready.size}/${names} servers ready at the deadline`)),
      deadline - performance.now(),
    );
    const onData = (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = STATUS_LINE.exec(line);
        if (!m) continue;
        if (m[2] === 'ready') ready.add(m[1] as string);
        if (m[2] === 'failed') {
          clearTimeout(timer);
          reject(new Error(`server ${m[1]} failed: ${line}`));
        }
      }
      if (ready.size === names) {
        clearTimeout(timer);
        spawned.child.stderr?.off('data', onData);
        resolve(performance.now());
      }
    };
    spawned.child.stderr?.on('data', onData);
    spawned.child.once('exit', (code) => reject(new Error(`gateway exited (${code}) while servers started`)));
  });
}

/** A control API call (GET, or POST with `body`) with the gateway's token. */
async function api<T>(url: string, runDir: string, route: string, body?: unknown): Promise<T> {
  const token = readFileSync(path.join(runDir, 'api-token'), 'utf8').trim();
  const res = await fetch(new URL(`/api${route}`, url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`/api${route}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const apiStates = (url: string, runDir: string) => api<{ name: string; state: string }[]>(url, runDir, '/servers');

async function recordedMs(url: string, runDir: string, method: string, limit: number): Promise<number[]> {
  const filter = { edge: 'client', method, limit: Math.min(limit, 1000) };
  const page = await api<{ entries: { durationMs?: number }[] }>(url, runDir, '/traffic/query', filter);
  return page.entries.map((e) => e.durationMs).filter((d): d is number => d !== undefined);
}

/** Ends `spawned` with SIGTERM; times until it exited and until every process it had started is gone. */
export async function stopTree(spawned: Spawned, timeoutMs: number): Promise<{ exitMs: number; goneMs: number }> {
  const tree = processTree([spawned.pid]).map((pid) => ({ pid, start: readStat(pid)?.startTime }));
  const exited = new Promise<number>((resolve) => spawned.child.once('exit', () => resolve(performance.now())));
  const t0 = performance.now();
  spawned.child.kill('SIGTERM');
  const exitAt = await Promise.race([exited, sleep(timeoutMs).then(() => NaN)]);
  const alive = () => tree.some((p) => p.start !== undefined && readStat(p.pid)?.startTime === p.start);
  while (alive() && performance.now() - t0 < timeoutMs) await sleep(5);
  return { exitMs: exitAt - t0, goneMs: alive() ? NaN : performance.now() - t0 };
}

/** Starts a gateway with `servers` × `tools` and waits until the listener answers and all are ready. */
export async function startGateway(
  ctx: ScaleContext,
  group: ProcessGroup,
  servers: number,
  tools: number,
  timeoutMs = 60_000,
): Promise<Gateway> {
  const port = await freePort();
  const { dir, config } = writeSetup(ctx, port, servers, tools);
  const url = `http://127.0.0.1:${port}/mcp`;
  const runDir = path.join(dir, 'run');
  const env = {
    ...process.env,
    SWITCHBOARD_RUNTIME_DIR: runDir,
    SWITCHBOARD_STATE_DIR: path.join(dir, 'state'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
  };
  const gw = group.spawn(
    ctx.node,
    [...ctx.flags, ctx.cli, 'serve', '--config', config, '--port', String(port), '--no-socket'],
    { env },
  );
  const deadline = gw.at + timeoutMs;
  const allReady = watchReady(gw, servers, deadline);
  allReady.catch(() => undefined); // awaited below; the listener may fail first
  const httpAt = await waitForHttp(url, gw, deadline);
  const initAt = await waitForInitialize(url, gw, deadline);
  const readyAt = await allReady;
  const states = await apiStates(url, runDir);
  const notReady = states.filter((s) => s.state !== 'ready');
  if (states.length !== servers || notReady.length)
    throw new Error(`/api/servers: ${states.length} servers, not ready: ${notReady.map((s) => s.name).join(', ')}`);
  group.sweep(); // remember the servers, so stopAll ends them even if the gateway dies first

  return {
    url,
    pid: gw.pid,
    listenerMs: httpAt - gw.at,
    initializeMs: initAt - gw.at,
    readyMs: readyAt - gw.at,
    rssMb: () => (readMemory(gw.pid)?.rssKb ?? NaN) / 1024,
    recordedMs: (method, limit) => recordedMs(url, runDir, method, limit),
    stderr: gw.stderr,
    stop: (stopTimeoutMs = 15_000) => stopTree(gw, stopTimeoutMs),
  };
}
