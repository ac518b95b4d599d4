/**
 * Servers a killed gateway left running. A gateway that stops stops its servers; one that is
 * killed (SIGKILL, a crash of the app, a power-off of the session) cannot, and a server that does
 * not exit when its input closes (a timer, a thread, a child of its own) runs on unseen, one more
 * after every crash. So the gateway keeps a ledger of the server processes it started
 * (`servers.json` in its private runtime directory), and the next gateway, once it holds the
 * one-per-user lock, stops those still running.
 *
 * A process is known by its pid and its start time together, so a pid the system has since given
 * to another program is never signalled. Where the start time cannot be read (Windows) nothing is
 * recorded.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { parseStat, type ProcStat } from '../../../shared/proc-stat.ts';

export interface LedgerEntry {
  pid: number;
  /** When the process started, as the system tells it: with the pid, it names one process. */
  start: string;
  server: string;
}

/**
 * When process `pid` started: Linux from /proc (clock ticks since boot), macOS and other POSIX
 * systems from `ps -o lstart=`; undefined when it is not running or the time cannot be read.
 */
export function processStartTime(pid: number, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') return undefined;
  if (platform === 'linux') {
    let stat: ProcStat | undefined;
    try {
      stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
    // A zombie has exited: it only waits for its parent to reap it.
    return stat && stat.state !== 'Z' && stat.state !== 'X' ? stat.start : undefined;
  }
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
    return out.trim() || undefined;
  } catch {
    return undefined; // ps exits 1 when there is no such process
  }
}

/** The server processes this gateway runs, written to `file` as they start and exit. */
export class ProcessLedger {
  private readonly entries = new Map<number, LedgerEntry>();
  private readonly file: string;
  private readonly warn: (text: string) => void;
  private warned = false;

  constructor(file: string, warn: (text: string) => void) {
    this.file = file;
    this.warn = warn;
  }

  /** Records a server's process (the leader of its process group) until it exits. */
  track(child: ChildProcess, server: string): void {
    const pid = child.pid;
    if (pid === undefined) return;
    const start = processStartTime(pid);
    if (start === undefined) return;
    this.entries.set(pid, { pid, start, server });
    this.save();
    child.once('exit', () => {
      if (this.entries.delete(pid)) this.save();
    });
  }

  /** Written whole and renamed into place: a gateway killed while writing leaves the previous list. */
  private save(): void {
    try {
      if (this.entries.size === 0) {
        rmSync(this.file, { force: true });
        return;
      }
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify([...this.entries.values()]) + '\n', { mode: 0o600 });
      renameSync(temp, this.file);
    } catch (err) {
      if (this.warned) return;
      this.warned = true;
      this.warn(`could not record the servers' processes in ${this.file}: ${(err as Error).message}`);
    }
  }
}

export interface StopLeftoversOptions {
  /** Between SIGTERM and SIGKILL. */
  graceMs?: number;
  platform?: NodeJS.Platform;
}

/**
 * Stops the servers a previous gateway recorded in `file` that still run (same pid, same start
 * time), each with its process group: SIGTERM, then SIGKILL after the grace. Returns what it
 * stopped ("fx (pid 1234)"); the file is removed.
 */
export async function stopLeftoverServers(file: string, options: StopLeftoversOptions = {}): Promise<string[]> {
  const { graceMs = 2000, platform = process.platform } = options;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return []; // none recorded: the last gateway stopped its servers (or never started one)
  }
  await rm(file, { force: true });
  if (platform === 'win32') return [];
  const running = parseLedger(text).filter((e) => processStartTime(e.pid, platform) === e.start);
  if (running.length === 0) return [];
  const alive = () => running.filter((e) => processStartTime(e.pid, platform) === e.start);
  for (const e of running) signalGroup(e.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const e of alive()) signalGroup(e.pid, 'SIGKILL');
  return running.map((e) => `${e.server} (pid ${e.pid})`);
}

function parseLedger(text: string): LedgerEntry[] {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (e): e is LedgerEntry =>
        typeof e === 'object' &&
        e !== null &&
        Number.isInteger((e as LedgerEntry).pid) &&
        (e as LedgerEntry).pid > 1 &&
        typeof (e as LedgerEntry).start === 'string' &&
        typeof (e as LedgerEntry).server === 'string',
    );
  } catch {
    return []; // torn or foreign: nothing in it can be trusted to name our process
  }
}

/** The process group the server leads (spawned detached), or the process alone if that fails. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}
