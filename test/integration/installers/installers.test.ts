/**
 * Every installer against its sample file under a temporary HOME, in the macOS and Linux
 * layouts (Windows paths are checked as strings in the unit tests): only our entry changes,
 * everything else stays byte for byte, restore gives the original back exactly.
 */
import { execFileSync, spawn } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chmod, lstat, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptClient,
  applyChange,
  clientDefinition,
  CLIENT_IDS,
  detectClient,
  GatewayError,
  installClient,
  listAdoptable,
  planInstall,
  readBackupRecord,
  restoreClient,
  uninstallClient,
  type ClientId,
} from '../../../main/engine/index.ts';
import { splitText } from '../../../main/engine/installers/text.ts';
import { waitFor } from '../../helpers/gateway.ts';
import { SHIM, tempHome, type TempHome } from './helpers.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

async function expectGatewayError(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe(code);
  expect((err as Error).message).toMatch(pattern);
}

/**
 * Whether a file can be made immutable here (chattr +i: root, on a file system that has the flag),
 * as a file Locked in Finder or held open on Windows refuses to be replaced.
 */
function canLock(): boolean {
  const probe = path.join(tmpdir(), `sb-lock-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

/** A client that kept saving its file is the one failure a race may give, and it says so: false. */
function expectConflict(err: unknown): false {
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('client_config_conflict');
  return false;
}

/** Every removed line of the diff reappears as an added line, at most with a comma added. */
function onlyAdditions(diff: string): void {
  const lines = diff.split('\n').filter((l) => !l.startsWith('---') && !l.startsWith('+++'));
  const removed = lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1));
  const added = lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1));
  // The one changed line may gain a comma (`}` -> `},`) or open up (`"mcpServers": {}` -> `"mcpServers": {`).
  for (const line of removed)
    expect(added.some((a) => a === `${line},` || (line.endsWith('{}') && a === line.slice(0, -1)))).toBe(true);
  expect(removed.length).toBeLessThanOrEqual(1);
}

describe.each(['linux', 'darwin'] as const)('installers, %s layout', (platform) => {
  it.each(CLIENT_IDS.map((id) => [id]))('%s: install adds only our entry; restore is exact', async (id: ClientId) => {
    home = await tempHome(platform);
    const def = clientDefinition(id);
    const original = await home.seed(id);
    const file = home.file(id);
    await chmod(file, 0o640);
    const before = def.format.read(splitText(original.toString('utf8')).body, file);

    expect((await detectClient(id, home.ctx)).state).toBe('not-installed');
    const plan = await planInstall(id, home.ctx, SHIM);
    expect(plan.changed).toBe(true);
    expect(await readFile(file)).toEqual(original);

    const result = await installClient(id, home.ctx, SHIM);
    expect(result.written).toBe(true);
    expect(result.backupCreated).toBe(true);
    expect(result.verified).toEqual({ ok: true });
    expect(result.plan.diff).toBe(plan.diff);
    onlyAdditions(result.plan.diff);

    const text = await readFile(file, 'utf8');
    const { body, shape } = splitText(text);
    expect(shape).toEqual(splitText(original.toString('utf8')).shape);
    if (shape.eol === '\r\n') expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(def.format.read(body, file)).toEqual([...before, ['switchboard', def.entry(SHIM)]]);
    // Taking our entry out again gives the original text: nothing else was touched.
    expect(def.format.remove(body, file, 'switchboard', shape.eol)).toBe(splitText(original.toString('utf8')).body);
    expect((await stat(file)).mode & 0o777).toBe(0o640);

    const status = await detectClient(id, home.ctx, SHIM);
    expect(status).toMatchObject({ state: 'installed', profile: 'default', detected: true });
    expect((await installClient(id, home.ctx, SHIM)).written).toBe(false);

    const restored = await restoreClient(id, home.ctx);
    expect(restored.action).toBe('restored');
    expect(await readFile(file)).toEqual(original);
    expect(await readBackupRecord(home.ctx.stateDir, id)).toBeUndefined();
  });
});

describe('installer safety', () => {
  it.each([['cursor'], ['codex'], ['goose']] as const)(
    '%s: creates a missing file, and restore removes it with the folders made for it',
    async (id) => {
      home = await tempHome();
      expect((await detectClient(id, home.ctx)).state).toBe('not-detected');
      await installClient(id, home.ctx, SHIM);
      expect((await detectClient(id, home.ctx, SHIM)).state).toBe('installed');
      expect((await stat(home.file(id))).mode & 0o777).toBe(0o600);
      expect((await restoreClient(id, home.ctx)).action).toBe('removed');
      await expect(lstat(home.file(id))).rejects.toThrow(/ENOENT/);
      // As before the install: the client is not found here (its folder is what says it is).
      await expect(lstat(path.dirname(home.file(id)))).rejects.toThrow(/ENOENT/);
      expect((await detectClient(id, home.ctx)).state).toBe('not-detected');
      expect((await readdir(home.home)).sort()).toEqual(['.local']);
    },
  );

  it('restore keeps a folder it made once something else is in it, and the folders that were there', async () => {
    home = await tempHome();
    const file = home.file('vscode');
    await mkdir(path.join(home.home, '.config'));
    await installClient('vscode', home.ctx, SHIM);
    // VS Code, installed meanwhile, keeps its settings beside the file.
    await writeFile(path.join(path.dirname(file), 'settings.json'), '{}\n');
    expect((await restoreClient('vscode', home.ctx)).action).toBe('removed');
    await expect(lstat(file)).rejects.toThrow(/ENOENT/);
    expect(await readdir(path.dirname(file))).toEqual(['settings.json']);

    // A folder there before the install stays, empty or not.
    await rm(path.join(path.dirname(file), 'settings.json'));
    await installClient('vscode', home.ctx, SHIM);
    expect((await restoreClient('vscode', home.ctx)).action).toBe('removed');
    expect(await readdir(path.dirname(file))).toEqual([]);
  });

  it.each([
    ['cursor', 'invalid.json', /mcp\.json:5:1: syntax error: expected "}"/],
    ['codex', 'invalid.toml', /config\.toml:2:\d+: TOML syntax error/],
    ['goose', 'invalid.yaml', /config\.yaml:\d+:\d+: YAML syntax error/],
  ] as const)('%s: never rewrites a file it cannot parse (%s)', async (id, fixture, pattern) => {
    home = await tempHome();
    const original = await home.seed(id, fixture);
    await expectGatewayError(installClient(id, home.ctx, SHIM), 'config_invalid', pattern);
    expect(await readFile(home.file(id))).toEqual(original);
    expect(await readBackupRecord(home.ctx.stateDir, id)).toBeUndefined();
    expect((await detectClient(id, home.ctx)).state).toBe('invalid');
  });

  it('refuses a read-only file', async () => {
    home = await tempHome();
    const original = await home.seed('claude-desktop');
    await chmod(home.file('claude-desktop'), 0o444);
    await expectGatewayError(installClient('claude-desktop', home.ctx, SHIM), 'unsafe_path', /is read-only/);
    expect(await readFile(home.file('claude-desktop'))).toEqual(original);
  });

  it('writes through a symlink inside the client folder and keeps the link', async () => {
    home = await tempHome();
    const file = home.file('cursor');
    await mkdir(path.dirname(file), { recursive: true });
    const real = path.join(path.dirname(file), 'mcp.real.json');
    await writeFile(real, '{}\n');
    await symlink('mcp.real.json', file);
    const result = await installClient('cursor', home.ctx, SHIM);
    expect(result.plan.target).toBe(real);
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toContain('"switchboard"');
    await restoreClient('cursor', home.ctx);
    expect(await readFile(real, 'utf8')).toBe('{}\n');
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
  });

  it('reads through a symlink that leads out of the client folder (dotfiles), never writes through it', async () => {
    home = await tempHome();
    const file = home.file('cursor');
    await mkdir(path.dirname(file), { recursive: true });
    const outside = path.join(home.home, 'dotfiles', 'cursor-mcp.json');
    const theirs = '{ "mcpServers": { "notes": { "command": "notes-mcp" } } }\n';
    await mkdir(path.dirname(outside));
    await writeFile(outside, theirs);
    await symlink(outside, file);
    const status = await detectClient('cursor', home.ctx, SHIM);
    expect(status).toMatchObject({ state: 'not-installed', servers: ['notes'] });
    expect(status.problem).toMatch(
      /symbolic link to .*cursor-mcp\.json, outside .*; Switchboard does not write through it/,
    );
    expect((await listAdoptable('cursor', home.ctx)).servers.map((s) => s.name)).toEqual(['notes']);
    await expectGatewayError(
      installClient('cursor', home.ctx, SHIM),
      'unsafe_path',
      /symbolic link to .*cursor-mcp\.json, outside/,
    );
    expect(await readFile(outside, 'utf8')).toBe(theirs);
  });

  it('redoes the edit when the client writes the file in between, and backs up the version it replaced', async () => {
    home = await tempHome();
    await home.seed('lm-studio');
    const file = home.file('lm-studio');
    const def = clientDefinition('lm-studio');
    let calls = 0;
    const clientVersion = '{\n  "mcpServers": { "new": { "command": "x" } }\n}\n';
    const { writeFileSync } = await import('node:fs');
    const raced = await applyChange(def, home.ctx, (body, f, eol) => {
      calls++;
      if (calls === 1) writeFileSync(file, clientVersion);
      return def.format.set(body, f, 'switchboard', def.entry(SHIM), eol);
    });
    expect(calls).toBe(2);
    expect(raced.plan.before).toBe(clientVersion);
    expect(def.format.read(await readFile(file, 'utf8'), file).map(([n]) => n)).toEqual(['new', 'switchboard']);
    await restoreClient('lm-studio', home.ctx);
    expect(await readFile(file, 'utf8')).toBe(clientVersion);
  });

  it.each([
    ['replaces it', 'rename', 'small'],
    ['writes into it', 'in place', 'small'],
    // Over 1 MiB, told from the file's status, not read back.
    ['replaces it', 'rename', 'large'],
    ['writes into it', 'in place', 'large'],
  ] as const)('says so when the client %s right after the write (%s, %s file)', async (_, how, size) => {
    home = await tempHome();
    await home.seed('cursor');
    const file = home.file('cursor');
    const padding = size === 'large' ? 'x'.repeat(2 << 20) : '';
    if (padding) await writeFile(file, JSON.stringify({ mcpServers: {}, padding }));
    const clientVersion = JSON.stringify({ mcpServers: {}, padding: padding.slice(0, -200) }) + '\n';
    // The client saves once, as soon as Switchboard's new file is in place.
    const fs = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
    const rename = fs.rename;
    fs.rename = async (from, to) => {
      await rename(from, to);
      if (to !== file) return;
      fs.rename = rename;
      syncBuiltinESMExports();
      if (how === 'rename') {
        writeFileSync(`${file}.saving`, clientVersion);
        renameSync(`${file}.saving`, file);
      } else writeFileSync(file, clientVersion);
    };
    syncBuiltinESMExports();
    try {
      await expectGatewayError(
        installClient('cursor', home.ctx, SHIM),
        'client_config_conflict',
        /changed right after Switchboard wrote it; run the command again/,
      );
    } finally {
      fs.rename = rename;
      syncBuiltinESMExports();
    }
    expect(await readFile(file, 'utf8')).toBe(clientVersion);
  });

  it('uninstall removes only our entry; the backup stays until restore', async () => {
    home = await tempHome();
    const original = await home.seed('zed');
    await installClient('zed', home.ctx, SHIM);
    const result = await uninstallClient('zed', home.ctx);
    expect(result.written).toBe(true);
    expect(await readFile(home.file('zed'))).toEqual(original);
    expect(await readBackupRecord(home.ctx.stateDir, 'zed')).toBeDefined();
    expect((await restoreClient('zed', home.ctx)).action).toBe('unchanged');
  });

  it('keeps backups private and encrypted when a secret store is given', async () => {
    home = await tempHome();
    await home.seed('claude-desktop');
    await installClient('claude-desktop', home.ctx, SHIM);
    const record = (await readBackupRecord(home.ctx.stateDir, 'claude-desktop'))!;
    expect(record.encrypted).toBe(true);
    expect((await stat(path.join(home.ctx.stateDir, 'backups'))).mode & 0o777).toBe(0o700);
    expect((await stat(record.file!)).mode & 0o777).toBe(0o600);
    expect((await readFile(record.file!)).toString('latin1')).not.toContain('ghp_FIXTURE');
    const plain = { ...home.ctx, secrets: undefined };
    await expectGatewayError(restoreClient('claude-desktop', plain), 'secret_store_unavailable', /encrypted/);
    expect(await readdir(path.join(home.ctx.stateDir, 'backups'))).toHaveLength(2);
  });

  it('gives a file deleted since the install its original permissions back on restore', async () => {
    home = await tempHome();
    const original = await home.seed('cursor');
    await chmod(home.file('cursor'), 0o644);
    await installClient('cursor', home.ctx, SHIM);
    await rm(home.file('cursor'));
    expect((await restoreClient('cursor', home.ctx)).action).toBe('restored');
    expect(await readFile(home.file('cursor'))).toEqual(original);
    expect((await stat(home.file('cursor'))).mode & 0o777).toBe(0o644);
  });

  it("keeps the client's later version aside when restoring over it, as a file a person can open", async () => {
    home = await tempHome();
    const original = await home.seed('cursor');
    await installClient('cursor', home.ctx, SHIM);
    await writeFile(home.file('cursor'), '{ "mcpServers": {} }\n');
    const result = await restoreClient('cursor', home.ctx);
    expect(await readFile(home.file('cursor'))).toEqual(original);
    expect(result.keptCurrent).toMatch(/cursor-before-restore-.*-mcp\.json$/);
    expect(await readFile(result.keptCurrent!, 'utf8')).toBe('{ "mcpServers": {} }\n');
    expect((await stat(result.keptCurrent!)).mode & 0o777).toBe(0o600);
    await expectGatewayError(restoreClient('cursor', home.ctx), 'not_found', /no backup/);
  });

  it('keeps edits aside on restore even when Switchboard wrote the file again after them', async () => {
    home = await tempHome();
    const original = await home.seed('cursor');
    await installClient('cursor', home.ctx, SHIM);
    // The user adds a server by hand; then Switchboard writes again (another profile), carrying it along.
    const edited = (await readFile(home.file('cursor'), 'utf8')).replace(
      '"mcpServers": {',
      '"mcpServers": {\n    "added-by-hand": { "command": "my-server" },',
    );
    await writeFile(home.file('cursor'), edited);
    const work = { ...SHIM, args: [...SHIM.args.slice(0, -1), 'work'] };
    expect((await installClient('cursor', home.ctx, work)).written).toBe(true);
    const result = await restoreClient('cursor', home.ctx);
    expect(await readFile(home.file('cursor'))).toEqual(original);
    expect(result.keptCurrent).toBeDefined();
    expect(await readFile(result.keptCurrent!, 'utf8')).toContain('added-by-hand');
  });

  it('restores while the client keeps saving its file: keeps its version aside, or says why not', async () => {
    home = await tempHome();
    const file = await home.write('claude-code', '{\n  "numStartups": 0\n}\n');
    // A real process saving the file every 2 ms, by rename, as Claude Code saves ~/.claude.json often.
    const saver = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const f = ${JSON.stringify(file)}; let i = 0;
         const save = () => {
           fs.writeFileSync(f + '.w', JSON.stringify({ numStartups: ++i }));
           fs.renameSync(f + '.w', f);
         };
         const t = setInterval(save, 2);
         setTimeout(() => clearInterval(t), 20000);`,
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(async () => (await readFile(file, 'utf8')).includes('"numStartups":'), 10_000, 'the saver');
      // How often a try meets a save depends on the machine's load: what must never happen is a
      // failure other than "kept rewriting" (a retried restore failed with EEXIST 4 times in 5 runs).
      for (let round = 0; round < 60; round++) {
        const installed = await installClient('claude-code', home.ctx, SHIM).then(
          () => true,
          (err: unknown) => expectConflict(err),
        );
        if (!installed) continue;
        const restored = await restoreClient('claude-code', home.ctx).then(
          (result) => result,
          (err: unknown) => expectConflict(err),
        );
        if (restored && restored.keptCurrent) {
          expect(JSON.parse(await readFile(restored.keptCurrent, 'utf8'))).toHaveProperty('numStartups');
        }
      }
    } finally {
      saver.kill();
    }
  });

  it('keeps what the client added to its entry: still installed, and installing again keeps it', async () => {
    home = await tempHome();
    const file = await home.write('cursor', '{ "mcpServers": {} }\n');
    await installClient('cursor', home.ctx, SHIM);
    const added = { autoApprove: ['github__search'], disabled: false, timeout: 120 };
    const config = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, object> };
    config.mcpServers.switchboard = { ...config.mcpServers.switchboard, ...added };
    await writeFile(file, JSON.stringify(config, null, 2));
    const status = await detectClient('cursor', home.ctx, SHIM);
    // "disabled": false is on: nothing to say.
    expect([status.state, status.problem]).toEqual(['installed', undefined]);
    expect((await installClient('cursor', home.ctx, SHIM)).written).toBe(false);
    // Nor is an entry rewritten that says the same on one line (a minified file).
    const minified = JSON.stringify(JSON.parse(await readFile(file, 'utf8')));
    await writeFile(file, minified);
    expect((await installClient('cursor', home.ctx, SHIM)).written).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(minified);
    // Another profile changes the command line only.
    const work = { ...SHIM, args: [...SHIM.args.slice(0, -1), 'work'] };
    const reinstalled = await installClient('cursor', home.ctx, work);
    expect(reinstalled.verified).toEqual({ ok: true });
    const entry = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, object> }).mcpServers
      .switchboard;
    expect(entry).toEqual({ command: SHIM.command, args: work.args, ...added });
  });

  it('says an entry turned off in the client (disabled: true) is installed but not started there', async () => {
    home = await tempHome();
    const file = await home.write('cline', '{ "mcpServers": {} }\n');
    await installClient('cline', home.ctx, SHIM);
    const config = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, object> };
    config.mcpServers.switchboard = { ...config.mcpServers.switchboard, disabled: true };
    await writeFile(file, JSON.stringify(config, null, 2));
    expect(await detectClient('cline', home.ctx, SHIM)).toMatchObject({
      state: 'installed',
      problem: 'its switchboard entry is turned off there (disabled: true): Cline does not start Switchboard until on',
    });
    // Installing again keeps the client's own switch.
    expect((await installClient('cline', home.ctx, SHIM)).written).toBe(false);
  });

  it('Goose: its own keys on our entry (env_keys, enabled: false) keep it ours and are kept', async () => {
    home = await tempHome();
    const file = await home.write('goose', 'extensions: {}\n');
    await installClient('goose', home.ctx, SHIM);
    // What Goose writes back when it saves its config, and a user turning Switchboard off there.
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('enabled: true', 'enabled: false\n    env_keys: []\n    bundled: null'));
    const status = await detectClient('goose', home.ctx, SHIM);
    expect(status).toMatchObject({ state: 'installed', profile: 'default' });
    // Installed, and said to be off: Goose does not start it.
    expect(status.problem).toBe(
      'its switchboard entry is turned off there (enabled: false): Goose does not start Switchboard until on',
    );
    const work = { ...SHIM, args: [...SHIM.args.slice(0, -1), 'work'] };
    expect((await installClient('goose', home.ctx, work)).verified).toEqual({ ok: true });
    const after = await readFile(file, 'utf8');
    expect(after).toContain('enabled: false');
    expect(after).toContain('- work');
    expect((await uninstallClient('goose', home.ctx)).written).toBe(true);
  });

  it.runIf(canLock())('says a locked file is locked (not that its folder is not writable)', async () => {
    home = await tempHome();
    const file = await home.write('cursor', '{ "mcpServers": {} }\n');
    execFileSync('chattr', ['+i', file]);
    try {
      await expectGatewayError(
        installClient('cursor', home.ctx, SHIM),
        'unsafe_path',
        /^cannot replace .*mcp\.json: the file is locked or in use/,
      );
      expect(await readdir(path.dirname(file))).toEqual(['mcp.json']);
    } finally {
      execFileSync('chattr', ['-i', file]);
    }
  });

  it('lists installed clients when this copy cannot write an entry (the app run from its disk image)', async () => {
    home = await tempHome();
    await home.write('cursor', '{ "mcpServers": {} }\n');
    // Files that are there: an entry whose program is gone reads as outdated even then.
    const script = path.resolve(import.meta.dirname, '../../../bin/switchboard.js');
    await installClient('cursor', home.ctx, {
      command: process.execPath,
      args: [script, 'shim', '--profile', 'default'],
    });
    const refuses = (): never => {
      throw new GatewayError('unsafe_path', 'Switchboard runs from its disk image: move it to Applications first');
    };
    expect(await detectClient('cursor', home.ctx, refuses)).toMatchObject({ state: 'installed', profile: 'default' });
  });

  it('never replaces or removes a server the user named "switchboard" that is not Switchboard', async () => {
    home = await tempHome();
    const file = home.file('cursor');
    await mkdir(path.dirname(file), { recursive: true });
    const theirs =
      '{\n  "mcpServers": {\n    "switchboard": { "command": "npx", "args": ["acme-switchboard"] }\n  }\n}\n';
    await writeFile(file, theirs);
    const status = await detectClient('cursor', home.ctx, SHIM);
    expect(status).toMatchObject({ state: 'not-installed', servers: ['switchboard'] });
    expect(status.problem).toMatch(
      /its server named "switchboard" is not Switchboard \(it runs npx\); rename it there/,
    );
    const refusal = new RegExp(
      `${file} already has a server named "switchboard" that is not Switchboard \\(it runs npx\\)`,
    );
    await expectGatewayError(installClient('cursor', home.ctx, SHIM), 'invalid_request', refusal);
    await expectGatewayError(uninstallClient('cursor', home.ctx), 'invalid_request', refusal);
    const configPath = path.join(home.home, 'sb.json');
    await expectGatewayError(
      adoptClient('cursor', { ...home.ctx, configPath }, { shim: SHIM }),
      'invalid_request',
      refusal,
    );
    expect(await readFile(file, 'utf8')).toBe(theirs);
    expect(await readBackupRecord(home.ctx.stateDir, 'cursor')).toBeUndefined();
  });

  it('refuses an entry named "switchboard" that is null or no object, naming the file and what it is', async () => {
    home = await tempHome();
    const file = home.file('cursor');
    await mkdir(path.dirname(file), { recursive: true });
    for (const [value, said] of [
      ['null', 'it is null, not a server entry'],
      ['"off"', 'it is a string, not a server entry'],
    ] as const) {
      const theirs = `{ "mcpServers": { "switchboard": ${value} } }\n`;
      await writeFile(file, theirs);
      const refusal = new RegExp(
        `${file} already has a server named "switchboard" that is not Switchboard \\(${said}\\)`,
      );
      await expectGatewayError(installClient('cursor', home.ctx, SHIM), 'invalid_request', refusal);
      await expectGatewayError(uninstallClient('cursor', home.ctx), 'invalid_request', refusal);
      expect(await readFile(file, 'utf8')).toBe(theirs);
    }
  });

  it('says what a remote server named "switchboard" connects to, its URL without query or login', async () => {
    home = await tempHome();
    const file = home.file('cursor');
    await mkdir(path.dirname(file), { recursive: true });
    for (const [entry, said] of [
      ['{ "url": "http://user:pw@127.0.0.1:3000/mcp?key=s3cret" }', 'it connects to http://127.0.0.1:3000/mcp'],
      ['{ "type": "http" }', 'it is a "http" server with no URL'],
    ] as const) {
      const theirs = `{ "mcpServers": { "switchboard": ${entry} } }\n`;
      await writeFile(file, theirs);
      const status = await detectClient('cursor', home.ctx, SHIM);
      expect(status.problem).toBe(
        `its server named "switchboard" is not Switchboard (${said}); rename it there to install Switchboard`,
      );
      await expectGatewayError(
        installClient('cursor', home.ctx, SHIM),
        'invalid_request',
        new RegExp(
          `already has a server named "switchboard" that is not Switchboard \\(${said.replace(/[.?]/g, '\\$&')}\\)`,
        ),
      );
      expect(await readFile(file, 'utf8')).toBe(theirs);
    }
  });

  it("refuses to change a client's file at a new place while its backup is of another", async () => {
    home = await tempHome();
    await home.seed('claude-code');
    await installClient('claude-code', home.ctx, SHIM);
    // The same client, now configured elsewhere (CLAUDE_CONFIG_DIR set for this run only).
    const elsewhere = path.join(home.home, 'alt');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(path.join(elsewhere, '.claude.json'), '{ "mcpServers": {} }\n');
    const moved = { ...home.ctx, env: { CLAUDE_CONFIG_DIR: elsewhere } };
    await expectGatewayError(
      installClient('claude-code', moved, SHIM),
      'client_config_conflict',
      /backup of claude-code is of .*\.claude\.json, but its config is now .*alt.*restore claude-code first/,
    );
    expect(await readFile(path.join(elsewhere, '.claude.json'), 'utf8')).toBe('{ "mcpServers": {} }\n');
    // Restoring the first puts it back; then the new place can be installed into, with a backup of its own.
    expect((await restoreClient('claude-code', home.ctx)).action).toBe('restored');
    expect((await installClient('claude-code', moved, SHIM)).backupCreated).toBe(true);
  });
});
