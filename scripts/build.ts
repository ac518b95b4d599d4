/**
 * `npm run build` after the renderer's Vite build: bundles what runs outside the renderer with
 * esbuild, so nothing needs a TypeScript loader at run time.
 *
 *   out/main/index.js       the Electron main process (ESM; npm packages but zod and electron stay
 *                           external, electron-builder packs the production dependencies beside it)
 *   out/main/cli.js         `switchboard` for the packaged app's own runtime (same externals)
 *   out/main/keychain-worker.js  the keychain's own process (main/engine/secrets/keychain-process.ts)
 *   out/main/*-HASH.js      what those share, and what the CLI loads only when a command needs it
 *                           (split, beside the entries, so paths taken from import.meta.url hold)
 *   out/preload/index.cjs   the sandboxed preload: one CommonJS file, only `electron` external
 *                           (a sandboxed preload cannot require anything else)
 *   out/shim/index.mjs      the shim as one standalone file: Node built-ins only, runs under any
 *                           Node >= 20 or the app's runtime with ELECTRON_RUN_AS_NODE=1
 *
 * `--watch` rebuilds on change.
 */
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};
const watch = process.argv.includes('--watch');

/** Electron 45 runs Node 24; the shim also runs under whatever Node a user has (>= 20). */
const common: esbuild.BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
};

const builds: esbuild.BuildOptions[] = [
  {
    ...common,
    // The keychain's process runs its own file, found beside index.js and cli.js (keychain-process.ts).
    entryPoints: {
      index: 'main/index.ts',
      cli: 'main/cli.ts',
      'keychain-worker': 'main/engine/secrets/keychain-worker.ts',
    },
    outdir: 'out/main',
    format: 'esm',
    splitting: true,
    chunkNames: '[name]-[hash]',
    target: 'node24',
    // npm packages stay external (electron-builder packs them), but zod: bundled, only what the
    // schemas use is loaded, not its 95 files with every locale (10 MB less RSS; docs/benchmarks.md).
    external: ['electron', ...Object.keys(manifest.dependencies).filter((name) => name !== 'zod')],
  },
  {
    ...common,
    entryPoints: { index: 'preload/index.ts' },
    outdir: 'out/preload',
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    target: 'node24',
    external: ['electron'],
  },
  {
    ...common,
    entryPoints: { index: 'main/shim/bin.ts' },
    outdir: 'out/shim',
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    target: 'node20',
    // The shim imports Node built-ins and main/shared only (test/unit/boundaries.test.ts), so this
    // one file is all a client's runtime needs.
    sourcemap: false,
  },
];

rmSync(new URL('../out', import.meta.url), { recursive: true, force: true });
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  process.stderr.write('build: watching main/, preload/ and main/shim/ for changes\n');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
