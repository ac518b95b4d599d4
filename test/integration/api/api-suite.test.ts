/**
 * One suite for the control API, run through both bindings against a real gateway with real
 * stdio servers: HTTP (the browser-side bridge against /api) and IPC (main's handlers, the
 * preload bridge and the renderer's client over an in-process IPC pair). Same calls, same
 * results, same errors, same events.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createGateway, createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import {
  GatewayApiError,
  type GatewayEventMap,
  type GatewayEventName,
  type Question,
} from '../../../preload/contract/index.ts';
import { httpApi, ipcApi, type ApiClient, type BoundClient } from '../../helpers/api-clients.ts';
import {
  fixtureServer,
  httpClient as mcpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const BINDINGS = { http: httpApi, ipc: ipcApi } as const;

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let configPath: string;
const CONFIG = { mcpServers: { fx: fixtureServer('fx'), other: fixtureServer('other') } };

beforeAll(async () => {
  dir = await tempDir();
  configPath = await writeConfig(dir.dir, CONFIG);
  gateway = await startGateway(configPath);
  await Promise.all(['fx', 'other'].map((name) => gateway.upstream(name)!.whenReady(20_000)));
  // The tool counts come with the catalog.
  await waitFor(() => gateway.servers().every((s) => (s.toolCount ?? 0) > 0), 10_000, 'tool counts');
});
afterAll(async () => {
  await gateway?.stop();
  await dir?.cleanup();
});

/** What a caller can see of a failure. */
async function failure(
  call: Promise<unknown>,
): Promise<{ name: string; code: string; message: string; field?: string }> {
  const err = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayApiError);
  const { name, code, message, field } = err as GatewayApiError;
  return field === undefined ? { name, code, message } : { name, code, message, field };
}

/** Collects one event's payloads from subscription on. */
function collect<E extends GatewayEventName>(client: ApiClient, event: E) {
  const seen: GatewayEventMap[E][] = [];
  const stop = client.on(event, (payload) => seen.push(payload));
  return {
    seen,
    stop,
    next: (match: (payload: GatewayEventMap[E]) => boolean, what: string) =>
      waitFor(() => seen.find(match), 10_000, `a "${event}" event: ${what}`),
  };
}

describe.each(Object.keys(BINDINGS) as (keyof typeof BINDINGS)[])('the control API over %s', (binding) => {
  let bound: BoundClient;
  let api: ApiClient;

  beforeAll(async () => {
    bound = await BINDINGS[binding](gateway);
    api = bound.client;
    // Tests of the other binding restart servers: start from all ready, with their catalogs.
    await waitFor(
      async () => (await api.listServers()).every((s) => s.state === 'ready' && (s.toolCount ?? 0) > 0),
      20_000,
      'every server ready with its tools',
    );
  });
  afterAll(() => bound?.close());

  it('reports the status: version, config file, where clients connect', async () => {
    const status = await api.getStatus();
    expect(status).toEqual({
      version: 'test',
      configPath,
      listen: [gateway.httpUrl()],
      paused: false,
      trafficRecording: true,
    });
  });

  it('lists the servers in config order with their state, kind and tool count', async () => {
    const servers = await api.listServers();
    expect(servers.map((s) => s.name)).toEqual(['fx', 'other']);
    for (const s of servers) {
      // Restarts count on across Restart: the other binding's pass (run first) may have crashed fx.
      expect(s).toMatchObject({ kind: 'stdio', state: 'ready', restarts: binding === 'http' ? 0 : expect.any(Number) });
      expect(s.toolCount).toBeGreaterThan(0);
      expect(s.pid).toEqual(expect.any(Number));
    }
  });

  it('lists the merged tools, or one server’s', async () => {
    const all = await api.listTools();
    expect(all).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'fx__echo',
          server: 'fx',
          originalName: 'echo',
          description: 'Echo a message',
        }),
      ]),
    );
    const other = await api.listTools('other');
    expect(other.length).toBeGreaterThan(0);
    expect(other.every((t) => t.server === 'other' && t.name.startsWith('other__'))).toBe(true);
    expect(await api.listTools(undefined)).toEqual(all);
  });

  it('refuses bad arguments before anything runs, naming the argument', async () => {
    const untyped = api as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    expect(await failure(untyped.restartServer!())).toEqual({
      name: 'GatewayApiError',
      code: 'invalid_request',
      message: 'restartServer takes 1 argument (name), got 0',
    });
    expect(await failure(untyped.restartServer!(42))).toEqual({
      name: 'GatewayApiError',
      code: 'invalid_request',
      field: 'name',
      message: 'restartServer: "name" must be text',
    });
    expect(await failure(untyped.restartServer!(''))).toMatchObject({ code: 'invalid_request', field: 'name' });
    expect(await failure(untyped.getServerLog!('x'.repeat(300)))).toMatchObject({
      code: 'invalid_request',
      field: 'name',
    });
    expect(await failure(untyped.listTools!('fx', 'other'))).toEqual({
      name: 'GatewayApiError',
      code: 'invalid_request',
      message: 'listTools takes 0 to 1 arguments (server), got 2',
    });
    expect(await failure(untyped.answerQuestion!('some-id', 'yes'))).toEqual({
      name: 'GatewayApiError',
      code: 'invalid_request',
      field: 'answer',
      message: 'answerQuestion: "answer" must be an object with an "action" ("accept", "decline" or "cancel")',
    });
    // Nothing was restarted by any of that.
    expect((await api.listServers()).every((s) => s.state === 'ready')).toBe(true);
  });

  it('passes the engine’s errors through with their code', async () => {
    expect(await failure(api.restartServer('nope'))).toEqual({
      name: 'GatewayApiError',
      code: 'not_found',
      message: `no server named "nope" in ${configPath} (known: fx, other)`,
    });
    expect(await failure(api.answerQuestion('no-such-question', { action: 'decline' }))).toEqual({
      name: 'GatewayApiError',
      code: 'not_found',
      message: 'no waiting question with id "no-such-question" (it was answered, expired or withdrawn)',
    });
  });

  it('restarts a server: a new process, pushed as `servers` events', async () => {
    const before = (await api.listServers()).find((s) => s.name === 'other')!;
    const events = collect(api, 'servers');
    try {
      await api.restartServer('other');
      // Ready in a new process, and, once its tools are listed again, with its tool count.
      const after = await events.next(
        (list) =>
          list.some((s) => s.name === 'other' && s.state === 'ready' && s.pid !== before.pid && (s.toolCount ?? 0) > 0),
        'other ready in a new process, with its tools',
      );
      expect(after.find((s) => s.name === 'other')!.toolCount).toBe(before.toolCount);
      expect(after.find((s) => s.name === 'fx')).toMatchObject({ state: 'ready' });
      expect(events.seen.some((list) => list.some((s) => s.name === 'other' && s.state !== 'ready'))).toBe(true);
    } finally {
      events.stop();
    }
  });

  it('pauses: every server stops, a client is told why its call fails; resume brings them back', async () => {
    const status = collect(api, 'status');
    const client = await mcpClient(gateway.httpUrl()!);
    try {
      await api.setPaused(true);
      await status.next((s) => s.paused, 'paused');
      expect((await api.listServers()).map((s) => [s.name, s.state])).toEqual([
        ['fx', 'stopped'],
        ['other', 'stopped'],
      ]);
      expect((await client.listTools()).tools).toEqual([]);
      const call = await client.callTool({ name: 'fx__echo', arguments: { message: 'hi' } }).then(
        () => 'answered',
        (err: unknown) => String(err),
      );
      expect(call).toMatch(/Switchboard is paused, so "fx__echo" cannot run/);

      await api.setPaused(false);
      await status.next((s) => !s.paused, 'resumed');
      await waitFor(
        async () => (await api.listServers()).every((s) => s.state === 'ready' && (s.toolCount ?? 0) > 0),
        20_000,
        'every server ready again',
      );
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'back' } }))).toContain('back');
    } finally {
      status.stop();
      await client.close();
    }
  });

  it('puts a question no client can answer to the user, pushes it, and takes the answer', async () => {
    const added = collect(api, 'question-added');
    const ended = collect(api, 'question-ended');
    const client: Client = await mcpClient(gateway.httpUrl()!);
    try {
      const call = client.callTool({ name: 'fx__ask', arguments: {} });
      const pushed = await added.next((q) => q.server === 'fx', 'the question from fx');
      expect(pushed).toMatchObject({
        kind: 'elicitation',
        mode: 'form',
        message: 'What is your name?',
        client: { name: 'test-client', version: '1.0.0' },
      });
      expect(pushed.reason).toMatch(/cannot show questions from servers \(it does not offer elicitation\)/);
      const listed: Question[] = await api.listQuestions();
      expect(listed).toEqual([pushed]);
      expect(await failure(api.answerQuestion(pushed.id, { action: 'accept', content: { name: 42 } }))).toMatchObject({
        code: 'invalid_request',
        field: 'name',
      });
      expect(await api.listQuestions()).toHaveLength(1);
      await api.answerQuestion(pushed.id, { action: 'accept', content: { name: 'Grace' } });
      expect(textOf(await call)).toBe('hello Grace');
      expect(await ended.next((e) => e.id === pushed.id, 'the question ended')).toEqual({
        id: pushed.id,
        outcome: 'answered',
      });
      expect(await api.listQuestions()).toEqual([]);
    } finally {
      added.stop();
      ended.stop();
      await client.close();
    }
  });

  it('pushes a config edit that cannot be applied, and its repair', async () => {
    const problems = collect(api, 'config-error');
    const statuses = collect(api, 'status');
    try {
      await writeFile(configPath, '{ "mcpServers": { "fx": { "command": 42 } } }');
      await gateway.reload();
      const problem = await problems.next(() => true, 'the broken config');
      expect(problem.issues).toEqual([
        expect.objectContaining({ file: configPath, line: 1, path: 'mcpServers.fx.command' }),
      ]);
      const broken = await statuses.next((s) => s.configError !== undefined, 'a status with the error');
      expect(broken.configError).toBe(problem.message);
      expect((await api.getStatus()).configError).toBe(problem.message);
      // The previous config keeps running.
      expect((await api.listServers()).map((s) => s.name)).toEqual(['fx', 'other']);
      await writeFile(configPath, JSON.stringify(CONFIG));
      await gateway.reload();
      await statuses.next((s) => s.configError === undefined, 'a status without the error');
      expect((await api.getStatus()).configError).toBeUndefined();
    } finally {
      problems.stop();
      statuses.stop();
    }
  });

  it('says in its status whether traffic is recorded, pushed when a config change turns it off or on', async () => {
    const statuses = collect(api, 'status');
    try {
      await api.changeSettings({ trafficEnabled: false });
      await statuses.next((s) => !s.trafficRecording, 'a status with recording off');
      expect((await api.getStatus()).trafficRecording).toBe(false);
      await api.changeSettings({ trafficEnabled: true });
      await statuses.next((s) => s.trafficRecording, 'a status with recording on');
      expect((await api.getStatus()).trafficRecording).toBe(true);
    } finally {
      statuses.stop();
      await writeFile(configPath, JSON.stringify(CONFIG));
      await gateway.reload();
    }
  });

  it('adds a server to the config file, keeping its comments, applies it, and removes it again', async () => {
    const commented = `// my servers\n${JSON.stringify(CONFIG, null, 2)}\n`;
    await writeFile(configPath, commented);
    const name = `added-${binding}`;
    const servers = collect(api, 'servers');
    try {
      await api.addServer(name, fixtureServer(name));
      const text = await readFile(configPath, 'utf8');
      expect(text.startsWith('// my servers\n')).toBe(true);
      expect(text).toContain(`"${name}"`);
      await servers.next((list) => list.some((s) => s.name === name && s.state === 'ready'), 'the new server ready');
      // Refused at the field the config's checks name; nothing written. A name taken by this same entry
      // (a pasted block sent again) is told apart from one taken by another entry by its code.
      expect(await failure(api.addServer(name, fixtureServer(name)))).toMatchObject({
        code: 'already_configured',
        field: 'name',
        message: expect.stringContaining('with this same entry'),
      });
      expect(await failure(api.addServer(name, fixtureServer('other')))).toMatchObject({
        code: 'name_taken',
        field: 'name',
        message: expect.stringContaining('with a different entry'),
      });
      expect(await failure(api.addServer('bad-entry', { command: 42 }))).toMatchObject({
        code: 'invalid_request',
        field: 'command',
        message: expect.stringContaining('mcpServers.bad-entry.command'),
      });
      expect(await failure(api.addServer('has space', fixtureServer('x')))).toMatchObject({
        code: 'invalid_request',
        field: 'name',
      });
      expect(await readFile(configPath, 'utf8')).toBe(text);
      // An edit keeps the file's comments; a value still showing a placeholder is refused at its field.
      expect(await api.getServerEntry(name)).toEqual(fixtureServer(name));
      expect(await failure(api.updateServer(name, { command: '[redacted:token]' }))).toMatchObject({
        code: 'invalid_request',
        field: 'command',
      });
      // As a URL holds it (the edit form shows a short ?token= value masked so): the secret would be lost.
      const masked = { url: 'http://127.0.0.1:8/mcp?token=%5Bredacted%5D' };
      expect(await failure(api.updateServer(name, masked))).toMatchObject({ code: 'invalid_request', field: 'url' });
      // Two tool toggles sent together both hold (the second does not undo the first).
      await Promise.all([
        api.setToolOptions(name, 'big', { shown: false }),
        api.setToolOptions(name, 'crash', { shown: false }),
      ]);
      expect(((await api.getServerEntry(name)).tools as { deny: string[] }).deny.sort()).toEqual(['big', 'crash']);
      await api.updateServer(name, { ...fixtureServer(name), cwd: dir.dir });
      expect((await readFile(configPath, 'utf8')).startsWith('// my servers\n')).toBe(true);
      expect((await api.getServerEntry(name)).cwd).toBe(dir.dir);
      // An edit keeps what the form does not own (the tool filter).
      expect(((await api.getServerEntry(name)).tools as { deny: string[] }).deny.sort()).toEqual(['big', 'crash']);
      await api.removeServer(name);
      expect(await readFile(configPath, 'utf8')).toBe(commented);
      await servers.next((list) => !list.some((s) => s.name === name), 'the server gone');
      expect(await failure(api.removeServer(name))).toMatchObject({ code: 'not_found' });
    } finally {
      servers.stop();
      await writeFile(configPath, JSON.stringify(CONFIG));
      await gateway.reload();
    }
  });

  it('renames a server where it stands and in its profiles; clients see its tools under the new name', async () => {
    const old = `before-${binding}`;
    const renamed = `after-${binding}`;
    const config = {
      mcpServers: { ...CONFIG.mcpServers, [old]: fixtureServer('renamed') },
      profiles: { team: { servers: [old, 'fx'] } },
    };
    const json = JSON.stringify(config, null, 2).replace(`"${old}": {`, `// mine\n    "${old}": {`);
    const text = `// my servers\n${json}\n`;
    await writeFile(configPath, text);
    await gateway.reload();
    await waitFor(() => gateway.listServerTools(old).length > 0, 20_000, `the tools of ${old}`);
    const client = await mcpClient(`${gateway.httpUrl()!}/team`);
    try {
      let told = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => void told++);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain(`${old}__echo`);
      // Taken, not a name, or no such server: refused at the name, nothing written.
      expect(await failure(api.renameServer(old, 'fx'))).toMatchObject({ code: 'name_taken', field: 'name' });
      expect(await failure(api.renameServer(old, 'has space'))).toMatchObject({
        code: 'invalid_request',
        field: 'name',
      });
      expect(await failure(api.renameServer('nobody', renamed))).toMatchObject({ code: 'not_found', field: 'name' });
      expect(await readFile(configPath, 'utf8')).toBe(text);
      await api.renameServer(old, renamed);
      // Only the name changed: the comment above it, its place and the profile's list.
      expect(await readFile(configPath, 'utf8')).toBe(text.replaceAll(`"${old}"`, `"${renamed}"`));
      await waitFor(async () => told > 0, 20_000, 'tools/list_changed');
      await waitFor(
        async () => (await client.listTools()).tools.some((t) => t.name === `${renamed}__echo`),
        20_000,
        'the tools under the new name',
      );
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names.some((n) => n.startsWith(`${old}__`))).toBe(false);
      expect(textOf(await client.callTool({ name: `${renamed}__echo`, arguments: { message: 'hi' } }))).toContain('hi');
      expect((await api.listServers()).map((s) => s.name)).toEqual(['fx', 'other', renamed]);
    } finally {
      await client.close();
      await writeFile(configPath, JSON.stringify(CONFIG));
      await gateway.reload();
    }
  });

  it('stores and deletes secrets by name, never giving a value back, and refuses a bad name at its field', async () => {
    const name = `api-secret-${binding}`;
    await api.setSecret(name, 'not-to-be-seen-again');
    const listed = await api.listSecrets();
    expect(listed.store).toBe('the memory secret store');
    expect(listed.secrets).toContainEqual({ name, stored: true, usedBy: [] });
    expect(JSON.stringify(listed)).not.toContain('not-to-be-seen-again');
    expect(await failure(api.setSecret('bad name', 'x'))).toMatchObject({ code: 'invalid_request', field: 'name' });
    expect(await failure(api.setSecret(name, ''))).toMatchObject({ code: 'invalid_request', field: 'value' });
    await api.deleteSecret(name);
    expect((await api.listSecrets()).secrets.some((s) => s.name === name)).toBe(false);
    expect(await failure(api.deleteSecret(name))).toMatchObject({ code: 'not_found' });
  });

  it('refuses client installs on a gateway started without access to client configs', async () => {
    expect(await failure(api.listClients())).toMatchObject({
      code: 'invalid_request',
      message: 'this gateway was started without access to client configs',
    });
    expect(await failure(api.installClient('claude-desktop'))).toMatchObject({ code: 'invalid_request' });
    expect(await failure(api.previewAdoption('claude-desktop'))).toMatchObject({ code: 'invalid_request' });
  });

  it("pushes servers' stderr as log lines", async () => {
    const logs = collect(api, 'log');
    const client: Client = await mcpClient(gateway.httpUrl()!);
    try {
      await client.callTool({ name: 'fx__stderr', arguments: { text: `hello from ${binding}` } });
      const line = await logs.next((l) => l.text === `hello from ${binding}`, 'the stderr line');
      expect(line).toMatchObject({ server: 'fx', source: 'stderr', level: 'info', at: expect.any(Number) });
      // One timeline: its stderr and its state changes, each with its time, oldest first (a crash
      // after the line is told after it; the state changes all came first before).
      await client.callTool({ name: 'fx__crash', arguments: {} }).catch(() => undefined);
      await waitFor(async () => (await api.listServers()).find((s) => s.name === 'fx')?.state === 'ready', 10_000);
      const log = await api.getServerLog('fx');
      const hello = log.findIndex((l) => l.endsWith(` hello from ${binding}`));
      expect(hello).toBeGreaterThanOrEqual(0);
      // Said in words: how it ended and when it is started again, not the engine's state name ("backoff").
      expect(log.slice(hello).some((l) => / exited with code 7: .*; restarting in \d+ m?s$/.test(l))).toBe(true);
      expect(log.filter((l) => /backoff/.test(l))).toEqual([]);
      const times = log.map((l) => /^(\d\d:\d\d:\d\d\.\d{3}) /.exec(l)?.[1]);
      expect(times.every((t) => t !== undefined)).toBe(true);
      expect([...times].sort()).toEqual(times);
    } finally {
      logs.stop();
      await client.close();
    }
  });

  it("tells the gateway's notes about a server once in its live log, and keeps them in the server's log", async () => {
    const logs = collect(api, 'log');
    const name = `noted-${binding}`;
    const era = (text: string) => text.includes(`server "${name}" speaks the stateful protocol`);
    try {
      await api.addServer(name, fixtureServer(name));
      // Its state's line follows the protocol note on the same stream: the start is all told by then.
      await logs.next((l) => l.server === name && l.text === 'ready', 'the added server ready');
      expect(logs.seen.filter((l) => l.server === name && era(l.text))).toHaveLength(1);
      expect((await api.getServerLog(name)).filter(era)).toHaveLength(1);
    } finally {
      logs.stop();
      await api.removeServer(name);
    }
  });

  it('lists recorded traffic with filters and paging, shows a tree, and pushes live batches', async () => {
    const live = collect(api, 'traffic');
    const client: Client = await mcpClient(gateway.httpUrl()!);
    const marker = `traffic-${binding}-${Date.now()}`;
    try {
      for (let i = 0; i < 3; i++) await client.callTool({ name: 'fx__echo', arguments: { message: `${marker}-${i}` } });
      // Live: each call arrives, ended, with sizes but without payload text.
      const batchEntry = await live.next(
        (b) => b.entries.some((e) => e.target === 'fx__echo' && e.outcome === 'ok'),
        'a batch with an ended call',
      );
      const pushed = batchEntry.entries.find((e) => e.target === 'fx__echo' && e.outcome === 'ok')!;
      expect(pushed.request.bytes).toBeGreaterThan(0);
      expect(pushed.request.json).toBeUndefined();
      // Listed: newest first, found by text, two at a time.
      const first = await api.listTraffic({ text: marker, edge: 'client', limit: 2 });
      expect(first.entries.map((e) => JSON.parse(e.request.json!).arguments.message)).toEqual([
        `${marker}-2`,
        `${marker}-1`,
      ]);
      const second = await api.listTraffic({ text: marker, edge: 'client', limit: 2, cursor: first.nextCursor });
      expect(second.entries.map((e) => JSON.parse(e.request.json!).arguments.message)).toEqual([`${marker}-0`]);
      expect(second.nextCursor).toBeUndefined();
      const tree = await api.getTrafficTree(first.entries[0]!.id);
      expect(tree.children.map((c) => [c.entry.edge, c.entry.method, c.entry.target])).toEqual([
        ['upstream', 'tools/call', 'echo'],
      ]);
      const stats = await api.getTrafficStats({ server: 'fx' });
      expect(stats.tools.find((t) => t.tool === 'echo')!.calls).toBeGreaterThanOrEqual(3);
      const exported = await api.exportTraffic('jsonl', { text: marker, edge: 'client' });
      expect(exported).toMatchObject({ format: 'jsonl', entries: 3, truncated: false });
      expect(
        exported.text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).id),
      ).toEqual([...first.entries, ...second.entries].map((e) => e.id).reverse());
    } finally {
      live.stop();
      await client.close();
    }
  });

  it('replays a list, refuses a tool call without confirm, and refuses what cannot be sent again', async () => {
    const client: Client = await mcpClient(gateway.httpUrl()!);
    try {
      await client.listTools();
      await client.callTool({ name: 'fx__echo', arguments: { message: `replay-${binding}` } });
    } finally {
      await client.close();
    }
    const [list] = (await api.listTraffic({ method: 'tools/list', edge: 'client', limit: 1 })).entries;
    const replay = await api.replayTraffic(list!.id);
    expect(replay.outcome).toBe('ok');
    expect((replay.result as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain('fx__echo');
    const again = (await api.getTrafficTree(replay.id)).entry;
    expect(again.session).toMatchObject({ transport: 'app', client: { name: 'Switchboard replay' } });
    const [call] = (await api.listTraffic({ text: `replay-${binding}`, edge: 'client', limit: 1 })).entries;
    expect(await failure(api.replayTraffic(call!.id))).toMatchObject({
      code: 'invalid_request',
      field: 'options.confirm',
    });
    const confirmed = await api.replayTraffic(call!.id, { confirm: true });
    expect(confirmed.outcome).toBe('ok');
    expect(textOf(confirmed.result)).toBe(`replay-${binding}`);
    const [note] = (await api.listTraffic({ method: 'notifications/initialized', limit: 1 })).entries;
    expect((await failure(api.replayTraffic(note!.id))).message).toMatch(/notification: only requests/);
  });

  it('refuses a bad traffic filter naming the field, and an unknown exchange', async () => {
    const untyped = api as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    expect(await failure(untyped.listTraffic!({ limit: 5000 }))).toMatchObject({
      code: 'invalid_request',
      field: 'filter.limit',
    });
    expect(await failure(untyped.listTraffic!({ outcome: 'maybe' }))).toMatchObject({
      code: 'invalid_request',
      field: 'filter.outcome',
    });
    expect(await failure(untyped.listTraffic!({ sever: 'fx' }))).toMatchObject({ code: 'invalid_request' });
    expect(await failure(untyped.exportTraffic!('csv'))).toMatchObject({ code: 'invalid_request', field: 'format' });
    // An export takes the newest 10,000: a limit was taken and silently not applied.
    expect(await failure(api.exportTraffic('jsonl', { server: 'fx', limit: 5 }))).toMatchObject({
      code: 'invalid_request',
      field: 'filter.limit',
      message:
        'exportTraffic: "filter.limit" does not apply to an export, which holds every exchange that matches ' +
        '(the newest 10,000 at most): narrow it with since, until or the other conditions',
    });
    expect(await failure(api.getTrafficTree('0000-none'))).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no exchange "0000-none" in the traffic record'),
    });
  });

  it('stops delivering an event once unsubscribed', async () => {
    const servers = collect(api, 'servers');
    const kept = collect(api, 'servers');
    servers.stop();
    await api.restartServer('fx');
    await kept.next((list) => list.some((s) => s.name === 'fx' && s.state === 'ready'), 'fx ready again');
    kept.stop();
    expect(servers.seen).toEqual([]);
  });
});

describe('what the gateway pushes on its own', () => {
  it('its status once the listeners are open, and a server added by a config edit', async () => {
    const d = await tempDir();
    const file = await writeConfig(d.dir, { mcpServers: {} });
    const g = createGateway({
      configPath: file,
      secrets: createMemorySecretStore(),
      version: 'test',
      http: { port: 0 },
      socket: false,
    });
    const statuses: GatewayEventMap['status'][] = [];
    const lists: GatewayEventMap['servers'][] = [];
    g.events.on('status', (s) => statuses.push(s));
    g.events.on('servers', (l) => lists.push(l));
    try {
      await g.start();
      // Subscribed before start (as the app's window is): the addresses arrive as an event.
      await waitFor(
        () => statuses.some((s) => s.listen.includes(g.httpUrl()!)),
        5000,
        'a status with the HTTP address',
      );
      await writeConfig(d.dir, { mcpServers: { off: { ...fixtureServer('off'), disabled: true } } });
      await g.reload();
      await waitFor(
        () => lists.some((l) => l.some((s) => s.name === 'off' && s.state === 'stopped')),
        5000,
        'the added server',
      );
    } finally {
      await g.stop();
      await d.cleanup();
    }
  });
});

describe('both bindings', () => {
  it('give the same results and the same errors for the same calls', async () => {
    const http = await httpApi(gateway);
    const ipc = await ipcApi(gateway);
    await waitFor(
      async () => (await http.client.listServers()).every((s) => s.state === 'ready' && (s.toolCount ?? 0) > 0),
      20_000,
      'every server ready with its tools',
    );
    try {
      for (const call of [
        (api: ApiClient) => api.getStatus(),
        (api: ApiClient) => api.listTools('fx'),
        (api: ApiClient) => api.getServerLog('fx'),
        (api: ApiClient) => api.restartServer('nope'),
        (api: ApiClient) =>
          (api as unknown as { getServerLog(n: unknown): Promise<unknown> }).getServerLog({ name: 'fx' }),
      ]) {
        const outcome = (api: ApiClient) =>
          call(api).then(
            (result) => ({ result }),
            (error: GatewayApiError) => ({ error: { ...error.toJSON(), name: error.name } }),
          );
        expect(await outcome(http.client)).toEqual(await outcome(ipc.client));
      }
    } finally {
      http.close();
      ipc.close();
    }
  });
});
