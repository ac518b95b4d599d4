/**
 * A gateway that starts while the keychain shows an unlock prompt nobody answers (a real
 * gnome-keyring whose prompter never answers): clients reach it at once and use the servers that
 * need no secret, while the one that needs the keychain says it waits for it; and Ctrl-C on
 * `switchboard serve` meanwhile stops the servers it started and ends the start with 130.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { CLI, fixtureServer, httpClient, NODE, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, silentPrompterMissing } from './keyring-session.ts';
import { unansweredPromptFile } from './keyring-file.ts';
import { isAlive } from '../../helpers/processes.ts';

const missing = keyringMissingOutsideCi() ?? silentPrompterMissing();

/** `plain` needs no secret, `fx` one from the keychain. */
const servers = {
  plain: fixtureServer('plain'),
  fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:gh-token}' }),
};

const LISTENER_TOKEN = '0123456789abcdef0123456789abcdef';

/** A client of the gateway whose runtime directory is `runtimeDir`, through the shim, as a desktop client starts it. */
async function shimClient(home: string, runtimeDir: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: NODE,
    args: [CLI, 'shim', '--profile', 'default'],
    env: {
      HOME: home,
      PATH: process.env.PATH ?? '',
      SWITCHBOARD_RUNTIME_DIR: runtimeDir,
      // The gateway runs in this test process: the shim must not start another one.
      SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, '-e', 'process.exit(1)']),
    },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'shim-client', version: '1' });
  await client.connect(transport);
  return client;
}

/** The pid of the server `name` that answers `url`'s echo tool. */
async function echoPid(url: string, name: string): Promise<number> {
  const client = await httpClient(url);
  try {
    const result = await client.callTool({ name: `${name}__echo`, arguments: { message: 'hi' } });
    return (result.structuredContent as { pid: number }).pid;
  } finally {
    await client.close();
  }
}

describe.skipIf(missing !== undefined)('a start while the keychain waits on an unlock prompt nobody answers', () => {
  const prompts = unansweredPromptFile('sb-keychain-start-', {
    secrets: { 'gh-token': 'ghp_never_read_0001', 'listener-token': LISTENER_TOKEN },
  });
  const gatewayWaiting = (configPath: string, callTimeoutMs: number, runtimeDir?: string) =>
    prompts.patientGateway(configPath, callTimeoutMs, {
      // As `switchboard serve` and the app: a config that cannot be applied leaves the gateway running.
      keepRunningOnConfigError: true,
      ...(runtimeDir === undefined ? {} : { runtimeDir, socket: true }),
    });

  it('a client calls a server that needs no secret within seconds; the other says it waits', async () => {
    const config = await writeConfig(prompts.dir, { mcpServers: servers });
    // Its read would wait two minutes for the prompt: longer than the test.
    const gateway = gatewayWaiting(config, 120_000);
    const starting = gateway.start();
    await prompts.promptOpened();
    const url = await waitFor(() => gateway.httpUrl(), 5_000, 'the HTTP listener to open');

    expect(await echoPid(url, 'plain')).toBeGreaterThan(0);
    const fx = gateway.servers().find((s) => s.name === 'fx')!;
    expect(fx.state).toBe('starting');
    expect(fx.lastError).toBe(
      'reading its secrets from the keychain (an unlock prompt may be waiting for your answer); it starts once ' +
        'they are read',
    );
    await gateway.stop();
    await starting;
  }, 40_000);

  it("a server whose secret cannot be read shows the keychain's error; the others run on", async () => {
    const config = await writeConfig(prompts.dir, { mcpServers: servers });
    // Long enough for the other server to start and answer first on a busy machine (3 s was not).
    const gateway = gatewayWaiting(config, 10_000);
    const starting = gateway.start();
    const url = await waitFor(() => gateway.httpUrl(), 10_000, 'the HTTP listener to open');
    const pid = await echoPid(url, 'plain');
    // Answered before the read was given up, not after.
    expect(gateway.servers().find((s) => s.name === 'fx')!.state).toBe('starting');
    await starting;

    const fx = gateway.servers().find((s) => s.name === 'fx')!;
    expect(fx.state).toBe('failed');
    expect(fx.lastError).toMatch(/^the OS keychain is not available \(reading "gh-token": no answer within 10 s\)/);
    expect(fx.lastError).toMatch(/tried again by itself, less often each time, at most every 30 min/);
    // The same process: not restarted once the other server's read failed.
    expect(await echoPid(url, 'plain')).toBe(pid);
  }, 40_000);

  it('with the listener token in the keychain: shims use the servers needing no secret; HTTP waits', async () => {
    const runtimeDir = path.join(prompts.dir, 'run-token');
    // No server reading a secret: the token's is the one keychain call, and the test's end returns it.
    const config = await writeConfig(prompts.dir, {
      mcpServers: { plain: servers.plain },
      listen: { http: { token: '${secret:listener-token}' } },
    });
    const gateway = gatewayWaiting(config, 120_000, runtimeDir);
    const starting = gateway.start();
    await prompts.promptOpened();

    const client = await shimClient(prompts.dir, runtimeDir);
    try {
      const echoed = await client.callTool({ name: 'plain__echo', arguments: { message: 'hi' } });
      expect(echoed.structuredContent).toMatchObject({ message: 'hi', server: 'plain' });
    } finally {
      await client.close();
    }
    // Never open without its token.
    expect(gateway.httpUrl()).toBeUndefined();
    expect(gateway.httpListenerProblem()).toBe(
      'waiting for its token (listen.http.token) from the keychain, where an unlock prompt may be waiting for ' +
        'your answer; it opens once the token is read',
    );
    await gateway.stop();
    await starting;
  }, 40_000);

  it('with the listener token unreadable: the file is not applied, as before, its servers stopped', async () => {
    const config = await writeConfig(prompts.dir, {
      mcpServers: servers,
      listen: { http: { token: '${secret:listener-token}' } },
    });
    const gateway = gatewayWaiting(config, 3_000);
    const starting = gateway.start();
    await waitFor(() => gateway.servers().find((s) => s.name === 'plain')?.state === 'ready', 10_000, 'plain');
    await starting;

    expect(gateway.runsWithoutConfig()).toBe(true);
    expect(gateway.configError()?.message).toContain(
      'config.json: listen.http.token: the OS keychain is not available (reading "listener-token": no answer ' +
        'within 3 s)',
    );
    expect(gateway.servers()).toEqual([]);
    // Open, as for any file that cannot be applied at start (docs/configuration.md), with nothing to serve.
    expect(gateway.httpUrl()).toBeDefined();
  }, 40_000);

  it('switchboard serve stops its servers and exits with 130 on Ctrl-C while it waits', async () => {
    const runtimeDir = path.join(prompts.dir, 'run');
    const config = await writeConfig(prompts.dir, { mcpServers: servers });
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: prompts.dir,
      XDG_RUNTIME_DIR: prompts.dir,
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: runtimeDir,
      SWITCHBOARD_STATE_DIR: prompts.stateDir,
      NO_COLOR: '1',
      ...prompts.keyring.env,
    };
    const child = spawn(NODE, [CLI, 'serve', '--port', '0', '--no-socket'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await prompts.promptOpened();
      // Where it listens, as `switchboard status` reads it (its "ready" line waits for the start).
      const lock = path.join(runtimeDir, 'gateway.lock');
      const url = await waitFor(
        async () => (JSON.parse(await readFile(lock, 'utf8')) as { http?: string }).http,
        10_000,
        'the HTTP listener to open',
      );
      const pid = await echoPid(url, 'plain');

      child.kill('SIGINT');
      await waitFor(() => !isAlive(pid), 5_000, 'the server to be stopped');
      // The read still waits on the prompt, in the keychain's own process: it holds nothing of this one.
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 5_000))])).toBe(130);
      expect(stderr).not.toContain('keychain call is still waiting');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
