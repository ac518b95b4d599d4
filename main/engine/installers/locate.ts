/**
 * The one answer to "which file does this client read, and is it installed": paths.ts describes
 * the candidates, this settles them against the disk. Install, verify, detect and the watcher all
 * come through here, so they always agree on the file.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { clientLocations, type ClientPaths } from './paths.ts';
import type { ClientId, PathContext } from './types.ts';

/** The disk as the resolver sees it; tests swap it to lay out Windows trees on any machine. */
export interface DiskProbe {
  exists(file: string): Promise<boolean>;
  /** Names of the sub-folders of `dir` ([] when it cannot be listed). */
  folders(dir: string): Promise<string[]>;
  /** The file's text, or undefined when it cannot be read. */
  read(file: string): Promise<string | undefined>;
}

const missing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

export const disk: DiskProbe = {
  exists: (file) =>
    lstat(file).then(
      () => true,
      () => false,
    ),
  async folders(dir) {
    try {
      return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (err) {
      // An unreadable folder tells us as little as an absent one: fall back to the other candidates.
      if (missing(err) || (err as NodeJS.ErrnoException).code === 'EACCES') return [];
      throw err;
    }
  },
  async read(file) {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      // An unreadable pointer points nowhere; one bad file must not hide every client.
      if (missing(err) || ['EACCES', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw err;
    }
  },
};

export interface ClientFiles {
  /** The file the client reads (created there when missing). */
  config: string;
  /** Markers with `*` folders expanded to those that exist. */
  markers: string[];
}

/** `folder` itself, or for a last segment `Name_*` the existing folders whose names start with `Name_`. */
async function expand(folder: string, p: path.PlatformPath, probe: DiskProbe): Promise<string[]> {
  const last = p.basename(folder);
  if (!last.endsWith('*')) return [folder];
  const prefix = last.slice(0, -1);
  const names = (await probe.folders(p.dirname(folder))).filter((n) => n.startsWith(prefix)).sort();
  return names.map((n) => p.join(p.dirname(folder), n));
}

/** The folder named in the pointer file, when there is one holding an absolute path. */
async function pointedHome(where: ClientPaths, p: path.PlatformPath, probe: DiskProbe): Promise<string | undefined> {
  if (!where.pointer) return undefined;
  const home = (await probe.read(where.pointer.at))?.trim();
  return home && p.isAbsolute(home) ? home : undefined;
}

/** The first preferred file whose folder exists, else the first config file that exists, else the first. */
async function chooseConfig(where: ClientPaths, p: path.PlatformPath, probe: DiskProbe): Promise<string> {
  for (const { folder, file } of where.prefer) {
    for (const match of await expand(folder, p, probe))
      if (await probe.exists(match)) return match + file.slice(folder.length);
  }
  for (const candidate of where.config) if (await probe.exists(candidate)) return candidate;
  return where.config[0]!;
}

/** The file `id` reads on this machine, and the markers that say it is installed. */
export async function locateClient(id: ClientId, ctx: PathContext, probe: DiskProbe = disk): Promise<ClientFiles> {
  const where = clientLocations(id, ctx);
  const p = ctx.platform === 'win32' ? path.win32 : path.posix;
  const markers = (await Promise.all(where.markers.map((m) => expand(m, p, probe)))).flat();
  const home = await pointedHome(where, p, probe);
  if (home && where.pointer) return { config: p.join(home, where.pointer.file), markers: [...markers, home] };
  return { config: await chooseConfig(where, p, probe), markers };
}
