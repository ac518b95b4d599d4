/**
 * Processes found by their environment (Linux /proc), so a test touches only what it started:
 * matching a command line (`pkill -f`) also hits the same command started by a test beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';

/** Pids of processes whose environment holds `entry` (NAME=value). */
export async function processesWithEnv(entry: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (environ.split('\0').includes(entry)) found.push(Number(pid));
  }
  return found;
}

/** Sends `signal` to each process whose environment holds `entry`; gone ones are skipped. */
export async function signalProcessesWithEnv(entry: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  for (const pid of await processesWithEnv(entry)) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/** Whether a process runs: a zombie its parent has not reaped yet (Linux /proc says so) has exited. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    // Gone between the two looks, or a system without /proc (where a zombie cannot be told).
    return !existsSync('/proc/self');
  }
}
