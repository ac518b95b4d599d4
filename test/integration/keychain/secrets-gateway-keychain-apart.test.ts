/**
 * `switchboard secrets set` and `rm` at a terminal whose keychain works, while the running gateway's does not (it was
 * started where there is no D-Bus session: a service, an SSH login): the gateway makes the change, so what it says
 * is said as its refusal, not as if this terminal had no keychain.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPiped, cliRun, fixtureServer, serveGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from './keyring-session.ts';

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)('secrets while the running gateway cannot reach its keychain', () => {
  let keyring: KeyringSession;
  let dir: { dir: string; cleanup(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let serve: ChildProcess;

  beforeAll(async () => {
    keyring = await startKeyringSession();
    dir = await tempDir('sb-secret-apart-');
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    env = {
      ...process.env,
      ...keyring.env,
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    };
    // The same runtime directory, but no session bus at the address the gateway is given.
    ({ child: serve } = await serveGateway({
      ...env,
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir.dir, 'no-bus')}`,
    }));
  }, 40_000);

  afterAll(async () => {
    serve?.kill('SIGKILL');
    await keyring?.close();
    await dir?.cleanup();
  });

  it("secrets set says the running gateway did not store it, and why (it read as this terminal's)", async () => {
    const set = await cliPiped(env, 'value-AAAA\n', 'secrets', 'set', 'apart-token');
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(
      new RegExp(`^switchboard: the running gateway \\(pid ${serve.pid}\\) did not store it: the OS keychain is not`),
    );
    expect(set.stdout).toBe('');
    // This terminal's keychain works, and nothing was stored in it either.
    expect(await cliRun(env, 'secrets', 'ls')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^No secrets/) });
  });
});
