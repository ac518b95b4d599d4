/**
 * A config edited by hand while `switchboard serve` runs (a service), saved with a mistake: the
 * gateway keeps its running config, and `switchboard status` says the file on disk is not what runs.
 */
import { execFile, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, NODE, cliRun, fixtureServer, tempDir, waitFor } from '../../helpers/gateway.ts';

const run = promisify(execFile);

describe('serve: an edit it refused', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('status names the file, the line and what is wrong, until the file is fixed', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const file = path.join(dir.dir, 'config.json');
    await writeFile(file, JSON.stringify({ mcpServers: {} }));
    const env = {
      ...process.env,
      SWITCHBOARD_CONFIG: file,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      NO_COLOR: '1',
    };
    const child = spawn(NODE, [CLI, 'serve', '--port', '0', '--no-socket'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes('ready ('), 20_000, `serve to be ready (stderr: ${stderr})`);
    const status = async () => (await run(NODE, [CLI, 'status'], { env })).stdout;
    const statusJson = async () =>
      JSON.parse((await run(NODE, [CLI, 'status', '--json'], { env })).stdout) as { configError?: string };

    await writeFile(file, '{\n  "mcpServers": {\n    "notes": { "command": 42 }\n  }\n}\n');
    await waitFor(() => stderr.includes('config not applied'), 20_000, `the refusal in the log (stderr: ${stderr})`);
    const said = await waitFor(async () => (await status()).includes('not applied') && status(), 10_000, 'status');
    expect(said).toContain(`${file}:3:`);
    expect(said).toContain('mcpServers.notes.command');
    expect(said).toContain('the gateway runs on with the config it had');
    expect((await statusJson()).configError).toContain(`${file}:3:`);
    // Doctor reports the error and goes on with the checks that need no config: it said nothing of the gateway.
    const doctor = await cliRun(env, 'doctor');
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`✗ ${file}:3:`);
    expect(doctor.stdout).toContain('\nListeners\n');
    expect(doctor.stdout).toContain('\nClients\n');
    expect(doctor.stdout).toMatch(/\nGateway\n {2}✓ running: pid \d+/);
    expect(doctor.stdout).toContain(
      'the running gateway does not apply the file as saved: it runs on with the config it had',
    );

    await writeFile(file, JSON.stringify({ mcpServers: {} }, null, 2));
    await waitFor(async () => !(await status()).includes('not applied'), 20_000, 'status without the refusal');
    expect((await statusJson()).configError).toBeUndefined();
  });

  it('a deleted file is said to be gone, with what keeps running, not as a read error', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const file = path.join(dir.dir, 'config.json');
    await writeFile(file, JSON.stringify({ mcpServers: { notes: fixtureServer('notes') } }));
    const env = {
      ...process.env,
      SWITCHBOARD_CONFIG: file,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      NO_COLOR: '1',
    };
    const child = spawn(NODE, [CLI, 'serve', '--port', '0', '--no-socket'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes('ready ('), 20_000, `serve to be ready (stderr: ${stderr})`);
    const before = stderr.length;

    await rm(file);
    await waitFor(() => stderr.slice(before).includes(file), 20_000, `the deletion in the log (stderr: ${stderr})`);
    await new Promise((r) => setTimeout(r, 200));
    const said = stderr.slice(before);
    expect(said).not.toContain('ENOENT');
    expect(said).not.toContain('save the file again');
    expect(said).toContain(`${file} is gone (deleted or moved)`);
    expect(said).toContain('keeps running on the config it had (server notes)');
    expect(said.split(file)).toHaveLength(2);

    const status = await cliRun(env, 'status');
    expect(status.stdout).not.toContain('ENOENT');
    expect(status.stdout).toContain('The config file is gone: the gateway runs on with the config it had.');
    const doctor = await cliRun(env, 'doctor', '--config', path.join(dir.dir, 'typo.json'));
    expect(doctor.stdout).not.toContain('ENOENT');
    expect(doctor.stdout).toContain(`no config file at ${path.join(dir.dir, 'typo.json')}`);
  });
});
