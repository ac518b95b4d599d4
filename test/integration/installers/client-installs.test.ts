/**
 * The Clients screen's installer actions (ClientInstalls, behind the control API) on a temporary
 * HOME: moving a client's servers into Switchboard keeps the profile the client starts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientInstalls, installClient, loadConfigFile } from '../../../main/engine/index.ts';
import { SHIM, tempHome, type TempHome } from './helpers.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

const shimFor = (profile: string) => ({ ...SHIM, args: [...SHIM.args.slice(0, -1), profile] });

describe('moving servers from the Clients screen', () => {
  it('keeps the profile the client starts, and the servers join it', async () => {
    home = await tempHome();
    const file = await home.write('cursor', '{ "mcpServers": { "notes": { "command": "notes-mcp" } } }\n');
    await installClient('cursor', home.ctx, shimFor('work'));
    const configPath = path.join(home.home, 'switchboard.json');
    await writeFile(configPath, '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } } }\n');
    const installs = new ClientInstalls(
      { context: home.ctx, shim: shimFor },
      { configPath, secrets: home.ctx.secrets },
      () => ['default', 'work'],
    );
    const preview = await installs.previewAdoption('cursor');
    expect(preview.moving.map((m) => m.name)).toEqual(['notes']);
    // The client's entry keeps starting "work": only the moved server leaves its file.
    expect(preview.clientDiff).toMatch(/^\+.*"--profile","work"/m);
    expect(preview.clientDiff).not.toContain('"default"');
    await installs.adopt('cursor');
    const entry = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, { args: string[] }> })
      .mcpServers;
    expect(Object.keys(entry)).toEqual(['switchboard']);
    expect(entry.switchboard!.args.slice(-2)).toEqual(['--profile', 'work']);
    expect((await loadConfigFile(configPath)).config.profiles.work!.servers).toEqual(['notes']);
  });
});

describe('moving servers when one has a name Switchboard has for a different server', () => {
  it('says that one cannot move and why, and moves the others; naming it is still refused', async () => {
    home = await tempHome();
    const file = await home.write(
      'cursor',
      '{ "mcpServers": { "notes": { "command": "notes-mcp" }, "github": { "command": "gh-mcp" } } }\n',
    );
    const configPath = path.join(home.home, 'switchboard.json');
    const config = '{\n  // mine\n  "mcpServers": { "github": { "command": "another-github" } },\n}\n';
    await writeFile(configPath, config);
    const installs = new ClientInstalls(
      { context: home.ctx, shim: shimFor },
      { configPath, secrets: home.ctx.secrets },
      () => ['default'],
    );
    // The screen opens on what can move; the one whose name is taken is shown with why, also once ticks change.
    const problem = `Switchboard's config already has a different server named "github": rename one of them to move it`;
    for (const preview of [
      await installs.previewAdoption('cursor'),
      await installs.previewAdoption('cursor', ['notes']),
    ]) {
      expect(preview.adoptable.find((s) => s.name === 'github')).toMatchObject({ kind: 'unsupported', problem });
      expect(preview.adoptable.find((s) => s.name === 'notes')).not.toHaveProperty('problem');
      expect(preview.moving.map((m) => m.name)).toEqual(['notes']);
      expect(preview.configDiff).not.toContain('gh-mcp');
    }
    await expect(installs.previewAdoption('cursor', ['github'])).rejects.toThrow(
      /already has a different server named "github"/,
    );
    const done = await installs.adopt('cursor');
    expect(done.moved).toEqual(['notes']);
    expect(done.warnings).toContain(`left "github" in Cursor: ${problem}`);
    // Switchboard's github and the client's stay as they were.
    const client = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(client.mcpServers)).toEqual(['github', 'switchboard']);
    const after = await readFile(configPath, 'utf8');
    expect(after).toContain('// mine');
    const { servers } = (await loadConfigFile(configPath)).config;
    expect(Object.keys(servers)).toEqual(['github', 'notes']);
    expect(servers.github).toMatchObject({ command: 'another-github' });
  });
});

describe("moving servers into the app's Switchboard from a client with a command-line entry", () => {
  it('keeps the entry `switchboard install` wrote: moving servers is not switching its kind', async () => {
    home = await tempHome();
    const script = path.resolve(import.meta.dirname, '../../../bin/switchboard.js');
    const cli = { command: process.execPath, args: [script, 'shim', '--profile', 'default'] };
    const file = await home.write(
      'cursor',
      JSON.stringify({ mcpServers: { notes: { command: 'notes-mcp' }, switchboard: cli } }, null, 2),
    );
    const configPath = path.join(home.home, 'switchboard.json');
    await writeFile(configPath, '{ "mcpServers": {} }\n');
    // The app's entries: its program run as Node on the shim file in its data folder.
    const appShim = (profile: string) => ({
      command: path.join(home!.home, 'Switchboard.AppImage'),
      args: [path.join(home!.home, 'switchboard-shim.mjs'), 'shim', '--profile', profile],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
    const installs = new ClientInstalls(
      { context: home.ctx, shim: appShim },
      { configPath, secrets: home.ctx.secrets },
      () => ['default'],
    );
    expect((await installs.list()).find((c) => c.id === 'cursor')).toMatchObject({
      state: 'installed',
      entry: 'cli',
      installs: 'app',
    });
    const preview = await installs.previewAdoption('cursor');
    expect(preview.clientDiff).not.toContain('ELECTRON_RUN_AS_NODE');
    await installs.adopt('cursor');
    const entries = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers;
    expect(entries).toEqual({ switchboard: cli });
  });
});

describe('a client whose entry starts a profile the config no longer has', () => {
  it('is listed with why its client will be refused, and what to do', async () => {
    home = await tempHome();
    await home.write('cursor', '{ "mcpServers": {} }\n');
    await installClient('cursor', home.ctx, shimFor('work'));
    const installs = new ClientInstalls(
      { context: home.ctx, shim: shimFor },
      { configPath: path.join(home.home, 'switchboard.json'), secrets: home.ctx.secrets },
      () => ['default', 'team'],
    );
    expect((await installs.list()).find((c) => c.id === 'cursor')).toMatchObject({
      profile: 'work',
      problem:
        'It starts profile "work", which the config no longer has, so Switchboard refuses it at its start ' +
        '(the config has "default", "team"): install again with one of those.',
    });
  });
});
