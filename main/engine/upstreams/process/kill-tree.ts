/**
 * Stopping a server means stopping everything it started: `npx` starts node, `uvx` starts
 * python, and a killed parent leaves its children running. Servers are spawned as
 * process-group leaders (detached) on POSIX so the whole group can be signalled at once.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { parseStat, type ProcStat } from '../../../shared/proc-stat.ts';

export interface KillTreeOptions {
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** Time given to exit on stdin EOF before any signal (many MCP servers exit on EOF). */
  eofGraceMs?: number;
  platform?: NodeJS.Platform;
}

/** How long to wait for an exit after SIGKILL / taskkill before giving up on it. */
const FINAL_WAIT_MS = 2000;

export async function killProcessTree(child: ChildProcess, options: KillTreeOptions = {}): Promise<void> {
  const { graceMs = 2000, eofGraceMs = 250, platform = process.platform } = options;
  const pid = child.pid;
  if (pid === undefined) return;
  const exited = exitOf(child);

  if (platform === 'win32') {
    // taskkill /T finds the tree from the parent: once it is gone, so is the way to its children.
    if (hasExited(child)) return;
    closeStdin(child);
    if (await within(exited, eofGraceMs)) return;
    await taskkill(pid);
    await within(exited, FINAL_WAIT_MS);
    return;
  }

  const tree = new PosixTree(pid, () => hasExited(child), platform === 'linux');
  // Snapshot before EOF: once the leader exits its children are reparented and lost to the walk.
  await tree.refresh();
  // A leader that already exited (a crash) may still have left its group running: that is stopped.
  if (!hasExited(child)) {
    closeStdin(child);
    await within(exited, eofGraceMs);
    await tree.refresh();
  }
  // The leader may have exited on EOF and left children behind: those are stopped too.
  if (await tree.alive()) {
    await tree.signal('SIGTERM');
    await waitUntil(async () => !(await tree.alive()), graceMs);
  }
  if (await tree.alive()) {
    await tree.refresh();
    await tree.signal('SIGKILL');
    await waitUntil(async () => !(await tree.alive()), FINAL_WAIT_MS);
  }
  await within(exited, FINAL_WAIT_MS);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (hasExited(child)) resolve();
    else child.once('exit', () => resolve());
  });
}

function closeStdin(child: ChildProcess): void {
  const stdin = child.stdin;
  if (!stdin || stdin.destroyed) return;
  // EPIPE when the child is already gone is expected, not a crash.
  stdin.on('error', () => {});
  stdin.end();
}

/** True if `p` settled within `ms`. */
function within(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitUntil(done: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** process.kill that treats "no such process" (and any other refusal) as nothing to do. */
function signalQuietly(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

function taskkill(pid: number): Promise<void> {
  return new Promise((resolve) => {
    execFile('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true }, () => resolve());
  });
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

let scanning: Promise<ProcStat[]> | undefined;

/**
 * Every process's /proc/<pid>/stat (Linux); none where there is no /proc. Callers asking while a
 * scan runs share it: stopping many servers at once asks for every tree within the same few
 * milliseconds, and a scan each made stopping N servers cost N scans of N processes (100 servers:
 * 2.9 s, docs/benchmarks.md "Scale"). A process started after the shared scan began is found by
 * the next one: stopping rescans until nothing of the tree is left.
 */
export function readAllStats(): Promise<ProcStat[]> {
  scanning ??= scanAllStats().finally(() => {
    scanning = undefined;
  });
  return scanning;
}

async function scanAllStats(): Promise<ProcStat[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return [];
  }
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/** A zombie has exited; it only waits for its parent to reap it. */
const isLive = (s: ProcStat): boolean => s.state !== 'Z' && s.state !== 'X';

/**
 * The leader's process group, plus (on Linux, via /proc) descendants that left the group
 * (setsid, their own job control), remembered by pid + start time so a reused pid is never hit.
 */
class PosixTree {
  readonly #pgid: number;
  readonly #leaderExited: () => boolean;
  readonly #useProc: boolean;
  readonly #strays = new Map<number, string>();

  constructor(pgid: number, leaderExited: () => boolean, useProc: boolean) {
    this.#pgid = pgid;
    this.#leaderExited = leaderExited;
    this.#useProc = useProc;
  }

  async refresh(): Promise<void> {
    if (!this.#useProc) return;
    const stats = await readAllStats();
    const children = new Map<number, ProcStat[]>();
    for (const s of stats) {
      const list = children.get(s.ppid);
      if (list) list.push(s);
      else children.set(s.ppid, [s]);
    }
    // Walk from the leader and from every process still in its group (their parent may be gone).
    const queue = stats.filter((s) => s.pid === this.#pgid || s.pgrp === this.#pgid).map((s) => s.pid);
    for (const [pid] of this.#strays) queue.push(pid);
    const seen = new Set<number>(queue);
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      for (const c of children.get(pid) ?? []) {
        if (seen.has(c.pid)) continue;
        seen.add(c.pid);
        queue.push(c.pid);
        if (c.pgrp !== this.#pgid && isLive(c)) this.#strays.set(c.pid, c.start);
      }
    }
  }

  async alive(): Promise<boolean> {
    if (!this.#leaderExited()) return true;
    if (await this.#groupAlive()) return true;
    return (await this.#liveStrays()).length > 0;
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    signalQuietly(-this.#pgid, signal);
    // Also the leader itself, in case it was not spawned as a group leader after all.
    if (!this.#leaderExited()) signalQuietly(this.#pgid, signal);
    for (const pid of await this.#liveStrays()) signalQuietly(pid, signal);
  }

  async #groupAlive(): Promise<boolean> {
    if (!signalQuietly(-this.#pgid, 0)) return false;
    // kill(0) also succeeds for zombies (exited, not yet reaped): ask /proc where we can.
    if (!this.#useProc) return true;
    return (await readAllStats()).some((s) => s.pgrp === this.#pgid && isLive(s));
  }

  async #liveStrays(): Promise<number[]> {
    const live: number[] = [];
    for (const [pid, start] of this.#strays) {
      const s = await readStat(pid);
      if (s && s.start === start && isLive(s)) live.push(pid);
      else this.#strays.delete(pid);
    }
    return live;
  }
}
