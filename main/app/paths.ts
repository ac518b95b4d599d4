/**
 * Where the desktop app finds its parts, relative to the app root (the repo in development,
 * app.asar when packaged). The preload and renderer are build outputs: a sandboxed preload must
 * be a CommonJS bundle, and the renderer is a Vite build.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppPaths {
  root: string;
  /** Bundled preload/index.ts. */
  preload: string;
  /** Built renderer (index.html and assets). */
  renderer: string;
  /** Icons and tray templates (resources/README.md). */
  resources: string;
}

export function appPaths(root: string = fileURLToPath(new URL('../../', import.meta.url))): AppPaths {
  return {
    root,
    preload: join(root, 'out', 'preload', 'index.cjs'),
    renderer: join(root, 'renderer', 'dist'),
    resources: join(root, 'resources'),
  };
}
