/**
 * `doctor`, `list` and `call` run the config's servers themselves. At a terminal that cannot reach the keychain
 * (an SSH login beside the session the gateway was started in with a keyring of its own), a server using a secret
 * cannot start there: they say that it is this terminal's keychain, and what the running gateway has of the server,
 * rather than advise starting the gateway that runs. And doctor says a server's problem once, not again under Servers.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPiped, cliRun, fixtureServer, serveGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from './keyring-session.ts';

const missing = keyringMissingOutsideCi();
/** The end of the keychain's advice: start a gateway in a session with a keyring of its own. */
const START_ADVICE = 'exec switchboard serve';
const KEYCHAIN_MESSAGE = 'Switchboard does not store secrets in plain files';

const count = (text: string, part: string) => text.split(part).length - 1;

async function setup(prefix: string) {
  const dir = await tempDir(prefix);
  const config = await writeConfig(dir.dir, {
    mcpServers: { fx: fixtureServer('fx', { API_TOKEN: '${secret:fx-token}' }), plain: fixtureServer('plain') },
  });
  const env = {
    ...process.env,
    SWITCHBOARD_CONFIG: config,
    SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
  };
  // No session bus at the address this terminal has.
  const terminal = { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir.dir, 'no-bus')}` };
  return { dir, env, terminal };
}

describe('doctor at a terminal without a keychain, no gateway running', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let terminal: NodeJS.ProcessEnv;
  beforeAll(async () => ({ dir, terminal } = await setup('sb-doctor-nokeychain-')));
  afterAll(async () => dir?.cleanup());

  it('says the keychain problem once: under Servers the server is not started again', async () => {
    const doctor = await cliRun(terminal, 'doctor');
    expect(doctor.code).toBe(1);
    expect(count(doctor.stdout, KEYCHAIN_MESSAGE)).toBe(1);
    expect(doctor.stdout).toContain('\nServers\n  - fx: not started: its references cannot be resolved (above)\n');
    expect(doctor.stdout).toContain('  ✓ plain: started, 10 tools\n');
    expect(doctor.stdout).toContain('\n1 problem found.\n');
  }, 60_000);
});

describe.skipIf(missing !== undefined)(
  'list, doctor and call without a keychain here, beside a working gateway',
  () => {
    let keyring: KeyringSession;
    let dir: { dir: string; cleanup(): Promise<void> };
    let terminal: NodeJS.ProcessEnv;
    let serve: ChildProcess;

    beforeAll(async () => {
      keyring = await startKeyringSession();
      let env: NodeJS.ProcessEnv;
      ({ dir, env, terminal } = await setup('sb-cli-beside-gateway-'));
      expect(await cliPiped({ ...env, ...keyring.env }, 'value-AAAA\n', 'secrets', 'set', 'fx-token')).toMatchObject({
        code: 0,
      });
      ({ child: serve } = await serveGateway({ ...env, ...keyring.env }));
    }, 40_000);

    afterAll(async () => {
      serve?.kill('SIGKILL');
      await keyring?.close();
      await dir?.cleanup();
    });

    it('list shows the running gateway’s fx, saying it was not started here, and exits 0', async () => {
      const list = await cliRun(terminal, 'list');
      expect(list.stdout).not.toContain(START_ADVICE);
      expect(list.stdout).toMatch(
        new RegExp(
          `^fx +stdio +ready +10 +in the running gateway \\(pid ${serve.pid}\\); not started here: ` +
            `this terminal cannot read the keychain \\(`,
          'm',
        ),
      );
      expect(list.stdout).toMatch(/^plain +stdio +ready +10 *$/m);
      expect(list.stdout).toMatch(/\nfx\n {2}echo +fx__echo +Echo a message\n/);
      expect(list).toMatchObject({ code: 0, stderr: '' });

      const json = await cliRun(terminal, 'list', '--json');
      expect(json.code).toBe(0);
      const fx = (JSON.parse(json.stdout) as Record<string, unknown>[]).find((s) => s.name === 'fx')!;
      // This command's own view as before (it could not start the server), and the running gateway's beside it.
      expect(fx).toMatchObject({ state: 'failed', tools: [] });
      expect(fx.lastError).toMatch(/^not started here: this terminal cannot read the keychain \(/);
      expect(fx.runningGateway).toMatchObject({ pid: serve.pid, state: 'ready', toolCount: 10 });
      expect((fx.runningGateway as { tools: unknown[] }).tools).toContainEqual({
        name: 'echo',
        description: 'Echo a message',
        clientName: 'fx__echo',
      });
    }, 60_000);

    it('doctor reports the running gateway’s fx once, and finds no problem', async () => {
      const doctor = await cliRun(terminal, 'doctor');
      expect(doctor.stdout).not.toContain(START_ADVICE);
      expect(doctor.stdout).toMatch(
        new RegExp(
          `\\n {2}✓ fx: references not checked here: this terminal cannot read the keychain \\(.*\\); the running ` +
            `gateway \\(pid ${serve.pid}\\) reads them from its own\\n`,
        ),
      );
      expect(doctor.stdout).toContain(
        `\n  ✓ fx: ready in the running gateway (pid ${serve.pid}), 10 tools (not started here)\n`,
      );
      expect(doctor.stdout).toContain('\nAll checks passed.\n');
      expect(doctor.code).toBe(0);
    }, 60_000);

    it('call says it is this terminal’s keychain, and that the running gateway has the server', async () => {
      const call = await cliRun(terminal, 'call', 'fx', 'echo', '--args', '{"text":"hi"}');
      expect(call.code).toBe(1);
      expect(call.stderr).not.toContain(START_ADVICE);
      expect(call.stderr).toMatch(
        new RegExp(
          `^switchboard: server "fx" cannot start here: this terminal cannot read the keychain \\(.*\\); the running ` +
            `gateway \\(pid ${serve.pid}\\) has it ready for its clients, but call runs the server itself: run it ` +
            `where the keychain can be read \\(the gateway's session\\)\\n$`,
        ),
      );
    }, 60_000);
  },
);
