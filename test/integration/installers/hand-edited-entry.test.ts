/**
 * A switchboard entry the user added variables to by hand (SWITCHBOARD_RUNTIME_DIR, which the shim
 * must have when the gateway runs with it, or a proxy), with the real CLI: it reads as installed, and
 * installing again (another profile) keeps the variables.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { runCli } from './helpers.ts';

let home: string | undefined;
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

async function setUp(): Promise<Record<string, string>> {
  home = await mkdtemp(path.join(tmpdir(), 'sb-hand-edited-'));
  const config = path.join(home, '.config', 'switchboard', 'config.json');
  await mkdir(path.dirname(config), { recursive: true });
  await writeFile(config, '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } } }\n');
  return { HOME: home };
}

async function put(file: string, text: string): Promise<string> {
  const at = path.join(home!, file);
  await mkdir(path.dirname(at), { recursive: true });
  await writeFile(at, text);
  return at;
}

const RUN_DIR = { SWITCHBOARD_RUNTIME_DIR: '/srv/switchboard/run' };

describe('an entry whose environment the user added to', () => {
  it('Cursor (JSON "env"): installed, not outdated; install with another profile keeps the variables', async () => {
    const env = await setUp();
    const original = '{\n  "mcpServers": {\n    "notes": { "command": "notes-mcp" }\n  }\n}\n';
    const file = await put('.cursor/mcp.json', original);
    expect(runCli(['install', 'cursor'], env).code).toBe(0);
    // The user adds the variable the gateway runs with, and a proxy.
    const written = await readFile(file, 'utf8');
    const edited = written.replace(
      /("default"\n\s*\])/,
      '$1,\n      "env": { "SWITCHBOARD_RUNTIME_DIR": "/srv/switchboard/run", "HTTPS_PROXY": "http://proxy:3128" }',
    );
    expect(edited).not.toBe(written);
    await writeFile(file, edited);

    const listed = runCli(['clients'], env);
    expect(listed.stdout).toMatch(/^cursor\s+Cursor\s+installed\s+default\s/m);
    expect(listed.stderr).not.toContain('outdated');
    const again = runCli(['install', 'cursor', '--dry-run'], env);
    expect(again.stdout).toContain('nothing to change');

    const work = runCli(['install', 'cursor', '--profile', 'work'], env);
    expect(work.code).toBe(0);
    const entry = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> })
      .mcpServers.switchboard!;
    expect((entry.args as string[]).slice(-2)).toEqual(['--profile', 'work']);
    expect(entry.env).toEqual({ ...RUN_DIR, HTTPS_PROXY: 'http://proxy:3128' });
    expect(runCli(['clients'], env).stdout).toMatch(/^cursor\s+Cursor\s+installed\s+work\s/m);
  });

  it('Codex (an [mcp_servers.switchboard.env] table) and Goose ("envs"): the same', async () => {
    const env = await setUp();
    const codex = await put('.codex/config.toml', 'model = "o3"\n');
    const goose = await put('.config/goose/config.yaml', 'GOOSE_MODEL: gpt-4o\nextensions: {}\n');
    for (const client of ['codex', 'goose']) expect(runCli(['install', client], env).code).toBe(0);
    await writeFile(codex, `${await readFile(codex, 'utf8')}\n[mcp_servers.switchboard.env]\n${toml(RUN_DIR)}`);
    await writeFile(
      goose,
      (await readFile(goose, 'utf8')).replace('envs: {}', `envs:\n      SWITCHBOARD_RUNTIME_DIR: /srv/switchboard/run`),
    );

    const listed = runCli(['clients'], env).stdout;
    expect(listed).toMatch(/^codex\s+Codex CLI\s+installed\s+default\s/m);
    expect(listed).toMatch(/^goose\s+Goose\s+installed\s+default\s/m);
    for (const client of ['codex', 'goose']) {
      expect(runCli(['install', client, '--profile', 'work'], env).code).toBe(0);
    }
    const codexEntry = (parseToml(await readFile(codex, 'utf8')) as { mcp_servers: Record<string, { env: unknown }> })
      .mcp_servers.switchboard!;
    expect(codexEntry.env).toEqual(RUN_DIR);
    const gooseEntry = (parseYaml(await readFile(goose, 'utf8')) as { extensions: Record<string, { envs: unknown }> })
      .extensions.switchboard!;
    expect(gooseEntry.envs).toEqual(RUN_DIR);
  });
});

const toml = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}\n`)
    .join('');
