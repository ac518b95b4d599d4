/**
 * Whether a server that has not answered yet is busy or hung. A first `npx` / `uvx` run
 * downloads and unpacks the package before the server speaks; killing it then leaves a broken
 * cache behind. Busy means output (stderr or stdout), CPU time or bytes read and written (a
 * download: npm fetches without a word) by its process group in two samples in a row, or
 * processes joining or leaving the group (an installer's scripts). Idle means none of these:
 * what a hung server looks like. CPU and I/O are read from /proc on Linux, CPU from `ps` on macOS
 * and the BSDs; elsewhere only output counts. Sampled once a second, only while the server starts.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { readAllStats } from './kill-tree.ts';

/** How often the process group's CPU time is sampled. */
export const SAMPLE_MS = 1000;
/** CPU time per sample that counts as busy (an idle server with a timer uses far less). */
const BUSY_CPU_MS = 20;
/**
 * Bytes read or written per sample that count as busy: a download over a slow network uses little
 * CPU and prints nothing (npm is quiet while it fetches), but reads its socket all along.
 */
const BUSY_IO_BYTES = 4096;

export interface ActivityWatch {
  /** When the process last showed activity (performance.now()). */
  lastActive(): number;
  /** When it was started (performance.now()). */
  readonly startedAt: number;
  /** Output arrived. */
  note(): void;
  /** Stops sampling (the server answered, or it is gone). */
  stop(): void;
}

interface Sample {
  cpuMs: number;
  processes: number;
  /** Bytes read and written by the group so far (Linux: /proc/<pid>/io); undefined where unknown. */
  ioBytes?: number;
}

export function watchActivity(pgid: number, platform: NodeJS.Platform = process.platform): ActivityWatch {
  const startedAt = performance.now();
  let last = startedAt;
  let previous: Sample | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const sample = platform === 'linux' ? procSample : platform === 'win32' ? undefined : psSample;

  /** Whether the last sample used CPU: CPU counts once it is sustained (two samples in a row). */
  let wasBusy = false;

  const tick = async (): Promise<void> => {
    timer = undefined;
    const now = await sample!(pgid);
    if (stopped) return;
    if (now && previous) {
      // A runtime's start spilling into a second sample on a loaded machine is not an installer.
      const io = now.ioBytes !== undefined && previous.ioBytes !== undefined ? now.ioBytes - previous.ioBytes : 0;
      const busy = now.cpuMs - previous.cpuMs >= BUSY_CPU_MS || io >= BUSY_IO_BYTES;
      if ((busy && wasBusy) || now.processes !== previous.processes) last = performance.now();
      wasBusy = busy;
    }
    if (now) previous = now;
    timer = setTimeout(() => void tick(), SAMPLE_MS);
    timer.unref();
  };
  // The first sample is the baseline, a second in: a runtime's own start (node loading its modules)
  // is not activity, or every hung server would look busy at first.
  if (sample) {
    timer = setTimeout(() => void tick(), SAMPLE_MS);
    timer.unref();
  }

  return {
    startedAt,
    lastActive: () => last,
    note() {
      if (!stopped) last = performance.now();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

async function procSample(pgid: number): Promise<Sample | undefined> {
  const group = (await readAllStats()).filter((s) => s.pgrp === pgid && s.state !== 'Z');
  if (group.length === 0) return undefined;
  const ticks = group.reduce((sum, s) => sum + s.cpu, 0);
  const io = await Promise.all(group.map((s) => ioBytes(s.pid)));
  return {
    cpuMs: (ticks * 1000) / TICKS_PER_SECOND,
    processes: group.length,
    ioBytes: io.reduce((sum, bytes) => sum + bytes, 0),
  };
}

/** rchar + wchar of /proc/<pid>/io: every byte read or written, sockets included; 0 if it is gone. */
async function ioBytes(pid: number): Promise<number> {
  const [read] = await Promise.allSettled([readFile(`/proc/${pid}/io`, 'utf8')]);
  // A process that exited between the scan and this read did its reading already.
  if (read.status === 'rejected') return 0;
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(read.value)?.[1] ?? 0);
  return field('rchar') + field('wchar');
}

function psSample(pgid: number): Promise<Sample | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-o', 'pgid=', '-o', 'time='], { windowsHide: true }, (err, stdout) => {
      // No ps (or it failed): CPU cannot be read, output still counts.
      if (err) return resolve(undefined);
      let cpuMs = 0;
      let processes = 0;
      for (const line of stdout.split('\n')) {
        const [group, time] = line.trim().split(/\s+/);
        if (Number(group) !== pgid || time === undefined) continue;
        processes++;
        cpuMs += cpuTimeMs(time);
      }
      resolve(processes ? { cpuMs, processes } : undefined);
    });
  });
}

/** `[[dd-]hh:]mm:ss[.cc]` as printed by ps. */
export function cpuTimeMs(text: string): number {
  const [days, rest] = text.includes('-') ? text.split('-') : ['0', text];
  const parts = (rest ?? '').split(':').map(Number);
  let seconds = 0;
  for (const p of parts) seconds = seconds * 60 + (Number.isFinite(p) ? p : 0);
  return (Number(days) * 86_400 + seconds) * 1000;
}
