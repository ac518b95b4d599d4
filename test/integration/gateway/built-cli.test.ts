/**
 * The built `switchboard` (out/main/cli.js, what `npm start` runs when Electron is not installed):
 * its code is split into files loaded as a command needs them, so what they find beside themselves
 * (the web UI) must still be found; and a second start reads the engine's compiled code from the
 * user's private cache instead of compiling it again.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../../../main/shared/node-flags.ts';
import { NODE, ROOT, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const BUILT = path.join(ROOT, 'out/main/cli.js');
let dir: Awaited<ReturnType<typeof tempDir>>;
let stops: (() => Promise<void>)[] = [];

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error('out/main/cli.js is missing: run `npm run build` first (npm test does)');
});

afterEach(async () => {
  for (const stop of stops) await stop();
  stops = [];
  await dir?.cleanup();
});

/** The files in the compile cache `dir`, if it exists. */
function cached(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

/** `serve` from the build, as npm start runs it, until it is ready: its MCP address and its output so far. */
async function serveBuilt(env: NodeJS.ProcessEnv): Promise<{ url: string; output: () => string }> {
  const config = await writeConfig(dir.dir, { mcpServers: {} });
  const child = spawn(NODE, [...GATEWAY_NODE_FLAGS, BUILT, 'serve', '--config', config, '--port', '0', '--no-socket'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stops.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const url = await waitFor(() => /HTTP (http:\/\/\S+\/mcp)/.exec(output)?.[1], 20_000, 'the built gateway to listen');
  await waitFor(() => /switchboard: web UI: /.test(output), 5_000, 'the web UI line');
  return { url, output: () => output };
}

describe('the built switchboard', () => {
  it('serves the web UI it finds beside it', async () => {
    dir = await tempDir();
    const home = path.join(dir.dir, 'home');
    await mkdir(home);
    const { url, output } = await serveBuilt({ HOME: home, SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run') });
    expect(output()).not.toContain('not built');
    const page = await fetch(url.replace(/\/mcp$/, '/ui/'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Switchboard</title>');
  });

  it('keeps the compiled engine in the user’s private cache, and a second start reads it from there', async () => {
    dir = await tempDir();
    const cacheHome = path.join(dir.dir, 'cache');
    const env = { HOME: path.join(dir.dir, 'home'), XDG_CACHE_HOME: cacheHome };
    await mkdir(env.HOME);
    const cache = path.join(cacheHome, 'switchboard', 'compile-cache');
    await serveBuilt({ ...env, SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run-1') });
    // Written once the gateway is ready, not only at its exit: one that runs until killed keeps it too.
    await waitFor(() => cached(cache).length > 0, 5_000, 'the compile cache to be written');
    // Compiled code someone else could write would run as this user.
    expect(statSync(cache).mode & 0o077).toBe(0);
    for (const stop of stops) await stop();
    stops = [];

    const second = await serveBuilt({
      ...env,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run-2'),
      NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
    });
    // Node's own account of it: the engine's code came from the cache.
    expect(second.output()).toMatch(/V8 code cache for ESM \S+\/out\/main\/\S+\.js was accepted/);
    expect(second.output()).toContain(cache);
  });

  it('uses no cache directory that others can write in, or that another user owns', async () => {
    dir = await tempDir();
    await mkdir(path.join(dir.dir, 'home'));
    const env = { HOME: path.join(dir.dir, 'home') };
    const opened = path.join(dir.dir, 'opened');
    await mkdir(path.join(opened, 'switchboard', 'compile-cache'), { recursive: true });
    await chmod(path.join(opened, 'switchboard', 'compile-cache'), 0o777);
    const cacheHomes = [opened];
    // Made by root with the user's HOME (sudo): as root here, the user's view of it is a stranger's.
    const strange = path.join(dir.dir, 'strange');
    await mkdir(path.join(strange, 'switchboard', 'compile-cache'), { recursive: true, mode: 0o700 });
    if (process.getuid?.() === 0) {
      await chown(path.join(strange, 'switchboard', 'compile-cache'), 65534, 65534);
      cacheHomes.push(strange);
    }
    for (const [i, cacheHome] of cacheHomes.entries()) {
      // Returns past the point where the cache is written (before the web UI's line).
      await serveBuilt({ ...env, XDG_CACHE_HOME: cacheHome, SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, `run-${i}`) });
      expect(cached(path.join(cacheHome, 'switchboard', 'compile-cache'))).toEqual([]);
    }
  });

  it('keeps it too for serve --stdio, the process a client spawns and may kill outright', async () => {
    dir = await tempDir();
    const cacheHome = path.join(dir.dir, 'cache');
    await mkdir(path.join(dir.dir, 'home'));
    const config = await writeConfig(dir.dir, { mcpServers: {} });
    const child = spawn(NODE, [BUILT, 'serve', '--stdio', '--config', config], {
      env: { PATH: process.env.PATH ?? '', HOME: path.join(dir.dir, 'home'), XDG_CACHE_HOME: cacheHome },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    stops.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const init = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } };
    child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: init }) + '\n');
    await waitFor(() => out.includes('"id":1'), 20_000, 'the answer to initialize');
    const cache = path.join(cacheHome, 'switchboard', 'compile-cache');
    await waitFor(() => cached(cache).length > 0, 5_000, 'the compile cache to be written before any exit');
  });
});
