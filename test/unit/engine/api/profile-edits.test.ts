import { lstat, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeProfileFromConfigFile, saveProfileToConfigFile } from '../../../../main/engine/api/profile-edits.ts';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import { tempDir } from '../../../helpers/gateway.ts';

const CONFIG = `{
  // mine: kept
  "mcpServers": {
    "github": { "command": "gh-mcp" },
    "notes": { "command": "notes-mcp" },
  },
}
`;

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('profiles edited in the config file', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let file: string;
  beforeEach(async () => {
    dir = await tempDir('sb-profile-edits-');
    file = path.join(dir.dir, 'config.json');
    await writeFile(file, CONFIG);
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it('changes only what was changed in a profile: its one-line layout and comments stay', async () => {
    const written = CONFIG.replace(
      '  },\n}',
      '  },\n  "profiles": {\n' +
        '    "work": { "servers": ["github"], /* day job */ "description": "Work" }, // mine\n  },\n}',
    );
    await writeFile(file, written);
    await saveProfileToConfigFile(file, 'work', { servers: ['github'], description: 'Work' });
    expect(await readFile(file, 'utf8')).toBe(written);
    await saveProfileToConfigFile(file, 'work', { servers: ['github'], description: 'Day job' });
    expect(await readFile(file, 'utf8')).toBe(written.replace('"Work"', '"Day job"'));
  });

  it('adds, replaces and removes a profile, keeping the rest of the file as it was', async () => {
    await saveProfileToConfigFile(file, 'work', { servers: ['github', 'github'], description: '  The day job ' });
    let text = await readFile(file, 'utf8');
    expect(text).toContain('// mine: kept');
    expect(text).toMatch(/"profiles": \{\s+"work": \{\s+"servers": \[\s+"github"\s+\],\s+"description": "The day job"/);
    await saveProfileToConfigFile(file, 'work', { servers: ['notes'], description: '' });
    text = await readFile(file, 'utf8');
    expect(text).not.toContain('The day job');
    expect(text).toMatch(/"work": \{\s+"servers": \[\s+"notes"\s+\]\s+\}/);
    await removeProfileFromConfigFile(file, 'work');
    expect(await readFile(file, 'utf8')).not.toContain('"work"');
    expect(await readFile(file, 'utf8')).toContain('"notes": { "command": "notes-mcp" }');
  });

  it('edits a config linked from elsewhere where it lives, keeping the link', async () => {
    // A dotfiles setup: the config is a link to a file in another folder.
    const dotfiles = path.join(dir.dir, 'dotfiles');
    await mkdir(dotfiles);
    const real = path.join(dotfiles, 'switchboard.json');
    await rename(file, real);
    await symlink(real, file);
    await saveProfileToConfigFile(file, 'work', { servers: ['github'] });
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toMatch(/"work": \{\s+"servers": \[\s+"github"/);
  });

  it('refuses at the field at fault, and writes nothing', async () => {
    const unknown = await refusal(saveProfileToConfigFile(file, 'work', { servers: ['github', 'gitlab'] }));
    expect(unknown).toMatchObject({ code: 'invalid_request', field: 'servers' });
    expect(unknown.message).toMatch(/profile "work" names server "gitlab", which is not in/);
    const badName = await refusal(saveProfileToConfigFile(file, 'deep work', { servers: [] }));
    expect(badName).toMatchObject({ code: 'invalid_request', field: 'name' });
    expect(await readFile(file, 'utf8')).toBe(CONFIG);

    // A problem elsewhere in the file is said with where it is, as the file's to fix, and is not the name's.
    await writeFile(file, CONFIG.replace('"gh-mcp" }', '"gh-mcp", "timeout": "x" }'));
    const elsewhere = await refusal(saveProfileToConfigFile(file, 'work', { servers: ['github'] }));
    expect(elsewhere.field).toBeUndefined();
    expect(elsewhere.message).toMatch(/^the config file has a problem to fix first, at line \d+, mcpServers\.github\./);
    expect(elsewhere.message).toMatch(/ \(the file was not changed\)$/);
    await writeFile(file, CONFIG);

    const missing = await refusal(removeProfileFromConfigFile(file, 'nope'));
    expect(missing).toMatchObject({ code: 'not_found', field: 'name' });
    expect(missing.message).toBe(`there is no profile "nope" in ${file}`);
    const implicit = await refusal(removeProfileFromConfigFile(file, 'default'));
    expect(implicit.message).toBe(`"default" is not listed in ${file}: it is every enabled server, and stays`);
  });

  it('says a profile name is too long in the control API as the config counts it (64), not 256', async () => {
    const { METHODS } = await import('../../../../preload/contract/index.ts');
    const check = METHODS.saveProfile.args.safeParse(['x'.repeat(65), { servers: [] }]);
    expect(check.success).toBe(false);
    expect(JSON.stringify(check.error?.issues)).toContain('64');
  });
});
