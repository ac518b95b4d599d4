/**
 * Hiding a tool or giving it another name is the gateway's own business: the server keeps
 * running (its process, its calls in flight), connected clients are told their list changed and
 * see the new name, and the Servers screen shows the name clients see at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createGateway, createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import {
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { httpApi } from '../../helpers/api-clients.ts';

describe('tool options set from the app', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  let listChanged = 0;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx'), fy: { ...fixtureServer('fy'), tools: { deny: ['cr*'] } } },
      }),
    );
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

  it("refuses an alias that is, or may come to be, another tool's name, saying why", async () => {
    const refusal = (server: string, tool: string, alias: string) =>
      gateway.api.setToolOptions(server, tool, { alias }).then(
        () => undefined,
        (err: unknown) => err as { field?: string; message: string },
      );
    expect(await refusal('fx', 'slow', 'fy__echo')).toMatchObject({
      field: 'alias',
      message: expect.stringMatching(/"fy__echo" is a name in the namespace of server "fy"/),
    });
    expect(await refusal('fx', 'env', 'fx__survey')).toMatchObject({
      field: 'alias',
      message: expect.stringMatching(/namespace of server "fx"/),
    });
    // A name clients would get otherwise (cleaned, with a hash) is not the name the user chose.
    expect(await refusal('fx', 'slow', 'take.it.slow')).toMatchObject({
      field: 'alias',
      message: expect.stringMatching(
        /^"take\.it\.slow" has characters not every client accepts .*, so clients would get it as "take_it_slow_\w{8}"/,
      ),
    });
    expect(await refusal('fx', 'slow', 'x'.repeat(65))).toMatchObject({
      field: 'alias',
      message: expect.stringMatching(/is longer than 64 characters, so clients would get it as "x{55}_[0-9a-f]{8}"/),
    });
    await gateway.api.setToolOptions('fx', 'big', { alias: 'bigone' });
    expect(await refusal('fy', 'big', 'bigone')).toMatchObject({
      field: 'alias',
      message: '"bigone" is already the alias of "big" of server "fx"; choose another name for "big"',
    });
    // Nothing was written: every name means what it meant.
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['fy__echo', 'fx__survey', 'fx__slow', 'fy__big']));
  });

  it('says which deny pattern hides a tool the user asks to show', async () => {
    const err = await gateway.api.setToolOptions('fy', 'crash', { shown: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      field: 'shown',
      message: expect.stringMatching(/"crash" is hidden by the pattern "cr\*" in the "tools.deny" list of "fy"/),
    });
  });
});

describe('aliases written by hand that could mean another tool', () => {
  it('are named in the log when the config loads, once', async () => {
    const dir = await tempDir();
    const config = {
      mcpServers: {
        fx: { ...fixtureServer('fx'), tools: { aliases: { slow: 'fy__echo', env: 'shared' } } },
        fy: { ...fixtureServer('fy'), tools: { aliases: { big: 'shared' } } },
      },
    };
    const file = await writeConfig(dir.dir, config);
    const warnings: string[] = [];
    const gateway = createGateway({
      configPath: file,
      secrets: createMemorySecretStore(),
      version: 'test',
      // Not the default port (8787), which another program may hold.
      http: false,
      socket: false,
    });
    gateway.on('log', (note) => {
      if (note.level === 'warn' && /tools\.aliases/.test(note.text)) warnings.push(note.text);
    });
    try {
      await gateway.start();
      await waitFor(() => warnings.length >= 3, 5000, 'the warnings');
      expect(warnings).toEqual([
        expect.stringMatching(
          /^server "fx", tools\.aliases\.slow: "fy__echo" is a name in the namespace of server "fy"/,
        ),
        expect.stringMatching(
          /^server "fx", tools\.aliases\.env: "shared" is already the alias of "big" of server "fy"/,
        ),
        expect.stringMatching(
          /^server "fy", tools\.aliases\.big: "shared" is already the alias of "env" of server "fx"/,
        ),
      ]);
      // A reload of the same config says nothing again.
      await gateway.reload();
      expect(warnings).toHaveLength(3);
    } finally {
      await gateway.stop();
      await dir.cleanup();
    }
  });
});

describe('aliases written by hand that clients would get under another name', () => {
  it('are named in the log with the name clients get', async () => {
    const dir = await tempDir();
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        fx: {
          ...fixtureServer('fx'),
          tools: { aliases: { echo: 'say.it' } },
          prompts: { aliases: { greet: 'hi.there' } },
        },
      },
    });
    const warnings: string[] = [];
    const gateway = createGateway({
      configPath: file,
      secrets: createMemorySecretStore(),
      version: 'test',
      http: { port: 0 },
      socket: false,
    });
    gateway.on('log', (note) => {
      if (note.level === 'warn' && /aliases/.test(note.text)) warnings.push(note.text);
    });
    try {
      await gateway.start();
      // A first list waits a second for a server still starting, then answers without it.
      await waitFor(() => gateway.listServerTools('fx').length > 0, 20_000, 'the tools of fx');
      const client = await httpClient(gateway.httpUrl()!);
      const tools = (await client.listTools()).tools.map((t) => t.name);
      const said = tools.find((name) => name.startsWith('say_it_'));
      expect(said).toMatch(/^say_it_[0-9a-f]{8}$/);
      expect(warnings).toEqual([
        `server "fx", tools.aliases.echo: "say.it" has characters not every client accepts (only letters, digits, ` +
          `"_" and "-" are), so clients would get it as "${said}"; choose a name that fits`,
        expect.stringMatching(
          /^server "fx", prompts\.aliases\.greet: "hi\.there" has characters .* "hi_there_[0-9a-f]{8}"/,
        ),
      ]);
      await client.close();
    } finally {
      await gateway.stop();
      await dir.cleanup();
    }
  });
});

describe('two tools that want the same name, as the app shows them', () => {
  it('are shown under the names clients get, before any client has listed them', async () => {
    const dir = await tempDir();
    const gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          fx: { ...fixtureServer('fx'), tools: { allow: ['echo'], aliases: { echo: 'say' } } },
          fy: { ...fixtureServer('fy'), tools: { allow: ['echo'], aliases: { echo: 'say' } } },
        },
        profiles: { pair: { servers: ['fy', 'fx'] } },
      }),
    );
    const { client: api, close } = await httpApi(gateway);
    const clients: Client[] = [];
    try {
      // Both up with their tools listed (on a busy machine a server reads ready before its list is in).
      await waitFor(
        () => ['fx', 'fy'].every((server) => gateway.listServerTools(server).some((t) => t.originalName === 'echo')),
        20_000,
        'fx and fy to have listed their tools',
      );
      const pair = (await api.listProfiles()).find((p) => p.name === 'pair')!;
      const shown = {
        pair: [...pair.toolNames].sort(),
        tools: (await api.listTools()).map((t) => `${t.server}.${t.originalName}=${t.name}`).sort(),
        fy: (await api.listServerTools('fy')).filter((t) => t.shown).map((t) => t.name),
      };
      expect(new Set(shown.pair).size).toBe(2);
      clients.push(await httpClient(`${gateway.httpUrl()!}/pair`), await httpClient(gateway.httpUrl()!));
      const [inPair, inDefault] = await Promise.all(clients.map(async (c) => (await c.listTools()).tools));
      expect(inPair!.map((t) => t.name).sort()).toEqual(shown.pair);
      expect(inDefault).toHaveLength(2);
      // Which server's echo got which name: the app and the default profile's clients agree.
      const called = await Promise.all(
        inDefault!.map(async (t) => {
          const result = await clients[1]!.callTool({ name: t.name, arguments: { message: '' } });
          return `${(result.structuredContent as { server: string }).server}.echo=${t.name}`;
        }),
      );
      expect(called.sort()).toEqual(shown.tools);
      expect(shown.fy).toEqual([called.find((c) => c.startsWith('fy.'))!.split('=')[1]]);
    } finally {
      for (const c of clients) await c.close();
      close();
      await gateway.stop();
      await dir.cleanup();
    }
  });
});

describe("a profile's token estimate", () => {
  it('is that of the tool list its clients get, under the names they get (prefixed, or aliased)', async () => {
    const dir = await tempDir();
    const server = 'a_server_with_a_rather_long_name';
    const gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { [server]: { ...fixtureServer('fx'), tools: { aliases: { echo: 'say' } } } },
      }),
    );
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const tools = (await client.listTools()).tools;
      expect(tools.map((t) => t.name)).toContain('say');
      const bytes = tools.reduce((sum, tool) => sum + JSON.stringify(tool).length, 0);
      const profile = (await gateway.api.listProfiles()).find((p) => p.name === 'default')!;
      // It counted each tool under the name its server gave it: about 8 tokens a tool short here.
      expect(profile.approxTokens).toBe(Math.ceil(bytes / 4));
    } finally {
      await client.close();
      await gateway.stop();
      await dir.cleanup();
    }
  });
});
