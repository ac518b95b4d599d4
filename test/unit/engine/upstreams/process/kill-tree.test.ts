import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killProcessTree, readAllStats } from '../../../../../main/engine/upstreams/process/kill-tree.ts';

const posix = process.platform !== 'win32';
const hasSetsid = existsSync('/usr/bin/setsid') || existsSync('/bin/setsid');
const started: number[] = [];

/** Gone = no such process, or a zombie (exited, waiting for a reaper). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^\S+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}

function start(script: string): ChildProcess {
  const child = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
  if (child.pid !== undefined) started.push(child.pid);
  return child;
}

/** Reads `count` whitespace-separated tokens the script prints (pids, or "ready"). */
function readTokens(child: ChildProcess, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => {
      out += s;
      const tokens = out.split(/\s+/).filter(Boolean);
      if (tokens.length >= count) resolve(tokens);
    });
    child.once('exit', () => reject(new Error(`exited early; output: ${out}`)));
  });
}

afterEach(() => {
  // Whatever a failing test left behind.
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

describe.skipIf(!posix)('killProcessTree', () => {
  it('kills the group and descendants that moved to another session', async () => {
    const setsid = hasSetsid ? 'setsid sleep 300 & echo $!;' : '';
    const child = start(`sleep 300 & echo $!; sleep 300 & echo $!; ${setsid} wait`);
    const pids = (await readTokens(child, hasSetsid ? 3 : 2)).map(Number);
    started.push(...pids);
    const all = [child.pid as number, ...pids];
    for (const pid of all) expect(gone(pid)).toBe(false);

    await killProcessTree(child, { graceMs: 1000, eofGraceMs: 50 });

    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    // Descendants' exits are reaped by init asynchronously; give them a moment.
    for (let i = 0; i < 50 && !all.every(gone); i++) await new Promise((r) => setTimeout(r, 20));
    expect(all.filter((pid) => !gone(pid))).toEqual([]);
  });

  it('SIGKILLs a child that ignores SIGTERM after graceMs', async () => {
    const child = start(`trap '' TERM; echo ready; while :; do sleep 1; done`);
    await readTokens(child, 1);
    const t0 = Date.now();
    await killProcessTree(child, { graceMs: 300, eofGraceMs: 50 });
    const elapsed = Date.now() - t0;
    expect(child.signalCode).toBe('SIGKILL');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(5000);
  });

  it('lets a child that exits on stdin EOF go without a signal', async () => {
    const child = start('echo ready; cat >/dev/null');
    await readTokens(child, 1);
    await killProcessTree(child, { graceMs: 1000, eofGraceMs: 2000 });
    expect(child.exitCode).toBe(0);
    expect(child.signalCode).toBeNull();
  });

  it('cleans up children left behind by a leader that exited on EOF', async () => {
    const child = start('sleep 300 & echo $!; cat >/dev/null');
    const [orphan] = (await readTokens(child, 1)).map(Number);
    started.push(orphan as number);
    await killProcessTree(child, { graceMs: 1000, eofGraceMs: 2000 });
    expect(child.exitCode).toBe(0);
    for (let i = 0; i < 50 && !gone(orphan as number); i++) await new Promise((r) => setTimeout(r, 20));
    expect(gone(orphan as number)).toBe(true);
  });

  it('stops what a leader that crashed left running in its group', async () => {
    const child = start('sleep 300 & echo $!; read line; exit 3');
    const [orphan] = (await readTokens(child, 1)).map(Number);
    started.push(orphan as number);
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin?.write('crash now\n');
    await exited;
    expect(gone(orphan as number)).toBe(false);
    await killProcessTree(child, { graceMs: 1000, eofGraceMs: 50 });
    for (let i = 0; i < 50 && !gone(orphan as number); i++) await new Promise((r) => setTimeout(r, 20));
    expect(gone(orphan as number)).toBe(true);
  });

  it('resolves at once for a child that already exited, and never throws', async () => {
    const child = start('exit 0');
    await new Promise((r) => child.once('exit', r));
    await expect(killProcessTree(child)).resolves.toBeUndefined();
  });
});

describe.runIf(existsSync('/proc/self/stat'))('reading /proc', () => {
  it('shares one scan between callers that ask at once, and scans again afterwards', async () => {
    const first = readAllStats();
    expect(readAllStats()).toBe(first);
    const stats = await first;
    expect(stats.some((s) => s.pid === process.pid)).toBe(true);
    expect(readAllStats()).not.toBe(first);
  });
});
