/**
 * The real shim as a child process against the fake gateway (test/fixtures/fake-gateway.ts),
 * over real sockets in a temporary runtime directory.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenLocalSocket } from '../../../main/engine/downstream/socket-listener.ts';
import { socketPath, stoppedPath, tokenPath } from '../../../main/shared/paths.ts';
import { clearStopped, markStopped } from '../../../main/shared/stopped-marker.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NODE = existsSync(path.join(ROOT, 'node_modules/.bin/node'))
  ? path.join(ROOT, 'node_modules/.bin/node')
  : process.execPath;
const SHIM = path.join(ROOT, 'main/shim/bin.ts');
const FAKE = path.join(ROOT, 'test/fixtures/fake-gateway.ts');
/** The shim as the build makes it: one file, with no CLI beside it to start a gateway with. */
const SHIM_BUNDLE = path.join(ROOT, 'out/shim/index.mjs');
const NO_OP_COMMAND = JSON.stringify([NODE, '-e', '']);

interface Message {
  jsonrpc: string;
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

let dir: string;
let logFile: string;
let baseEnv: NodeJS.ProcessEnv;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-shim-')));
  dir = path.join(base, 'run');
  logFile = path.join(base, 'gateway.jsonl');
  baseEnv = {
    ...process.env,
    SWITCHBOARD_RUNTIME_DIR: dir,
    FAKE_GATEWAY_LOG: logFile,
    SWITCHBOARD_GATEWAY_COMMAND: NO_OP_COMMAND,
  };
});

afterEach(async () => {
  // Detached gateways started by the shim are not our children: find them in the log.
  const pids = new Set(
    gatewayLog()
      .filter((e) => e.event === 'start')
      .map((e) => e.pid as number),
  );
  for (const c of children.splice(0)) {
    if (c.pid !== undefined) pids.add(c.pid);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await fs.rm(path.dirname(dir), { recursive: true, force: true });
});

function gatewayLog(): Array<Record<string, unknown>> {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
function gatewayMessages(pid?: number): Message[] {
  return gatewayLog()
    .filter((e) => e.event === 'message' && (pid === undefined || e.pid === pid))
    .map((e) => e.message as Message);
}

async function startGateway(): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(NODE, [FAKE], { env: baseEnv, stdio: 'pipe' });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`fake gateway exited with ${code}: ${err}`)));
  });
  return child;
}

async function stopProcess(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}

class Shim {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: Message[] = [];
  readonly rawLines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private buf = '';

  constructor(args: string[] = [], env: NodeJS.ProcessEnv = baseEnv, script = SHIM) {
    this.child = spawn(NODE, [script, ...args], { env, stdio: 'pipe' });
    children.push(this.child);
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.rawLines.push(line);
        this.messages.push(JSON.parse(line) as Message);
      }
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  send(message: Record<string, unknown>): void {
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
  }

  async response(id: string | number, timeoutMs = 10_000): Promise<Message> {
    await expect
      .poll(() => this.messages.some((m) => m.id === id && m.method === undefined), {
        timeout: timeoutMs,
        interval: 20,
      })
      .toBe(true);
    return this.messages.find((m) => m.id === id && m.method === undefined)!;
  }

  async end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  /** Every stdout line is a JSON-RPC message, every stderr line is a prefixed diagnostic. */
  checkStreams(): void {
    for (const line of this.rawLines) {
      const m = JSON.parse(line) as Message;
      expect(m.jsonrpc).toBe('2.0');
    }
    expect(this.buf).toBe('');
    for (const line of this.stderr.split('\n').filter((l) => l !== '')) expect(line).toMatch(/^switchboard shim: /);
  }
}

const INIT = {
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
};

describe('shim', () => {
  it('relays both ways, and stdout carries only JSON-RPC', async () => {
    await startGateway();
    const shim = new Shim(['--profile', 'work']);
    shim.send(INIT);
    expect((await shim.response(1)).result?.serverInfo).toEqual({ name: 'fake-gateway', version: '1.0.0' });
    shim.send({ method: 'notifications/initialized' });
    shim.send({ id: 2, method: 'test/echo', params: { text: 'a "quoted" \\ line' } });
    expect((await shim.response(2)).result?.echo).toEqual({ text: 'a "quoted" \\ line' });
    shim.send({ id: 3, method: 'test/notify' });
    await shim.response(3);
    expect(shim.messages.some((m) => m.method === 'notifications/message')).toBe(true);
    // A server-to-client request that reuses a client id is not taken for a response.
    shim.send({ id: 4, method: 'test/ask', params: { serverId: 4 } });
    await shim.response(4);
    expect(shim.messages.some((m) => m.id === 4 && m.method === 'roots/list')).toBe(true);
    shim.send({ id: 4, result: { roots: [] } });
    shim.send({ id: 'big', method: 'test/big', params: { bytes: 3 * 1024 * 1024 } });
    expect(((await shim.response('big')).result?.data as string).length).toBe(3 * 1024 * 1024);
    shim.send({ id: 6, method: 'nope' });
    expect((await shim.response(6)).error?.code).toBe(-32601);

    expect(await shim.end()).toBe(0);
    shim.checkStreams();
    expect(gatewayLog().find((e) => e.event === 'connection')).toMatchObject({ profile: 'work', client: 'shim' });
    await expect.poll(() => gatewayMessages().some((m) => m.id === 4 && m.result !== undefined)).toBe(true);
  });

  it('starts the gateway via SWITCHBOARD_GATEWAY_COMMAND when none runs', async () => {
    const shim = new Shim([], { ...baseEnv, SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, FAKE]) });
    shim.send(INIT);
    const res = await shim.response(1);
    expect(res.result?.protocolVersion).toBe('2025-06-18');
    expect(gatewayLog().filter((e) => e.event === 'start')).toHaveLength(1);
    expect(shim.stderr).toMatch(/no gateway is running on .*; starting one/);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('answers with a clear error when no gateway can be reached, and exits only when stdin ends', async () => {
    const shim = new Shim(['--connect-timeout', '500']);
    const started = Date.now();
    shim.send(INIT);
    const res = await shim.response(1, 5000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.error?.code).toBe(-32002);
    expect(res.error?.message).toContain(socketPath(dir));
    expect(res.error?.message).toMatch(/Switchboard is not running.*switchboard serve/);
    // Later requests get the same answer; notifications get none.
    shim.send({ method: 'notifications/initialized' });
    shim.send({ id: 2, method: 'tools/list' });
    expect((await shim.response(2)).error?.code).toBe(-32002);
    await new Promise((r) => setTimeout(r, 300));
    expect(shim.child.exitCode).toBeNull();
    expect(shim.messages).toHaveLength(2);
    expect(shim.stderr.match(/Switchboard is not running/g)).toHaveLength(1);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('says a gateway runs without its local socket, not that Switchboard is not running', async () => {
    // A real gateway, told to open no socket (listen.socket false does the same): its lock names it.
    const home = path.dirname(dir);
    const serveEnv = {
      ...baseEnv,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      SWITCHBOARD_STATE_DIR: path.join(home, 'state'),
    };
    const serve = spawn(NODE, [path.join(ROOT, 'main/cli.ts'), 'serve', '--port', '0', '--no-socket'], {
      env: serveEnv,
      stdio: 'pipe',
    });
    children.push(serve);
    let said = '';
    serve.stderr.on('data', (d: Buffer) => (said += d.toString()));
    await expect.poll(() => /ready/.test(said), { timeout: 20_000, interval: 50 }).toBe(true);
    const http = /HTTP (http:\/\/\S+\/mcp)/.exec(said)![1]!;
    const shim = new Shim(['--connect-timeout', '1000']);
    shim.send(INIT);
    const res = await shim.response(1, 10_000);
    expect(res.error?.code).toBe(-32002);
    expect(res.error?.message).toContain(
      `Switchboard runs (pid ${serve.pid}) without its local socket (listen.socket is false in its config, or it ` +
        "was started with --no-socket), so this client's shim cannot reach it",
    );
    expect(res.error?.message).toContain(`or connect this client to ${http}`);
    expect(await shim.end()).toBe(0);
    // doctor says so too: it said there was no gateway yet, and that the shim would start one.
    const doctor = spawnSync(NODE, [path.join(ROOT, 'main/cli.ts'), 'doctor'], { env: serveEnv, encoding: 'utf8' });
    expect(doctor.stdout).toContain(
      `  - the running gateway (pid ${serve.pid}) has no socket at ${socketPath(dir)} (listen.socket is false`,
    );
    await stopProcess(serve, 'SIGTERM');
  });

  it('answers at once when it cannot start a gateway, rather than wait out its deadline', async () => {
    const env = { ...baseEnv };
    delete env.SWITCHBOARD_GATEWAY_COMMAND;
    const shim = new Shim(['shim', '--connect-timeout', '60000'], env, SHIM_BUNDLE);
    shim.send(INIT);
    // Well within the minute it would otherwise keep looking for a gateway nobody starts.
    const res = await shim.response(1, 15_000);
    expect(res.error?.code).toBe(-32002);
    expect(res.error?.message).toContain('this copy of the shim cannot start one: start Switchboard');
    expect(await shim.end()).toBe(0);
  });

  it('answers at once when the gateway it started exits failing, with what its log ends with', async () => {
    const failing = [NODE, '-e', 'console.error("switchboard: the runtime directory is not ours"); process.exit(3)'];
    const shim = new Shim(['--connect-timeout', '60000'], {
      ...baseEnv,
      SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify(failing),
    });
    shim.send(INIT);
    // It waited out the minute for a gateway that was gone, then pointed at the log.
    const res = await shim.response(1, 15_000);
    expect(res.error?.code).toBe(-32002);
    expect(res.error?.message).toContain(
      'the gateway it started exited with code 3 (its log ends: switchboard: the runtime directory is not ours)',
    );
    expect(res.error?.message).toContain(path.join(dir, 'gateway.log'));
    expect(await shim.end()).toBe(0);
  });

  it('answers at once when the gateway command cannot be run at all, saying why', async () => {
    const missing = path.join(path.dirname(dir), 'no-such-switchboard');
    const shim = new Shim(['--connect-timeout', '60000'], {
      ...baseEnv,
      SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([missing, 'serve']),
    });
    shim.send(INIT);
    // It waited out the minute, then said nothing was listening: the ENOENT was on stderr only.
    const res = await shim.response(1, 15_000);
    expect(res.error?.code).toBe(-32002);
    expect(res.error?.message).toContain(
      `could not start the gateway (["${missing}","serve"], from SWITCHBOARD_GATEWAY_COMMAND): spawn ${missing} ENOENT`,
    );
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('connects once Switchboard is started after it gave up: the client does not have to restart', async () => {
    const shim = new Shim(['--connect-timeout', '500']);
    shim.send(INIT);
    expect((await shim.response(1, 5000)).error?.code).toBe(-32002);
    // The user starts Switchboard; the client's next requests reach it.
    await startGateway();
    shim.send({ ...INIT, id: 2 });
    const init = await shim.response(2, 5000);
    expect(init.error).toBeUndefined();
    shim.send({ method: 'notifications/initialized' });
    shim.send({ id: 3, method: 'ping' });
    expect((await shim.response(3, 5000)).error).toBeUndefined();
    expect(shim.stderr.match(/Switchboard is not running/g)).toHaveLength(1);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('says a gateway that runs but does not answer is stuck, not that Switchboard is not running', async () => {
    const gateway = await startGateway();
    // Frozen: the kernel still accepts connections on its socket, and nothing answers the hello.
    gateway.kill('SIGSTOP');
    try {
      const shim = new Shim(['--connect-timeout', '1000']);
      shim.send(INIT);
      const res = await shim.response(1, 10_000);
      expect(res.error?.code).toBe(-32002);
      // It said "Switchboard is not running ... run switchboard serve", which then said one was running.
      expect(res.error?.message).not.toMatch(/not running/);
      expect(res.error?.message).toContain(`The Switchboard gateway on ${socketPath(dir)} did not answer within 1 s`);
      expect(res.error?.message).toMatch(/stuck.*switchboard status.*restart Switchboard/);
      expect(gatewayLog().filter((e) => e.event === 'start')).toHaveLength(1);
      expect(await shim.end()).toBe(0);
      shim.checkStreams();
    } finally {
      gateway.kill('SIGCONT');
    }
  });

  it('reports a token mismatch clearly: the gateway cannot prove the token the shim read', async () => {
    await startGateway();
    await fs.writeFile(tokenPath(dir), 'f'.repeat(64) + '\n', { mode: 0o600 });
    const shim = new Shim();
    shim.send(INIT);
    const res = await shim.response(1);
    expect(res.error?.code).toBe(-32002);
    expect(res.error?.message).toMatch(/could not prove it holds the token in .*token file changed/);
    expect(shim.stderr).toMatch(/switchboard shim: The shim will not use /);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('survives a gateway restart: in-flight requests fail, the session is replayed, later requests work', async () => {
    const first = await startGateway();
    const shim = new Shim();
    shim.send(INIT);
    await shim.response(1);
    shim.send({ method: 'notifications/initialized' });
    shim.send({ id: 2, method: 'logging/setLevel', params: { level: 'debug' } });
    await shim.response(2);
    shim.send({ id: 3, method: 'test/hang' });
    await expect.poll(() => gatewayMessages(first.pid).some((m) => m.id === 3)).toBe(true);

    await stopProcess(first, 'SIGKILL');
    const lost = await shim.response(3);
    expect(lost.error).toEqual({
      code: -32002,
      message:
        'The connection to the Switchboard gateway was lost while this request was in flight (the gateway ' +
        'stopped or restarted), so whether it ran is unknown: check before repeating anything it changes',
    });
    // Sent while no gateway runs: queued, then answered by the new one.
    shim.send({ id: 4, method: 'test/echo', params: { n: 4 } });
    await new Promise((r) => setTimeout(r, 200));

    const second = await startGateway();
    const res = await shim.response(4);
    expect(res.result?.pid).toBe(second.pid);
    const seen = gatewayMessages(second.pid);
    expect(seen.map((m) => [m.id, m.method])).toEqual([
      ['switchboard-shim-reinit-1', 'initialize'],
      [undefined, 'notifications/initialized'],
      ['switchboard-shim-replay-1', 'logging/setLevel'],
      [4, 'test/echo'],
    ]);
    expect(seen[0]!.params).toEqual(INIT.params);

    shim.send({ id: 5, method: 'test/echo', params: { n: 5 } });
    expect((await shim.response(5)).result?.echo).toEqual({ n: 5 });
    // The client saw its own initialize answered once, and nothing of the shim's replay.
    expect(shim.messages.filter((m) => m.result?.serverInfo !== undefined)).toHaveLength(1);
    expect(shim.rawLines.some((l) => l.includes('switchboard-shim-'))).toBe(false);
    expect(shim.stderr).toMatch(/lost the connection to the gateway; reconnecting/);
    expect(shim.stderr).toMatch(/reconnected to the gateway/);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('owes no answer for a request the client cancelled while it waited for the restarted gateway', async () => {
    const first = await startGateway();
    const shim = new Shim();
    shim.send(INIT);
    await shim.response(1);
    shim.send({ method: 'notifications/initialized' });
    await stopProcess(first, 'SIGKILL');
    await expect.poll(() => shim.stderr).toMatch(/lost the connection to the gateway; reconnecting/);
    // Sent while no gateway runs, then cancelled (the user stopped the call): both wait for the next gateway.
    shim.send({ id: 2, method: 'test/hang' });
    shim.send({ method: 'notifications/cancelled', params: { requestId: 2, reason: 'the user stopped it' } });
    const second = await startGateway();
    await expect.poll(() => gatewayMessages(second.pid).some((m) => m.method === 'notifications/cancelled')).toBe(true);
    // The id is free again, as for a request cancelled while connected.
    shim.send({ id: 2, method: 'test/echo', params: { again: true } });
    expect((await shim.response(2)).result?.echo).toEqual({ again: true });
    shim.send({ id: 3, method: 'test/hang' });
    await expect.poll(() => gatewayMessages(second.pid).some((m) => m.id === 3)).toBe(true);
    await stopProcess(second, 'SIGKILL');
    expect((await shim.response(3)).error?.message).toMatch(/restarted/);
    // The cancelled request was answered nothing: not "lost in the restart" long after it was cancelled.
    expect(shim.messages.filter((m) => m.id === 2)).toHaveLength(1);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('delivers the answers a gateway sent before it went away to a client slow to read them', async () => {
    const first = await startGateway();
    const shim = new Shim();
    shim.send(INIT);
    await shim.response(1);
    shim.send({ method: 'notifications/initialized' });
    // The client stops reading while a 4 MB answer comes: its pipe fills, the rest waits in the shim.
    shim.child.stdout.pause();
    shim.send({ id: 2, method: 'test/big', params: { bytes: 4_000_000 } });
    await expect.poll(() => gatewayMessages(first.pid).some((m) => m.id === 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    for (let id = 10; id < 20; id++) shim.send({ id, method: 'test/echo', params: { n: id } });
    await expect.poll(() => gatewayMessages(first.pid).some((m) => m.id === 19)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    // The gateway has answered all of them, and goes away; then the client sends one more.
    await stopProcess(first, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    shim.send({ id: 30, method: 'test/echo', params: { n: 30 } });
    const second = await startGateway();
    shim.child.stdout.resume();
    expect((await shim.response(2)).result?.data).toHaveLength(4_000_000);
    // Each gets its answer, not "lost, whether it ran is unknown" (the answers were thrown away unread).
    for (let id = 10; id < 20; id++)
      expect((await shim.response(id)).result).toEqual({ echo: { n: id }, pid: first.pid });
    // Sent after the gateway went away: it waits for the next one, rather than be reported lost.
    expect((await shim.response(30)).result).toEqual({ echo: { n: 30 }, pid: second.pid });
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  }, 30_000);

  it("holds a bounded amount of the gateway's answers for a client that does not read them", async () => {
    const gateway = await startGateway();
    const child = spawn(NODE, [SHIM], { env: baseEnv, stdio: 'pipe' });
    children.push(child);
    child.stdout.pause();
    // 240 MB of answers the client does not read: the shim holds some, then reads the gateway no further.
    const answers = 60;
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...INIT }) + '\n');
    for (let id = 10; id < 10 + answers; id++)
      child.stdin.write(
        JSON.stringify({ jsonrpc: '2.0', id, method: 'test/big', params: { bytes: 4_000_000 } }) + '\n',
      );
    await expect.poll(() => gatewayMessages(gateway.pid).some((m) => m.id === 9 + answers)).toBe(true);
    // Its most memory over 3 s (all of it, held, would be over 300 MB).
    let rssKiB = 0;
    for (const until = Date.now() + 3000; Date.now() < until; await new Promise((r) => setTimeout(r, 100)))
      rssKiB = Math.max(rssKiB, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]));
    expect(rssKiB).toBeLessThan(200 * 1024);
    // Once it reads, every answer comes, whole.
    let lines = 0;
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      for (const c of d) if (c === 0x0a) lines++;
    });
    child.stdout.resume();
    await expect.poll(() => lines, { timeout: 20_000 }).toBe(1 + answers);
    expect(bytes).toBeGreaterThan(answers * 4_000_000);
    child.stdin.end();
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  }, 60_000);

  it('starts a new gateway itself when the one it used goes away', async () => {
    const shim = new Shim([], { ...baseEnv, SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, FAKE]) });
    shim.send(INIT);
    await shim.response(1);
    shim.send({ method: 'notifications/initialized' });
    shim.send({ id: 2, method: 'test/hang' });
    const firstPid = gatewayLog().find((e) => e.event === 'start')!.pid as number;
    await expect.poll(() => gatewayMessages(firstPid).some((m) => m.id === 2)).toBe(true);

    process.kill(firstPid, 'SIGTERM');
    expect((await shim.response(2)).error?.message).toMatch(/restarted/);
    shim.send({ id: 3, method: 'test/echo', params: {} });
    const res = await shim.response(3);
    expect(res.result?.pid).not.toBe(firstPid);
    expect(gatewayMessages(res.result?.pid as number).filter((m) => m.method === 'initialize')).toHaveLength(1);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('starts no gateway while Switchboard was stopped on purpose, says so at once, connects once started', async () => {
    await markStopped(stoppedPath(dir), '`switchboard stop`');
    const shim = new Shim([], { ...baseEnv, SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, FAKE]) });
    shim.send(INIT);
    const refused = await shim.response(1, 5000);
    expect(refused.error?.code).toBe(-32002);
    expect(refused.error?.message).toMatch(
      /^Switchboard was stopped on purpose \(`switchboard stop` at \d\d.\d\d[^)]*\), so this client does not start/,
    );
    expect(refused.error?.message).toMatch(/Start the Switchboard app or run "switchboard serve", then retry\.$/);
    shim.send({ ...INIT, id: 2 });
    expect((await shim.response(2, 5000)).error?.message).toMatch(/stopped on purpose/);
    expect(gatewayLog().filter((e) => e.event === 'start')).toHaveLength(0);

    // The user starts Switchboard (a real gateway removes the marker as it starts).
    await clearStopped(stoppedPath(dir));
    await startGateway();
    shim.send({ ...INIT, id: 3 });
    expect((await shim.response(3, 5000)).error).toBeUndefined();
    expect(shim.stderr.match(/stopped on purpose/g)).toHaveLength(1);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
  });

  it('stops reading a client that sends requests it answers itself but never reads the answers', async () => {
    // No gateway comes: the shim answers every request itself.
    await markStopped(stoppedPath(dir), '`switchboard stop`');
    const child = spawn(NODE, [SHIM], { env: baseEnv, stdio: 'pipe' });
    children.push(child);
    const line = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }) + '\n';
    const chunk = Buffer.from(line.repeat(4096));
    // The client writes for 3 s and reads nothing: the answers piled up in the shim without bound
    // (hundreds of MB), its reading never held back.
    let written = 0;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const more = child.stdin.write(chunk);
      written += chunk.length;
      if (!more) {
        const drained = await Promise.race([
          new Promise<boolean>((r) => child.stdin.once('drain', () => r(true))),
          new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, until - Date.now()))),
        ]);
        if (!drained) break;
      }
    }
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    expect(written).toBeLessThan(1024 * 1024);
    expect(rssKiB).toBeLessThan(200 * 1024);
    // Once the client reads, every request it got in is answered, and the shim goes on.
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end();
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    const answers = out.split('\n').filter((l) => l !== '');
    expect(answers.length).toBe(written / line.length);
    expect(JSON.parse(answers.at(-1)!)).toMatchObject({ id: 7, error: { code: -32002 } });
  }, 30_000);

  it.runIf(process.platform !== 'win32')('never connects into a runtime dir that is not private', async () => {
    const gateway = await startGateway();
    await fs.chmod(dir, 0o755);
    const shim = new Shim();
    shim.send(INIT);
    const res = await shim.response(1);
    expect(res.error?.message).toMatch(/not private.*has mode 0755/);
    expect(gatewayLog().some((e) => e.event === 'connection')).toBe(false);
    expect(await shim.end()).toBe(0);
    shim.checkStreams();
    await stopProcess(gateway, 'SIGTERM');
  });

  it('gives up on a gateway that keeps dropping the connection right after the welcome', async () => {
    let accepted = 0;
    const listener = await listenLocalSocket({
      dir,
      onConnection: ({ socket }) => {
        accepted++;
        socket.destroy();
      },
    });
    try {
      const shim = new Shim();
      shim.send(INIT);
      const res = await shim.response(1, 15_000);
      expect(res.error?.code).toBe(-32002);
      const why = 'the gateway closed the connection right after accepting it, 5 times in a row';
      await expect.poll(() => shim.stderr, { timeout: 15_000 }).toContain(`keeps dropping this connection (${why})`);
      expect(accepted).toBe(5);
      // A request tries once more (and is dropped again: whether it ran is unknown).
      shim.send({ id: 2, method: 'tools/list' });
      expect((await shim.response(2)).error?.code).toBe(-32002);
      expect(accepted).toBe(6);
      // "Check the Switchboard logs, then retry": once the gateway is sound again, a retry works.
      await listener.close();
      await startGateway();
      shim.send({ id: 3, method: 'test/echo', params: { after: 'the fix' } });
      expect((await shim.response(3, 15_000)).result?.echo).toEqual({ after: 'the fix' });
      expect(await shim.end()).toBe(0);
      shim.checkStreams();
    } finally {
      await listener.close();
    }
  });

  it('answers a request too long to relay, and waits on no request whose bytes are not UTF-8', async () => {
    const gateway = await startGateway();
    const shim = new Shim();
    shim.send(INIT);
    await shim.response(1);
    // Over the 64 MiB the shim relays: the request gets its answer from the shim itself, with its id
    // as written (JSON.parse reads it as 12345678901234567000).
    const id = '12345678901234567890';
    shim.child.stdin.write(
      `{"jsonrpc":"2.0","id":${id},"method":"test/echo","params":{"x":"${'a'.repeat(65 << 20)}"}}\n`,
    );
    const tooLong = await shim.response(Number(id), 20_000);
    expect(shim.rawLines.find((l) => l.includes('-32003'))).toMatch(
      new RegExp(`^\\{"jsonrpc":"2\\.0","id":${id},"error"`),
    );
    expect(tooLong.error?.code).toBe(-32003);
    expect(tooLong.error?.message).toMatch(
      /^Message of 68157\d+ bytes is over the 67108864-byte limit of the Switchboard shim$/,
    );
    // Not UTF-8: the gateway refuses it (id null); when it goes away, no "lost" answer comes for it.
    shim.child.stdin.write(
      Buffer.concat([
        Buffer.from('{"jsonrpc":"2.0","id":20,"method":"test/echo","params":{"s":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}\n'),
      ]),
    );
    shim.send({ id: 21, method: 'test/hang' });
    await expect.poll(() => gatewayMessages(gateway.pid).some((m) => m.id === 21)).toBe(true);
    await stopProcess(gateway, 'SIGKILL');
    await shim.response(21);
    expect(shim.messages.filter((m) => m.id === 20)).toEqual([]);
    expect(await shim.end()).toBe(0);
  }, 60_000);

  it('waits for answers still in flight when stdin ends', async () => {
    await startGateway();
    const shim = new Shim();
    shim.send(INIT);
    shim.send({ id: 2, method: 'test/echo', params: { last: true } });
    shim.child.stdin.end();
    expect(await shim.exited).toBe(0);
    expect(shim.messages.map((m) => m.id)).toEqual([1, 2]);
    shim.checkStreams();
  });

  it('lets out the answers still on their way to a client slow to read them before it exits', async () => {
    await startGateway();
    const child = spawn(NODE, [SHIM], { env: baseEnv, stdio: 'pipe' });
    children.push(child);
    const exited = new Promise((r) => child.once('close', r));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stdout.pause();
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...INIT }) + '\n');
    child.stdin.end(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'test/big', params: { bytes: 4_000_000 } }) + '\n');
    // The client (a script in a pipe) reads only after a while: the shim has its answer, and is done.
    await new Promise((r) => setTimeout(r, 3500));
    child.stdout.resume();
    expect(await exited).toBe(0);
    // It exited 2 s after it was done, with most of the answer unwritten.
    const lines = out.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    expect((JSON.parse(lines[1]!) as Message).result?.data).toHaveLength(4_000_000);
  }, 30_000);

  it('exits at once when its client closes stdin with nothing waiting, gateway or not', async () => {
    // No gateway comes (the command starts none): nothing of the client's waits for one.
    const idle = new Shim(['--connect-timeout', '20000']);
    const started = Date.now();
    expect(await idle.end()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(idle.stderr).not.toMatch(/Switchboard is not running/);

    // The same while it reconnects to a gateway that went away after the client's last answer.
    const gateway = await startGateway();
    const shim = new Shim(['--connect-timeout', '20000'], { ...baseEnv, SWITCHBOARD_GATEWAY_COMMAND: NO_OP_COMMAND });
    shim.send(INIT);
    await shim.response(1);
    await stopProcess(gateway, 'SIGKILL');
    await expect.poll(() => shim.stderr).toMatch(/lost the connection to the gateway; reconnecting/);
    const closed = Date.now();
    expect(await shim.end()).toBe(0);
    expect(Date.now() - closed).toBeLessThan(5000);
    shim.checkStreams();
  }, 60_000);
});
