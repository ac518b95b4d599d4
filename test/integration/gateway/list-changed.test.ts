/**
 * A server that changes its list while the gateway is reading it: the change is not lost (the
 * list is read again once that read ends) and clients are told.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { NODE, ROOT, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const CHANGING = path.join(ROOT, 'test/fixtures/servers/changing-list-server.ts');

describe('a list that changes while it is read', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { c: { command: NODE, args: [CHANGING] } } }),
      {},
      { settle: false },
    );
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is read again after the notice, and the client hears of it', async () => {
    client = await httpClient(gateway.httpUrl()!);
    let told = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      told++;
    });
    const names = async () => (await client.listTools()).tools.map((t) => t.name).sort();
    await waitFor(async () => (await names()).includes('c__added'), 5000, 'the tool added during the first read');
    expect(await names()).toEqual(['c__added', 'c__first']);
    await waitFor(() => told > 0, 5000, 'tools/list_changed');
  });
});
