/**
 * One line of Linux's /proc/<pid>/stat, read the same way wherever a process is looked at: the
 * lock (is its holder still the process that took it), the servers' ledger and the process-tree
 * killer. Here, not in the engine, because the CLI reads the lock without loading the engine.
 */

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  /** Start time in clock ticks since boot: with pid, identifies a process across pid reuse. */
  start: string;
  /** CPU time used, its own and that of children it reaped, in clock ticks. */
  cpu: number;
}

/** One /proc/<pid>/stat line's fields that matter here; undefined when it is not one. */
export function parseStat(text: string): ProcStat | undefined {
  // "pid (comm) state ppid pgrp session ..." where comm may hold spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  const f = text.slice(close + 2).split(' ');
  // Fields after comm: [0]=state [1]=ppid [2]=pgrp ... [11..14]=utime stime cutime cstime [19]=starttime.
  if (f.length < 20 || !Number.isFinite(pid)) return undefined;
  const cpu = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return {
    pid,
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    state: f[0] ?? '',
    start: f[19] ?? '',
    cpu: Number.isFinite(cpu) ? cpu : 0,
  };
}
