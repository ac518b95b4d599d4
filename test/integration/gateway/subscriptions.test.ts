/**
 * Resource subscriptions survive their server being restarted: a crash (the same upstream starts a
 * new process), Restart in the app (a new upstream for the server) and an edit of its config
 * entry. Each time the gateway subscribes again and the client keeps getting updates.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const URI = 'fixture://fx/about';

describe('resource subscriptions across restarts', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  const updates: string[] = [];

  const config = (extra: Record<string, string> = {}) => ({
    mcpServers: { fx: fixtureServer('fx', { FIXTURE_SUBSCRIBE: '1', ...extra }) },
  });
  const ready = () => waitFor(() => gateway.servers().find((s) => s.name === 'fx')?.state === 'ready', 15_000, 'fx');
  /** Asks the server to announce a change, and waits for the client to hear of it. */
  const touched = async (): Promise<void> => {
    const before = updates.length;
    // The gateway subscribes again as the server becomes ready: it may take a moment.
    await waitFor(
      async () => textOf(await client.callTool({ name: 'fx__touch', arguments: {} })) === 'notified',
      10_000,
      'the restarted server to hold the subscription',
    );
    await waitFor(() => updates.length > before, 5000, 'the update to reach the client');
  };

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, config()));
    client = await httpClient(gateway.httpUrl()!);
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    await client.subscribeResource({ uri: URI });
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('a subscribed client hears of a change', async () => {
    await touched();
    expect(updates.at(-1)).toBe(URI);
  });

  it('after Restart (a new upstream for the server), the server is subscribed again', async () => {
    await gateway.restartServer('fx');
    await ready();
    await touched();
  });

  it('after its crash, the server is subscribed again', async () => {
    await expect(client.callTool({ name: 'fx__crash', arguments: {} })).rejects.toThrow(/exited/);
    await ready();
    await touched();
  });

  it('after an edit of its config entry, the server is subscribed again', async () => {
    await writeConfig(dir.dir, config({ EDITED: '1' }));
    await gateway.reload();
    await ready();
    await touched();
    expect(updates.every((uri) => uri === URI)).toBe(true);
  });
});

/**
 * Letting go of a subscription while its server is down (crashed and not coming back yet) or
 * refusing: the client is unsubscribed all the same, and told so. It was answered the server's
 * error ("server "fx" is failed: …") while the gateway had already dropped the subscription, so the
 * client believed it still held one that no server would ever be asked for again.
 */
describe('unsubscribing while the server is down', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  let failFile: string;

  beforeAll(async () => {
    dir = await tempDir();
    failFile = path.join(dir.dir, 'refuse-to-start');
    const config = {
      mcpServers: { fx: fixtureServer('fx', { FIXTURE_SUBSCRIBE: '1', FIXTURE_FAIL_START_FILE: failFile }) },
    };
    gateway = await startGateway(await writeConfig(dir.dir, config));
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('unsubscribes, and the server back up is not subscribed again', async () => {
    await client.subscribeResource({ uri: URI });
    expect(textOf(await client.callTool({ name: 'fx__touch', arguments: {} }))).toBe('notified');
    await writeFile(failFile, '');
    await expect(client.callTool({ name: 'fx__crash', arguments: {} })).rejects.toThrow(/exited/);
    await waitFor(() => gateway.servers().find((s) => s.name === 'fx')?.state === 'failed', 15_000, 'fx to give up');
    await expect(client.unsubscribeResource({ uri: URI })).resolves.toEqual({});
    await rm(failFile);
    await gateway.restartServer('fx');
    await waitFor(() => gateway.servers().find((s) => s.name === 'fx')?.state === 'ready', 15_000, 'fx');
    expect(textOf(await client.callTool({ name: 'fx__touch', arguments: {} }))).toBe('nobody subscribed');
  });
});

/**
 * Two clients subscribe to one resource while the server is still answering the first: the second
 * waits for the same answer. It was told yes at once, and when the server then refused, it held a
 * subscription the server never took (and would never hear of a change).
 */
describe('a second subscriber while the server is still answering the first', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx', { FIXTURE_SUBSCRIBE: '1', FIXTURE_SUBSCRIBE_REFUSE_MS: '800' }) },
      }),
    );
    for (let i = 0; i < 2; i++) clients.push(await httpClient(gateway.httpUrl()!));
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is refused with the first when the server refuses', async () => {
    const [first, second] = clients as [Client, Client];
    const asked = first.subscribeResource({ uri: URI }).then(
      () => 'subscribed',
      (err: unknown) => String(err),
    );
    await new Promise((r) => setTimeout(r, 200));
    await expect(second.subscribeResource({ uri: URI })).rejects.toThrow('cannot be subscribed to');
    expect(await asked).toContain('cannot be subscribed to');
  });
});
