#!/usr/bin/env node
// Launcher for `switchboard`: plain JavaScript so any Node can parse it. The CLI is TypeScript
// run by Node's type stripping (Node >= 22.18); on an older Node this re-executes the CLI with the
// Node 24 the project installs (the `node` npm package), forwarding argv, stdio, signals and the
// exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'main', 'cli.ts');

function canStripTypes() {
  const feature = process.features && process.features.typescript;
  // 'strip' | 'transform' when on, false when off (e.g. --no-experimental-strip-types).
  if (feature !== undefined) return Boolean(feature);
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18);
}

/** The project's own Node: in our node_modules, or beside us when we are installed as a dependency. */
function bundledNode() {
  const exe = process.platform === 'win32' ? 'node.exe' : 'node';
  const candidates = [
    join(root, 'node_modules', 'node', 'bin', exe),
    join(root, 'node_modules', '.bin', exe),
    join(root, '..', 'node', 'bin', exe),
    join(root, '..', '.bin', exe),
  ];
  return candidates.find((p) => existsSync(p));
}

/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(1);
}

if (canStripTypes()) {
  try {
    await import(pathToFileURL(cli).href);
  } catch (err) {
    if (err && err.code === 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') {
      fail(
        `Node does not run TypeScript from inside node_modules (${cli}). Run Switchboard from a checkout, or ` +
          `a packaged build.`,
      );
    }
    throw err;
  }
} else {
  const node = bundledNode();
  if (node === undefined) {
    fail(
      `this Node (${process.version}) cannot run TypeScript, and the bundled Node 24 was not found ` +
        (`(looked in ${join(root, 'node_modules', 'node', 'bin')}). ` +
          `Install Node >= 22.18, or run \`npm ci\` in ${root}.`),
    );
  }
  // Fd 3 is a pipe the child watches (main/cli/launcher-pipe.ts): it closes when we end, also by
  // SIGKILL, which cannot be passed on, and the child then stops instead of running on as an orphan.
  const child = spawn(node, [cli, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, SWITCHBOARD_LAUNCHER_FD: '3' },
  });
  const forwarded = new Set();
  // Without a terminal, SIGHUP is a request (a service manager's reload, kill -HUP) that only we get:
  // each one is passed on. In a terminal it is the terminal closing, which reaches the child as well.
  const inTerminal = [process.stdin, process.stdout, process.stderr].some((s) => s.isTTY);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      // A terminal's Ctrl+C reaches the child too; forward each signal once so it is not doubled.
      if (forwarded.has(signal) && (signal !== 'SIGHUP' || inTerminal)) return;
      forwarded.add(signal);
      child.kill(signal);
    });
  }
  child.on('error', (err) => fail(`could not start ${node}: ${err.message}`));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
}
