/**
 * Issue 5's acceptance scenario with the real CLI and a real keyring: a HOME with Claude
 * Desktop, Cursor, Zed and VS Code configs; `switchboard adopt claude-desktop`, then
 * `switchboard install cursor` change only what they should, secrets end up only in the
 * keychain, and `switchboard restore` brings every file back byte for byte.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientDefinition, type ClientId } from '../../../main/engine/index.ts';
import { splitText } from '../../../main/engine/installers/text.ts';
import { keyringMissing, startKeyringSession, type KeyringSession } from '../keychain/keyring-session.ts';
import { CLIENT_FIXTURES, FIXTURES, runCli } from './helpers.ts';

const missing = keyringMissing();
if (missing && process.env.CI) throw new Error(`this test needs a Secret Service in CI: ${missing}`);

const FILES: Record<string, string> = {
  'claude-desktop': '.config/Claude/claude_desktop_config.json',
  cursor: '.cursor/mcp.json',
  zed: '.config/zed/settings.json',
  vscode: '.config/Code/User/mcp.json',
};
const SECRETS = ['ghp_FIXTUREgithubTOKEN0123456789abcd', 'BSA-fixture-brave-key-42'];

describe.skipIf(missing !== undefined)('adopt claude-desktop, install cursor, restore (real CLI, real keyring)', () => {
  let session: KeyringSession;
  let home: string;
  let env: Record<string, string>;
  const originals = new Map<string, Buffer>();
  const file = (id: string) => path.join(home, FILES[id]!);

  beforeAll(async () => {
    session = await startKeyringSession();
    home = await mkdtemp(path.join(tmpdir(), 'sb-done-'));
    env = { HOME: home, ...session.env };
    for (const id of Object.keys(FILES)) {
      const bytes = await readFile(path.join(FIXTURES, CLIENT_FIXTURES[id as ClientId]));
      await mkdir(path.dirname(file(id)), { recursive: true });
      await writeFile(file(id), bytes);
      originals.set(id, bytes);
    }
  });
  afterAll(async () => {
    await session?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('adopt, install, restore', async () => {
    const listed = runCli(['clients'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/claude-desktop\s+Claude Desktop\s+not installed\s+-\s+3/);

    const adopt = runCli(['adopt', 'claude-desktop'], env);
    expect(adopt.stderr).toBe('');
    expect(adopt.code).toBe(0);
    expect(adopt.stdout).toContain(
      'env.GITHUB_PERSONAL_ACCESS_TOKEN -> keychain "claude-desktop.github.GITHUB_PERSONAL_ACCESS_TOKEN"',
    );
    for (const s of SECRETS) expect(adopt.stdout).not.toContain(s);

    // A profile the config does not have is refused before anything is written.
    const unknown = runCli(['install', 'cursor', '--profile', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/there is no profile "nope" in .* \(it has: default\)/);
    expect(await readFile(file('cursor'))).toEqual(originals.get('cursor'));

    const dry = runCli(['install', 'cursor', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(await readFile(file('cursor'))).toEqual(originals.get('cursor'));
    const install = runCli(['install', 'cursor'], env);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain(dry.stdout);

    // Claude Desktop: its servers replaced by the switchboard entry; everything else as it was.
    const claude = JSON.parse(await readFile(file('claude-desktop'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(claude.mcpServers!)).toEqual(['switchboard']);
    expect(claude.mcpServers!.switchboard).toEqual({
      command: process.execPath,
      args: [path.resolve('bin/switchboard.js'), 'shim', '--profile', 'default'],
    });
    expect(claude.globalShortcut).toBe('Alt+Space');
    // Cursor: exactly one entry added.
    const cursor = clientDefinition('cursor');
    const cursorText = splitText(await readFile(file('cursor'), 'utf8')).body;
    expect(cursor.format.remove(cursorText, file('cursor'), 'switchboard', '\n')).toBe(
      originals.get('cursor')!.toString('utf8'),
    );
    // Zed and VS Code: untouched.
    expect(await readFile(file('zed'))).toEqual(originals.get('zed'));
    expect(await readFile(file('vscode'))).toEqual(originals.get('vscode'));
    // Switchboard's config refers to the keychain; the values are only there.
    const config = await readFile(path.join(home, '.config/switchboard/config.json'), 'utf8');
    expect(config).toContain('${secret:claude-desktop.github.GITHUB_PERSONAL_ACCESS_TOKEN}');
    expect(runCli(['secrets', 'get', 'claude-desktop.github.GITHUB_PERSONAL_ACCESS_TOKEN'], env).stdout).toBe(
      `${SECRETS[0]}\n`,
    );
    expect(runCli(['secrets', 'get', 'claude-desktop.brave-search.BRAVE_API_KEY'], env).stdout).toBe(`${SECRETS[1]}\n`);
    const entries = await readdir(home, { recursive: true, withFileTypes: true });
    for (const e of entries.filter((x) => x.isFile())) {
      const text = await readFile(path.join(e.parentPath, e.name), 'latin1');
      for (const s of SECRETS) expect(text.includes(s), `${s} in ${path.join(e.parentPath, e.name)}`).toBe(false);
    }
    expect(runCli(['clients'], env).stdout).toMatch(/cursor\s+Cursor\s+installed\s+default/);

    // The key of the encrypted backups is listed with the secrets, but stays while they need it.
    expect(runCli(['secrets', 'ls'], env).stdout).toContain('switchboard.backup-key\n');
    const keyBefore = runCli(['secrets', 'get', 'switchboard.backup-key'], env).stdout;
    for (const [args, input] of [
      [['secrets', 'rm', 'switchboard.backup-key'], ''],
      [['secrets', 'set', 'switchboard.backup-key'], 'another-key'],
    ] as const) {
      const refused = runCli([...args], env, input);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/"switchboard\.backup-key" is Switchboard's own: it decrypts the backups of/);
      expect(refused.stderr).toMatch(
        /claude-desktop, cursor .*restore claude-desktop cursor\); nothing (removed|stored)/,
      );
    }
    expect(runCli(['secrets', 'get', 'switchboard.backup-key'], env).stdout).toBe(keyBefore);

    const restore = runCli(['restore', '--all'], env);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain('restored byte for byte');
    for (const id of Object.keys(FILES)) expect(await readFile(file(id)), id).toEqual(originals.get(id));
    expect(runCli(['restore', '--all'], env).stdout).toContain('No client files are backed up');
    expect(runCli(['restore'], env).code).toBe(2);
    // No backup needs it now.
    expect(runCli(['secrets', 'rm', 'switchboard.backup-key'], env).code).toBe(0);
    // Some twenty real CLI runs one after another (7–13 s on an idle machine): 30 s was too close under load.
  }, 90_000);
});

describe('adopt --dry-run, without a keychain', () => {
  it("leaves a Zed extension's server in Zed, saying whose it is", async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-adopt-zed-'));
    try {
      const file = path.join(home, FILES.zed!);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(
        file,
        JSON.stringify({
          context_servers: {
            'mcp-server-postgres': { source: 'extension', enabled: true, settings: { database_url: 'postgres:///db' } },
            time: { source: 'custom', command: 'uvx', args: ['mcp-server-time'], env: {} },
          },
        }),
      );
      const dry = runCli(['adopt', 'zed', '--dry-run'], { HOME: home });
      expect(dry.code).toBe(0);
      const why =
        'it is a Zed extension\'s server ("source": "extension"): the extension starts it, so it stays in Zed';
      expect(dry.stdout).toMatch(/mcp-server-postgres +cannot adopt: (.*)\n/);
      expect(/mcp-server-postgres +cannot adopt: (.*)\n/.exec(dry.stdout)?.[1]).toBe(why);
      expect(dry.stderr).toContain(`left "mcp-server-postgres" in Zed: ${why}`);
      expect(dry.stdout).toMatch(/Would move into Switchboard .*:\n {2}time\n\n/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('shows no URL password, query key or secret flag of the servers it would take', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-adopt-dry-'));
    try {
      const file = path.join(home, FILES['claude-desktop']!);
      await mkdir(path.dirname(file), { recursive: true });
      const canaries = ['pw-CANARY-4242', 'query-CANARY-7777', 'flag-CANARY-1111'];
      await writeFile(
        file,
        JSON.stringify({
          mcpServers: {
            remote: { url: `https://ada:${canaries[0]}@mcp.example.com/mcp?api_key=${canaries[1]}` },
            local: { command: 'npx', args: ['-y', 'some-mcp', '--api-key', canaries[2]] },
          },
        }),
      );
      const dry = runCli(['adopt', 'claude-desktop', '--dry-run'], { HOME: home });
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('https://ada:***@mcp.example.com/mcp?api_key=***');
      for (const canary of canaries) expect(dry.stdout + dry.stderr).not.toContain(canary);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('install without --profile (real CLI)', () => {
  it('brings an outdated entry up to date with the profile it starts, not "default"', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-install-profile-'));
    try {
      const config = path.join(home, '.config', 'switchboard', 'config.json');
      await mkdir(path.dirname(config), { recursive: true });
      await writeFile(config, '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } } }\n');
      const file = path.join(home, FILES.cursor!);
      await mkdir(path.dirname(file), { recursive: true });
      // An entry an older copy wrote, from another place.
      const old = ['/opt/old/bin/switchboard.js', 'shim', '--profile', 'work'];
      await writeFile(file, JSON.stringify({ mcpServers: { switchboard: { command: '/opt/old/node', args: old } } }));
      expect(runCli(['clients'], { HOME: home }).stdout).toMatch(/cursor\s+Cursor\s+installed \(outdated.*\)\s+work/);

      const install = runCli(['install', 'cursor'], { HOME: home });
      expect(install.code).toBe(0);
      expect(install.stdout).toContain('Installed Switchboard (profile "work") in Cursor');
      const entry = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, { args: string[] }> })
        .mcpServers.switchboard!;
      expect(entry.args.slice(-2)).toEqual(['--profile', 'work']);
      expect(entry.args[0]).not.toBe(old[0]);
      expect(runCli(['clients'], { HOME: home }).stdout).toMatch(/cursor\s+Cursor\s+installed\s+work/);

      // A profile the config no longer has: clients says so (its client is refused at its start), and
      // install moves it to "default", saying why.
      await writeFile(config, '{ "mcpServers": {} }\n');
      expect(runCli(['clients'], { HOME: home }).stdout).toContain(
        'cursor: it starts profile "work", which the config no longer has, so Switchboard refuses it at its start ' +
          '(the config has "default"): install again with one of those (switchboard install cursor --profile NAME)',
      );
      const again = runCli(['install', 'cursor'], { HOME: home });
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('Cursor starts profile "work", which');
      expect(again.stdout).toContain('Installed Switchboard (profile "default") in Cursor');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('doctor names each client Switchboard is in, and one starting a profile the config no longer has', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-doctor-clients-'));
    try {
      const env = {
        HOME: home,
        SWITCHBOARD_RUNTIME_DIR: path.join(home, 'run'),
        SWITCHBOARD_STATE_DIR: path.join(home, 'state'),
      };
      const config = path.join(home, '.config', 'switchboard', 'config.json');
      await mkdir(path.dirname(config), { recursive: true });
      // No HTTP listener: doctor's look at the port would depend on what else runs on this machine.
      const withWork = '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } }, "listen": { "http": false } }\n';
      await writeFile(config, withWork);
      await mkdir(path.join(home, path.dirname(FILES.cursor!)), { recursive: true });
      expect(runCli(['install', 'cursor', '--profile', 'work'], env).code).toBe(0);
      const fine = runCli(['doctor'], env);
      expect(fine.stdout).toContain(`✓ cursor: Switchboard is in ${path.join(home, FILES.cursor!)} (profile work)`);
      expect(fine.code).toBe(0);
      // Turned off in Cursor: said beside it, not a problem of Switchboard's.
      const cursorFile = path.join(home, FILES.cursor!);
      const entries = JSON.parse(await readFile(cursorFile, 'utf8')) as { mcpServers: Record<string, object> };
      const on = entries.mcpServers.switchboard!;
      await writeFile(cursorFile, JSON.stringify({ mcpServers: { switchboard: { ...on, disabled: true } } }));
      const off = runCli(['doctor'], env);
      expect(off.stdout).toContain(
        `✓ cursor: Switchboard is in ${cursorFile} (profile work); its switchboard entry is turned off there ` +
          '(disabled: true): Cursor does not start Switchboard until on',
      );
      expect(off.code).toBe(0);
      await writeFile(cursorFile, JSON.stringify({ mcpServers: { switchboard: on } }));
      // The profile goes (renamed or removed by hand): the client would be refused at its start.
      await writeFile(config, '{ "mcpServers": {}, "listen": { "http": false } }\n');
      const lost = runCli(['doctor'], env);
      expect(lost.stdout).toContain(
        '✗ cursor: it starts profile "work", which the config no longer has, so Switchboard refuses it at its ' +
          'start (the config has "default"): install again with one of those (switchboard install cursor ' +
          '--profile NAME)',
      );
      expect(lost.stdout).toContain('1 problem found.');
      expect(lost.code).toBe(1);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('keeps the profile a client starts while the config cannot be read, and says why it cannot check', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-install-broken-config-'));
    try {
      const config = path.join(home, '.config', 'switchboard', 'config.json');
      await mkdir(path.dirname(config), { recursive: true });
      await writeFile(config, '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } } }\n');
      const file = path.join(home, FILES.cursor!);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, '{ "mcpServers": {} }\n');
      expect(runCli(['install', 'cursor', '--profile', 'work'], { HOME: home }).code).toBe(0);
      const installed = await readFile(file, 'utf8');
      // The old Node the entry names is gone: install brings the entry up to date.
      await writeFile(file, installed.replace(process.execPath, '/opt/old/node'));

      // A comma missing: the config still has "work", it just cannot be read now.
      await writeFile(config, '{ "mcpServers": {} "profiles": { "work": { "servers": [] } } }\n');
      const again = runCli(['install', 'cursor'], { HOME: home });
      expect(again.code).toBe(0);
      expect(again.stderr).toContain(
        'Cursor keeps profile "work", the one it starts now; the config cannot be read, so whether it still has ' +
          `that profile is not checked (switchboard doctor lists what is wrong):\n${config}:1:20: `,
      );
      expect(again.stdout).toContain('Installed Switchboard (profile "work") in Cursor');
      expect(await readFile(file, 'utf8')).toBe(installed);

      const named = runCli(['install', 'cursor', '--profile', 'work'], { HOME: home });
      expect(named.code).toBe(1);
      expect(named.stderr).toContain(
        'cannot tell whether the config has profile "work", as the config cannot be read; fix it, then install ' +
          `again (switchboard doctor lists what is wrong):\n${config}:1:20: `,
      );
      expect(named.stderr).not.toContain('there is no profile');
      expect(runCli(['install', 'cursor', '--profile', 'default', '--dry-run'], { HOME: home }).code).toBe(0);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('adopt codex (real CLI, no secrets to move)', () => {
  it('takes a server written as one line of [mcp_servers] out of Codex, or refuses one it cannot', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-adopt-codex-'));
    try {
      const file = path.join(home, '.codex', 'config.toml');
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(
        file,
        'model = "o3"\n\n[mcp_servers]\ntime = { command = "uvx", args = ["mcp-server-time"] }\n\n[tui]\nx = 1\n',
      );
      const adopt = runCli(['adopt', 'codex'], { HOME: home });
      expect(adopt.code).toBe(0);
      expect(adopt.stdout).toContain('Moved into Switchboard');
      const codex = await readFile(file, 'utf8');
      expect(codex).not.toContain('mcp-server-time');
      expect(codex).toMatch(/^model = "o3"\n\n\[mcp_servers\]\n\n\[tui\]\nx = 1\n\n\[mcp_servers\.switchboard\]\n/);
      const config = await readFile(path.join(home, '.config', 'switchboard', 'config.json'), 'utf8');
      expect(JSON.parse(config)).toMatchObject({ mcpServers: { time: { command: 'uvx' } } });

      // Dotted keys: nothing is moved (the server would run twice, from Codex and from Switchboard).
      const restored = runCli(['restore', 'codex'], { HOME: home });
      expect(restored.code).toBe(0);
      const dotted = '[mcp_servers]\nclock.command = "uvx"\nclock.args = ["mcp-server-time"]\n';
      await writeFile(file, dotted);
      const refused = runCli(['adopt', 'codex'], { HOME: home });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `${file}: "mcp_servers.clock" is written in a form Switchboard cannot edit as a table block`,
      );
      expect(await readFile(file, 'utf8')).toBe(dotted);
      expect(await readFile(path.join(home, '.config', 'switchboard', 'config.json'), 'utf8')).toBe(config);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
