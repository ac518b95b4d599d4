/**
 * A client whose servers include Switchboard's own shim under another name (a second entry copied by
 * hand for another profile, or ours renamed), with the real CLI: adopt moves the other servers and
 * leaves that one in the client, saying why; it never becomes a server of Switchboard itself.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

describe("adopting from a client that starts Switchboard's shim under another name", () => {
  it('leaves that entry in the client, saying why, and moves the others', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-adopt-own-'));
    const env = { HOME: home };
    const config = path.join(home, '.config', 'switchboard', 'config.json');
    await mkdir(path.dirname(config), { recursive: true });
    await writeFile(config, '{ "mcpServers": {}, "profiles": { "work": { "servers": [] } } }\n');
    const script = path.join(ROOT, 'bin', 'switchboard.js');
    const work = { command: process.execPath, args: [script, 'shim', '--profile', 'work'] };
    // The app's entry, copied for another profile: its program run as Node on its shim file.
    const app = {
      command: '/opt/Switchboard/switchboard',
      args: ['/home/me/.config/Switchboard/switchboard-shim.mjs', 'shim', '--profile', 'default'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    };
    const file = path.join(home, '.cursor', 'mcp.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(
      file,
      JSON.stringify({ mcpServers: { notes: { command: 'notes-mcp' }, 'switchboard-work': work, sb: app } }, null, 2),
    );

    const adopt = runCli(['adopt', 'cursor'], env);
    expect(adopt.code).toBe(0);
    const why = 'it starts Switchboard itself (profile "work"), so it stays in the client: moved into Switchboard';
    expect(adopt.stdout).toContain(`switchboard-work  cannot adopt: ${why}`);
    expect(adopt.stderr).toContain(`left "switchboard-work" in Cursor: ${why}`);
    expect(adopt.stderr).toContain('left "sb" in Cursor: it starts Switchboard itself (profile "default")');
    const servers = (JSON.parse(await readFile(config, 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers;
    expect(Object.keys(servers)).toEqual(['notes']);
    const client = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers;
    expect(client['switchboard-work']).toEqual(work);
    expect(client.sb).toEqual(app);

    const named = runCli(['adopt', 'cursor', '--servers', 'switchboard-work'], env);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain(`cannot adopt "switchboard-work" from Cursor: ${why}`);
  });
});
