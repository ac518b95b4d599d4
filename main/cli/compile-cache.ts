/**
 * Node's compile cache for the modules `switchboard` loads: a later start reads their compiled code
 * instead of compiling the engine again (docs/benchmarks.md, start-up). Only a cache: when it cannot
 * be had (an older Node, a read-only home), everything runs as before, just slower to start.
 */
import { mkdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { compileCacheDir } from '../shared/paths.ts';

/** Turns the cache on for the modules loaded from now on. NODE_COMPILE_CACHE, when set, chooses its place. */
export function useCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  // Node < 22.8 has none; NODE_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE: Node has done as they say.
  if (typeof module.enableCompileCache !== 'function' || env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE)
    return;
  try {
    const dir = compileCacheDir(env);
    // Private: compiled code another user could write would run as this one.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ownPrivate(dir)) return;
    module.enableCompileCache(dir);
  } catch {
    // Uncached is only slower.
  }
}

/**
 * Whether only this user can write in `dir`: it may have been there before (made by root with the
 * user's HOME under sudo, or opened up by hand). Windows: the profile's own folder, private by default.
 */
function ownPrivate(dir: string): boolean {
  if (process.getuid === undefined) return true;
  const info = statSync(dir);
  return info.uid === process.getuid() && (info.mode & 0o022) === 0;
}

/**
 * Writes what was compiled so far, which Node otherwise does only at exit: a gateway that runs for
 * days, and ends killed, would compile everything again at every start.
 */
export function saveCompileCache(): void {
  module.flushCompileCache?.();
}
