/**
 * Processes: every process the benchmark starts goes through `ProcessGroup.spawn`, and every
 * descendant seen at a measurement point is remembered (pid + start time), so `stopAll` can end
 * them all, even ones a peer moved to its own process group or that were re-parented. The /proc
 * readers give a process tree's CPU ticks and memory.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  startTime: number;
}

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Fields after the command name, which may itself contain spaces and parentheses.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]), startTime: Number(f[19]) };
}

/** argv of a process ([] when it is gone). */
export function readCmdline(pid: number): string[] {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    if (args.at(-1) === '') args.pop();
    return args;
  } catch {
    return [];
  }
}

/** VmRSS and VmHWM (peak RSS) in KiB. */
export function readMemory(pid: number): { rssKb: number; hwmKb: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const rss = /VmRSS:\s+(\d+)/.exec(text);
  const hwm = /VmHWM:\s+(\d+)/.exec(text);
  return { rssKb: Number(rss?.[1] ?? 0), hwmKb: Number(hwm?.[1] ?? 0) };
}

/** CPU time the whole machine spent busy (user, nice, system, irq, softirq, steal), in ticks. */
export function machineBusyTicks(): number {
  try {
    const f = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  } catch {
    return 0;
  }
}

export function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The roots and all their descendants, except the processes `exclude` matches and theirs. */
export function processTree(roots: number[], exclude: (argv: string[]) => boolean = () => false): number[] {
  const procs = allProcesses();
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const alive = new Set(procs.map((p) => p.pid));
  const out: number[] = [];
  const queue = roots.filter((r) => alive.has(r));
  while (queue.length) {
    const pid = queue.shift() as number;
    if (exclude(readCmdline(pid))) continue;
    out.push(pid);
    for (const c of children.get(pid) ?? []) queue.push(c);
  }
  return out;
}

export function cpuTicks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) sum += readStat(pid)?.cpuTicks ?? 0;
  return sum;
}

export function memory(pids: number[]): { rssKb: number; hwmKb: number } {
  let rssKb = 0;
  let hwmKb = 0;
  for (const pid of pids) {
    const m = readMemory(pid);
    if (m) {
      rssKb += m.rssKb;
      hwmKb += m.hwmKb;
    }
  }
  return { rssKb, hwmKb };
}

let ticksPerSecond = 100;
try {
  // USER_HZ; 100 on every Linux this runs on, but ask rather than assume.
  const { execFileSync } = await import('node:child_process');
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  ticksPerSecond = 100;
}
export const TICKS_PER_SECOND = ticksPerSecond;

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** performance.now() just before spawn. */
  at: number;
  /** stderr text kept (bounded), for error messages and for URLs printed there. */
  stderr(): string;
  /** Resolves with the first match of `re` on stdout or stderr (or rejects at the deadline / on exit). */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

const KEEP_STDERR = 64 * 1024;

/** Every process of one path (and its descendants); `stopAll` ends them. */
export class ProcessGroup {
  private readonly known = new Map<number, number>(); // pid -> start time
  private readonly roots: Spawned[] = [];

  spawn(command: string, args: string[], options: SpawnOptions & { pipeStdio?: boolean } = {}): Spawned {
    const at = performance.now();
    const child = spawn(command, args, {
      ...options,
      stdio: options.pipeStdio ? ['pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    const pid = child.pid;
    const start = readStat(pid)?.startTime;
    if (start !== undefined) this.known.set(pid, start);
    let err = '';
    let out = '';
    const watchers: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
    const check = () => {
      for (let i = watchers.length - 1; i >= 0; i--) {
        const w = watchers[i]!;
        const m = w.re.exec(err) ?? w.re.exec(out);
        if (m) {
          watchers.splice(i, 1);
          w.resolve(m);
        }
      }
    };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      err = (err + c).slice(-KEEP_STDERR);
      if (watchers.length) check();
    });
    // With piped stdio the caller reads stdout (it is the JSON-RPC channel); otherwise watch it.
    if (!options.pipeStdio) {
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (c: string) => {
        out = (out + c).slice(-KEEP_STDERR);
        if (watchers.length) check();
      });
    }
    child.on('error', () => undefined);
    const spawned: Spawned = {
      child,
      pid,
      at,
      stderr: () => err,
      waitFor: (re, timeoutMs) =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const m = re.exec(err) ?? re.exec(out);
          if (m) return resolve(m);
          const timer = setTimeout(
            () =>
              reject(new Error(`timed out waiting for ${re} from ${command} ${args.join(' ')}\n${err.slice(-2000)}`)),
            timeoutMs,
          );
          const onExit = (code: number | null, signal: string | null) => {
            clearTimeout(timer);
            reject(
              new Error(
                `${command} ${args.join(' ')} exited (${signal ?? code}) before printing ${re}\n${err.slice(-2000)}`,
              ),
            );
          };
          child.once('exit', onExit);
          watchers.push({
            re,
            resolve: (match) => {
              clearTimeout(timer);
              child.off('exit', onExit);
              resolve(match);
            },
          });
        }),
    };
    this.roots.push(spawned);
    return spawned;
  }

  /** Remembers every live descendant of the processes started so far. */
  sweep(): void {
    for (const pid of processTree(this.roots.map((r) => r.pid))) {
      if (this.known.has(pid)) continue;
      const start = readStat(pid)?.startTime;
      if (start !== undefined) this.known.set(pid, start);
    }
  }

  /** The pids remembered (or found now) that are still the same processes. */
  private living(): number[] {
    const out: number[] = [];
    for (const [pid, start] of this.known) if (readStat(pid)?.startTime === start) out.push(pid);
    return out;
  }

  /** SIGTERM to the roots (so peers clean up and profiles get written), then SIGKILL to whatever is left. */
  async stopAll(graceMs = 3000): Promise<void> {
    this.sweep();
    // Closing stdin first lets stdio programs (shim, serve --stdio) end on their own, as a
    // client closing them would; CPU profiles are only written on a normal exit.
    const running = () => this.roots.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    for (const r of this.roots) r.child.stdin?.end();
    const eofDeadline = performance.now() + Math.min(graceMs, 1000);
    while (running().some((r) => r.child.stdin) && performance.now() < eofDeadline)
      await new Promise((res) => setTimeout(res, 20));
    for (const r of this.roots) {
      try {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
      } catch {
        /* gone */
      }
    }
    const deadline = performance.now() + graceMs;
    while (this.living().length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.killNow();
    const killedAt = performance.now();
    while (this.living().length && performance.now() - killedAt < 2000) await new Promise((r) => setTimeout(r, 20));
  }

  /** SIGKILL every remembered process that is still alive (also used on the way out). */
  killNow(): void {
    for (const pid of this.living()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  rootPids(): number[] {
    return this.roots.map((r) => r.pid);
  }

  leftovers(): number[] {
    return this.living();
  }
}
