/**
 * A secret stored or changed while `switchboard serve` runs, with a real keychain (gnome-keyring
 * over a private D-Bus session): the server that lacked it says so in the log, `switchboard
 * secrets set` has the running gateway start it with the value, Restart reads a value changed
 * behind the gateway's back, and `secrets rm` leaves the server saying the secret is missing.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRunningGateway,
  createKeychainSecretStore,
  type RunningGatewayApi,
} from '../../../main/engine/index.ts';
import {
  cliPiped,
  cliRun,
  fixtureServer,
  serveGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from './keyring-session.ts';

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)('secrets and a running gateway', () => {
  let keyring: KeyringSession;
  let dir: { dir: string; cleanup(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let serve: ChildProcess;
  let stderr: () => string;
  let running: RunningGatewayApi;
  let client: Client;

  const state = async () => (await running.api.listServers()).find((s) => s.name === 'fx');
  const tokenSeen = async () => {
    const result = await client.callTool({ name: 'fx__env', arguments: { name: 'FIXTURE_TOKEN' } });
    return textOf(result);
  };

  beforeAll(async () => {
    keyring = await startKeyringSession();
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    dir = await tempDir('sb-secret-live-');
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:later-token}' }),
        other: fixtureServer('other'),
        idle: { ...fixtureServer('idle', { IDLE_TOKEN: '${secret:idle-token}' }), disabled: true },
      },
    });
    env = {
      ...process.env,
      ...keyring.env,
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      NO_COLOR: '1',
    };
    const served = await serveGateway(env);
    ({ child: serve, stderr } = served);
    running = (await connectRunningGateway(env))!;
    client = new Client({ name: 'secret-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(served.url)));
  }, 40_000);

  afterAll(async () => {
    await client?.close();
    running?.close();
    serve?.kill('SIGKILL');
    await keyring?.close();
    await dir?.cleanup();
  });

  it('a server whose secret is missing says so in the log of a headless gateway', async () => {
    await waitFor(
      () => /server "fx" failed: .*\$\{secret:later-token\}, which is not in the keychain/.test(stderr()),
      10_000,
      'the log to name the missing secret',
    );
    expect((await state())?.state).toBe('failed');
  });

  it('switchboard secrets set has the running gateway start the server with the value', async () => {
    const set = await cliPiped(env, 'first-value-AAAA\n', 'secrets', 'set', 'later-token');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(
      'The servers that use it have this value now (the running gateway started them again if it changed): ' +
        'fx (env.FIXTURE_TOKEN).',
    );
    await waitFor(async () => (await state())?.state === 'ready', 15_000, 'fx to start with its secret');
    expect(await tokenSeen()).toBe('first-value-AAAA');
  });

  it('Restart reads the secret again: a value changed behind the gateway is the one used', async () => {
    const store = createKeychainSecretStore({ stateDir: env.SWITCHBOARD_STATE_DIR!, env });
    await store.set('later-token', 'second-value-BBBB');
    // The running server keeps the value it started with until it is started again.
    expect(await tokenSeen()).toBe('first-value-AAAA');
    await running.api.restartServer('fx');
    await waitFor(async () => (await state())?.state === 'ready', 15_000, 'fx to start again');
    expect(await tokenSeen()).toBe('second-value-BBBB');
  });

  it('a value replaced by another stays hidden: a call quoting the old one is recorded without it', async () => {
    // first-value-AAAA was replaced by second-value-BBBB above; a client (or a backend) may quote either.
    await client.callTool({ name: 'fx__echo', arguments: { message: 'was first-value-AAAA, is second-value-BBBB' } });
    const page = await running.api.listTraffic({ target: 'fx__echo', limit: 5 });
    const recorded = JSON.stringify(page.entries[0]);
    expect(recorded).toContain('was [redacted:later-token], is [redacted:later-token]');
    expect(recorded).not.toContain('first-value-AAAA');
  });

  it('a secret of 60 000 characters runs its server; the gateway stays up and shows none of it', async () => {
    // Such a value once made the redactor's pattern too large for V8: the gateway died, and the
    // error it printed held every secret it knew.
    const value = `long-${'0123456789'.repeat(6000)}`.slice(0, 60_000);
    const set = await cliPiped(env, value, 'secrets', 'set', 'later-token');
    expect(set).toMatchObject({ code: 0 });
    await waitFor(async () => (await state())?.state === 'ready', 15_000, 'fx to start with the long secret');
    expect(await tokenSeen()).toBe(value);
    expect(serve.exitCode).toBeNull();
    expect(stderr()).not.toContain(value.slice(0, 40));
    // The server prints it on a line longer than the log keeps (16 KiB): none of it is kept.
    const printed = async () => (await running.api.getServerLog('fx')).filter((l) => l.includes('FIXTURE_TOKEN='));
    await waitFor(async () => (await printed()).length > 0, 5000, 'the line the server printed');
    expect((await printed()).join('\n')).toMatch(/FIXTURE_TOKEN= …\[truncated \d+ bytes\]$/);
    expect((await running.api.getServerLog('fx')).join('\n')).not.toContain(value.slice(0, 40));
  });

  it('switchboard secrets rm leaves the server saying the secret is missing; the others run on', async () => {
    const removed = await cliRun(env, 'secrets', 'rm', 'later-token');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(
      'The running gateway stopped the servers that use it, which say it is missing: fx (env.FIXTURE_TOKEN).',
    );
    await waitFor(async () => (await state())?.state === 'failed', 15_000, 'fx to fail without its secret');
    expect((await state())?.lastError).toMatch(
      /not in the keychain \(add it on the Secrets screen, or with: switchboard secrets set later-token\)/,
    );
    const other = (await running.api.listServers()).find((s) => s.name === 'other');
    expect(other?.state).toBe('ready');
    expect((await cliRun(env, 'secrets', 'rm', 'later-token')).code).toBe(1);
  });
  it('a stored value no environment variable can carry fails its server, naming the field, not the value', async () => {
    // Stored behind the gateway's back (another tool, an older version): the CLI and the app refuse it.
    const store = createKeychainSecretStore({ stateDir: env.SWITCHBOARD_STATE_DIR!, env });
    await store.set('later-token', 'nul-start-CCCC\u0000nul-end-DDDD');
    await running.api.restartServer('fx');
    await waitFor(async () => (await state())?.state === 'failed', 15_000, 'fx to fail');
    const lastError = (await state())?.lastError ?? '';
    expect(lastError).toMatch(/env\.FIXTURE_TOKEN holds a NUL character, which an environment variable cannot carry/);
    expect(lastError).not.toMatch(/nul-start|nul-end/);
    await expect(running.api.setSecret('later-token', 'again-\u0000-EEEE')).rejects.toThrow(
      /has a NUL character.*"later-token" was not stored/,
    );
  });

  it('says a server turned off gets a secret once turned on, not that the gateway started or stopped it', async () => {
    const set = await cliPiped(env, 'idle-value-FFFF\n', 'secrets', 'set', 'idle-token');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Turned off, it gets it once turned on: idle (env.IDLE_TOKEN).');
    // It said the running gateway had started idle again, with this value.
    expect(set.stdout).not.toContain('started the servers');
    const removed = await cliRun(env, 'secrets', 'rm', 'idle-token');
    expect(removed.stdout).toContain(
      'Turned off, it fails to start once turned on, saying it is missing, until it is set again: ' +
        'idle (env.IDLE_TOKEN).',
    );
    expect(removed.stdout).not.toContain('stopped the servers');
    expect((await running.api.listServers()).find((s) => s.name === 'idle')?.state).toBe('stopped');
  });
});
