/**
 * Names and lists that hold whatever the servers do: a tool name always means the same tool of
 * the same server (even while that server is down), one hung server does not stall anyone's
 * lists, and the profile advertises only what its servers support.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../main/engine/index.ts';
import type { LogLine } from '../../preload/contract/index.ts';
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
} from '../helpers/gateway.ts';
import { rawSession } from '../helpers/raw-http.ts';

const LATE = path.join(ROOT, 'test/fixtures/servers/late-start.ts');
/** Reads stdin and never answers: a server hung before initialize. */
const HUNG = ['-e', 'process.stdin.resume(); setInterval(() => {}, 1 << 30);'];

type CallResult = { structuredContent?: { server?: string }; isError?: boolean; content?: { text?: string }[] };

async function callTool(client: Client, name: string): Promise<{ server?: string; error?: string }> {
  try {
    const result = (await client.callTool({ name, arguments: { message: 'hi' } })) as CallResult;
    if (result.isError) return { error: result.content?.map((c) => c.text).join(' ') ?? 'error' };
    return { server: result.structuredContent?.server };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('a tool name always means the same tool of the same server', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let failFile: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    failFile = path.join(dir.dir, 'my_srv-is-down');
    await writeFile(failFile, '');
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          // Both sanitise to my_srv__echo; "my_srv" is down at first.
          'my.srv': fixtureServer('my.srv'),
          my_srv: fixtureServer('my_srv', { FIXTURE_FAIL_START_FILE: failFile }),
        },
      }),
    );
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  const connect = async () => {
    const client = await httpClient(gateway.httpUrl()!);
    clients.push(client);
    return client;
  };
  const echoNames = async (client: Client) =>
    (await client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('my_srv__echo'));

  it('never routes a down server’s tool to another server with the same sanitised name', async () => {
    await gateway.upstream('my.srv')!.whenReady(15_000);
    await waitFor(() => gateway.servers().find((s) => s.name === 'my_srv')?.state === 'failed', 15_000, 'down');
    const client = await connect();
    const whileDown = await echoNames(client);
    expect(whileDown).toHaveLength(1);
    const dotted = whileDown[0]!;
    // The plain name is my_srv's namespace: my.srv's tool carries its own hashed name.
    expect(dotted).not.toBe('my_srv__echo');
    expect(await callTool(client, dotted)).toEqual({ server: 'my.srv' });
    const refused = await callTool(client, 'my_srv__echo');
    expect(refused.server).toBeUndefined();
    expect(refused.error).toMatch(/server "my_srv" is unavailable/);

    // my_srv comes up: it gets the plain name, and my.srv's name has not moved.
    await rm(failFile);
    await gateway.restartServer('my_srv');
    await gateway.upstream('my_srv')!.whenReady(15_000);
    const up = await waitFor(async () => {
      const names = await echoNames(client);
      return names.length === 2 ? names : undefined;
    });
    expect(up.sort()).toEqual([dotted, 'my_srv__echo'].sort());
    expect(await callTool(client, 'my_srv__echo')).toEqual({ server: 'my_srv' });
    expect(await callTool(client, dotted)).toEqual({ server: 'my.srv' });

    // my_srv goes down again: its name is still its own, even for a client that never saw it.
    await writeFile(failFile, '');
    await callTool(client, 'my_srv__crash');
    await waitFor(() => gateway.servers().find((s) => s.name === 'my_srv')?.state === 'failed', 15_000, 'down');
    const late = await connect();
    expect(await echoNames(late)).toContain(dotted);
    // Down, it is not listed (its tools stayed in the list while it was down, each call failing).
    expect(await echoNames(late)).not.toContain('my_srv__echo');
    expect(await echoNames(client)).not.toContain('my_srv__echo');
    for (const c of [client, late]) {
      const answer = await callTool(c, 'my_srv__echo');
      expect(answer.server).toBeUndefined();
      expect(answer.error).toMatch(/server "my_srv"/);
    }
    expect(await callTool(late, dotted)).toEqual({ server: 'my.srv' });

    // Restarted and still down: the new instance has listed nothing, yet the name stays my_srv's.
    await gateway.restartServer('my_srv');
    await waitFor(() => gateway.servers().find((s) => s.name === 'my_srv')?.state === 'failed', 15_000, 'down');
    const fresh = await connect();
    expect(await echoNames(fresh)).toEqual([dotted]);
    const answer = await callTool(fresh, 'my_srv__echo');
    expect(answer.server).toBeUndefined();
    expect(answer.error).toMatch(/server "my_srv"/);
  });
});

describe('one slow server never stalls everyone', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const lines: LogLine[] = [];
  let client: Client | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          fast: fixtureServer('fast'),
          // Never answers initialize, and may take a minute to: it stays "starting" throughout.
          hung: { command: NODE, args: HUNG, startupTimeoutMs: 60_000, protocol: 'stateful' },
          // Comes up after a few seconds.
          late: { command: NODE, args: [LATE], env: { FIXTURE_NAME: 'late', LATE_MS: '4000', LATE_MODE: 'silent' } },
        },
      }),
      {},
      { settle: false },
    );
    gateway.on('log', (l) => lines.push(l));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('answers tools/list with what is ready, says who is still starting, then sends list_changed', async () => {
    await gateway.upstream('fast')!.whenReady(15_000);
    client = await httpClient(gateway.httpUrl()!);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const started = Date.now();
    const first = (await client.listTools()).tools.map((t) => t.name);
    // About a second, with room for a loaded machine; before, one hung server held it for 15 s.
    expect(Date.now() - started).toBeLessThan(4000);
    expect(first).toContain('fast__echo');
    expect(first.some((n) => n.startsWith('hung__') || n.startsWith('late__'))).toBe(false);
    const note = lines.find((l) => /still starting/.test(l.text));
    expect(note?.text).toMatch(/hung/);
    expect(note?.level).toBe('info');

    // A second list does not wait again for the same start.
    const again = Date.now();
    await client.listTools();
    expect(Date.now() - again).toBeLessThan(1500);

    await waitFor(() => changed > 0, 20_000, 'tools/list_changed');
    const later = await waitFor(async () => {
      const names = (await client!.listTools()).tools.map((t) => t.name);
      return names.includes('late__echo') ? names : undefined;
    }, 10_000);
    expect(later).toContain('fast__echo');
    expect(gateway.servers().find((s) => s.name === 'hung')?.state).toBe('starting');
  });
});

/** Answers initialize at once, and tools/list only after 3 s: ready, but slow to list. */
const SLOW_LIST = [
  '-e',
  `require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
    const m = JSON.parse(line);
    if (m.id === undefined) return;
    const answer = (result) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
    const tools = [{ name: 't', inputSchema: { type: 'object' } }];
    const hello = { protocolVersion: m.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: {} };
    if (m.method === 'initialize') answer(hello);
    else if (m.method === 'tools/list') setTimeout(() => answer({ tools }), 3000);
    else answer({});
  });`,
];

describe('a ready server slow to list', () => {
  it('is said to be slow to answer its list, not to be starting', async () => {
    const dir = await tempDir();
    const gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fast: fixtureServer('fast'), slow: { command: NODE, args: SLOW_LIST, protocol: 'stateful' } },
      }),
      {},
      // Not waiting for the lists (the slow one's is the point), only for both to be ready.
      { settle: false },
    );
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 20_000, 'both servers ready');
    await waitFor(() => gateway.listServerTools('fast').length > 0, 20_000, 'the tools of fast');
    const lines: LogLine[] = [];
    gateway.on('log', (l) => lines.push(l));
    const client = await httpClient(gateway.httpUrl()!);
    try {
      expect(gateway.servers().find((s) => s.name === 'slow')?.state).toBe('ready');
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('fast__echo');
      expect(names).not.toContain('slow__t');
      const note = lines.find((l) => /listed without slow/.test(l.text));
      expect(note?.text).toMatch(/\(slow slow to answer its list\)/);
      expect(note?.text).not.toMatch(/still starting/);
    } finally {
      await client.close();
      await gateway.stop();
      await dir.cleanup();
    }
  });
});

describe('capabilities are the truth', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: fixtureServer('fx'), everything: { command: NODE, args: [EVERYTHING, 'stdio'] } },
        profiles: { plain: { servers: ['fx'] }, rich: { servers: ['fx', 'everything'] } },
      }),
    );
    await Promise.all([gateway.upstream('fx')!.whenReady(15_000), gateway.upstream('everything')!.whenReady(15_000)]);
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  const url = (profile: string) => gateway.httpUrl()!.replace(/\/mcp$/, `/mcp/${profile}`);

  it('advertises only what the members support', async () => {
    const plain = await httpClient(url('plain'));
    const rich = await httpClient(url('rich'));
    try {
      const caps = plain.getServerCapabilities()!;
      expect(caps.tools).toEqual({ listChanged: true });
      expect(caps.resources).toEqual({ listChanged: true });
      expect(caps.logging).toEqual({});
      expect(caps.completions).toBeUndefined();
      expect(caps.tasks).toBeUndefined();
      const all = rich.getServerCapabilities()!;
      expect(all.resources).toEqual({ listChanged: true, subscribe: true });
      expect(all.completions).toEqual({});
      expect(all.tasks).toMatchObject({ list: {}, requests: { tools: { call: {} } } });
    } finally {
      await Promise.allSettled([plain.close(), rich.close()]);
    }
  });

  it('refuses resources/subscribe for a resource whose server cannot send updates', async () => {
    const s = await rawSession(url('rich'), '2025-11-25');
    const refused = await s.call({
      jsonrpc: '2.0',
      id: 1,
      method: 'resources/subscribe',
      params: { uri: 'fixture://fx/about' },
    });
    expect(refused.error).toMatchObject({ code: -32602 });
    expect(String((refused.error as { message: string }).message)).toMatch(
      /server "fx" does not support resources\/subscribe/,
    );
    const accepted = await s.call({
      jsonrpc: '2.0',
      id: 2,
      method: 'resources/subscribe',
      params: { uri: 'demo://resource/static/document/architecture.md' },
    });
    expect(accepted).toMatchObject({ result: {} });
  });
});
