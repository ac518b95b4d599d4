/**
 * The ledger of server processes and what the next gateway does with it: a process still running
 * under the recorded pid and start time is stopped with its group; a pid now used by another
 * program (another start time) is left alone; a torn file stops nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ProcessLedger,
  processStartTime,
  stopLeftoverServers,
} from '../../../../../main/engine/upstreams/process/leftovers.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-leftovers-'));
  dirs.push(dir);
  return path.join(dir, 'servers.json');
}

/** A process that would outlive us: its own group, ignoring SIGHUP, running for a minute. */
async function longRunner(): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(child.signalCode) : child.once('exit', (_c, s) => r(s)),
  );

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('left-over server processes', () => {
  it('records a running server and forgets it when it exits', async () => {
    const file = tempFile();
    const warnings: string[] = [];
    const ledger = new ProcessLedger(file, (t) => warnings.push(t));
    const child = await longRunner();
    ledger.track(child, 'files');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([
      { pid: child.pid, start: processStartTime(child.pid!), server: 'files' },
    ]);
    child.kill('SIGTERM');
    await exited(child);
    expect(existsSync(file)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('stops a recorded server that still runs, and says which', async () => {
    const file = tempFile();
    const child = await longRunner();
    new ProcessLedger(file, () => undefined).track(child, 'files');
    expect(await stopLeftoverServers(file)).toEqual([`files (pid ${child.pid})`]);
    expect(await exited(child)).toBe('SIGTERM');
    expect(existsSync(file)).toBe(false);
  });

  it('leaves alone a process that has the recorded pid but started at another time', async () => {
    const file = tempFile();
    const child = await longRunner();
    writeFileSync(file, JSON.stringify([{ pid: child.pid, start: 'some other start', server: 'files' }]));
    expect(await stopLeftoverServers(file)).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(child.exitCode === null && child.signalCode === null).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('stops nothing from a torn or foreign file', async () => {
    const file = tempFile();
    const child = await longRunner();
    for (const text of ['[{"pid": ' + String(child.pid), '{"pid": 1}', `[{"pid": ${child.pid}}]`]) {
      writeFileSync(file, text);
      expect(await stopLeftoverServers(file)).toEqual([]);
    }
    expect(child.exitCode === null && child.signalCode === null).toBe(true);
    expect(await stopLeftoverServers(file)).toEqual([]);
  });
});
