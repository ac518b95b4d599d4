/**
 * "Stopped on purpose": the file `stopped` in the runtime directory, written by `switchboard stop`
 * and by Quit in the app's tray menu, and removed by the next gateway that starts. A client's shim
 * that finds no gateway starts one, unless this file is there: a gateway the user stopped stays
 * stopped until the user starts Switchboard again, instead of coming back within seconds because
 * some client was still open. A gateway that crashed or was ended by the system leaves no marker.
 * Node built-ins only (the shim reads it).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface StoppedMarker {
  /** ISO time it was stopped ('' when the file could not be read). */
  at: string;
  /** What stopped it, in words: `switchboard stop`, Quit in the app. */
  by: string;
}

/** Records that the gateway is being stopped on purpose, creating the private runtime directory if needed. */
export async function markStopped(file: string, by: string, now: Date = new Date()): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await fs.mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const marker: StoppedMarker = { at: now.toISOString(), by };
  await fs.writeFile(file, `${JSON.stringify(marker)}\n`, { mode: 0o600 });
}

/** The marker, or undefined when the gateway was not stopped on purpose (an unreadable one still counts). */
export async function readStopped(file: string): Promise<StoppedMarker | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { at: '', by: 'an unknown command' };
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoppedMarker>;
    return {
      at: typeof parsed.at === 'string' ? parsed.at : '',
      by: typeof parsed.by === 'string' && parsed.by !== '' ? parsed.by.slice(0, 200) : 'an unknown command',
    };
  } catch {
    return { at: '', by: 'an unknown command' };
  }
}

/** A gateway is starting: shims may start one again after it stops on its own. */
export async function clearStopped(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}

/** "`switchboard stop` at 14:02" — the marker in words, for a client's error message. */
export function describeStopped(marker: StoppedMarker): string {
  const at = new Date(marker.at);
  if (marker.at === '' || Number.isNaN(at.getTime())) return marker.by;
  const sameDay = at.toDateString() === new Date().toDateString();
  const time = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return `${marker.by} at ${sameDay ? time : `${at.toLocaleDateString()} ${time}`}`;
}
