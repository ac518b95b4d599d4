/**
 * Standalone entry: `node main/shim/bin.ts [shim] [--profile NAME]` (same as `switchboard shim`).
 * Built into out/shim/index.mjs, which the installed app's client entries run; they keep the
 * `shim` word so an entry reads the same whichever way it starts the shim.
 */
import { main } from './index.ts';

const argv = process.argv.slice(2);
const code = await main(argv[0] === 'shim' ? argv.slice(1) : argv);
process.exitCode = code;
// Normally the event loop is empty by now; don't let a stuck handle keep a dead shim around.
setTimeout(() => process.exit(code), 2000).unref();
