/**
 * The built main process (out/main/index.js, what electron-builder packs) starts: a Node process
 * loads the bundle with `electron` resolved to the in-process stand-in (the Electron runtime
 * cannot be downloaded here), and the real engine inside it starts a real server and shows it in
 * the tray. Catches what the source-level shell test cannot: a bundling or import mistake.
 * Needs `npm run build` first (`npm test` runs it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, ROOT, fixtureServer, tempDir, writeConfig } from '../../helpers/gateway.ts';

const run = promisify(execFile);
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'electron');

describe('the built main process', () => {
  let dir: { dir: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'out/main/index.js')))
      throw new Error('out/main/index.js is missing: run `npm run build` first');
    dir = await tempDir('sb-built-main-');
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it('starts the engine, its server and the tray from out/main/index.js, and quits cleanly', async () => {
    const config = await writeConfig(dir.dir, { listen: { http: false }, mcpServers: { fx: fixtureServer('fx') } });
    const { stdout } = await run(
      NODE,
      ['--import', path.join(FIXTURES, 'register.ts'), path.join(FIXTURES, 'run-built-main.ts'), 'out/main/index.js'],
      {
        cwd: ROOT,
        timeout: 40_000,
        env: {
          ...process.env,
          HOME: path.join(dir.dir, 'home'),
          XDG_CONFIG_HOME: path.join(dir.dir, 'home', '.config'),
          SWITCHBOARD_CONFIG: config,
          SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
          SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
          SB_USER_DATA: path.join(dir.dir, 'user-data'),
        },
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      status: '1 of 1 server ready',
      icon: path.join(ROOT, 'resources', 'tray', 'ok.png'),
      page: 'switchboard://app/index.html',
      preload: path.join(ROOT, 'out', 'preload', 'index.cjs'),
    });
    // The shim clients run was copied out of the build.
    expect(existsSync(path.join(dir.dir, 'user-data', 'shim', 'switchboard-shim.mjs'))).toBe(true);
  }, 60_000);
});
