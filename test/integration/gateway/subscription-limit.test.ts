/**
 * A client that subscribes to resources without end: a server's resource template makes the uris
 * countless (the reference "everything" server's `demo://resource/dynamic/text/{resourceId}`). One
 * client may hold MAX_SUBSCRIPTIONS; past that a subscribe is refused, saying so, until it
 * unsubscribes from one. Another client is not affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { STATELESS, statelessMeta } from '../../helpers/stateless.ts';
import { MAX_SUBSCRIPTIONS } from '../../../main/engine/downstream/session.ts';
import {
  EVERYTHING,
  NODE,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const uri = (n: number) => `demo://resource/dynamic/text/${n}`;

describe('resource subscriptions of one client', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let greedy: Client;
  let other: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          ev: { command: NODE, args: [EVERYTHING, 'stdio'] },
          fx: fixtureServer('fx', { FIXTURE_SUBSCRIBE: '1' }),
          // Two servers stay when one leaves: a uri of neither then leads nowhere.
          fy: fixtureServer('fy'),
        },
      }),
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

  it('of a 2026-07-28 listen are at most as many, and its acknowledgement names those it holds', async () => {
    const wanted = ['nowhere://x', ...Array.from({ length: MAX_SUBSCRIPTIONS + 1 }, (_, i) => uri(10_000 + i))];
    const controller = new AbortController();
    const res = await fetch(gateway.httpUrl()!, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': STATELESS,
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'L1',
        method: 'subscriptions/listen',
        params: { _meta: statelessMeta(), notifications: { resourceSubscriptions: wanted } },
      }),
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const ack = JSON.parse(/data: (.+)/.exec(text)![1]!) as { method: string; params: { notifications: object } };
    expect(ack.method).toBe('notifications/subscriptions/acknowledged');
    // The first 1000 asked for, less the one that leads nowhere.
    expect(ack.params.notifications).toEqual({ resourceSubscriptions: wanted.slice(1, MAX_SUBSCRIPTIONS) });
  }, 60_000);

  it('can be given up after their server left the profile, and make room again', async () => {
    await gateway.api.removeServer('ev');
    await waitFor(async () => !(await greedy.listResources()).resources.some((r) => r.uri.startsWith('demo://')));
    for (let n = 0; n <= MAX_SUBSCRIPTIONS; n++) if (n !== 7) await greedy.unsubscribeResource({ uri: uri(n) });
    await greedy.subscribeResource({ uri: 'fixture://fx/about' });
    // Never subscribed, and leads nowhere: still an error.
    await expect(greedy.unsubscribeResource({ uri: uri(7) })).rejects.toThrow('Resource not found');
  }, 60_000);
});
