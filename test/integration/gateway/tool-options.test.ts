/**
 * Hiding a tool or giving it another name is the gateway's own business: the server keeps
 * running (its process, its calls in flight), connected clients are told their list changed and
 * see the new name, and the Servers screen shows the name clients see at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
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

describe('tool options set from the app', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  let listChanged = 0;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }));
    client = await httpClient(gateway.httpUrl()!);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
    await waitFor(async () => (await client.listTools()).tools.length > 0, 10_000, 'the tools');
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  const pid = async () =>
    ((await client.callTool({ name: 'fx__echo', arguments: { message: 'x' } })).structuredContent as { pid: number })
      .pid;

  it('an alias, and hiding a tool, apply without restarting the server, and everyone sees them', async () => {
    const before = await pid();
    const slow = client.callTool({ name: 'fx__slow', arguments: { steps: 10, delayMs: 100 } });
    await gateway.api.setToolOptions('fx', 'big', { alias: 'bigone' });
    expect((await gateway.api.listServerTools('fx')).find((t) => t.originalName === 'big')).toMatchObject({
      name: 'bigone',
      alias: 'bigone',
      shown: true,
    });
    await waitFor(() => listChanged > 0, 5000, 'tools/list_changed');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('bigone');
    expect(names).not.toContain('fx__big');
    await gateway.api.setToolOptions('fx', 'crash', { shown: false });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('fx__crash');
    // The call in flight was not cut, and the process is the same.
    expect(textOf(await slow)).toBe('done after 10 steps');
    expect(await pid()).toBe(before);
  });
});
