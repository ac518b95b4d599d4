/**
 * Codex's config.toml after Codex appended tables behind our entry (it adds a `[projects."…"]` table
 * each time you trust a folder), with the real CLI: taking our entry out, or a table of it, leaves the
 * file laid out as it was around it, with no blank lines piling up where it was.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

let home: string | undefined;
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

const TRUSTED = '\n[projects."/home/me/app"]\ntrust_level = "trusted"\n';

async function setUp(): Promise<{ env: Record<string, string>; file: string }> {
  home = await mkdtemp(path.join(tmpdir(), 'sb-codex-layout-'));
  const config = path.join(home, '.config', 'switchboard', 'config.json');
  await mkdir(path.dirname(config), { recursive: true });
  await writeFile(config, '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } } }\n');
  const file = path.join(home, '.codex', 'config.toml');
  await mkdir(path.dirname(file), { recursive: true });
  return { env: { HOME: home }, file };
}

describe("Codex's config.toml with tables Codex added after our entry", () => {
  it('uninstall leaves the tables around it as they were', async () => {
    const { env, file } = await setUp();
    const original = 'model = "o3"\n\n[mcp_servers.docs]\ncommand = "npx"\n';
    await writeFile(file, original);
    expect(runCli(['install', 'codex'], env).code).toBe(0);
    await writeFile(file, (await readFile(file, 'utf8')) + TRUSTED);

    const removed = runCli(['uninstall', 'codex'], env);
    expect(removed.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(original + TRUSTED);
  });

  it('install folds a table of our entry into it without leaving its blank line behind', async () => {
    const { env, file } = await setUp();
    await writeFile(file, 'model = "o3"\n');
    expect(runCli(['install', 'codex'], env).code).toBe(0);
    // The user gives our entry a variable in a table of its own; Codex then trusts a folder.
    const vars = '\n[mcp_servers.switchboard.env]\nSWITCHBOARD_RUNTIME_DIR = "/srv/run"\n';
    await writeFile(file, (await readFile(file, 'utf8')) + vars + TRUSTED);

    expect(runCli(['install', 'codex', '--profile', 'work'], env).code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/"--profile", "work"\]\nenv = \{ SWITCHBOARD_RUNTIME_DIR = "\/srv\/run" \}\n\n\[projects\./);
    expect(runCli(['uninstall', 'codex'], env).code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(`model = "o3"\n${TRUSTED}`);
  });
});
