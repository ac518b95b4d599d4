/**
 * Start-up, as a user meets it (issue 14):
 * - the gateway with an empty config, from spawn until its HTTP listener answers an initialize;
 * - a client spawning the shim when no gateway runs (config: three stdio echo servers), from the
 *   shim's spawn until `tools/list` lists the tools of all three.
 * Each is measured `repeats` times in fresh directories; every process is stopped after each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readGatewayLock } from '../../main/shared/gateway-lock.ts';
import { runtimePaths } from '../../main/shared/paths.ts';
import { ProcessGroup } from './proc.ts';
import { HttpRpc, StdioRpc, type RpcClient } from './rpc.ts';

export interface StartupOptions {
  node: string;
  /** Switchboard's CLI and the node flags it runs with. */
  cli: string;
  flags: string[];
  /** The bench's JavaScript build (lib/build.ts): servers/stdio-echo.js. */
  js: string;
  scratch: string;
  repeats: number;
}

export interface StartupResult {
  /** Empty config: spawn → the HTTP listener answers initialize (ms), per repeat. */
  gatewayReadyMs: number[];
  /** No gateway running: shim spawn → tools/list with all three servers' tools (ms), per repeat. */
  shimColdToolsMs: number[];
}

const URL_LINE = /HTTP (http:\/\/127\.0\.0\.1:\d+\/mcp)/;
const SERVERS = ['one', 'two', 'three'];
const DEADLINE_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const INIT = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'switchboard-bench-startup', version: '1.0.0' },
};

function directories(scratch: string, name: string) {
  const dir = path.join(scratch, name);
  const run = path.join(dir, 'run');
  mkdirSync(run, { recursive: true, mode: 0o700 });
  return {
    dir,
    env: {
      ...process.env,
      SWITCHBOARD_RUNTIME_DIR: run,
      SWITCHBOARD_STATE_DIR: path.join(dir, 'state'),
      XDG_CONFIG_HOME: path.join(dir, 'config'),
    },
  };
}

async function gatewayReady(opts: StartupOptions, n: number): Promise<number> {
  const { dir, env } = directories(opts.scratch, `startup-gateway-${n}`);
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ mcpServers: {}, listen: { http: { port: 0 } } }));
  const group = new ProcessGroup();
  try {
    const started = performance.now();
    const gw = group.spawn(opts.node, [...opts.flags, opts.cli, 'serve', '--config', config], { env });
    const url = (await gw.waitFor(URL_LINE, DEADLINE_MS))[1] as string;
    const client = new HttpRpc(url);
    const init = await client.request('initialize', INIT, { timeoutMs: DEADLINE_MS });
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    return performance.now() - started;
  } finally {
    await group.stopAll(2000);
  }
}

async function listsAll(client: RpcClient): Promise<boolean> {
  const answer = await client.request('tools/list', {}, { timeoutMs: DEADLINE_MS });
  const names = ((answer.result as { tools?: { name: string }[] } | undefined)?.tools ?? []).map((t) => t.name);
  return SERVERS.every((server) => names.some((name) => name.startsWith(`${server}__`)));
}

async function shimCold(opts: StartupOptions, n: number): Promise<number> {
  const { dir, env } = directories(opts.scratch, `startup-shim-${n}`);
  const config = path.join(dir, 'config.json');
  const echo = { command: opts.node, args: [path.join(opts.js, 'servers/stdio-echo.js')] };
  writeFileSync(
    config,
    JSON.stringify({ mcpServers: Object.fromEntries(SERVERS.map((s) => [s, echo])), listen: { http: false } }),
  );
  const shimEnv = {
    ...env,
    SWITCHBOARD_CONFIG: config,
    // The gateway the shim starts, as `npm start` would run it.
    SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([opts.node, ...opts.flags, opts.cli, 'serve', '--background']),
  };
  const group = new ProcessGroup();
  try {
    const started = performance.now();
    const shim = group.spawn(opts.node, [opts.cli, 'shim'], { pipeStdio: true, env: shimEnv });
    const client = new StdioRpc(shim.child);
    const init = await client.request('initialize', INIT, { timeoutMs: DEADLINE_MS });
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    await client.notify('notifications/initialized');
    // Servers still starting are left out of the list (and announced later): ask until all are in.
    while (!(await listsAll(client))) {
      if (performance.now() - started > DEADLINE_MS) throw new Error('the three servers never all listed');
      await sleep(5);
    }
    return performance.now() - started;
  } finally {
    await group.stopAll(2000);
    // The gateway the shim started is detached from it: stop it by the pid its lock names.
    const lockFile = runtimePaths(env).lock;
    const lock = await readGatewayLock(lockFile);
    if (lock?.running && lock.info) {
      process.kill(lock.info.pid, 'SIGTERM');
      // It stops its servers first; the next measurement must not share the CPUs with that.
      for (let waited = 0; (await readGatewayLock(lockFile))?.running && waited < 5000; waited += 20) await sleep(20);
    }
  }
}

export async function measureStartup(opts: StartupOptions): Promise<StartupResult> {
  const result: StartupResult = { gatewayReadyMs: [], shimColdToolsMs: [] };
  for (let n = 0; n < opts.repeats; n++) {
    result.gatewayReadyMs.push(await gatewayReady(opts, n));
    result.shimColdToolsMs.push(await shimCold(opts, n));
  }
  return result;
}
