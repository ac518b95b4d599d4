/**
 * The packaging check: `electron-builder --linux --dir` on the built app, then what a user's
 * machine would get is inspected. The Electron runtime cannot be downloaded here, so the build
 * uses a stand-in Electron distribution (a directory with an `electron` script that only says what
 * it is); everything else — the archive, the unpacked files, the shim — is the real output.
 * Needs `npm run build` first (`npm test` runs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import * as asar from '@electron/asar';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, NODE, ROOT, fixtureServer, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { runtimePaths } from '../../../main/shared/paths.ts';
import { probeSocket } from '../../../main/engine/index.ts';

const run = promisify(execFile);

/** The first `node` on PATH outside this project: the shim must not need the project's Node 24. */
function plainNode(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'node');
    if (!dir.includes('node_modules') && existsSync(candidate)) return candidate;
  }
  return NODE;
}

/** name@version of every package the lockfile says production code needs (not marked dev-only). */
function productionPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean }>;
  };
  const production = new Set<string>();
  for (const [key, meta] of Object.entries(lock.packages)) {
    const name = key.split('node_modules/').at(-1);
    if (key !== '' && meta.dev !== true && name !== undefined) production.add(`${name}@${meta.version}`);
  }
  return production;
}

describe('the packaged Linux app (electron-builder --linux --dir)', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let appDir: string;
  let archive: string;
  let files: string[];
  const gateways: ChildProcess[] = [];

  beforeAll(async () => {
    const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/shim/index.mjs', 'renderer/dist/index.html'];
    for (const built of outputs)
      if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
    dir = await tempDir('sb-package-');
    const standIn = path.join(dir.dir, 'electron-stand-in');
    await mkdir(standIn);
    await writeFile(
      path.join(standIn, 'electron'),
      '#!/bin/sh\necho "stand-in for the Electron runtime (it cannot be downloaded here)" >&2\nexit 1\n',
    );
    await chmod(path.join(standIn, 'electron'), 0o755);
    const output = path.join(dir.dir, 'installers');
    await run(
      NODE,
      [
        path.join(ROOT, 'node_modules/electron-builder/cli.js'),
        '--linux',
        '--dir',
        '--publish',
        'never',
        `-c.electronDist=${standIn}`,
        `-c.directories.output=${output}`,
      ],
      { cwd: ROOT, env: { ...process.env, CI: 'true' }, maxBuffer: 16 * 1024 * 1024 },
    );
    appDir = path.join(output, 'linux-unpacked');
    archive = path.join(appDir, 'resources', 'app.asar');
    files = asar.listPackage(archive, { isPack: false }).map((f) => f.split(path.sep).join('/'));
  }, 180_000);

  afterAll(async () => {
    for (const gateway of gateways) gateway.kill('SIGKILL');
    await dir?.cleanup();
  });

  it('finds every icon and entitlements file electron-builder.yml names, for every platform', () => {
    const config = parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    const named = [
      config.mac!.icon,
      config.mac!.entitlements,
      config.mac!.entitlementsInherit,
      config.win!.icon,
      config.linux!.icon,
    ] as string[];
    expect(named.filter((file) => !existsSync(path.join(ROOT, file)))).toEqual([]);
    expect(readFileSync(path.join(ROOT, 'resources/entitlements.mac.plist'), 'utf8')).toContain(
      'com.apple.security.cs.allow-jit',
    );
  });

  it('holds the built main, preload and renderer, and names out/main/index.js and the product name', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '/out/main/index.js',
        '/out/main/keychain-worker.js',
        '/out/preload/index.cjs',
        '/out/shim/index.mjs',
        '/renderer/dist/index.html',
        '/package.json',
      ]),
    );
    const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString()) as Record<string, string>;
    expect(manifest.main).toBe('out/main/index.js');
    // Electron names the data folder after it: ~/.config/Switchboard, as docs/desktop.md says.
    expect(manifest.productName).toBe('Switchboard');
    expect(existsSync(path.join(appDir, 'switchboard'))).toBe(true);
  });

  it('holds no TypeScript sources, source maps, tests or icon sources', () => {
    const ours = files.filter((f) => !f.startsWith('/node_modules/'));
    expect(ours.filter((f) => /\.(ts|map)$/.test(f) || f.startsWith('/main/') || f.startsWith('/test/'))).toEqual([]);
    expect(ours.filter((f) => f.startsWith('/resources/src/') || f === '/resources/README.md')).toEqual([]);
  });

  it('holds production dependencies only', () => {
    const manifestFile = /^\/node_modules\/(?:.+\/node_modules\/)?(?:@[^/]+\/)?[^/@]+\/package\.json$/;
    const manifests = files.filter((f) => manifestFile.test(f));
    const packaged = manifests.map((f) => {
      const { name, version } = JSON.parse(asar.extractFile(archive, f.slice(1)).toString()) as Record<string, string>;
      return `${name}@${version}`;
    });
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const names = new Set(packaged.map((p) => p.slice(0, p.lastIndexOf('@'))));
    for (const dependency of Object.keys(manifest.dependencies)) expect(names).toContain(dependency);
    const production = productionPackages();
    expect(packaged.filter((p) => !production.has(p))).toEqual([]);
    for (const tool of ['electron', 'electron-builder', 'vite', 'vitest', 'svelte', 'typescript'])
      expect(names).not.toContain(tool);
  });

  it("keeps the keychain's native module and the shim outside the archive", () => {
    const natives = files.filter((f) => f.endsWith('.node'));
    expect(natives.some((f) => f.includes('@napi-rs/keyring'))).toBe(true);
    for (const native of natives) {
      const unpacked = path.join(`${archive}.unpacked`, native);
      expect(statSync(unpacked).size, native).toBeGreaterThan(0);
    }
    expect(statSync(path.join(`${archive}.unpacked`, 'out/shim/index.mjs')).size).toBeGreaterThan(0);
  });

  it('says what to do when no gateway runs, since the unpacked shim cannot start one under plain node', async () => {
    const shim = path.join(`${archive}.unpacked`, 'out/shim/index.mjs');
    // A client that sends nothing and goes away: the shim says why it could not connect, and ends.
    const child = spawn(plainNode(), [shim, 'shim', '--connect-timeout', '1500'], {
      env: { ...process.env, SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'nobody-here') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    expect(stderr).toContain('this copy of the shim cannot start one: start Switchboard');
    expect(stderr).not.toContain('starting one');
  });

  it('runs the unpacked shim under plain node, and it answers initialize through a running gateway', async () => {
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    };
    const gateway = spawn(NODE, [CLI, 'serve', '--no-http'], { env, stdio: 'ignore' });
    gateways.push(gateway);
    await waitFor(() => probeSocket(runtimePaths(env).socket), 15_000, 'the gateway socket');

    const transport = new StdioClientTransport({
      command: plainNode(),
      args: [path.join(`${archive}.unpacked`, 'out/shim/index.mjs'), 'shim', '--profile', 'default'],
      env,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'packaged-shim-check', version: '1' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()?.name).toBe('switchboard');
      const tools = await waitFor(async () => {
        const names = (await client.listTools()).tools.map((t) => t.name);
        return names.includes('fx__echo') ? names : undefined;
      }, 20_000);
      expect(tools).toContain('fx__echo');
    } finally {
      await client.close();
    }
  }, 60_000);
});
