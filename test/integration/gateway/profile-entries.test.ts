/** Profiles as written by hand in the config file: what their clients get, and what the app says of them. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  CLI,
  NODE,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

describe('a profile written by hand', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client | undefined;
  let own: Client | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          fx: fixtureServer('fx', { FIXTURE_INSTRUCTIONS: 'Use fx for echoes.' }),
          other: fixtureServer('other'),
          mine: { ...fixtureServer('mine'), isolated: true },
        },
        // A server named twice (a paste, a merge) is one server of the profile.
        profiles: { twice: { servers: ['fx', 'fx'] }, own: { servers: ['mine', 'other'] } },
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    await own?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('that names a server twice has it once: its instructions, its tools and what the app counts', async () => {
    client = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/twice'));
    // A profile of one server passes its instructions on as they are, not once under a heading per mention.
    expect(client.getInstructions()).toBe('Use fx for echoes.');
    const listed = (await client.listTools()).tools.map((t) => t.name);
    const profile = (await gateway.api.listProfiles()).find((p) => p.name === 'twice')!;
    expect(profile.servers).toEqual(['fx']);
    expect(profile.toolNames).toEqual(listed);
    expect(profile.tools).toBe(listed.length);
  });

  it("with an isolated server counts the tools its clients' processes list, as its clients get them", async () => {
    own = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/own'));
    // The client's own process of "mine" starts with its session: its tools are there once it has listed them.
    const listed = await waitFor(async () => {
      const names = (await own!.listTools()).tools.map((t) => t.name);
      return names.includes('mine__echo') ? names : undefined;
    });
    const profile = (await gateway.api.listProfiles()).find((p) => p.name === 'own')!;
    expect(profile.toolNames.toSorted()).toEqual(listed.toSorted());
    expect(profile.tools).toBe(listed.length);
  });
});

describe('a profile removed while a serve --stdio client uses it', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let client: Client | undefined;

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await client?.close();
    await dir?.cleanup();
  });

  it('keeps the session, tells it its lists changed, and says why a name of it is unknown now', async () => {
    const servers = { fx: fixtureServer('fx') };
    const config = await writeConfig(dir.dir, { mcpServers: servers, profiles: { mine: { servers: ['fx'] } } });
    client = new Client({ name: 'stdio-client', version: '1' });
    let told = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void told++);
    await client.connect(
      new StdioClientTransport({
        command: NODE,
        args: [CLI, 'serve', '--stdio', '--profile', 'mine', '--config', config],
        env: {
          ...process.env,
          SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
          SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
        } as Record<string, string>,
        stderr: 'pipe',
      }),
    );
    expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'before' } }))).toBe('before');
    const before = told;
    await writeConfig(dir.dir, { mcpServers: servers });
    await waitFor(() => told > before, 10_000, 'tools/list_changed');
    expect((await client.listTools()).tools).toEqual([]);
    // fx is in no profile of that name: there is no such profile any more.
    await expect(client.callTool({ name: 'fx__echo', arguments: { message: 'after' } })).rejects.toThrow(
      /Unknown tool: fx__echo \(profile "mine" is no longer in the config\)$/,
    );
  });
});

describe('serve --stdio with a profile', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let client: Client | undefined;

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await client?.close();
    await dir?.cleanup();
  });

  it("starts only the profile's servers, and one added to the profile once the config says so", async () => {
    const servers = { fx: fixtureServer('fx'), fy: fixtureServer('fy') };
    const config = await writeConfig(dir.dir, { mcpServers: servers, profiles: { mine: { servers: ['fx'] } } });
    client = new Client({ name: 'stdio-client', version: '1' });
    let told = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void told++);
    const transport = new StdioClientTransport({
      command: NODE,
      args: [CLI, 'serve', '--stdio', '--profile', 'mine', '--config', config],
      env: {
        ...process.env,
        SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
        SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      } as Record<string, string>,
      stderr: 'pipe',
    });
    let log = '';
    transport.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await client.connect(transport);
    expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'hi' } }))).toBe('hi');
    expect(log).toMatch(/server "fx" ready/);
    // fy is in no profile this client can reach: its process would run for nobody.
    expect(log).not.toMatch(/server "fy"/);
    const before = told;
    await writeConfig(dir.dir, { mcpServers: servers, profiles: { mine: { servers: ['fx', 'fy'] } } });
    await waitFor(() => told > before, 10_000, 'tools/list_changed');
    expect(textOf(await client.callTool({ name: 'fy__echo', arguments: { message: 'now' } }))).toBe('now');
  });
});

describe('a resource subscription whose server left the profile', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { sub: fixtureServer('sub', { FIXTURE_SUBSCRIBE: '1' }), plain: fixtureServer('plain') },
        profiles: { mine: { servers: ['sub', 'plain'] }, theirs: { servers: ['sub'] } },
      }),
    );
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is given up by an unsubscribe: its updates stop', async () => {
    const url = (profile: string) => gateway.httpUrl()!.replace(/\/mcp$/, `/mcp/${profile}`);
    const mine = await httpClient(url('mine'));
    const theirs = await httpClient(url('theirs'));
    clients.push(mine, theirs);
    const heard = { mine: 0, theirs: 0 };
    mine.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void heard.mine++);
    theirs.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void heard.theirs++);
    await mine.subscribeResource({ uri: 'fixture://sub/about' });
    await theirs.subscribeResource({ uri: 'fixture://sub/about' });
    await theirs.callTool({ name: 'sub__touch', arguments: {} });
    await waitFor(() => heard.mine === 1 && heard.theirs === 1, 10_000, 'both told of the change');

    await gateway.api.saveProfile('mine', { servers: ['plain'] });
    await mine.unsubscribeResource({ uri: 'fixture://sub/about' });
    await theirs.callTool({ name: 'sub__touch', arguments: {} });
    await waitFor(() => heard.theirs === 2, 10_000, 'the other client told of the next change');
    // The unsubscribe was sent to the one server left in the profile, which held nothing: the
    // subscription stayed, and its updates kept coming.
    await new Promise((r) => setTimeout(r, 300));
    expect(heard.mine).toBe(1);
  });
});
