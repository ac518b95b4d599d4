/**
 * A server that changes its list while the gateway is reading it: the change is not lost (the
 * list is read again once that read ends) and clients are told.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  EVERYTHING,
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

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
    expect(await names()).toEqual(['c__added', 'c__first', 'c__grow']);
    await waitFor(() => told > 0, 5000, 'tools/list_changed');
  });
});

describe('a change to tools the config hides', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          hides: { command: NODE, args: [CHANGING], tools: { deny: ['extra_*'] } },
          shows: { command: NODE, args: [CHANGING] },
        },
        profiles: { hides: { servers: ['hides'] }, shows: { servers: ['shows'] } },
      }),
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is no news to the clients that cannot see those tools', async () => {
    const told = { hides: 0, shows: 0 };
    // Once the tool each adds at its first list is known (a change clients do see).
    for (const server of ['hides', 'shows'])
      await waitFor(() => gateway.listServerTools(server).some((t) => t.originalName === 'added'), 5000);
    for (const profile of ['hides', 'shows'] as const) {
      const client = await httpClient(`${gateway.httpUrl()!}/${profile}`);
      clients.push(client);
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        told[profile]++;
      });
      await client.callTool({ name: `${profile}__grow`, arguments: {} });
    }
    const [hides, shows] = clients as [Client, Client];
    await waitFor(async () => (await shows.listTools()).tools.some((t) => t.name.startsWith('shows__extra_')), 5000);
    await waitFor(() => told.shows > 0, 5000, 'tools/list_changed for the tool it can see');
    // The hidden tool has been read (the app lists it, hidden): its client was not told of it.
    await waitFor(() => gateway.listServerTools('hides').some((t) => t.originalName.startsWith('extra_')), 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(told.hides).toBe(0);
    expect((await hides.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'hides__added',
      'hides__first',
      'hides__grow',
    ]);
  });
});

describe('a server added to the config', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }));
    // Ready comes before its list is in: a client there before that list hears of it (rightly), a
    // notice this test is not about.
    await waitFor(() => gateway.listServerTools('fx').length > 0, 10_000, 'the tools of fx');
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is told of once, when its tools are there: not also while it starts, with the same list', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      /** What the client lists on each notice, as a client does. */
      const listedOnNotice: string[][] = [];
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        listedOnNotice.push((await client.listTools()).tools.map((t) => t.name));
      });
      await client.listTools();
      await gateway.api.addServer('fy', fixtureServer('fy'));
      await waitFor(() => listedOnNotice.length > 0, 10_000, 'tools/list_changed');
      // Time for a second notice to come, had there been one.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(listedOnNotice).toHaveLength(1);
      expect(listedOnNotice[0]).toContain('fy__echo');
      // Removed, it is told of at once.
      await gateway.api.removeServer('fy');
      await waitFor(() => listedOnNotice.length === 2, 5000, 'tools/list_changed for the server that left');
      expect(listedOnNotice[1]).not.toContain('fy__echo');
    } finally {
      await client.close();
    }
  });
});

/**
 * server-everything adds a resource (its gzip tool) and says its resources changed: the gateway
 * reads its resources and its templates again, and its clients are told once, when both are in.
 * They were told twice (once per list read), and listed everything twice. A server with resources
 * and templates that crashes (and cannot start again) takes both away at once: one notice too.
 */
describe("a server's resources/list_changed", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  let failFile: string;
  /** What the client lists on each notice, as a client does. */
  const listedOnNotice: string[][] = [];

  beforeAll(async () => {
    dir = await tempDir();
    failFile = path.join(dir.dir, 'refuse-to-start');
    const fx = fixtureServer('fx', { FIXTURE_NOTES: '1', FIXTURE_FAIL_START_FILE: failFile });
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { everything: { command: NODE, args: [EVERYTHING, 'stdio'] }, fx } }),
    );
    client = await httpClient(gateway.httpUrl()!);
    client.setNotificationHandler(ResourceListChangedNotificationSchema, async () => {
      listedOnNotice.push((await client.listResources()).resources.map((r) => r.uri));
    });
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toContain(
      'fixture://fx/notes/{topic}',
    );
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('reaches its clients once, with the resource it added', async () => {
    await client.callTool({
      name: 'everything__gzip-file-as-resource',
      arguments: { name: 'hello.gz', data: 'data:text/plain;base64,aGVsbG8=' },
    });
    // The notice of the server's own start can reach a client late on a busy machine (a list without
    // the new resource): only the notices listing it are about this change.
    const ofTheAdd = () => listedOnNotice.filter((uris) => uris.includes('demo://resource/session/hello.gz'));
    await waitFor(() => ofTheAdd().length > 0, 10_000, 'resources/list_changed');
    // Time for a second notice to come, had there been one.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(ofTheAdd()).toHaveLength(1);
  });

  it('is one notice when a server with resources and templates goes down', async () => {
    listedOnNotice.length = 0;
    await writeFile(failFile, '');
    await expect(client.callTool({ name: 'fx__crash', arguments: {} })).rejects.toThrow(/exited/);
    await waitFor(() => gateway.servers().find((s) => s.name === 'fx')?.state === 'failed', 15_000, 'fx to give up');
    await waitFor(() => listedOnNotice.length > 0, 5000, 'resources/list_changed');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(listedOnNotice).toHaveLength(1);
    expect(listedOnNotice[0]).not.toContain('fixture://fx/about');
  });
});
