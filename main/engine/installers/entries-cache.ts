/**
 * The server entries of client files read lately, kept by the file's identity on disk (device, inode,
 * size, modification and change times to the nanosecond). The Clients and Profiles screens, the tray
 * and `doctor` list every client again and again, and Claude Code's ~/.claude.json (its whole state,
 * 20 MB and more) takes a quarter of a second of the gateway's time to read each time. Only reads
 * use it; every change reads the file itself. A file changed in the last 2 seconds is read again
 * each time: some file systems keep coarser times, and two saves could share one.
 */
import { stat } from 'node:fs/promises';

const RECENT_MS = 2000;
const KEPT = 64;

const kept = new Map<string, { identity: string; entries: [string, unknown][] }>();

async function identityOf(target: string): Promise<string | undefined> {
  try {
    const info = await stat(target, { bigint: true });
    if (Date.now() - Number(info.mtimeMs) < RECENT_MS || Date.now() - Number(info.ctimeMs) < RECENT_MS)
      return undefined;
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  } catch {
    return undefined; // missing or unreadable: the read says so
  }
}

/**
 * The entries of `target` as `read` gives them for `client`, or as it gave them last when the file is
 * the same one (copies: a caller may change what it gets). `read` is called when the file changed, or
 * may have. Kept per client too: two clients' entries in one file are in places of their own.
 */
export async function entriesOf(
  client: string,
  target: string,
  read: () => Promise<[string, unknown][]>,
): Promise<[string, unknown][]> {
  const key = `${client}\u0000${target}`;
  // Taken before the read: a file replaced meanwhile is kept under the old identity, never matched again.
  const identity = await identityOf(target);
  const hit = kept.get(key);
  if (identity !== undefined && hit?.identity === identity) return structuredClone(hit.entries);
  const entries = await read();
  kept.delete(key);
  if (identity !== undefined) {
    kept.set(key, { identity, entries: structuredClone(entries) });
    if (kept.size > KEPT) kept.delete(kept.keys().next().value!);
  }
  return entries;
}
