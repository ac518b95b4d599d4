/**
 * The command the installed app writes into AI clients' configs: the app's own executable run as
 * Node (ELECTRON_RUN_AS_NODE=1, as editors do for their CLIs) on the standalone shim, so a client
 * needs no system Node. Both paths must survive updates: the executable is the installed program
 * (the .AppImage file, not its temporary mount), and the shim is copied out of the app to the
 * user's data folder at every start, so an update that moves or changes the app's files never
 * leaves a client pointing at a file that is gone.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shimCommand, type ShimCommand } from '../engine/index.ts';
import { launchExecutable } from './login/autostart.ts';

export const SHIM_FILE_NAME = 'switchboard-shim.mjs';

export interface AppRuntime {
  execPath: string;
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
}

/** A file packed into app.asar as unpacked (electron-builder's asarUnpack) lives beside it. */
export function unpackedPath(file: string): string {
  const sep = file.includes('\\') ? '\\' : '/';
  return file.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
}

/**
 * Why the app's executable will be gone soon, on macOS: a copy the system runs an app from until
 * it is moved (App Translocation), or an app opened straight from its disk image (gone when the
 * image is ejected). A client entry naming it would stop working; undefined when neither.
 */
export function transientLocation(execPath: string, platform: NodeJS.Platform): string | undefined {
  if (platform !== 'darwin') return undefined;
  if (execPath.includes('/AppTranslocation/')) return 'a temporary copy macOS runs it from until it is moved';
  // An app at the top of a mounted volume is an opened disk image (an app on another drive sits deeper).
  if (/^\/Volumes\/[^/]+\/[^/]+\.app\//.test(execPath)) return 'its disk image';
  return undefined;
}

/** The entry for `profile`: `<app> <shim file> shim --profile P` with ELECTRON_RUN_AS_NODE=1. */
export function appShimCommand(runtime: AppRuntime, shimFile: string, profile: string): ShimCommand {
  const transient = transientLocation(runtime.execPath, runtime.platform);
  if (transient)
    throw new Error(
      `Switchboard runs from ${transient}, which a client could not start once it is gone: move ` +
        'Switchboard to Applications, open it from there, then install into clients',
    );
  return shimCommand({
    executable: launchExecutable(runtime),
    script: shimFile,
    profile,
    env: { ELECTRON_RUN_AS_NODE: '1' },
    platform: runtime.platform,
  }).shim;
}

/**
 * Copies the built shim to `<dir>/switchboard-shim.mjs` when it is missing or differs (written to
 * a temporary name and renamed, so a client starting it meanwhile reads the old or the new file,
 * never half of one). Returns the copy's path.
 */
export async function installShimFile(source: string, dir: string): Promise<string> {
  const target = path.join(dir, SHIM_FILE_NAME);
  const wanted = await readFile(source);
  const current = await readFile(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (current !== null && current.equals(wanted)) return target;
  await mkdir(dir, { recursive: true });
  const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, wanted, { mode: 0o644 });
    await rename(temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
  return target;
}
