/**
 * Client files laid out in ways the sample files are not: the entry install writes follows the
 * file's own layout, and uninstall leaves the file as it was.
 */
import { link, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  detectClient,
  GatewayError,
  installClient,
  planInstall,
  restoreClient,
  uninstallClient,
} from '../../../main/engine/index.ts';
import { SHIM, tempHome, type TempHome } from './helpers.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

describe('a JSONC file that opens with a block comment', () => {
  it("indents the entry as the file's settings are, not as the comment's lines", async () => {
    home = await tempHome();
    const text =
      '/*\n * My Zed settings.\n * Synced by hand.\n */\n{\n    "theme": "One Dark",\n' +
      '    "context_servers": {}\n}\n';
    const file = await home.write('zed', text);
    const plan = await planInstall('zed', home.ctx, SHIM);
    await installClient('zed', home.ctx, SHIM, plan.fingerprint);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(plan.after);
    expect(after).toContain('\n    "context_servers": {\n        "switchboard": {\n            "command": ');
    expect(after).toContain('\n            "args": [\n                "/opt/switchboard/bin/switchboard.js",\n');
    await uninstallClient('zed', home.ctx);
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});

describe('a YAML section with nothing in it yet and a comment on its line', () => {
  it('keeps the comment when install fills the section (Continue, Goose)', async () => {
    home = await tempHome();
    const continueText =
      'name: My Assistant\nversion: 1.0.0\nschema: v1\nmcpServers: [] # servers go here\nmodels: []\n';
    const gooseText = 'GOOSE_PROVIDER: openai\nextensions: # none yet, see the docs\nGOOSE_MODEL: gpt-4o\n';
    const files = { continue: await home.write('continue', continueText), goose: await home.write('goose', gooseText) };
    for (const id of ['continue', 'goose'] as const) {
      const plan = await planInstall(id, home.ctx, SHIM);
      await installClient(id, home.ctx, SHIM, plan.fingerprint);
      expect(await readFile(files[id], 'utf8')).toBe(plan.after);
    }
    expect(await readFile(files.continue, 'utf8')).toMatch(
      /^mcpServers: # servers go here\n {2}- name: switchboard\n/m,
    );
    expect(await readFile(files.goose, 'utf8')).toMatch(/^extensions: # none yet, see the docs\n {2}switchboard:\n/m);
  });
});

describe('a JSON file with our entry in it twice (pasted twice)', () => {
  it('reads the one the client starts (the last), updates it, and uninstall takes both out', async () => {
    home = await tempHome();
    const shimFor = (profile: string) => ({ ...SHIM, args: [...SHIM.args.slice(0, -1), profile] });
    const file = await home.write(
      'cursor',
      `{\n  "mcpServers": {\n    "switchboard": ${JSON.stringify(SHIM)},\n    "memory": {"command": "npx"},\n` +
        `    "switchboard": ${JSON.stringify(shimFor('work'))}\n  }\n}\n`,
    );
    const started = () => readFile(file, 'utf8').then((t) => JSON.parse(t) as { mcpServers: Record<string, unknown> });
    const before = await detectClient('cursor', home.ctx, shimFor);
    expect(before).toMatchObject({ state: 'installed', profile: 'work', servers: ['memory'] });
    const result = await installClient('cursor', home.ctx, SHIM);
    expect(result.written).toBe(true);
    expect((await started()).mcpServers.switchboard).toEqual(SHIM);
    await uninstallClient('cursor', home.ctx);
    expect((await started()).mcpServers).toEqual({ memory: { command: 'npx' } });
    expect(await detectClient('cursor', home.ctx, shimFor)).toMatchObject({
      state: 'not-installed',
      servers: ['memory'],
    });
  });
});

describe('a JSON file written on one line', () => {
  it('stays on one line when install changes the entry it wrote there (another profile)', async () => {
    home = await tempHome();
    const file = await home.write('claude-desktop', '{"mcpServers":{"memory":{"command":"npx"}},"theme":"dark"}\n');
    await installClient('claude-desktop', home.ctx, SHIM);
    const work = { ...SHIM, args: [...SHIM.args.slice(0, -1), 'work'] };
    const plan = await planInstall('claude-desktop', home.ctx, work);
    await installClient('claude-desktop', home.ctx, work, plan.fingerprint);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(plan.after);
    expect(after).toBe(
      `{"mcpServers":{"memory":{"command":"npx"}, "switchboard": ${JSON.stringify(work)}},"theme":"dark"}\n`,
    );
    expect(plan.diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toHaveLength(2);
  });
});

describe('a client file that is a hard link (the same file under another name, in a dotfiles folder)', () => {
  it('is not replaced by a file of its own: the preview shows the change to make, install refuses', async () => {
    home = await tempHome();
    const theirs = '{\n  "mcpServers": {\n    "notes": { "command": "notes-mcp" }\n  }\n}\n';
    const file = await home.write('cursor', theirs);
    const dotfile = path.join(home.home, 'dotfiles', 'cursor-mcp.json');
    await mkdir(path.dirname(dotfile), { recursive: true });
    await link(file, dotfile);
    expect((await detectClient('cursor', home.ctx, SHIM)).problem).toMatch(/is a hard link .* does not write it/);
    const plan = await planInstall('cursor', home.ctx, SHIM);
    expect(plan.refused).toMatch(/is a hard link/);
    expect(plan.diff).toMatch(/^\+ {4}"switchboard": \{$/m);
    const err = await installClient('cursor', home.ctx, SHIM, plan.fingerprint).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('unsafe_path');
    // Still one file under both names, as the user had it, and no backup of a change not made.
    expect((await stat(file)).ino).toBe((await stat(dotfile)).ino);
    expect(await readFile(dotfile, 'utf8')).toBe(theirs);
    expect(await readdir(path.join(home.ctx.stateDir, 'backups')).catch(() => [])).toEqual([]);
  });

  it('made one after the install, is not replaced by a restore either: it says why, the backup stays', async () => {
    home = await tempHome();
    const theirs = '{\n  "mcpServers": {\n    "notes": { "command": "notes-mcp" }\n  }\n}\n';
    const file = await home.write('cursor', theirs);
    await installClient('cursor', home.ctx, SHIM, (await planInstall('cursor', home.ctx, SHIM)).fingerprint);
    const installed = await readFile(file, 'utf8');
    const dotfile = path.join(home.home, 'dotfiles', 'cursor-mcp.json');
    await mkdir(path.dirname(dotfile), { recursive: true });
    await link(file, dotfile);
    const err = await restoreClient('cursor', home.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('unsafe_path');
    expect((err as GatewayError).message).toMatch(/is a hard link .*replace the link with a copy/);
    // Still one file under both names, and the backup is there for a restore once the link is a copy.
    expect((await stat(file)).ino).toBe((await stat(dotfile)).ino);
    expect(await readFile(dotfile, 'utf8')).toBe(installed);
    await rm(file);
    await writeFile(file, installed);
    expect((await restoreClient('cursor', home.ctx)).action).toBe('restored');
    expect(await readFile(file, 'utf8')).toBe(theirs);
  });
});

describe('a JSON file whose server section is null', () => {
  it('is read as having no servers, and install fills the section', async () => {
    home = await tempHome();
    const file = await home.write('claude-desktop', '{\n  "mcpServers": null,\n  "globalShortcut": "Alt+Space"\n}\n');
    expect(await detectClient('claude-desktop', home.ctx, SHIM)).toMatchObject({ state: 'not-installed' });
    const plan = await planInstall('claude-desktop', home.ctx, SHIM);
    await installClient('claude-desktop', home.ctx, SHIM, plan.fingerprint);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(plan.after);
    expect(JSON.parse(after)).toEqual({ mcpServers: { switchboard: SHIM }, globalShortcut: 'Alt+Space' });
    expect(after).toMatch(/^ {2}"mcpServers": \{\n {4}"switchboard": \{\n {6}"command": /m);
  });
});

describe('our entry with a comment and a key of the client in it (Zed)', () => {
  it('install with another profile changes the profile line only', async () => {
    home = await tempHome();
    const entry = (profile: string) =>
      '{\n  // Switchboard: one entry for every server\n  "context_servers": {\n    "switchboard": {\n' +
      '      "source": "custom",\n      // the gateway\'s shim\n      "command": "/opt/node/bin/node",\n' +
      '      "args": [\n        "/opt/switchboard/bin/switchboard.js",\n        "shim",\n        "--profile",\n' +
      `        "${profile}"\n      ],\n      "env": {}\n    }\n  }\n}\n`;
    const file = await home.write('zed', entry('default'));
    const work = { ...SHIM, args: [...SHIM.args.slice(0, -1), 'work'] };
    const plan = await planInstall('zed', home.ctx, work);
    expect(plan.diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      '-        "default"',
      '+        "work"',
    ]);
    await installClient('zed', home.ctx, work, plan.fingerprint);
    expect(await readFile(file, 'utf8')).toBe(entry('work'));
  });
});

describe("Codex's block of our entry with the user's comments and settings in it", () => {
  it('install with another profile changes the profile only; the comments stay', async () => {
    home = await tempHome();
    const block = (profile: string) =>
      'model = "o3"\n\n[mcp_servers.switchboard]\n# the gateway, for every server\ncommand = "/opt/node/bin/node"\n' +
      `args = ["/opt/switchboard/bin/switchboard.js", "shim", "--profile", "${profile}"]\n` +
      'startup_timeout_sec = 30 # a slow machine\n\n[profiles.fast]\nmodel = "o4-mini"\n';
    const file = await home.write('codex', block('default'));
    const work = { ...SHIM, args: [...SHIM.args.slice(0, -1), 'work'] };
    const plan = await planInstall('codex', home.ctx, work);
    await installClient('codex', home.ctx, work, plan.fingerprint);
    expect(await readFile(file, 'utf8')).toBe(block('work'));
  });
});

describe('a YAML file indented four spaces a level', () => {
  it("writes the entry's levels four spaces deep too, and uninstall gives the file back", async () => {
    home = await tempHome();
    const text =
      'GOOSE_PROVIDER: openai\nextensions:\n    developer:\n        enabled: true\n        type: builtin\n' +
      'GOOSE_MODEL: gpt-4o\n';
    const file = await home.write('goose', text);
    const plan = await planInstall('goose', home.ctx, SHIM);
    await installClient('goose', home.ctx, SHIM, plan.fingerprint);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(plan.after);
    // It read "    switchboard:\n      name: switchboard": two spaces deeper, beside "developer"'s four.
    expect(after).toContain('\n    switchboard:\n        name: switchboard\n        type: stdio\n');
    expect(after).toContain('\n        args:\n            - /opt/switchboard/bin/switchboard.js\n');
    await uninstallClient('goose', home.ctx);
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
