/**
 * The two kinds of entry a client may have, on real files in a temporary HOME: the desktop app's
 * (its program run as Node on the shim file in its data folder) and the command line's (Node on
 * bin/switchboard.js). Each reads as installed to the other, saying whose it is; an entry is outdated
 * only when it no longer works as written, or is this kind's from another place. The CLI is run for real.
 */
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectClient, shimCommand, type ShimCommand } from '../../../main/engine/index.ts';
import { runCli, tempHome, type TempHome } from './helpers.ts';

const NODE = process.execPath;
const SCRIPT = path.resolve(import.meta.dirname, '../../../bin/switchboard.js');

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

/** A stand-in for the installed app: its program and the shim file it copies to its data folder. */
async function appFiles(
  h: TempHome,
): Promise<{ program: string; shimFile: string; shim(profile: string): ShimCommand }> {
  const program = path.join(h.home, 'Applications', 'Switchboard.AppImage');
  const shimFile = path.join(h.home, '.config', 'Switchboard', 'shim', 'switchboard-shim.mjs');
  for (const file of [program, shimFile]) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '');
  }
  const shim = (profile: string) =>
    shimCommand({ executable: program, script: shimFile, profile, env: { ELECTRON_RUN_AS_NODE: '1' } }).shim;
  return { program, shimFile, shim };
}

const cliShim = (profile: string) => shimCommand({ executable: NODE, script: SCRIPT, profile }).shim;
const entryText = (shim: ShimCommand) => JSON.stringify({ mcpServers: { switchboard: shim } }, null, 2);

describe('an entry of the other kind', () => {
  it("reads as installed, with its kind, whether the app or the command line looks at the other's", async () => {
    home = await tempHome();
    const app = await appFiles(home);
    await home.write('claude-desktop', entryText(cliShim('default')));
    await home.write('cursor', entryText(app.shim('work')));

    // The app looking (it writes app entries).
    const fromApp = await detectClient('claude-desktop', home.ctx, app.shim);
    expect(fromApp).toMatchObject({ state: 'installed', entry: 'cli', installs: 'app', profile: 'default' });
    expect(fromApp.outdatedBecause).toBeUndefined();
    // The command line looking (`switchboard clients`, the Clients screen of `switchboard serve`).
    const fromCli = await detectClient('cursor', home.ctx, cliShim);
    expect(fromCli).toMatchObject({ state: 'installed', entry: 'app', installs: 'cli', profile: 'work' });
    // Its own kind, as install writes it, is plain installed.
    expect(await detectClient('cursor', home.ctx, app.shim)).toMatchObject({ state: 'installed', entry: 'app' });
  });

  it('is outdated when its program or the file it runs is gone, saying which', async () => {
    home = await tempHome();
    const app = await appFiles(home);
    await home.write('cursor', entryText(app.shim('default')));
    await rm(app.program);
    expect(await detectClient('cursor', home.ctx, cliShim)).toMatchObject({
      state: 'outdated',
      entry: 'app',
      outdatedBecause: `the program it starts, ${app.program}, no longer exists`,
    });
    // A link left to a Node a version manager removed is gone too.
    const linked = path.join(home.home, 'bin', 'node');
    await mkdir(path.dirname(linked), { recursive: true });
    await symlink(path.join(home.home, '.nvm', 'versions', 'node', 'v20.0.0', 'bin', 'node'), linked);
    await home.write('windsurf', entryText({ command: linked, args: [SCRIPT, 'shim', '--profile', 'default'] }));
    expect((await detectClient('windsurf', home.ctx, app.shim)).outdatedBecause).toBe(
      `the program it starts, ${linked}, no longer exists`,
    );
    const gone = path.join(home.home, 'old-checkout', 'bin', 'switchboard.js');
    await home.write('claude-desktop', entryText({ command: NODE, args: [gone, 'shim', '--profile', 'default'] }));
    expect(await detectClient('claude-desktop', home.ctx, app.shim)).toMatchObject({
      state: 'outdated',
      entry: 'cli',
      outdatedBecause: `the file it runs, ${gone}, no longer exists`,
    });
  });

  it('is outdated when its arguments are in an older form, or it is this kind from another place', async () => {
    home = await tempHome();
    const app = await appFiles(home);
    await home.write('claude-desktop', entryText({ command: NODE, args: [SCRIPT, 'shim'] }));
    expect((await detectClient('claude-desktop', home.ctx, app.shim)).outdatedBecause).toMatch(
      /^its arguments \(.*"shim"\) are in an older form than "shim --profile NAME"$/,
    );
    // An app entry naming another copy of the app that is still there: an old location of the app.
    const old = path.join(home.home, 'Switchboard-1.0.AppImage');
    await writeFile(old, '');
    await home.write('cursor', entryText({ ...app.shim('default'), command: old }));
    expect(await detectClient('cursor', home.ctx, app.shim)).toMatchObject({
      state: 'outdated',
      outdatedBecause: `it starts ${old} ${app.shimFile}, and install now writes ${app.program} ${app.shimFile}`,
    });
    // Seen from the command line, that entry works: it is the app's, installed.
    expect(await detectClient('cursor', home.ctx, cliShim)).toMatchObject({ state: 'installed', entry: 'app' });
  });
});

describe('switchboard clients and install with the desktop app entry (real CLI)', () => {
  it('lists it as installed (app entry), and install keeps it an app entry, changing only the profile', async () => {
    home = await tempHome();
    const app = await appFiles(home);
    const env = { HOME: home.home };
    const file = await home.write('claude-desktop', entryText(app.shim('default')));
    await mkdir(path.join(home.home, '.config', 'switchboard'), { recursive: true });
    await writeFile(
      path.join(home.home, '.config', 'switchboard', 'config.json'),
      '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } } }\n',
    );

    const listed = runCli(['clients'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/claude-desktop\s+Claude Desktop\s+installed \(app entry\)\s+default/);
    expect(listed.stdout).not.toContain('outdated');
    expect(listed.stdout).toContain('App entries (claude-desktop) were written by the Switchboard desktop app');

    const same = runCli(['install', 'claude-desktop'], env);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("Claude Desktop has the Switchboard desktop app's entry");
    expect(same.stdout).toContain('Claude Desktop already has the switchboard entry for profile "default"; nothing');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ mcpServers: { switchboard: app.shim('default') } });

    const work = runCli(['install', 'claude-desktop', '--profile', 'work'], env);
    expect(work.code).toBe(0);
    expect(work.stdout).toContain('Installed Switchboard (profile "work") in Claude Desktop');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ mcpServers: { switchboard: app.shim('work') } });

    // Once the app is gone, its entry is outdated, and install replaces it with the command line's, saying so.
    await rm(app.program);
    const gone = runCli(['clients'], env);
    expect(gone.stdout).toMatch(/claude-desktop\s+Claude Desktop\s+installed \(outdated: run install again\)\s+work/);
    expect(gone.stdout).toContain(
      `claude-desktop: its switchboard entry is outdated: the program it starts, ${app.program}, no longer exists`,
    );
    const replaced = runCli(['install', 'claude-desktop'], env);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain('install replaces it with a command-line entry');
    const entry = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: { switchboard: ShimCommand } }).mcpServers
      .switchboard;
    expect(entry.env).toBeUndefined();
    expect(entry.args.slice(-3)).toEqual(['shim', '--profile', 'work']);
    expect(runCli(['clients'], env).stdout).toMatch(/claude-desktop\s+Claude Desktop\s+installed\s+work/);
  });
});
