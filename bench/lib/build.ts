/**
 * The benchmark's own processes (echo servers, floors, the peers' loopback preload) run as plain
 * JavaScript: loading a .ts file makes Node load its type stripper, which costs ~17 MB of RSS and
 * start-up time that a floor must not carry. Their sources stay TypeScript; this strips them into
 * the run's scratch directory (outside the repo, so lint never sees them), next to a
 * `node_modules` link so bare imports still resolve.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';

const FILES = [
  'servers/echo-core.ts',
  'servers/stdio-serve.ts',
  'servers/stdio-echo.ts',
  'servers/many-tools-echo.ts',
  'servers/http-echo.ts',
  'servers/handler-core.ts',
  'servers/handler-http.ts',
  'servers/handler-fastcgi.ts',
  'bridges/byte-pipe.ts',
  'bridges/lean-http-bridge.ts',
  'bridges/lean-stdio-http-bridge.ts',
  'peers/loopback-only.ts',
  'lib/blob.ts',
  'lib/lines.ts',
];

/** Relative specifiers ending in .ts (static and dynamic imports, new URL(...)) now end in .js. */
const RELATIVE_TS = /(['"])(\.{1,2}\/[^'"\n]*?)\.ts\1/g;

function strip(source: string, to: string): void {
  const code = stripTypeScriptTypes(readFileSync(source, 'utf8'), { mode: 'strip' }).replace(RELATIVE_TS, '$1$2.js$1');
  mkdirSync(path.dirname(to), { recursive: true });
  writeFileSync(to, code);
}

function quietly<T>(f: () => T): T {
  const emit = process.emitWarning;
  // stripTypeScriptTypes is experimental in Node 24 and says so on every call.
  process.emitWarning = () => undefined;
  try {
    return f();
  } finally {
    process.emitWarning = emit;
  }
}

/** Strips the files into `out` and returns it: `<out>/<same path>.js` for each. */
export function buildJs(root: string, out: string): string {
  const benchDir = path.join(root, 'bench');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module", "private": true }\n');
  symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'), 'dir');
  quietly(() => {
    for (const rel of FILES) strip(path.join(benchDir, rel), path.join(out, rel.replace(/\.ts$/, '.js')));
  });
  return out;
}
