/**
 * `npm start`: the desktop app where the Electron runtime is installed; otherwise the headless
 * gateway (`switchboard serve`), which serves the same UI to a browser. Extra arguments are
 * forwarded (`npm start -- --port 0`), stdio is inherited, SIGINT/SIGTERM are passed on, and the
 * child's exit code becomes ours.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from '../main/shared/node-flags.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The Electron executable if it is really installed, else null. Resolves the package and the path
 * it would export without loading it: electron/index.js tries to download the binary when it is
 * missing, and that cannot work here.
 */
function electronBinary(): string | null {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('electron'));
  } catch {
    return null;
  }
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override
    ? join(override, executable ?? 'electron')
    : executable
      ? join(packageDir, 'dist', executable)
      : null;
  return binary !== null && existsSync(binary) ? binary : null;
}

/** Runs the child to completion and exits like it. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const child = spawn(command, args, { stdio: 'inherit', env });
  const forwarded = new Set<NodeJS.Signals>();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // A terminal's Ctrl+C reaches the child as well; pass each signal on once, not twice per press.
      if (forwarded.has(signal)) return;
      forwarded.add(signal);
      child.kill(signal);
    });
  }
  child.on('error', (err) => {
    process.stderr.write(`switchboard: could not start ${command}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
}

const args = process.argv.slice(2);
const electron = electronBinary();

if (electron !== null) {
  // Build outputs the desktop app loads (main/app/paths.ts).
  const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/shim/index.mjs', 'renderer/dist/index.html'];
  for (const built of outputs.map((file) => join(root, file))) {
    if (!existsSync(built))
      process.stderr.write(`switchboard: ${relative(root, built)} is missing; run \`npm run build\` first\n`);
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  run(electron, [root, ...args], env);
} else {
  // The build `npm start` just made: no TypeScript loader in a long-running process (~30 MB of RSS).
  const cli = join(root, 'out', 'main', 'cli.js');
  if (!existsSync(cli)) {
    process.stderr.write(
      `switchboard: Electron is not installed here and ${relative(root, cli)} does not exist: run \`npm run build\`\n`,
    );
    process.exit(1);
  }
  // stderr, so that `npm start -- --stdio` keeps stdout clean for MCP.
  process.stderr.write(
    'switchboard: Electron is not installed here; starting the headless gateway (switchboard serve) instead\n',
  );
  run(process.execPath, [...GATEWAY_NODE_FLAGS, cli, 'serve', ...args]);
}
