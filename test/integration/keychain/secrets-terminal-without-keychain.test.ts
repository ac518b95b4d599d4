/**
 * `switchboard secrets` at a terminal that cannot reach a keychain (an SSH login beside the session the gateway was
 * started in with a keyring of its own, as the keychain's error advises): the running gateway's keychain is the one
 * its servers use, so `set`, `ls` and `rm` go through it, and only `get`, which prints a value, needs this terminal's.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPiped, cliRun, fixtureServer, serveGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from './keyring-session.ts';

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)("secrets at a terminal without a keychain, the gateway's working", () => {
  let keyring: KeyringSession;
  let dir: { dir: string; cleanup(): Promise<void> };
  let terminal: NodeJS.ProcessEnv;
  let serve: ChildProcess;

  beforeAll(async () => {
    keyring = await startKeyringSession();
    dir = await tempDir('sb-secret-terminal-');
    const config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx', { API_TOKEN: '${secret:fx-token}' }) },
    });
    const env = {
      ...process.env,
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    };
    ({ child: serve } = await serveGateway({ ...env, ...keyring.env }));
    // The same runtime directory, but no session bus at the address this terminal has.
    terminal = { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir.dir, 'no-bus')}` };
  }, 40_000);

  afterAll(async () => {
    serve?.kill('SIGKILL');
    await keyring?.close();
    await dir?.cleanup();
  });

  it('set, ls and rm use the running gateway’s keychain', async () => {
    const set = await cliPiped(terminal, 'value-BBBB\n', 'secrets', 'set', 'fx-token');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);

    const listed = await cliRun(terminal, 'secrets', 'ls');
    expect(listed.stderr).toBe('');
    expect(listed).toMatchObject({ code: 0, stdout: 'fx-token\n' });

    const removed = await cliRun(terminal, 'secrets', 'rm', 'fx-token');
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^Removed "fx-token" from the keychain\./);
    // Gone from the gateway's keychain; the config still names it, as a reference nothing holds.
    expect(await cliRun(terminal, 'secrets', 'ls')).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^No secrets/),
    });
    const again = await cliRun(terminal, 'secrets', 'rm', 'fx-token');
    expect(again).toMatchObject({ code: 1, stderr: 'switchboard: no secret named "fx-token" in the keychain\n' });
  });
});
