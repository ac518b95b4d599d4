/**
 * A client config kept in a dotfiles repository, linked into the client's folder, with the real CLI:
 * Switchboard never writes through the link, but its preview shows the change to make there by hand,
 * and once it is made, install has nothing to do and the client reads as installed. Adopt stops before
 * Switchboard's config gets the servers.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/gateway.ts';
import { runCli } from './helpers.ts';

let home: string | undefined;
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

describe('a config file linked from a dotfiles repository', () => {
  it('shows the change to make by hand, writes nothing, and counts it once made', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-dotfiles-'));
    const env = { HOME: home };
    const dotfile = path.join(home, 'dotfiles', 'cursor-mcp.json');
    const link = path.join(home, '.cursor', 'mcp.json');
    const theirs = '{\n  "mcpServers": {\n    "notes": { "command": "notes-mcp" }\n  }\n}\n';
    await mkdir(path.dirname(dotfile), { recursive: true });
    await mkdir(path.dirname(link), { recursive: true });
    await writeFile(dotfile, theirs);
    await symlink(dotfile, link);
    const outside = `outside ${path.dirname(link)}; Switchboard does not write`;
    const refusal = `${link} is a symbolic link to ${dotfile}, ${outside}`;

    const dry = runCli(['install', 'cursor', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(refusal);
    expect(dry.stderr).toContain(`this is the change to make in ${dotfile}`);
    expect(dry.stdout).toMatch(/^\+ {4}"switchboard": \{$/m);

    const install = runCli(['install', 'cursor'], env);
    expect(install.code).toBe(1);
    expect(install.stderr).toContain(refusal);
    expect(await readFile(dotfile, 'utf8')).toBe(theirs);
    const backups = path.join(home, '.local', 'state', 'switchboard', 'backups');
    expect(await readdir(backups).catch(() => [])).toEqual([]);

    // Adopt is refused before anything is stored: the servers stay in Cursor alone.
    const adopt = runCli(['adopt', 'cursor'], env);
    expect(adopt.code).toBe(1);
    expect(adopt.stderr).toContain(refusal);
    await expect(readFile(path.join(home, '.config', 'switchboard', 'config.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    });

    // The user makes the change shown, in the dotfiles repository.
    const entry = { command: process.execPath, args: [path.join(ROOT, 'bin', 'switchboard.js'), 'shim', '--profile'] };
    const edited = JSON.stringify(
      { mcpServers: { notes: { command: 'notes-mcp' }, switchboard: { ...entry, args: [...entry.args, 'default'] } } },
      null,
      2,
    );
    await writeFile(dotfile, edited);
    const again = runCli(['install', 'cursor'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Cursor already has the switchboard entry for profile "default"; nothing changed.');
    expect(runCli(['clients'], env).stdout).toMatch(/^cursor\s+Cursor\s+installed\s+default\s/m);
    expect(await readFile(dotfile, 'utf8')).toBe(edited);
  });
});
