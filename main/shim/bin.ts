/** Standalone entry: `node main/shim/bin.ts [--profile NAME]` (same as `switchboard shim`). */
import { main } from './index.ts';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Normally the event loop is empty by now; don't let a stuck handle keep a dead shim around.
setTimeout(() => process.exit(code), 2000).unref();
