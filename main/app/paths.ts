/**
 * Where the desktop app finds its parts, relative to the app root (the repo in development,
 * app.asar when packaged). All are build outputs (scripts/build.ts, the renderer's Vite build):
 * this file runs as out/main/index.js, two levels below the root.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackedPath } from './client-entry.ts';

export interface AppPaths {
  root: string;
  /** Bundled preload/index.ts. */
  preload: string;
  /** Built renderer (index.html and assets). */
  renderer: string;
  /** Icons and tray templates (resources/README.md). */
  resources: string;
  /** The standalone shim (scripts/build.ts), outside the archive when packaged. */
  shim: string;
}

export function appPaths(root: string = fileURLToPath(new URL('../../', import.meta.url))): AppPaths {
  return {
    root,
    preload: join(root, 'out', 'preload', 'index.cjs'),
    renderer: join(root, 'renderer', 'dist'),
    resources: join(root, 'resources'),
    shim: unpackedPath(join(root, 'out', 'shim', 'index.mjs')),
  };
}
