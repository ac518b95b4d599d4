/**
 * An install the system refuses, with the real CLI run as an ordinary user (root may write
 * anywhere, so as root it runs through setpriv as "nobody"): the error says what to do, no backup
 * of the write that did not happen is left, and a later install and restore keep what the user
 * wrote in between. A file another user owns (left by a run with sudo) is not taken over. An adopt from
 * a read-only client file stops before Switchboard's config gets the servers.
 */
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/gateway.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** The CLI as an ordinary user with `home` as its HOME. */
function cliAsUser(home: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const command = [process.execPath, path.join(ROOT, 'main/cli.ts'), ...args];
  const privileges = asRoot ? ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'] : [];
  const result = asRoot
    ? spawnSync('setpriv', [...privileges, ...command], { env: { HOME: home }, encoding: 'utf8', timeout: 30_000 })
    : spawnSync(command[0]!, command.slice(1), { env: { HOME: home }, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Makes `paths` the ordinary user's (as root; otherwise they are the user's already). */
async function giveToUser(...paths: string[]): Promise<void> {
  if (asRoot) for (const p of paths) await chown(p, NOBODY, NOBODY);
}

describe('an install the system refuses', () => {
  let home: string;
  let folder: string;
  let file: string;

  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-refused-'));
    folder = path.join(home, '.cursor');
    file = path.join(folder, 'mcp.json');
    await mkdir(folder);
    await writeFile(file, '{\n  "mcpServers": {}\n}\n');
    await giveToUser(home, folder, file);
  });
  afterEach(async () => {
    await chmod(folder, 0o755);
    await rm(home, { recursive: true, force: true });
  });

  it('says the folder is not writable, keeps no backup, and a later restore keeps the edits made since', async () => {
    await chmod(folder, 0o555);
    const refused = cliAsUser(home, ['install', 'cursor']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `cannot write ${file}: this user may not create files in ${folder}; make the folder writable and try again`,
    );
    expect(refused.stderr).not.toMatch(/EACCES|\.tmp/);
    const backups = path.join(home, '.local/state/switchboard/backups');
    expect(await readdir(backups).catch(() => [])).toEqual([]);

    // The user makes the folder writable and adds a server of their own; then installs again.
    await chmod(folder, 0o755);
    const edited = '{\n  "mcpServers": {\n    "mine": { "command": "mine" }\n  }\n}\n';
    await writeFile(file, edited);
    await giveToUser(file);
    const installed = cliAsUser(home, ['install', 'cursor']);
    expect(installed.code).toBe(0);
    // No keychain here: the backup says so, briefly.
    expect(installed.stderr).toContain(
      'the backup of the original file is not encrypted (the OS keychain that would hold its key is not available ' +
        'here); it is readable only by you (mode 0600)',
    );
    expect(installed.stdout).toContain('Backed up the original to');
    const restored = cliAsUser(home, ['restore', 'cursor']);
    expect(restored.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(edited);
  });

  it.runIf(asRoot)(
    'refuses a file another user owns (a run with sudo), saying so, and leaves it as it was',
    async () => {
      await chown(file, 0, 0);
      const before = await readFile(file);
      const refused = cliAsUser(home, ['install', 'cursor']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`cannot write ${file}: it belongs to another user (uid 0`);
      expect(refused.stderr).not.toMatch(/EPERM|\.tmp/);
      expect(await readFile(file)).toEqual(before);
      expect((await readdir(folder)).sort()).toEqual(['mcp.json']);
    },
  );

  it('names a read-only file in the dry run, before any write is tried', async () => {
    await chmod(file, 0o444);
    const before = await readFile(file);
    const dry = cliAsUser(home, ['install', 'cursor', '--dry-run']);
    expect(dry.stderr).toContain(`${file} is read-only; make it writable (chmod u+w) if Switchboard should change it`);
    expect(dry.stdout).toContain('+    "switchboard": {');
    expect(await readFile(file)).toEqual(before);
  });

  it("adopt from a read-only client file changes nothing: Switchboard's config does not get its servers", async () => {
    const original = '{\n  "mcpServers": {\n    "notes": { "command": "notes-mcp", "args": ["--dir", "/x"] }\n  }\n}\n';
    await writeFile(file, original);
    await chmod(file, 0o444);
    const refused = cliAsUser(home, ['adopt', 'cursor']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${file} is read-only; make it writable (chmod u+w)`);
    expect(await readFile(file, 'utf8')).toBe(original);
    // The server stays in Cursor alone: not also in a config made for it.
    const config = path.join(home, '.config', 'switchboard', 'config.json');
    await expect(readFile(config, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
