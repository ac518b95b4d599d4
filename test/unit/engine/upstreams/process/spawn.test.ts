import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../../main/engine/protocol/errors.ts';
import { buildChildEnv } from '../../../../../main/engine/upstreams/process/env.ts';
import { killProcessTree } from '../../../../../main/engine/upstreams/process/kill-tree.ts';
import { spawnServer } from '../../../../../main/engine/upstreams/process/spawn.ts';

const posix = process.platform !== 'win32';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sb-spawn-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('spawn_failed');
  return err as GatewayError;
}

describe.skipIf(!posix)('spawnServer', () => {
  it('starts a process as a group leader with the given env and cwd', async () => {
    process.env.SWITCHBOARD_TOKEN = 'must-not-leak';
    try {
      const env = buildChildEnv({ declared: { GREETING: 'hi' } });
      const child = await spawnServer({
        command: 'sh',
        args: ['-c', 'echo "$GREETING $SWITCHBOARD_TOKEN $(pwd)"; ps -o pgid= -p $$'],
        cwd: dir,
        env,
      });
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (s: string) => (out += s));
      await new Promise((r) => child.once('close', r));
      const [first, pgid] = out.split('\n');
      expect(first).toBe(`hi  ${dir}`);
      if (pgid?.trim()) expect(Number(pgid)).toBe(child.pid);
    } finally {
      delete process.env.SWITCHBOARD_TOKEN;
    }
  });

  it('finds the command on the child env PATH, not the gateway PATH', async () => {
    const tool = path.join(dir, 'only-here');
    await writeFile(tool, '#!/bin/sh\necho "$0 ok"\n');
    await chmod(tool, 0o755);
    const child = await spawnServer({ command: 'only-here', env: { PATH: `${dir}:/usr/bin:/bin` } });
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => (out += s));
    await new Promise((r) => child.once('close', r));
    expect(out.trim()).toMatch(/only-here ok$/);
  });

  it('reports a missing command with the PATH it searched', async () => {
    const err = await rejection(
      spawnServer({ command: 'npx-does-not-exist', args: [], env: { PATH: '/nowhere:/also/nowhere' } }),
    );
    expect(err.message).toBe('command "npx-does-not-exist" not found (PATH=/nowhere:/also/nowhere)');
  });

  it('says what installs a missing launcher (uvx without uv, npx without Node.js)', async () => {
    const uvx = await rejection(spawnServer({ command: 'uvx', args: ['mcp-server-fetch'], env: { PATH: '/nowhere' } }));
    expect(uvx.message).toBe(
      'command "uvx" not found: uvx comes with uv, which is not installed or not on this PATH; install uv ' +
        '(https://docs.astral.sh/uv/getting-started/installation/) and restart this server, or give the absolute ' +
        'path of uvx as the command (PATH=/nowhere)',
    );
    const npx = await rejection(spawnServer({ command: 'npx', env: { PATH: '/nowhere' } }));
    expect(npx.message).toMatch(/^command "npx" not found: npx comes with Node\.js, .*install Node\.js \(https:/);
    const docker = await rejection(spawnServer({ command: 'docker', env: { PATH: '/nowhere' } }));
    expect(docker.message).toMatch(/^command "docker" not found: Docker, which is not installed/);
  });

  it('reports a missing absolute command', async () => {
    const missing = path.join(dir, 'gone');
    const err = await rejection(spawnServer({ command: missing, env: {} }));
    expect(err.message).toBe(`command "${missing}" not found (${missing})`);
  });

  it('reports a command that is not executable', async () => {
    const file = path.join(dir, 'not-exec');
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o644);
    const err = await rejection(spawnServer({ command: file, env: {} }));
    expect(err.message).toBe(`command "${file}" is not executable (${file})`);
  });

  it('refuses a relative command without cwd (found from wherever the gateway started), runs it with one', async () => {
    const relative = await rejection(spawnServer({ command: './bin/server', env: buildChildEnv() }));
    expect(relative.message).toBe(
      'command "./bin/server" is a relative path: give the absolute path, or "cwd" to find it from',
    );
    const home = await rejection(spawnServer({ command: '~/bin/server', env: buildChildEnv() }));
    expect(home.message).toMatch(
      /^command "~\/bin\/server" is a relative path \("~" is not expanded: there is no shell\)/,
    );
    await mkdir(path.join(dir, 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'bin', 'server'), '#!/bin/sh\necho from-cwd\n');
    await chmod(path.join(dir, 'bin', 'server'), 0o755);
    const child = await spawnServer({ command: './bin/server', cwd: dir, env: buildChildEnv() });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => child.once('close', r));
    expect(out.trim()).toBe('from-cwd');
  });

  it('says a command that holds its arguments (a README line pasted whole) needs them in args', async () => {
    const npx = await rejection(
      spawnServer({ command: 'npx -y @modelcontextprotocol/server-memory', env: buildChildEnv() }),
    );
    expect(npx.message).toBe(
      'command "npx -y @modelcontextprotocol/server-memory" holds its arguments too, and no shell splits them ' +
        'here: write "command": "npx", "args": ["-y","@modelcontextprotocol/server-memory"]',
    );
    const uvx = await rejection(spawnServer({ command: 'uvx mcp-server-fetch', args: ['--x'], env: buildChildEnv() }));
    expect(uvx.message).toMatch(/write "command": "uvx", "args": \["mcp-server-fetch","--x"\]$/);
    const quoted = await rejection(spawnServer({ command: 'node "/my dir/s.js"', env: buildChildEnv() }));
    expect(quoted.message).toMatch(/: "command" is the program alone, and each of its arguments an item of "args"$/);
    // A program whose path has a space runs as before.
    await mkdir(path.join(dir, 'my tools'), { recursive: true });
    const spaced = path.join(dir, 'my tools', 'server');
    await writeFile(spaced, '#!/bin/sh\necho spaced\n');
    await chmod(spaced, 0o755);
    const child = await spawnServer({ command: spaced, env: buildChildEnv() });
    await new Promise((r) => child.once('close', r));
    expect(child.exitCode).toBe(0);
  });

  it('reports a missing working directory', async () => {
    const cwd = path.join(dir, 'no', 'such', 'dir');
    const err = await rejection(spawnServer({ command: 'sh', args: ['-c', 'true'], cwd, env: buildChildEnv() }));
    expect(err.message).toBe(`working directory "${cwd}" does not exist`);
  });

  it('reports a working directory that is a file', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, '');
    const err = await rejection(spawnServer({ command: 'sh', cwd: file, env: buildChildEnv() }));
    expect(err.message).toBe(`working directory "${file}" is not a directory`);
  });

  it('returns a child killProcessTree can stop', async () => {
    const child = await spawnServer({ command: 'sleep', args: ['300'], env: buildChildEnv() });
    await killProcessTree(child, { graceMs: 500, eofGraceMs: 20 });
    expect(child.signalCode).toBe('SIGTERM');
  });
});
