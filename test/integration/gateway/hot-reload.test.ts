import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

/** A reload that changed no profile says so (its log line names the profiles it changed). */
const NO_PROFILE_CHANGE = { added: [], removed: [], changed: [] };

describe('editing the config file while running', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  let configPath: string;
  let listChanged = 0;

  /** Writes like an editor does: temp file, then rename over the original. */
  async function save(config: Record<string, unknown>) {
    const tmp = `${configPath}.tmp`;
    await writeFile(tmp, JSON.stringify(config, null, 2));
    await rename(tmp, configPath);
  }

  beforeAll(async () => {
    dir = await tempDir();
    configPath = await writeConfig(dir.dir, { mcpServers: { one: fixtureServer('one'), two: fixtureServer('two') } });
    gateway = await startGateway(configPath, { watch: true });
    client = await httpClient(gateway.httpUrl()!);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      listChanged++;
    });
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 10_000, 'servers ready');
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('adds a server without touching the ones that did not change, and tells clients the list changed', async () => {
    const pidOne = gateway.servers().find((s) => s.name === 'one')!.pid;
    const pidTwo = gateway.servers().find((s) => s.name === 'two')!.pid;
    const seen = listChanged;
    await save({
      mcpServers: {
        one: fixtureServer('one'),
        two: fixtureServer('two', { EXTRA: 'changed' }),
        three: fixtureServer('three'),
      },
    });
    await waitFor(
      async () => (await client.listTools()).tools.some((t) => t.name === 'three__echo'),
      15_000,
      'three__echo to appear',
    );
    expect(gateway.servers().find((s) => s.name === 'one')!.pid).toBe(pidOne);
    await waitFor(() => gateway.servers().find((s) => s.name === 'two')?.state === 'ready', 10_000, 'two restarted');
    expect(gateway.servers().find((s) => s.name === 'two')!.pid).not.toBe(pidTwo);
    await waitFor(() => listChanged > seen, 5_000, 'tools/list_changed notification');
  });

  it('removes a server that was deleted from the file, and tells clients the list changed', async () => {
    const seen = listChanged;
    await save({ mcpServers: { one: fixtureServer('one'), three: fixtureServer('three') } });
    await waitFor(
      async () => !(await client.listTools()).tools.some((t) => t.name.startsWith('two__')),
      15_000,
      'two__ tools to disappear',
    );
    expect(
      gateway
        .servers()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['one', 'three']);
    await waitFor(() => listChanged > seen, 5_000, 'tools/list_changed for the server that left');
  });

  it('keeps running the last good config when an edit is invalid, and reports where the problem is', async () => {
    const errors: string[] = [];
    gateway.on('config-error', (e) => errors.push(e.message));
    const pidOne = gateway.servers().find((s) => s.name === 'one')!.pid;
    await writeFile(configPath, '{\n  "mcpServers": {\n    "one": { "command": 42 }\n  }\n}\n');
    await waitFor(() => errors.length > 0, 10_000, 'a config error');
    expect(errors[0]).toContain(`${configPath}:3:`);
    expect(errors[0]).toContain('mcpServers.one');
    expect(gateway.configError()).toBeDefined();
    expect(gateway.servers().find((s) => s.name === 'one')!.pid).toBe(pidOne);
    const result = await client.callTool({ name: 'one__echo', arguments: { message: 'still serving' } });
    expect((result as unknown as { structuredContent: { message: string } }).structuredContent.message).toBe(
      'still serving',
    );
  });

  it('restarts nothing for a description, which is a note for the user', async () => {
    const pidOne = gateway.servers().find((s) => s.name === 'one')!.pid;
    const reloaded = new Promise((resolve) => gateway.once('reloaded', resolve));
    await save({
      mcpServers: { one: { ...fixtureServer('one'), description: 'the first one' }, three: fixtureServer('three') },
    });
    expect(await reloaded).toEqual({
      profiles: NO_PROFILE_CHANGE,
      started: [],
      stopped: [],
      restarted: [],
      updated: ['one'],
    });
    expect(gateway.servers().find((s) => s.name === 'one')!.pid).toBe(pidOne);
  });

  it('says a server turned off was stopped, and one turned on again started (not "restarted")', async () => {
    const changes = () => new Promise((resolve) => gateway.once('reloaded', resolve));
    let reloaded = changes();
    await save({ mcpServers: { one: fixtureServer('one'), three: { ...fixtureServer('three'), disabled: true } } });
    expect(await reloaded).toEqual({
      profiles: NO_PROFILE_CHANGE,
      started: [],
      stopped: ['three'],
      restarted: [],
      updated: ['one'],
    });
    reloaded = changes();
    await save({ mcpServers: { one: fixtureServer('one'), three: fixtureServer('three') } });
    expect(await reloaded).toEqual({
      profiles: NO_PROFILE_CHANGE,
      started: ['three'],
      stopped: [],
      restarted: [],
      updated: [],
    });
    // Back in the list (and its list_changed sent) before the next test counts notifications.
    await waitFor(async () => (await client.listTools()).tools.some((t) => t.name === 'three__echo'), 10_000);
  });

  it('renames every tool for a new namespaceSeparator, and tells clients the list changed', async () => {
    const pidOne = gateway.servers().find((s) => s.name === 'one')!.pid;
    const seen = listChanged;
    await save({ namespaceSeparator: '-', mcpServers: { one: fixtureServer('one'), three: fixtureServer('three') } });
    await waitFor(() => listChanged > seen, 10_000, 'tools/list_changed for the new names');
    await waitFor(async () => (await client.listTools()).tools.some((t) => t.name === 'one-echo'), 10_000);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('one-echo');
    expect(names).not.toContain('one__echo');
    expect(gateway.servers().find((s) => s.name === 'one')!.pid).toBe(pidOne);
  });
});

describe('reloads that overlap, and edits that change nothing', () => {
  let dir: { dir: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  /** The fixture server, marked on its command line so its processes can be counted. */
  const marked = (mark: string, env: Record<string, string> = {}) => {
    const server = fixtureServer('fx', env) as { command: string; args: string[]; env: Record<string, string> };
    return { ...server, args: [...server.args, mark] };
  };
  const running = (mark: string) =>
    execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(mark)).length;

  it('runs each server once, with the file as last written, when reloads overlap', async () => {
    const mark = `overlap-${process.pid}-${Date.now()}`;
    // A secret to resolve makes each reload wait on the keychain before it starts the server.
    const withKey = (version: string) => ({ mcpServers: { fx: marked(`${mark}-${version}`, { KEY: '${secret:K}' }) } });
    const configPath = await writeConfig(dir.dir, withKey('v1'), 'overlap.json');
    const secrets = createMemorySecretStore({ K: 'a-value-long-enough' });
    const gateway = await startGateway(configPath, { http: false, secrets });
    try {
      await waitFor(() => gateway.servers()[0]?.state === 'ready', 10_000, 'fx ready');
      // Two reloads asked for at once (the UI saving a secret while a server is edited, say).
      writeFileSync(configPath, JSON.stringify(withKey('v2')));
      const first = gateway.reload();
      await new Promise((r) => setTimeout(r, 0));
      writeFileSync(configPath, JSON.stringify(withKey('v3')));
      const second = gateway.reload();
      await Promise.all([first, second]);
      await waitFor(() => gateway.servers()[0]?.state === 'ready', 10_000, 'fx ready again');
      await waitFor(() => running(mark) === 1, 5000, 'one process of fx');
      expect(running(`${mark}-v3`)).toBe(1);
    } finally {
      await gateway.stop();
    }
    await waitFor(() => running(mark) === 0, 5000, 'no process of fx left');
  });

  it('leaves a server running when its entry only changes the order of its keys', async () => {
    const mark = `order-${process.pid}-${Date.now()}`;
    const entry = marked(mark, { A: '1', B: '2' });
    const configPath = await writeConfig(dir.dir, { mcpServers: { fx: entry } }, 'order.json');
    const gateway = await startGateway(configPath, { http: false });
    try {
      await waitFor(() => gateway.servers()[0]?.state === 'ready', 10_000, 'fx ready');
      const pid = gateway.servers()[0]!.pid;
      const env = entry.env;
      const reordered = {
        env: { B: env.B, A: env.A, FIXTURE_NAME: env.FIXTURE_NAME },
        args: entry.args,
        command: entry.command,
      };
      writeFileSync(configPath, JSON.stringify({ mcpServers: { fx: reordered } }));
      await gateway.reload();
      expect(gateway.servers()[0]!.pid).toBe(pid);
    } finally {
      await gateway.stop();
    }
  });

  it('a Reload (a secret stored, say) refuses a file of only comments as a save does: the servers run on', async () => {
    const file = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }, 'blank.json');
    const gateway = await startGateway(file, { http: false });
    try {
      await waitFor(() => gateway.servers()[0]?.state === 'ready', 10_000, 'fx ready');
      writeFileSync(file, '// {"mcpServers": {"fx": {"command": "node"}}}\n');
      await gateway.reload();
      expect(gateway.servers().map((s) => [s.name, s.state])).toEqual([['fx', 'ready']]);
      expect(gateway.configError()?.message).toMatch(/has nothing but comments: the servers keep running/);
    } finally {
      await gateway.stop();
    }
  });

  it('keeps the port it was given for --port 0 when another HTTP setting changes', async () => {
    const own = await writeConfig(dir.dir, { mcpServers: {} }, 'port0.json');
    // startGateway gives it port 0, as `serve --port 0` does.
    const gateway = await startGateway(own);
    try {
      const before = gateway.httpUrl();
      writeFileSync(
        own,
        JSON.stringify({ mcpServers: {}, listen: { http: { allowedOrigins: ['https://a.example'] } } }),
      );
      await gateway.reload();
      // Reopened with the new setting, on the same address: a client set up with it keeps working.
      expect(gateway.httpUrl()).toBe(before);
      const client = await httpClient(before!);
      await client.close();
    } finally {
      await gateway.stop();
    }
  });

  it('keeps listening as before when the new port is taken by another program, and says so', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as AddressInfo).port;
    const own = await writeConfig(dir.dir, { mcpServers: {}, listen: { http: { port: 0 } } }, 'taken.json');
    const gateway = await startGateway(own, { http: undefined });
    try {
      const before = gateway.httpUrl()!;
      const warnings: string[] = [];
      gateway.on('log', (note: { level: string; text: string }) => warnings.push(note.text));
      writeFileSync(own, JSON.stringify({ mcpServers: {}, listen: { http: { port: taken } } }));
      await gateway.reload();
      // Not cut off: the previous address still answers MCP clients (and the UI).
      expect(gateway.httpUrl()).toBe(before);
      const client = await httpClient(before);
      await client.close();
      expect(warnings.join('\n')).toMatch(
        new RegExp(`new listen.http settings could not be applied \\(HTTP port 127.0.0.1:${taken} is already in use`),
      );
    } finally {
      await gateway.stop();
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describe('an edit that leaves a server unable to start', () => {
  let dir: { dir: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it('tells clients their lists changed when the edited server cannot start again (a secret not stored)', async () => {
    const configPath = await writeConfig(dir.dir, {
      mcpServers: { one: fixtureServer('one'), two: fixtureServer('two') },
    });
    const gateway = await startGateway(configPath, { watch: true });
    const client = await httpClient(gateway.httpUrl()!);
    try {
      let listChanged = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        listChanged++;
      });
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('two__echo');
      writeFileSync(
        configPath,
        JSON.stringify({
          mcpServers: { one: fixtureServer('one'), two: fixtureServer('two', { KEY: '${secret:nope}' }) },
        }),
      );
      await waitFor(() => gateway.servers().find((s) => s.name === 'two')?.state === 'failed', 10_000, 'two failed');
      await waitFor(() => listChanged > 0, 5_000, 'tools/list_changed for the tools two no longer offers');
      expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('two__echo');
    } finally {
      await client.close();
      await gateway.stop();
    }
  });
});

describe('a server renamed in the file', () => {
  it('answers a call by its old name that the server left the config, not only that no server has it', async () => {
    const dir = await tempDir();
    const configPath = await writeConfig(dir.dir, { mcpServers: { notes: fixtureServer('notes') } });
    const gateway = await startGateway(configPath, { watch: true });
    const client = await httpClient(gateway.httpUrl()!);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('notes__echo');
      writeFileSync(configPath, JSON.stringify({ mcpServers: { journal: fixtureServer('notes') } }));
      await waitFor(async () => (await client.listTools()).tools.some((t) => t.name === 'journal__echo'), 15_000);
      // A model that read the list before the rename still calls the old name.
      const error = await client.callTool({ name: 'notes__echo', arguments: { message: 'hi' } }).catch((e: Error) => e);
      expect(String(error)).toContain(
        'Unknown tool: notes__echo (server "notes" is no longer in the config: list the tools again',
      );
    } finally {
      await client.close();
      await gateway.stop();
      await dir.cleanup();
    }
  });
});
