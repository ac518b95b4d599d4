/**
 * `switchboard serve` run as a service, its listener edited in the config file while it runs: the
 * log (what a service manager keeps) says where the HTTP listener is now, as its ready line did.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, NODE, tempDir, waitFor } from '../../helpers/gateway.ts';
import { restartablePort } from '../../helpers/ports.ts';

describe('serve: listen.http edited while it runs', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('logs where the HTTP listener now is, and that it was closed', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const file = path.join(dir.dir, 'config.json');
    const [before, after] = [await restartablePort(), await restartablePort()];
    const listen = (http: unknown) => writeFile(file, JSON.stringify({ mcpServers: {}, listen: { http } }));
    await listen({ port: before });
    const child = spawn(NODE, [CLI, 'serve', '--config', file, '--no-socket'], {
      env: {
        ...process.env,
        SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
        SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes('ready ('), 20_000, `serve to be ready (stderr: ${stderr})`);
    expect(stderr).toContain(`HTTP http://127.0.0.1:${before}/mcp`);

    // It said only "config reloaded: no server changed", and the ready line's address was the last word.
    await listen({ port: after });
    const moved = `HTTP listener reopened with its new settings: http://127.0.0.1:${after}/mcp`;
    await waitFor(() => stderr.includes(moved), 20_000, `the log to name the new address (stderr: ${stderr})`);
    expect((await fetch(`http://127.0.0.1:${after}/ui/`)).status).toBe(200);

    await listen(false);
    await waitFor(
      () => stderr.includes('HTTP listener closed (listen.http is false)'),
      20_000,
      `the log to say it closed (stderr: ${stderr})`,
    );
  });
});
