/**
 * One gateway per user, found from any environment: a shim spawned the way Claude Desktop spawns
 * it (only PATH and HOME) reaches the gateway started with a full desktop environment instead of
 * starting a second one; two `serve` at once leave exactly one running; `status` and `stop` work
 * against a real gateway; a gateway the shim starts logs to the file `doctor` names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGatewayLock } from '../../main/shared/gateway-lock.ts';
import { runtimePaths } from '../../main/shared/paths.ts';
import { CLI, fixtureServer, tempDir, waitFor } from '../helpers/gateway.ts';
import { isAlive } from '../helpers/processes.ts';

const NODE = process.execPath;

let dir: { dir: string; cleanup(): Promise<void> };
let home: string;
let fullEnv: NodeJS.ProcessEnv;
let strippedEnv: NodeJS.ProcessEnv;
let paths: ReturnType<typeof runtimePaths>;
const children: ChildProcess[] = [];

/** A desktop session's environment: XDG_RUNTIME_DIR and TMPDIR set, as a client may not pass them on. */
function desktopEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(SWITCHBOARD_|XDG_)/.test(k)) env[k] = v;
  return { ...env, HOME: home, XDG_RUNTIME_DIR: path.join(home, 'xdg'), TMPDIR: path.join(home, 'tmp') };
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function serve(env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(NODE, [CLI, 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stderr: () => stderr, exited };
}

/** The shim as a client spawns it: stdio, JSON lines. */
function shim(env: NodeJS.ProcessEnv) {
  const child = spawn(NODE, [CLI, 'shim'], { env, stdio: 'pipe' });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const send = (m: Record<string, unknown>) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
  const response = async (id: number): Promise<Record<string, unknown>> => {
    const find = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((m) => m.id === id);
    return waitFor(find, 20_000, `the shim's answer to request ${id} (stderr: ${err})`);
  };
  return { child, send, response, stderr: () => err };
}

/** A shim whose client has initialized (request id 1). */
async function initializedShim(env: NodeJS.ProcessEnv): Promise<ReturnType<typeof shim>> {
  const s = shim(env);
  s.send({
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'desktop', version: '1' } },
  });
  const answer = await s.response(1);
  const log = await fs.readFile(paths.log, 'utf8').catch((err: unknown) => String(err));
  expect(answer, `initialize (stderr: ${s.stderr()}; gateway log: ${log})`).toHaveProperty('result');
  s.send({ method: 'notifications/initialized' });
  return s;
}

async function callEcho(env: NodeJS.ProcessEnv, message: string): Promise<{ text: string; stderr: string }> {
  const s = await initializedShim(env);
  s.send({ id: 2, method: 'tools/call', params: { name: 'fx__echo', arguments: { message } } });
  const answer = (await s.response(2)) as { result?: { content?: { text?: string }[] } };
  s.child.stdin.end();
  return { text: answer.result?.content?.[0]?.text ?? JSON.stringify(answer), stderr: s.stderr() };
}

beforeEach(async () => {
  dir = await tempDir('sb-one-gateway-');
  home = dir.dir;
  for (const d of ['xdg', 'tmp']) await fs.mkdir(path.join(home, d), { mode: 0o700 });
  const configDir = path.join(home, '.config', 'switchboard');
  await fs.mkdir(configDir, { recursive: true });
  await fs.writeFile(
    path.join(configDir, 'config.json'),
    JSON.stringify({ mcpServers: { fx: fixtureServer('fx') }, listen: { http: { port: 0 } } }),
  );
  fullEnv = desktopEnv();
  // What Claude Desktop and other clients give a server they spawn: next to nothing.
  strippedEnv = { PATH: process.env.PATH, HOME: home };
  paths = runtimePaths({}, process.platform, home);
});

afterEach(async () => {
  const kill = (pid: number | undefined) => {
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  for (const c of children.splice(0)) kill(c.pid);
  // The gateway a shim started is not our child: the lock names it.
  const lock = await readGatewayLock(paths.lock);
  if (lock?.running && lock.info) kill(lock.info.pid);
  await dir.cleanup();
});

describe('one gateway per user, found from any environment', () => {
  it('a shim with only PATH and HOME reaches the gateway started with the full environment', async () => {
    const gateway = serve(fullEnv);
    await waitFor(() => /ready/.test(gateway.stderr()), 20_000, 'the gateway to be ready');

    const { text, stderr } = await callEcho(strippedEnv, 'same gateway');
    expect(text).toBe('same gateway');
    expect(stderr).not.toMatch(/starting one/);
    // Nothing was started in the background: the lock still names the gateway we started.
    expect(existsSync(paths.log)).toBe(false);
    const status = await cli(['status', '--json'], strippedEnv);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid: gateway.child.pid, socketAnswering: true });
  }, 60_000);

  it('two serve at once: one wins, the other says which process serves and exits non-zero', async () => {
    const a = serve(fullEnv);
    const b = serve(fullEnv);
    const loser = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
    const winner = loser === a ? b : a;
    expect(await loser.exited).toBe(1);
    expect(loser.stderr()).toMatch(new RegExp(`already running for this user: pid ${winner.child.pid} `));
    // The loser started no server of its own.
    expect(loser.stderr()).not.toMatch(/server "fx"/);
    await waitFor(() => /ready/.test(winner.stderr()), 20_000, 'the winner to be ready');
    expect(winner.child.exitCode).toBe(null);
  }, 60_000);

  it('status and stop against a real gateway', async () => {
    const gateway = serve(fullEnv);
    await waitFor(() => /ready/.test(gateway.stderr()), 20_000, 'the gateway to be ready');

    const status = await cli(['status'], strippedEnv);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`pid ${gateway.child.pid}`);
    expect(status.stdout).toContain(path.join(home, '.config', 'switchboard', 'config.json'));
    expect(status.stdout).toMatch(/HTTP +http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(status.stdout).toContain(`${paths.socket} (answering)`);

    const stop = await cli(['stop'], strippedEnv);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`Stopped the Switchboard gateway \\(pid ${gateway.child.pid}\\)`));
    expect(await gateway.exited).toBe(0);

    const after = await cli(['status'], strippedEnv);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/No Switchboard gateway is running/);
    expect((await cli(['stop'], strippedEnv)).stdout).toMatch(/nothing to stop/);
  }, 60_000);

  it('`switchboard stop` keeps it stopped: a connected client does not start it; `serve` clears that', async () => {
    const s = await initializedShim(strippedEnv);
    const started = (await readGatewayLock(paths.lock))?.info?.pid;
    expect(started).toBeTypeOf('number');

    const stop = await cli(['stop'], strippedEnv);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/Clients will not start it again until you start Switchboard/);
    // The shim saw its gateway go; the client's next call must not bring it back.
    s.send({ id: 2, method: 'tools/call', params: { name: 'fx__echo', arguments: { message: 'hi' } } });
    const refused = (await s.response(2)) as { error?: { message: string } };
    expect(refused.error?.message).toMatch(/^Switchboard was stopped on purpose \(`switchboard stop` at /);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await readGatewayLock(paths.lock))?.running ?? false).toBe(false);
    const status = await cli(['status'], strippedEnv);
    expect(status.stdout).toMatch(/stopped on purpose \(`switchboard stop` at .*\): clients' shims will not start one/);

    // Started again by the user: the marker goes, and the same client works again.
    const gateway = serve(fullEnv);
    await waitFor(() => /ready/.test(gateway.stderr()), 20_000, 'the gateway to be ready');
    expect(existsSync(paths.stopped)).toBe(false);
    s.send({ id: 3, method: 'tools/call', params: { name: 'fx__echo', arguments: { message: 'back' } } });
    const answer = (await s.response(3)) as { result?: { content?: { text?: string }[] } };
    expect(answer.result?.content?.[0]?.text).toBe('back');
    s.child.stdin.end();
    expect((await cli(['stop'], strippedEnv)).code).toBe(0);
  }, 90_000);

  it('a gateway the shim starts writes to the log file that doctor and status name', async () => {
    const { text, stderr } = await callEcho(strippedEnv, 'auto-started');
    expect(text).toBe('auto-started');
    expect(stderr).toContain(`starting one (its log: ${paths.log})`);

    await waitFor(() => existsSync(paths.log) && /ready/.test(readFileSync(paths.log, 'utf8')), 10_000, 'the log');
    expect(readFileSync(paths.log, 'utf8')).toMatch(/gateway started by switchboard shim/);

    const status = await cli(['status'], strippedEnv);
    expect(status.stdout).toMatch(new RegExp(`log +${paths.log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const doctor = await cli(['doctor'], strippedEnv);
    expect(doctor.stdout).toContain(`log of a gateway started by a client's shim: ${paths.log}`);
    expect(doctor.stdout).toMatch(/running: pid \d+/);

    // A second client's shim finds the same gateway and starts nothing.
    const second = await callEcho(strippedEnv, 'again');
    expect(second.text).toBe('again');
    expect(second.stderr).not.toMatch(/starting one/);
    expect((await cli(['stop'], strippedEnv)).code).toBe(0);
  }, 90_000);

  it('a gateway started after one was killed stops the servers that one left running', async () => {
    // A server that does not exit when its input closes (a timer keeps it alive).
    await fs.writeFile(
      path.join(home, '.config', 'switchboard', 'config.json'),
      JSON.stringify({
        mcpServers: { stubborn: fixtureServer('stubborn', { FIXTURE_IGNORE_EOF: '1' }) },
        listen: { http: { port: 0 } },
      }),
    );
    const first = serve(fullEnv);
    await waitFor(() => /ready/.test(first.stderr()), 20_000, 'the gateway to be ready');
    const s = await initializedShim(strippedEnv);
    s.send({ id: 2, method: 'tools/call', params: { name: 'stubborn__echo', arguments: { message: 'pid?' } } });
    const answer = (await s.response(2)) as { result?: { structuredContent?: { pid?: number } } };
    const serverPid = answer.result?.structuredContent?.pid;
    expect(serverPid, JSON.stringify(answer)).toBeTypeOf('number');
    // Gone before the gateway is: a shim that sees its gateway die first starts another one.
    const shimGone = new Promise((resolve) => s.child.once('exit', resolve));
    s.child.stdin.end();
    await shimGone;

    first.child.kill('SIGKILL');
    await first.exited;
    // It outlives the gateway that started it...
    await new Promise((r) => setTimeout(r, 500));
    expect(isAlive(serverPid!)).toBe(true);

    // ...until the next gateway starts.
    const second = serve(fullEnv);
    // "ready (", not "already running", which another gateway in its place would say.
    await waitFor(() => /ready \(/.test(second.stderr()), 20_000, 'the second gateway to be ready');
    await waitFor(() => !isAlive(serverPid!), 10_000, 'the left-over server to be stopped');
    expect(second.stderr()).toContain(
      `stopped 1 server process(es) a previous gateway left running: stubborn (pid ${serverPid})`,
    );
    // Its own copy of the server runs.
    const t = await initializedShim(strippedEnv);
    t.send({ id: 2, method: 'tools/call', params: { name: 'stubborn__echo', arguments: { message: 'pid?' } } });
    const own = (await t.response(2)) as { result?: { structuredContent?: { pid?: number } } };
    t.child.stdin.end();
    expect(own.result?.structuredContent?.pid).not.toBe(serverPid);
    // Stopped, not killed (as afterEach would): its own stubborn server goes with it.
    expect((await cli(['stop'], strippedEnv)).code).toBe(0);
    await waitFor(() => !isAlive(own.result!.structuredContent!.pid!), 10_000, 'its server to be stopped');
  }, 90_000);
});
