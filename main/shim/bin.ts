/**
 * Standalone entry: `node main/shim/bin.ts [shim] [--profile NAME]` (same as `switchboard shim`).
 * Built into out/shim/index.mjs, which the installed app's client entries run; they keep the
 * `shim` word so an entry reads the same whichever way it starts the shim.
 */
import type { Writable } from 'node:stream';
import { main } from './index.ts';

/** How long answers still on their way to a client slow to read them may take to go out. */
const WRITE_OUT_MS = 30_000;

/** Resolves once what was written to `out` has gone out, it broke, or `ms` passed. */
function writtenOut(out: Writable, ms: number): Promise<void> {
  if (out.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms).unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    out.once('drain', done).once('error', done).once('close', done);
  });
}

const argv = process.argv.slice(2);
const code = await main(argv[0] === 'shim' ? argv.slice(1) : argv);
process.exitCode = code;
// A script reading the shim's output slowly gets it all: the exit below would cut it off.
await writtenOut(process.stdout, WRITE_OUT_MS);
// Normally the event loop is empty by now; don't let a stuck handle keep a dead shim around.
setTimeout(() => process.exit(code), 2000).unref();
