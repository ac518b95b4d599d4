/**
 * Several handler entries on one php-fpm pool with fewer workers than entries (its default `www`
 * pool has five, and one entry per script is common). php-fpm ties a worker to each open
 * connection: when each entry kept an idle connection of its own, they held every worker between
 * them, and a call to the third waited until its time ran out while a client kept listing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { EXAMPLE_PHP, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';

describe('handler entries sharing one php-fpm pool', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let fpm: PhpFpm;

  beforeAll(async () => {
    [fpm, dir] = await Promise.all([startPhpFpm({ listen: 'tcp', children: 2 }), tempDir('sb-shared-fpm-')]);
    const entry = { handler: fpm.address, entrypoint: EXAMPLE_PHP, timeoutMs: 5_000 };
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { app0: entry, app1: entry, app2: entry } }));
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 10_000, 'all three ready');
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([fpm?.stop(), dir?.cleanup()]);
  });

  it('answers a call to each entry while another client keeps listing', async () => {
    const lister = await httpClient(gateway.httpUrl()!);
    const caller = await httpClient(gateway.httpUrl()!);
    let listing = true;
    let listed = 0;
    const lists = (async () => {
      while (listing) {
        await lister.listTools();
        listed++;
        await new Promise((r) => setTimeout(r, 100));
      }
      return listed;
    })();
    try {
      // The lister is under way (on a busy machine its first lists take a while) before the calls start.
      await waitFor(() => listed >= 2, 10_000, 'the lister to be listing');
      for (const app of ['app0', 'app1', 'app2']) {
        const started = Date.now();
        const result = await caller.callTool({ name: `${app}__get_weather`, arguments: { city: 'Oslo' } });
        expect(result.isError ?? false).toBe(false);
        expect(textOf(result)).toMatch(/Oslo/);
        // Far below the 5 s the entry may take: it did not wait for a worker another entry held.
        expect(Date.now() - started).toBeLessThan(2_500);
      }
    } finally {
      listing = false;
      expect(await lists).toBeGreaterThanOrEqual(2);
      await Promise.all([lister.close(), caller.close()]);
    }
    expect(gateway.servers().map((s) => s.state)).toEqual(['ready', 'ready', 'ready']);
  });
});
