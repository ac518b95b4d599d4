/**
 * The config file as a person edits it while the gateway runs: not there yet, written in two
 * steps, deleted and written again. The running servers stay, and an error is said only when the
 * file really is wrong.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEventMap } from '../../../preload/contract/index.ts';
import { fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

describe('the config file while the gateway runs', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('no file at the default path yet is no error, and the file is applied once written', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const file = path.join(dir.dir, 'switchboard', 'config.json');
    const gateway = await startGateway(file, { watch: true, allowMissingConfig: true });
    cleanups.push(() => gateway.stop());
    const problems: GatewayEventMap['config-error'][] = [];
    gateway.events.on('config-error', (p) => problems.push(p));

    // The watcher's first look at the file (150 ms after start) and a poll for the missing file.
    await new Promise((r) => setTimeout(r, 1500));
    expect(problems).toEqual([]);
    expect((await gateway.api.getStatus()).configError).toBeUndefined();

    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ mcpServers: { fx: fixtureServer('fx') } }));
    await waitFor(() => gateway.servers().some((s) => s.name === 'fx' && s.state === 'ready'), 15_000, 'fx ready');
    expect(problems).toEqual([]);
  });

  it('a save in two steps (emptied, then written) is applied whole, and nothing is said about it', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const file = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    const gateway = await startGateway(file, { watch: true });
    cleanups.push(() => gateway.stop());
    const problems: GatewayEventMap['config-error'][] = [];
    gateway.events.on('config-error', (p) => problems.push(p));
    const pid = gateway.servers().find((s) => s.name === 'fx')!.pid;

    await writeFile(file, '');
    await new Promise((r) => setTimeout(r, 400));
    await writeFile(file, JSON.stringify({ mcpServers: { fx: fixtureServer('fx'), two: fixtureServer('two') } }));
    await waitFor(() => gateway.servers().some((s) => s.name === 'two' && s.state === 'ready'), 15_000, 'two ready');
    await new Promise((r) => setTimeout(r, 1200));
    expect(problems).toEqual([]);
    expect(gateway.servers().find((s) => s.name === 'fx')!.pid).toBe(pid);
    expect((await gateway.api.getStatus()).configError).toBeUndefined();
  });
});
