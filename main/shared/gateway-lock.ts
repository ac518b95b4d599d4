/**
 * The lock that keeps one gateway per user: `gateway.lock` in the runtime directory names the
 * process that serves (pid, config, addresses, log). A gateway takes it before it starts any
 * server; a second one finds it held by a live process and stops, saying which. `switchboard
 * status` and `stop` read it. Node built-ins only (the CLI reads it without loading the engine).
 *
 * The file is created whole with link() (atomic, fails when it exists). A lock whose process is
 * gone (killed, crashed) is stale and taken over: moved aside with rename() (atomic, so two
 * starters cannot both take it), and put back if what was moved turns out to be a live lock.
 * On Linux the process's start time is recorded too, so a pid reused after a reboot is not
 * mistaken for the gateway. The lock is per machine: a home directory shared over NFS by two
 * machines needs SWITCHBOARD_RUNTIME_DIR set per machine.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import { parseStat, type ProcStat } from './proc-stat.ts';

export interface GatewayInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** Linux: the process start time from /proc (tells a reused pid apart). */
  processStart?: string;
  version: string;
  configPath: string;
  /** Where its output goes, when it writes to a file (a gateway the shim started). */
  logFile?: string;
  http?: string;
  /** Why the HTTP listener the config asks for is not open (its port was taken), for `status` and `ui`. */
  httpProblem?: string;
  socket?: string;
  /** Why the config file as last saved is not what runs (it kept the config it had), for `status`. */
  configError?: string;
  /** With configError: it was broken when the gateway started, which then had no config to keep. */
  runsWithoutConfig?: boolean;
}

export interface LockState {
  /** Undefined when the file is unreadable or not a lock. */
  info?: GatewayInfo;
  /** Its process is alive (and, on Linux, the same process that took the lock). */
  running: boolean;
}

export interface HeldLock {
  readonly info: GatewayInfo;
  /** Records more about the running gateway (its addresses once listening). */
  update(
    patch: Partial<
      Pick<
        GatewayInfo,
        'http' | 'httpProblem' | 'socket' | 'logFile' | 'configPath' | 'configError' | 'runsWithoutConfig'
      >
    >,
  ): Promise<void>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

export type AcquireResult = { ok: true; lock: HeldLock } | { ok: false; holder: GatewayInfo };

/** The process's /proc/PID/stat on Linux (its state, its start time), else undefined. */
function processStat(pid: number): ProcStat | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // no /proc entry: the process is gone (or /proc is not mounted)
  }
}

/** The process start time on Linux (field 22 of /proc/PID/stat), else undefined. */
function processStart(pid: number): string | undefined {
  return processStat(pid)?.start;
}

/**
 * Linux: the process is suspended (Ctrl-Z in its terminal, SIGSTOP) or stopped by a debugger. It
 * handles no signal but SIGKILL until continued. Elsewhere (no /proc) false: not known.
 */
export function isSuspended(pid: number): boolean {
  const state = processStat(pid)?.state;
  return state === 'T' || state === 't';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process a lock names is still the one that took it. */
export function isRunning(info: GatewayInfo): boolean {
  if (info.pid === process.pid) return true;
  if (!processAlive(info.pid)) return false;
  const now = processStat(info.pid);
  // A zombie has exited and only waits to be reaped (a gateway whose parent is gone may wait long).
  if (now?.state === 'Z' || now?.state === 'X') return false;
  if (info.processStart === undefined) return true;
  return now?.start === undefined || now.start === info.processStart;
}

function parseInfo(text: string): GatewayInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<GatewayInfo>;
    if (typeof v !== 'object' || v === null || !Number.isInteger(v.pid) || (v.pid as number) <= 0) return undefined;
    if (typeof v.configPath !== 'string' || typeof v.startedAt !== 'string') return undefined;
    return v as GatewayInfo;
  } catch {
    return undefined;
  }
}

/** Reads the lock; undefined when there is none. */
export async function readGatewayLock(file: string): Promise<LockState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return lockState(text);
}

/** readGatewayLock at once, for a message that cannot wait; undefined also when it cannot be read. */
export function readGatewayLockSync(file: string): LockState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return lockState(text);
}

function lockState(text: string): LockState {
  const info = parseInfo(text);
  return info === undefined ? { running: false } : { info, running: isRunning(info) };
}

/**
 * Whether a gateway runs without the local socket (listen.socket off, serve --no-socket): its listeners are
 * recorded (HTTP, or why HTTP is off) and no socket is among them. One still starting (its HTTP token waiting
 * on a keychain prompt) has recorded neither, and will have a socket.
 */
export function runsWithoutSocket(info: GatewayInfo): boolean {
  return info.socket === undefined && (info.http !== undefined || info.httpProblem !== undefined);
}

const unique = (): string => `${process.pid}.${randomBytes(6).toString('hex')}`;

/** Creates `file` holding `text`, failing with EEXIST when it exists; never a partial file. */
async function createWhole(file: string, text: string): Promise<void> {
  const tmp = `${file}.${unique()}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // A filesystem without hard links: exclusive create (a reader may see it half written).
    await fs.writeFile(file, text, { mode: 0o600, flag: 'wx' });
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Takes the lock for this process, or says who holds it. `base` is what the lock records besides
 * pid, host and times.
 */
export async function acquireGatewayLock(
  file: string,
  base: Pick<GatewayInfo, 'version' | 'configPath'> & Partial<GatewayInfo>,
): Promise<AcquireResult> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const start = processStart(process.pid);
    let info: GatewayInfo = {
      ...base,
      pid: process.pid,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
      ...(start === undefined ? {} : { processStart: start }),
    };
    try {
      await createWhole(file, JSON.stringify(info) + '\n');
      // One update at a time: each writes the whole record, and two renamed out of order put the older back.
      let updating: Promise<void> = Promise.resolve();
      const write = async (patch: Partial<GatewayInfo>): Promise<void> => {
        const current = await readGatewayLock(file);
        if (current?.info?.pid !== process.pid) return; // no longer ours: leave it alone
        info = { ...info, ...patch };
        const tmp = `${file}.${unique()}.tmp`;
        await fs.writeFile(tmp, JSON.stringify(info) + '\n', { mode: 0o600, flag: 'wx' });
        await fs.rename(tmp, file);
      };
      const lock: HeldLock = {
        get info() {
          return info;
        },
        update(patch) {
          const done = updating.then(() => write(patch));
          // Its caller hears of a failure (it is returned); the next update runs all the same.
          updating = Promise.allSettled([done]).then(() => undefined);
          return done;
        },
        async release() {
          const current = await readGatewayLock(file);
          if (current?.info?.pid === process.pid) await fs.rm(file, { force: true });
        },
      };
      return { ok: true, lock };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await readGatewayLock(file);
    if (held === undefined) continue; // released meanwhile: try again
    if (held.running && held.info) return { ok: false, holder: held.info };
    // Stale (its process is gone) or not a lock at all: move it aside, then look at what was moved.
    const aside = `${file}.${unique()}.stale`;
    try {
      await fs.rename(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it
      throw err;
    }
    let movedText = '';
    try {
      movedText = await fs.readFile(aside, 'utf8');
    } catch {
      // Nothing to look at: it was stale or gone either way.
    }
    const moved = parseInfo(movedText);
    if (moved && moved.pid !== held.info?.pid && isRunning(moved)) {
      // A racer took the lock between our read and our rename: give it back.
      try {
        await fs.link(aside, file);
      } catch {
        // A third starter's lock stands there now: that one wins, and the racer finds out on its next update.
      }
    }
    await fs.rm(aside, { force: true });
  }
  throw new Error(`could not take the lock ${file}: it keeps changing (too many gateways starting at once?)`);
}
