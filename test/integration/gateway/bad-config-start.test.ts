/**
 * A config file that is broken when Switchboard starts must not leave a dead app: the gateway runs
 * with no servers, reports the error with its position (status, the config-error event, the log),
 * keeps watching the file, and applies it as soon as it is fixed.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import type { GatewayEventMap } from '../../../preload/contract/index.ts';
import { CLI, NODE, cliRun, fixtureServer, tempDir, waitFor } from '../../helpers/gateway.ts';

/** Line 3 has a server that is both a command and a URL. */
const BROKEN = '{\n  "mcpServers": {\n    "fx": { "command": "node", "url": "https://example.test/mcp" }\n  }\n}\n';

describe('a broken config at start', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('the gateway starts with no servers, reports the error, and applies the file once fixed', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const file = path.join(dir.dir, 'config.json');
    await writeFile(file, BROKEN);
    const gateway: Gateway = createGateway({
      configPath: file,
      secrets: createMemorySecretStore(),
      version: 'test',
      http: { port: 0 },
      socket: false,
      watch: true,
      keepRunningOnConfigError: true,
    });
    const problems: GatewayEventMap['config-error'][] = [];
    gateway.events.on('config-error', (p) => problems.push(p));
    cleanups.push(() => gateway.stop());
    await gateway.start();

    expect(problems).toHaveLength(1);
    expect(problems[0]!.issues).toEqual([expect.objectContaining({ file, line: 3, path: 'mcpServers.fx' })]);
    const status = await gateway.api.getStatus();
    expect(status.configError).toContain(`${file}:3:`);
    expect(status.runsWithoutConfig).toBe(true);
    expect(status.listen).toEqual([gateway.httpUrl()]);
    expect(await gateway.api.listServers()).toEqual([]);

    await writeFile(file, JSON.stringify({ mcpServers: { fx: fixtureServer('fx') } }));
    await waitFor(
      async () => (await gateway.api.listServers()).some((s) => s.name === 'fx' && s.state === 'ready'),
      15_000,
      'fx ready after the fix',
    );
    expect((await gateway.api.getStatus()).configError).toBeUndefined();
    // Broken again: this time the config it had keeps running.
    await writeFile(file, BROKEN);
    await waitFor(() => problems.length === 2, 15_000, 'the second error');
    const again = await gateway.api.getStatus();
    expect(again.configError).toContain(`${file}:3:`);
    expect(again.runsWithoutConfig).toBeUndefined();
  });

  it('`switchboard serve` stays up, says where the error is, and picks up the fix', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const file = path.join(dir.dir, 'config.json');
    await writeFile(file, BROKEN);
    const env = {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    };
    const child = spawn(NODE, [CLI, 'serve', '--config', file, '--port', '0', '--no-socket'], {
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
    expect(stderr).toContain('config not applied');
    expect(stderr).toContain(`${file}:3:`);
    expect(child.exitCode).toBeNull();
    const atStart = await cliRun(env, 'status');
    expect(atStart.stdout).toContain('it was already broken when the gateway started, so no server runs');
    expect(atStart.stdout).toContain(`${file}:3:`);

    await writeFile(file, JSON.stringify({ mcpServers: { fx: fixtureServer('fx') } }));
    await waitFor(
      () => stderr.includes('config reloaded (the error is fixed): started fx\n'),
      20_000,
      `the fixed config to be applied (stderr: ${stderr})`,
    );
    await waitFor(() => stderr.includes('server "fx" ready'), 20_000, 'fx ready');
    // Broken again and put back as it was: that the error is fixed, and that no server changed.
    await writeFile(file, '{ "mcpServers": ');
    await waitFor(() => stderr.split('config not applied').length === 3, 20_000, 'the second error');
    const later = await cliRun(env, 'status');
    expect(later.stdout).toContain('the gateway runs on with the config it had');
    await writeFile(file, JSON.stringify({ mcpServers: { fx: fixtureServer('fx') } }));
    await waitFor(
      () => stderr.includes('config reloaded (the error is fixed): no server changed\n'),
      20_000,
      `the config put back to be applied (stderr: ${stderr})`,
    );
  });
});
