/**
 * A server that offers resources but has no resources/templates/list (it answers Method not found)
 * has no templates: it is asked once, not again at every list a client makes.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { NODE, ROOT, httpClient, settled, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

describe('a server without resources/templates/list', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    const lister = path.join(ROOT, 'test/fixtures/servers/lister-server.ts');
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { lister: { command: NODE, args: [lister], env: { RESOURCES: '1' } } },
      }),
    );
    await settled(gateway);
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('lists its resources and no templates, asking for its templates once', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['lister://index']);
      expect((await client.listResourceTemplates()).resourceTemplates).toEqual([]);
    }
    const asked = gateway.traffic.list({ edge: 'upstream', method: 'resources/templates/list' }).entries;
    expect(asked).toHaveLength(1);
  });
});
