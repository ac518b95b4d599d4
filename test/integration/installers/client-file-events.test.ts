/**
 * A running gateway watches the clients' files: a client rewriting its file without Switchboard's
 * entry, `switchboard install` run in a terminal (the real CLI), a client set up after the gateway
 * started, all reach the UI as `client-file` events, and the client list says what is so now.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientFileChange, LogLine } from '../../../preload/contract/index.ts';
import { installClient, type Gateway } from '../../../main/engine/index.ts';
import { startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { runCli, SHIM, tempHome, type TempHome } from './helpers.ts';

describe('client files watched by the gateway', () => {
  let home: TempHome | undefined;
  let gateway: Gateway | undefined;
  let dir: { dir: string; cleanup(): Promise<void> } | undefined;

  afterEach(async () => {
    await gateway?.stop();
    await home?.cleanup();
    await dir?.cleanup();
    gateway = undefined;
  });

  async function start(): Promise<{ changes: ClientFileChange[] }> {
    dir = await tempDir('sb-client-events-');
    home = await tempHome();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), {
      watch: true,
      clientInstalls: { context: home.ctx, shim: () => SHIM },
    });
    const changes: ClientFileChange[] = [];
    gateway.events.on('client-file', (change) => changes.push(change));
    return { changes };
  }

  const stateOf = async (client: string) => (await gateway!.api.listClients()).find((c) => c.id === client)?.state;

  it('tells when a client drops the entry, and when `switchboard install` writes it back', async () => {
    dir = await tempDir('sb-client-events-');
    home = await tempHome();
    const original = await home.seed('claude-desktop');
    await installClient('claude-desktop', home.ctx, SHIM);
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), {
      watch: true,
      clientInstalls: { context: home.ctx, shim: () => SHIM },
    });
    const changes: ClientFileChange[] = [];
    const logs: LogLine[] = [];
    gateway.events.on('client-file', (change) => changes.push(change));
    gateway.events.on('log', (line) => logs.push(line));
    expect(await stateOf('claude-desktop')).toBe('installed');

    // Claude Desktop rewrites its file from its own store on launch, without our entry.
    await writeFile(home.file('claude-desktop'), original);
    const removed = await waitFor(() => changes.find((c) => c.change === 'entry-removed'), 10_000, 'entry-removed');
    expect(removed).toMatchObject({
      client: 'claude-desktop',
      name: 'Claude Desktop',
      path: home.file('claude-desktop'),
      bySwitchboard: false,
    });
    expect(removed.message).toContain('no longer has the "switchboard" entry');
    const dropped = (await gateway.api.listClients()).find((c) => c.id === 'claude-desktop');
    expect(dropped?.state).toBe('not-installed');
    // The list says so as long as the entry is not back: a window opened later still sees it.
    expect(dropped?.entryDroppedAt).toBeGreaterThan(Date.now() - 60_000);
    // Told in the gateway's log too, as a warning.
    const logged = logs.find((line) => line.text === removed.message);
    expect(logged?.level).toBe('warn');

    // The user puts it back from a terminal: the real CLI, another process.
    const cli = runCli(['install', 'claude-desktop'], { HOME: home.home });
    expect(cli.code, cli.stderr).toBe(0);
    const back = await waitFor(() => changes.find((c) => c.change === 'entry-present'), 10_000, 'entry-present');
    expect(back.bySwitchboard).toBe(true);
    const listed = (await gateway.api.listClients()).find((c) => c.id === 'claude-desktop');
    // The CLI's entry, as it wrote it (its program differs from the one this gateway would write).
    expect(listed).toMatchObject({ entry: 'cli', profile: 'default' });
    expect(listed?.entryDroppedAt).toBeUndefined();

    // Another profile written into the entry is a change of it; the rest of the file changing is not.
    changes.length = 0;
    type Config = { mcpServers: Record<string, { command: string; args: string[] }> };
    const edit = async (change: (config: Config) => void) => {
      const config = JSON.parse(await readFile(home!.file('claude-desktop'), 'utf8')) as Config;
      change(config);
      await writeFile(home!.file('claude-desktop'), JSON.stringify(config, null, 2));
    };
    await edit((config) => (config.mcpServers.github!.args = ['--changed']));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(changes).toEqual([]);
    await edit((config) => config.mcpServers.switchboard!.args.push('--profile', 'work'));
    const changed = await waitFor(() => changes.find((c) => c.change === 'entry-changed'), 10_000, 'entry-changed');
    expect(changed.bySwitchboard).toBe(false);
  });

  it('watches a client set up after the gateway started, once the clients are listed', async () => {
    const { changes } = await start();
    expect(await stateOf('cursor')).toBe('not-detected');
    const file = home!.file('cursor');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{ "mcpServers": {} }\n');
    // Listing notices the new folder and watches its file from then on (meanwhile: the list is not held up).
    expect(await stateOf('cursor')).toBe('not-installed');
    const entry = { command: SHIM.command, args: SHIM.args };
    let round = 0;
    const seen = await waitFor(
      async () => {
        // Written with the entry and without it in turn, until the watcher (started by the list) tells.
        const servers = round++ % 2 === 0 ? { switchboard: entry } : {};
        await writeFile(file, JSON.stringify({ mcpServers: servers }));
        await new Promise((resolve) => setTimeout(resolve, 500));
        return changes.find((c) => c.client === 'cursor');
      },
      15_000,
      "a change of Cursor's file",
    );
    expect(['entry-present', 'entry-removed']).toContain(seen.change);
    expect(seen.bySwitchboard).toBe(false);
  });

  it('stops watching when the gateway stops', async () => {
    const { changes } = await start();
    await home!.seed('cursor');
    await installClient('cursor', home!.ctx, SHIM);
    await gateway!.api.listClients();
    await gateway!.stop();
    gateway = undefined;
    const count = changes.length;
    await writeFile(home!.file('cursor'), '{ "mcpServers": {} }\n');
    // Longer than a change takes to be told (a quiet spell, then a second read a second later).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(changes.length).toBe(count);
  });
});
