/**
 * `switchboard serve` ended by a signal stops its servers first. They run in process groups of
 * their own, so a server that does not exit when its input closes (a timer keeps it alive, as in
 * many servers) would otherwise outlive the gateway: after a closed terminal (SIGHUP) too. A SIGHUP
 * without a terminal (systemd's ExecReload=kill -HUP) reads the config again instead. The terminal
 * is a real pseudo-terminal (Python's pty module), closed by ending the process that holds it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLI,
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  serveGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { isAlive } from '../../helpers/processes.ts';

describe.skipIf(process.platform === 'win32')('serve, ended by a signal', () => {
  const leftovers: number[] = [];
  afterEach(() => {
    for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: the gateway stops its servers before it exits',
    async (signal) => {
      const dir = await tempDir();
      try {
        const config = await writeConfig(dir.dir, {
          mcpServers: { fx: fixtureServer('fx', { FIXTURE_IGNORE_EOF: '1' }) },
        });
        const { child, url } = await serveGateway({
          ...process.env,
          SWITCHBOARD_CONFIG: config,
          SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
          SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
        });
        const client = await httpClient(url);
        const echoed = await waitFor(
          () => client.callTool({ name: 'fx__echo', arguments: { message: 'hi' } }).catch(() => undefined),
          20_000,
          'fx to answer',
        );
        await client.close();
        const pid = (echoed.structuredContent as { pid: number }).pid;
        leftovers.push(pid);
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        child.kill(signal);
        expect(await exited).toBe(0);
        await waitFor(() => !isAlive(pid), 5000, `server ${pid} to be stopped`);
      } finally {
        await dir.cleanup();
      }
    },
    40_000,
  );

  async function setUp(): Promise<NodeJS.ProcessEnv> {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    return {
      ...process.env,
      SWITCHBOARD_CONFIG: await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx', { FIXTURE_IGNORE_EOF: '1' }) },
      }),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    };
  }
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const serverPid = async (client: Client): Promise<number> => {
    const echoed = await waitFor(
      () => client.callTool({ name: 'fx__echo', arguments: { message: 'hi' } }).catch(() => undefined),
      20_000,
      'fx to answer',
    );
    return (echoed.structuredContent as { pid: number }).pid;
  };

  it('SIGHUP from a closed terminal: the gateway stops its servers and exits', async () => {
    const pty = 'import pty, sys; pty.spawn(sys.argv[1:])';
    const terminal = spawn('python3', ['-c', pty, NODE, CLI, 'serve', '--port', '0', '--no-socket'], {
      env: await setUp(),
    });
    cleanups.push(async () => void terminal.kill('SIGKILL'));
    let seen = '';
    terminal.stdout.on('data', (c: Buffer) => (seen += c.toString()));
    const url = await waitFor(() => /HTTP (http:\/\/\S+\/mcp)/.exec(seen)?.[1], 20_000, 'the gateway to listen');
    const client = await httpClient(url);
    const pid = await serverPid(client);
    await client.close();
    leftovers.push(pid);
    const gatewayPid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    leftovers.push(gatewayPid);
    // The terminal goes away: the kernel hangs up its session, the gateway included.
    terminal.kill('SIGKILL');
    await waitFor(() => !isAlive(gatewayPid), 10_000, `the gateway ${gatewayPid} to exit`);
    await waitFor(() => !isAlive(pid), 5000, `server ${pid} to be stopped`);
  }, 40_000);

  it('SIGHUP without a terminal: the config file is read again and the gateway keeps serving', async () => {
    const { child, url, stderr } = await serveGateway(await setUp());
    cleanups.push(async () => void child.kill('SIGKILL'));
    const client = await httpClient(url);
    cleanups.push(() => client.close());
    const pid = await serverPid(client);
    leftovers.push(pid);
    child.kill('SIGHUP');
    await waitFor(() => stderr().includes('config reloaded: no server changed'), 10_000, 'the reload');
    expect(stderr()).toContain('SIGHUP: reading the config file again');
    expect(child.exitCode).toBe(null);
    expect(await serverPid(client)).toBe(pid);
  }, 40_000);

  it('SIGHUP to the launcher on an older Node (bin/switchboard.js): every one reads the config again', async () => {
    // Without type stripping the launcher runs the CLI under the project's Node 24: it is the
    // process a service manager knows (ExecReload=kill -HUP $MAINPID) and passes signals on.
    const launcher = spawn(
      NODE,
      ['--no-experimental-strip-types', path.join(ROOT, 'bin/switchboard.js'), 'serve', '--port', '0', '--no-socket'],
      { env: await setUp(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    cleanups.push(async () => {
      launcher.kill('SIGTERM');
      await new Promise((resolve) => (launcher.exitCode !== null ? resolve(null) : launcher.once('exit', resolve)));
    });
    let stderr = '';
    launcher.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor(() => stderr.includes('ready ('), 20_000, `serve to be ready (stderr: ${stderr})`);
    const reloads = () => stderr.split('SIGHUP: reading the config file again').length - 1;
    // The first was passed on, and every later one dropped: a second reload did nothing.
    for (let n = 1; n <= 3; n++) {
      launcher.kill('SIGHUP');
      await waitFor(() => reloads() === n, 10_000, `reload ${n} (stderr: ${stderr})`);
      await waitFor(() => stderr.split('config reloaded').length - 1 === n, 10_000, `reload ${n} applied`);
    }
    expect(launcher.exitCode).toBe(null);
  }, 60_000);

  it.skipIf(process.platform !== 'linux')(
    'the launcher killed with SIGKILL (which it cannot pass on): the gateway stops its servers and exits',
    async () => {
      const env = await setUp();
      const launcher = spawn(
        NODE,
        ['--no-experimental-strip-types', path.join(ROOT, 'bin/switchboard.js'), 'serve', '--port', '0', '--no-socket'],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      launcher.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const url = await waitFor(
        () => /HTTP (http:\/\/\S+\/mcp)/.exec(stderr)?.[1],
        20_000,
        `serve (stderr: ${stderr})`,
      );
      // The gateway is the launcher's one child (the CLI under the project's Node 24).
      const children = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8').trim().split(/\s+/);
      expect(children).toHaveLength(1);
      const gateway = Number(children[0]);
      leftovers.push(gateway);
      const client = await httpClient(url);
      const pid = await serverPid(client);
      leftovers.push(pid);
      await client.close();
      launcher.kill('SIGKILL');
      // It ran on, an orphan holding the port and the lock: a supervisor's restart found "another gateway".
      await waitFor(() => !isAlive(gateway), 10_000, `gateway ${gateway} to exit`);
      await waitFor(() => !isAlive(pid), 5000, `server ${pid} to be stopped`);
    },
    40_000,
  );
});
