/**
 * At start the desktop app rewrites the client entries it wrote when they point at a moved or
 * updated app, and leaves every other entry alone.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemorySecretStore,
  installClient,
  repairAppEntries,
  shimCommand,
  type InstallerContext,
} from '../../../../main/engine/index.ts';

let home = '';
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = '';
});

async function context(): Promise<InstallerContext> {
  home = await mkdtemp(path.join(tmpdir(), 'sb-repair-'));
  return { platform: 'linux', env: {}, home, stateDir: path.join(home, 'state'), secrets: createMemorySecretStore() };
}

const appShim = (app: string) => (profile: string) =>
  shimCommand({
    executable: `${app}/switchboard`,
    script: '/home/u/.config/Switchboard/shim/switchboard-shim.mjs',
    env: { ELECTRON_RUN_AS_NODE: '1' },
    profile,
  }).shim;

const cursorFile = () => path.join(home, '.cursor', 'mcp.json');
const claudeFile = () => path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
const entryIn = async (file: string) =>
  (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers.switchboard;

describe('repairAppEntries', () => {
  it("rewrites an app entry that points at the app's old place, keeping its profile", async () => {
    const ctx = await context();
    await mkdir(path.dirname(cursorFile()), { recursive: true });
    await installClient('cursor', ctx, appShim('/opt/Switchboard-0.1')('work'));

    const repaired = await repairAppEntries(ctx, appShim('/opt/Switchboard'));

    expect(repaired).toEqual([{ client: 'cursor', path: cursorFile() }]);
    expect(await entryIn(cursorFile())).toEqual({
      command: '/opt/Switchboard/switchboard',
      args: ['/home/u/.config/Switchboard/shim/switchboard-shim.mjs', 'shim', '--profile', 'work'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
  });

  it('keeps what the client or the user added to the entry, and rewrites a moved entry only once', async () => {
    const ctx = await context();
    await mkdir(path.dirname(cursorFile()), { recursive: true });
    await installClient('cursor', ctx, appShim('/opt/Switchboard-0.1')('default'));
    const file = JSON.parse(await readFile(cursorFile(), 'utf8')) as { mcpServers: Record<string, object> };
    file.mcpServers.switchboard = { ...file.mcpServers.switchboard, disabled: true, autoApprove: ['fx__echo'] };
    await writeFile(cursorFile(), JSON.stringify(file, null, 2));

    expect(await repairAppEntries(ctx, appShim('/opt/Switchboard'))).toHaveLength(1);
    expect(await entryIn(cursorFile())).toEqual({
      command: '/opt/Switchboard/switchboard',
      args: ['/home/u/.config/Switchboard/shim/switchboard-shim.mjs', 'shim', '--profile', 'default'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
      disabled: true,
      autoApprove: ['fx__echo'],
    });
    // Now right: the next start leaves it alone, user's fields and all.
    expect(await repairAppEntries(ctx, appShim('/opt/Switchboard'))).toEqual([]);
  });

  it("repairs Goose's entry, whose shape says cmd and envs", async () => {
    const ctx = await context();
    const gooseFile = path.join(home, '.config', 'goose', 'config.yaml');
    await mkdir(path.dirname(gooseFile), { recursive: true });
    await installClient('goose', ctx, appShim('/opt/Switchboard-0.1')('default'));
    await writeFile(gooseFile, (await readFile(gooseFile, 'utf8')).replace('enabled: true', 'enabled: false'));

    expect(await repairAppEntries(ctx, appShim('/opt/Switchboard'))).toEqual([{ client: 'goose', path: gooseFile }]);
    const text = await readFile(gooseFile, 'utf8');
    expect(text).toContain('cmd: /opt/Switchboard/switchboard');
    expect(text).not.toContain('Switchboard-0.1');
    expect(text).toContain('enabled: false');
  });

  it('leaves entries in the headless form, entries already right, and other servers alone', async () => {
    const ctx = await context();
    const headless = shimCommand({
      executable: '/usr/bin/node',
      script: '/opt/sb/bin/switchboard.js',
      profile: 'default',
    }).shim;
    await mkdir(path.dirname(claudeFile()), { recursive: true });
    await writeFile(claudeFile(), JSON.stringify({ mcpServers: { other: { command: 'x' } } }, null, 2));
    await installClient('claude-desktop', ctx, headless);
    await mkdir(path.dirname(cursorFile()), { recursive: true });
    await installClient('cursor', ctx, appShim('/opt/Switchboard')('default'));
    const before = [await readFile(claudeFile(), 'utf8'), await readFile(cursorFile(), 'utf8')];

    expect(await repairAppEntries(ctx, appShim('/opt/Switchboard'))).toEqual([]);

    expect([await readFile(claudeFile(), 'utf8'), await readFile(cursorFile(), 'utf8')]).toEqual(before);
  });
});
