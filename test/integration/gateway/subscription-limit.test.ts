/**
 * A client that subscribes to resources without end: a server's resource template makes the uris
 * countless (the reference "everything" server's `demo://resource/dynamic/text/{resourceId}`). One
 * client may hold MAX_SUBSCRIPTIONS; past that a subscribe is refused, saying so, until it
 * unsubscribes from one. Another client is not affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { MAX_SUBSCRIPTIONS } from '../../../main/engine/routing/subscriptions.ts';
import { EVERYTHING, NODE, httpClient, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const uri = (n: number) => `demo://resource/dynamic/text/${n}`;

describe('resource subscriptions of one client', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let greedy: Client;
  let other: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { ev: { command: NODE, args: [EVERYTHING, 'stdio'] } } }),
    );
    greedy = await httpClient(gateway.httpUrl()!);
    other = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await Promise.allSettled([greedy?.close(), other?.close()]);
    await gateway?.stop();
    await dir?.cleanup();
  });

  it(`are at most ${MAX_SUBSCRIPTIONS}; one more is refused until one is given up`, async () => {
    for (let n = 1; n <= MAX_SUBSCRIPTIONS; n++) await greedy.subscribeResource({ uri: uri(n) });
    // Subscribing again to one it holds is no new subscription.
    await greedy.subscribeResource({ uri: uri(1) });
    await expect(greedy.subscribeResource({ uri: uri(0) })).rejects.toThrow(
      `resources/subscribe: this client is subscribed to ${MAX_SUBSCRIPTIONS} resources, the most one client ` +
        `may be; unsubscribe from one first (${uri(0)} was not subscribed)`,
    );
    await other.subscribeResource({ uri: uri(0) });
    await greedy.unsubscribeResource({ uri: uri(7) });
    await greedy.subscribeResource({ uri: uri(0) });
  }, 60_000);
});
