/**
 * A handler busy with slow calls on all its connections: its `discover` queues behind them. Every
 * client's tools/list waited for that discover (up to a second), and left the handler out saying
 * it was "still starting". Lists now answer with what the handler listed last, and the discover's
 * answer, when it changed, comes to clients as tools/list_changed.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { jsonResponder, startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';

describe('lists while a handler is busy', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let handler: TestServer;
  let tools = [{ name: 'slow' }];

  beforeAll(async () => {
    handler = await startHttpHandler(
      jsonResponder(async ({ envelope }) => {
        if (envelope.type === 'discover') return { tools };
        await new Promise((r) => setTimeout(r, 1_500));
        return { content: [{ type: 'text', text: 'done' }] };
      }),
    );
    dir = await tempDir('sb-busy-lists-');
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { desk: { handler: handler.address, pool: 1, allowPrivateNetwork: true } },
      }),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await handler?.close();
    await dir?.cleanup();
  });

  it('answer at once with what the handler listed last, and announce what changed', async () => {
    const caller = await httpClient(gateway.httpUrl()!);
    const lister: Client = await httpClient(gateway.httpUrl()!);
    let changed = 0;
    lister.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    try {
      expect((await lister.listTools()).tools.map((t) => t.name)).toEqual(['desk__slow']);
      // The handler's one connection is taken by a slow call; its catalog changes meanwhile.
      const slow = caller.callTool({ name: 'desk__slow', arguments: {} });
      await new Promise((r) => setTimeout(r, 100));
      tools = [{ name: 'slow' }, { name: 'fresh' }];
      const started = Date.now();
      const during = (await lister.listTools()).tools.map((t) => t.name);
      expect(Date.now() - started).toBeLessThan(500);
      expect(during).toContain('desk__slow');
      await slow;
      // The discover that waited behind the call brings the new tool, and clients are told.
      await waitFor(() => changed > 0, 5_000, 'tools/list_changed');
      expect((await lister.listTools()).tools.map((t) => t.name).sort()).toEqual(['desk__fresh', 'desk__slow']);
    } finally {
      await Promise.all([caller.close(), lister.close()]);
    }
  });
});
