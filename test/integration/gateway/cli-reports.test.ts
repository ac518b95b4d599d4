/**
 * What `switchboard list`, `call` and `doctor` report of servers whose tool lists come late or not at all, and of
 * the options and entries that change what they check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { NODE, ROOT, cliRun, fixtureServer, tempDir, writeConfig } from '../../helpers/gateway.ts';

/** tools/list late (LIST_DELAY_MS) or failing (LIST_ERROR). */
const lister = path.join(ROOT, 'test/fixtures/servers/lister-server.ts');

describe('switchboard list, call and doctor', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await tempDir();
    env = {
      ...process.env,
      HOME: dir.dir,
      XDG_CONFIG_HOME: path.join(dir.dir, '.config'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    };
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it('list --json gives every ready server its toolCount, however late its tools/list answered', async () => {
    const config = await writeConfig(
      dir.dir,
      {
        mcpServers: {
          late: { command: NODE, args: [lister], env: { LIST_DELAY_MS: '400' } },
          fx: fixtureServer('fx'),
        },
      },
      'late.json',
    );
    const { code, stdout } = await cliRun(env, 'list', '--json', '--config', config);
    expect(code).toBe(0);
    const servers = JSON.parse(stdout) as { name: string; state: string; toolCount?: number; tools: unknown[] }[];
    expect(servers.find((s) => s.name === 'late')).toMatchObject({ state: 'ready', toolCount: 1 });
    expect(servers.find((s) => s.name === 'late')!.tools).toHaveLength(1);
    expect(servers.find((s) => s.name === 'fx')).toMatchObject({ state: 'ready', toolCount: 10 });
  }, 60_000);

  it('says nothing in NOTE of a server still starting when list stops waiting (it said "undefined")', async () => {
    const late = path.join(ROOT, 'test/fixtures/servers/late-start.ts');
    const config = await writeConfig(
      dir.dir,
      { mcpServers: { sleepy: { command: NODE, args: [late], env: { LATE_MS: '20000', LATE_MODE: 'silent' } } } },
      'sleepy.json',
    );
    const { code, stdout, stderr } = await cliRun(env, 'list', '--timeout', '1000', '--config', config);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^sleepy +stdio +starting +- *$/m);
    expect(stdout).not.toContain('undefined');
    expect(stderr).toContain('1 of 1 server is not ready');
  }, 60_000);

  it("says a server's tools/list failed, with why (list said ready, 0 tools; call: no such tool)", async () => {
    const config = await writeConfig(
      dir.dir,
      { mcpServers: { lister: { command: NODE, args: [lister], env: { LIST_ERROR: 'the index is rebuilding' } } } },
      'list-error.json',
    );
    const list = await cliRun(env, 'list', '--config', config);
    expect(list.stdout).toMatch(/^lister +stdio +ready +- +tools\/list failed: the index is rebuilding$/m);
    expect(list.stderr).toContain('1 of 1 server could not list its tools');
    expect(list.code).toBe(1);
    const json = JSON.parse((await cliRun(env, 'list', '--json', '--config', config)).stdout) as object[];
    expect(json[0]).toMatchObject({ name: 'lister', state: 'ready', toolsError: 'the index is rebuilding' });

    const call = await cliRun(env, 'call', 'lister', 'lookup', '--config', config);
    expect(call.stderr).toBe(
      'switchboard: server "lister" could not list its tools (so whether it has "lookup" is unknown): ' +
        'the index is rebuilding\n',
    );
    expect(call.code).toBe(1);

    const doctor = await cliRun(env, 'doctor', '--config', config);
    expect(doctor.stdout).toContain(
      '✗ lister: started, but its tools/list failed (clients get none of its tools): the index is rebuilding',
    );
    expect(doctor.code).toBe(1);
  }, 60_000);

  it('a config timeout longer than a timer waits is refused, naming the key (every request timed out)', async () => {
    const config = await writeConfig(
      dir.dir,
      { mcpServers: { fx: { ...fixtureServer('fx'), timeoutMs: 3_000_000_000 } } },
      'long-timeout.json',
    );
    const { code, stdout, stderr } = await cliRun(
      env,
      'call',
      'fx',
      'echo',
      '--args',
      '{"message":"hi"}',
      '--config',
      config,
    );
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^switchboard: .*long-timeout\.json:\d+:\d+: mcpServers\.fx\.timeoutMs: at most 2147483647 ms \(about 24 days\)/,
    );
    expect(stderr).not.toContain('TimeoutOverflowWarning');
    expect(code).toBe(1);
  }, 60_000);

  it('doctor says a listener on port 0 takes any free port (it said "127.0.0.1:0 is free")', async () => {
    const config = await writeConfig(dir.dir, { mcpServers: {}, listen: { http: { port: 0 } } }, 'port-0.json');
    const { code, stdout } = await cliRun(env, 'doctor', '--config', config);
    expect(stdout).toContain('✓ HTTP 127.0.0.1: any free port (listen.http.port is 0)');
    expect(stdout).not.toContain(':0 is free');
    expect(code).toBe(0);
  });

  it('doctor after switchboard stop says no shim starts the gateway, in every line about it', async () => {
    const config = await writeConfig(dir.dir, { mcpServers: {}, listen: { http: false } }, 'stopped.json');
    // With nothing running, stop still marks Switchboard as stopped on purpose: clients do not start it.
    expect((await cliRun(env, 'stop')).code).toBe(0);
    const { code, stdout } = await cliRun(env, 'doctor', '--config', config);
    expect(stdout).toContain("clients' shims will not start it");
    // The socket line said "the shim starts one when a client connects", two lines above the one saying it does not.
    expect(stdout).not.toContain('the shim starts one');
    expect(stdout).toContain(`no gateway on ${path.join(dir.dir, 'run', 'gateway.sock')} (stopped on purpose)`);
    expect(code).toBe(0);
  });

  it('doctor passes a disabled server whose command is gone (it counted as a problem it had turned off)', async () => {
    const config = await writeConfig(
      dir.dir,
      {
        mcpServers: {
          retired: { command: 'no-such-server-binary', env: { TOKEN: '${env:NO_SUCH_VARIABLE_SET}' }, disabled: true },
          fx: fixtureServer('fx'),
        },
        listen: { http: false },
      },
      'disabled.json',
    );
    const { code, stdout } = await cliRun(env, 'doctor', '--config', config);
    expect(stdout).toContain('✓ retired: disabled (its command and references are not checked)');
    expect(stdout).not.toContain('✗');
    expect(stdout).toContain('All checks passed.');
    expect(code).toBe(0);
  }, 60_000);
});
