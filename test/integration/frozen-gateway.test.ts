/**
 * A gateway that runs but is frozen: suspended (SIGSTOP, as Ctrl-Z does) or with its event loop
 * stuck. Its socket still accepts connections (the kernel does that), so only an answer tells it
 * apart from a gateway that works: `status` and `doctor` say it does not answer and what to do,
 * and `stop` stops a suspended one, or says how to end one that cannot stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runtimePaths } from '../../main/shared/paths.ts';
import { CLI, NODE, ROOT, cliRun, tempDir, waitFor } from '../helpers/gateway.ts';

const BUSY_ON_SIGNAL = path.join(ROOT, 'test/fixtures/busy-on-signal.ts');

let dir: { dir: string; cleanup(): Promise<void> };
let env: NodeJS.ProcessEnv;
let socket: string;
let gateway: ChildProcess | undefined;

/** `switchboard serve` with the shim socket, once ready; SIGUSR2 makes it busy for good. */
async function serve(): Promise<{ pid: number; exited: Promise<number | null> }> {
  const child = spawn(NODE, ['--import', BUSY_ON_SIGNAL, CLI, 'serve', '--port', '0'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  gateway = child;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => /ready/.test(stderr), 20_000, 'the gateway to be ready');
  return { pid: child.pid!, exited };
}

beforeEach(async () => {
  dir = await tempDir('sb-frozen-');
  env = {
    ...process.env,
    HOME: dir.dir,
    XDG_CONFIG_HOME: path.join(dir.dir, '.config'),
    SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
  };
  const configDir = path.join(dir.dir, '.config', 'switchboard');
  await fs.mkdir(configDir, { recursive: true });
  await fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify({ listen: { http: { port: 0 } } }));
  socket = runtimePaths(env).socket;
});

afterEach(async () => {
  // Never leave a process stopped or spinning: continue it (SIGKILL works on a stopped one too) and kill it.
  if (gateway?.pid !== undefined && gateway.exitCode === null && gateway.signalCode === null) {
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(gateway.pid, signal);
      } catch {
        // gone already
      }
    }
  }
  gateway = undefined;
  await dir.cleanup();
});

describe('a gateway that runs but does not answer', () => {
  it('status and doctor say a suspended gateway does not answer, and how to resume it', async () => {
    const { pid } = await serve();
    expect((await cliRun(env, 'status')).stdout).toContain(`${socket} (answering)`);

    process.kill(pid, 'SIGSTOP');
    const status = await cliRun(env, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`pid ${pid}`);
    expect(status.stdout).toContain(`${socket} (not answering)`);
    expect(status.stdout).toMatch(
      /accepts connections on its socket but did not answer within 2 s: it is suspended \(Ctrl-Z in the terminal/,
    );
    expect(status.stdout).toContain(`"kill -CONT ${pid}"`);
    const json = JSON.parse((await cliRun(env, 'status', '--json')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ running: true, pid, socketAnswering: false });

    const doctor = await cliRun(env, 'doctor');
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`the gateway (pid ${pid}) accepts connections on ${socket} but did not answer`);
    expect(doctor.stdout).not.toContain('a gateway is answering');

    process.kill(pid, 'SIGCONT');
    expect((await cliRun(env, 'status')).stdout).toContain(`${socket} (answering)`);
  }, 90_000);

  it('status says a gateway whose event loop is stuck does not answer, and how to end it', async () => {
    const { pid } = await serve();
    process.kill(pid, 'SIGUSR2');
    const status = await cliRun(env, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${socket} (not answering)`);
    expect(status.stdout).toContain(
      'did not answer within 2 s: it may be stuck, and clients get no answer; stop it with "switchboard stop" ' +
        `(if it does not stop: "kill -9 ${pid}")`,
    );
  }, 60_000);

  it('stop stops a suspended gateway: it is continued, so it handles the SIGTERM', async () => {
    const { pid, exited } = await serve();
    process.kill(pid, 'SIGSTOP');
    const stop = await cliRun(env, 'stop', '--timeout', '5000');
    expect(stop.stderr).toBe('');
    expect(stop.stdout).toMatch(new RegExp(`^Stopped the Switchboard gateway \\(pid ${pid}\\)`));
    expect(stop.code).toBe(0);
    expect(await exited).toBe(0);
  }, 60_000);

  it('stop on a gateway stuck for good says it looks stuck and how to end it', async () => {
    const { pid } = await serve();
    process.kill(pid, 'SIGUSR2');
    const stop = await cliRun(env, 'stop', '--timeout', '1000');
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain(
      `the gateway (pid ${pid}) did not stop within 1000 ms; it is still running and does not answer on its ` +
        `socket: it looks stuck. End it with "kill -9 ${pid}"`,
    );
    expect(stop.stderr).toContain('Clients will not start it again until you start Switchboard');
    // Ended as told: nothing is left that says a gateway runs, and it stays stopped on purpose.
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await cliRun(env, 'status')).code === 1, 10_000, 'status to see it gone');
    expect((await cliRun(env, 'status')).stdout).toMatch(/It was stopped on purpose \(`switchboard stop` at /);
  }, 60_000);
});
