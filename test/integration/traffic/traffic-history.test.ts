/**
 * The traffic history on disk, as a user relies on it: what was recorded is still there after the
 * gateway restarts (cleanly, or killed: then at most the last second is lost and a call that was
 * in flight says it never got its answer), retention deletes by age and by size what it should
 * and nothing else, and 0 keeps nothing. Real gateways (in-process and `switchboard serve`), the
 * fixture server, the MCP SDK client over HTTP.
 */
import { mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrafficLog, createGateway, createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import {
  fixtureServer,
  httpClient,
  serveGateway,
  startGateway,
  tempDir,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { lockDatabase } from '../../helpers/sqlite-lock.ts';

let dir: { dir: string; cleanup(): Promise<void> };
let historyFile: string;
const running: Gateway[] = [];

beforeEach(async () => {
  dir = await tempDir('sb-history-');
  historyFile = path.join(dir.dir, 'state', 'traffic.db');
});
afterEach(async () => {
  for (const g of running.splice(0)) await g.stop();
  await dir.cleanup();
});

async function gatewayWith(traffic: Record<string, unknown> = {}): Promise<Gateway> {
  const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') }, traffic });
  const gateway = await startGateway(config, { trafficHistoryFile: historyFile });
  running.push(gateway);
  return gateway;
}

async function stop(gateway: Gateway): Promise<void> {
  running.splice(running.indexOf(gateway), 1);
  await gateway.stop();
}

/** Calls fx__echo with each message, from one HTTP client. */
async function echo(gateway: Gateway, ...messages: string[]): Promise<void> {
  const client = await httpClient(gateway.httpUrl()!);
  try {
    for (const message of messages) await client.callTool({ name: 'fx__echo', arguments: { message } });
  } finally {
    await client.close();
  }
}

/** The messages of the recorded client calls of fx__echo, oldest first. */
function echoed(log: Pick<TrafficLog, 'list'>): string[] {
  return log
    .list({ edge: 'client', method: 'tools/call', target: 'fx__echo', limit: 1000 })
    .entries.map((e) => (JSON.parse(e.request.json!) as { arguments: { message: string } }).arguments.message)
    .reverse();
}

describe('the traffic history', () => {
  it('survives a restart: the calls, their trees and their stats are there for the next gateway', async () => {
    const first = await gatewayWith();
    await echo(first, 'before-1', 'before-2');
    await stop(first);

    const second = await gatewayWith();
    expect(echoed(second.traffic)).toEqual(['before-1', 'before-2']);
    const [call] = second.traffic.list({ text: 'before-2', edge: 'client' }).entries;
    const tree = second.traffic.tree(call!.id);
    expect(tree.children.map((c) => [c.entry.edge, c.entry.server, c.entry.target])).toEqual([
      ['upstream', 'fx', 'echo'],
    ]);
    expect(second.traffic.stats({ server: 'fx' }).tools.find((t) => t.tool === 'echo')?.calls).toBe(2);
    await echo(second, 'after');
    expect(echoed(second.traffic)).toEqual(['before-1', 'before-2', 'after']);
  });

  it("finds a server's and a client's name in a text search, in the history as in memory alone", async () => {
    for (const traffic of [{}, { history: { days: 0 } }]) {
      const gateway = await gatewayWith(traffic);
      await echo(gateway, 'named');
      // The request the gateway sent fx names the tool "echo" alone: the server's name found it.
      const upstream = gateway.traffic.list({ text: 'FX', edge: 'upstream', method: 'tools/call' }).entries;
      expect(upstream.map((e) => [e.server, e.target]).at(-1)).toEqual(['fx', 'echo']);
      const ofClient = gateway.traffic.list({ text: 'Test-Client', edge: 'client', method: 'tools/call' }).entries;
      expect(ofClient.map((e) => [e.session?.client?.name, e.target]).at(-1)).toEqual(['test-client', 'fx__echo']);
      expect(gateway.traffic.list({ text: 'no-such-name' }).entries).toEqual([]);
      await stop(gateway);
    }
  });

  it('finds text as it reads, also where the recorded JSON escapes it: quotes, backslashes, line breaks', async () => {
    const message = 'She said "stop" at C:\\Temp\\new\nthen left\ttabbed; café ☕ \u0007bell; Κος Οδοσακης';
    for (const traffic of [{}, { history: { days: 0 } }]) {
      const gateway = await gatewayWith(traffic);
      await echo(gateway, message);
      const found = (text: string) =>
        gateway.traffic.list({ text, edge: 'client', target: 'fx__echo' }).entries.map((e) => e.target);
      // Greek: a capital sigma reads as the final ς at a word's end and as σ within one, in either.
      const greek = ['ΟΔΟΣ', 'ΟΔΟΣΑΚΗΣ', 'οδοσακησ', 'ΚΟΣ ΟΔ'];
      for (const text of [
        'said "stop"',
        'C:\\Temp\\new',
        'new\nthen',
        'left\ttabbed',
        'CAFÉ ☕',
        '\u0007bell',
        ...greek,
      ]) {
        expect([text, found(text)]).toEqual([text, ['fx__echo']]);
      }
      // As JSON text, as the payload is shown, it is found too; what is not there is not.
      expect(found('\\"stop\\"')).toEqual(['fx__echo']);
      expect(found('said "go"')).toEqual([]);
      await stop(gateway);
    }
  });

  it('keeps what ended over a second before a kill; a call in flight is then marked unanswered', async () => {
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    const env = {
      ...process.env,
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    };
    const { child: gateway, url } = await serveGateway(env);
    try {
      const client = await httpClient(url);
      await client.callTool({ name: 'fx__echo', arguments: { message: 'kept' } });
      // In flight when the gateway dies: slow takes 100 × 100 ms.
      const inFlight = client.callTool({ name: 'fx__slow', arguments: { steps: 100, delayMs: 100 } });
      // It fails when the gateway is killed under it; that is expected, not a test failure.
      inFlight.then(
        () => undefined,
        (err: unknown) => err,
      );
      await new Promise((r) => setTimeout(r, 1500));
      gateway.kill('SIGKILL');
      await new Promise((r) => gateway.once('exit', r));
    } finally {
      gateway.kill('SIGKILL');
    }
    const history = TrafficLog.readHistory(historyFile, 'test');
    try {
      expect(echoed(history)).toEqual(['kept']);
      const [slow] = history.list({ edge: 'client', target: 'fx__slow' }).entries;
      // Written as pending by a batch, then never ended: the next gateway that opens it says so.
      expect(slow?.outcome).toBe('pending');
    } finally {
      history.close();
    }
    const next = await gatewayWith();
    const [slow] = next.traffic.list({ edge: 'client', target: 'fx__slow' }).entries;
    expect(slow).toMatchObject({
      outcome: 'error',
      error: { code: -32603, message: 'no answer recorded: Switchboard stopped before it came' },
    });
  }, 60_000);

  it('deletes what is older than the retention age when the next gateway opens it', async () => {
    // 0.00003 days is 2.6 seconds.
    const first = await gatewayWith({ history: { days: 0.00003 } });
    await echo(first, 'old');
    await stop(first);
    await new Promise((r) => setTimeout(r, 2800));
    const second = await gatewayWith({ history: { days: 0.00003 } });
    expect(echoed(second.traffic)).toEqual([]);
    await echo(second, 'new');
    expect(echoed(second.traffic)).toEqual(['new']);
  });

  it('keeps the history under its size limit by deleting the oldest, and the file stops growing', async () => {
    const limit = 200_000;
    const gateway = await gatewayWith({ history: { maxBytes: limit } });
    const filler = 'f'.repeat(2000);
    const messages = Array.from({ length: 150 }, (_, i) => `call-${String(i).padStart(3, '0')}-${filler}`);
    await echo(gateway, ...messages.slice(0, 75));
    gateway.traffic.flush();
    const sizeMidway = (await stat(historyFile)).size;
    await echo(gateway, ...messages.slice(75));
    await stop(gateway);

    const history = TrafficLog.readHistory(historyFile, 'test');
    try {
      const kept = echoed(history);
      // The newest are kept, in order, and the oldest are gone: each call is ~8 KB of text
      // (request and answer, at both edges), so ~25 fit.
      expect(kept.length).toBeGreaterThan(10);
      expect(kept.length).toBeLessThan(40);
      expect(kept).toEqual(messages.slice(-kept.length));
    } finally {
      history.close();
    }
    // Space is reused: twice the calls did not make a file much larger than halfway through.
    expect((await stat(historyFile)).size).toBeLessThan(Math.max(sizeMidway * 1.5, 4 * limit));
  });

  it('takes new retention on a reload: calls in flight stay in flight, and end as they end', async () => {
    const gateway = await gatewayWith();
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const call = client.callTool({ name: 'fx__slow', arguments: { steps: 5, delayMs: 100 } });
      await waitFor(() => gateway.traffic.list({ edge: 'client', target: 'fx__slow' }).entries.length === 1);
      await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') }, traffic: { history: { days: 1 } } });
      await gateway.reload();
      expect(gateway.traffic.list({ edge: 'client', target: 'fx__slow' }).entries[0]?.outcome).toBe('pending');
      await call;
      await waitFor(() => gateway.traffic.list({ edge: 'client', target: 'fx__slow' }).entries[0]?.outcome === 'ok');
    } finally {
      await client.close();
    }
  });

  it('turned on by a reload, keeps what was recorded before', async () => {
    const gateway = await gatewayWith({ history: { days: 0 } });
    await echo(gateway, 'before the history');
    await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') }, traffic: {} });
    await gateway.reload();
    await echo(gateway, 'after');
    await stop(gateway);
    const history = TrafficLog.readHistory(historyFile, 'test');
    expect(echoed(history)).toEqual(['before the history', 'after']);
    history.close();
  });

  it('a replay says how it ended, from the history: a call that ran out of time says timeout', async () => {
    const config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx') },
      timeouts: { requestMs: 300 },
    });
    const gateway = await startGateway(config, { trafficHistoryFile: historyFile });
    running.push(gateway);
    const client = await httpClient(gateway.httpUrl()!);
    try {
      await client.callTool({ name: 'fx__slow', arguments: { steps: 10, delayMs: 100 } }).catch((err: unknown) => err);
    } finally {
      await client.close();
    }
    const [call] = gateway.traffic.list({ edge: 'client', target: 'fx__slow' }).entries;
    expect(call?.outcome).toBe('timeout');
    const replay = await gateway.api.replayTraffic(call!.id, { confirm: true });
    expect(replay.outcome).toBe('timeout');
    expect(gateway.traffic.get(replay.id).outcome).toBe('timeout');
  });

  it('a replay of a call whose tool failed says tool_error, recorded or not (recording turned off since)', async () => {
    const servers = { fx: fixtureServer('fx') };
    const config = await writeConfig(dir.dir, { mcpServers: servers });
    const gateway = await startGateway(config, { trafficHistoryFile: historyFile });
    running.push(gateway);
    const client = await httpClient(gateway.httpUrl()!);
    try {
      // Arguments its schema refuses: the tool answers with a result marked isError.
      await client.callTool({ name: 'fx__slow', arguments: { steps: 'many' } });
    } finally {
      await client.close();
    }
    const [call] = gateway.traffic.list({ edge: 'client', target: 'fx__slow' }).entries;
    expect(call?.outcome).toBe('tool_error');
    const replay = await gateway.api.replayTraffic(call!.id, { confirm: true });
    expect(replay.outcome).toBe('tool_error');
    await writeConfig(dir.dir, { mcpServers: servers, traffic: { enabled: false } });
    await gateway.reload();
    const unrecorded = await gateway.api.replayTraffic(call!.id, { confirm: true });
    expect([unrecorded.id, unrecorded.outcome]).toEqual(['', 'tool_error']);
  });

  it('a replay of a request sent to a server says, while Switchboard is paused, that it is paused', async () => {
    const gateway = await gatewayWith();
    await echo(gateway, 'before the pause');
    const [sent] = gateway.traffic.list({ edge: 'upstream', target: 'echo' }).entries;
    await gateway.setPaused(true);
    // Not "no server named fx", which a user reads as their server being gone from the config.
    await expect(gateway.api.replayTraffic(sent!.id, { confirm: true })).rejects.toMatchObject({
      code: 'upstream_unavailable',
      message: 'Switchboard is paused, so "fx" is not running: resume it from the tray menu or the app',
    });
    await gateway.setPaused(false);
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 20_000);
    const replay = await gateway.api.replayTraffic(sent!.id, { confirm: true });
    expect(replay.outcome).toBe('ok');
  });

  it("a replay of a call still running on its server does not report progress to that call's client", async () => {
    const gateway = await gatewayWith();
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const progress: number[] = [];
      const call = client.callTool({ name: 'fx__slow', arguments: { steps: 10, delayMs: 100 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      const sent = await waitFor(
        () => gateway.traffic.list({ edge: 'upstream', target: 'slow', outcome: 'pending' }).entries[0],
        5000,
        'the call to be listed while it runs',
      );
      const replay = await gateway.api.replayTraffic(sent.id, { confirm: true });
      expect(replay.outcome).toBe('ok');
      await call;
      // Its own ten steps, once each and in order: none of the replay's.
      expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await client.close();
    }
  });

  it("a replay waits as long as the server's own timeout allows, longer than the default", async () => {
    const config = await writeConfig(dir.dir, {
      mcpServers: { fx: { ...fixtureServer('fx'), timeoutMs: 3000 } },
      timeouts: { requestMs: 300 },
    });
    const gateway = await startGateway(config, { trafficHistoryFile: historyFile });
    running.push(gateway);
    const client = await httpClient(gateway.httpUrl()!);
    try {
      await client.callTool({ name: 'fx__slow', arguments: { steps: 15, delayMs: 100 } });
    } finally {
      await client.close();
    }
    const [call] = gateway.traffic.list({ edge: 'client', target: 'fx__slow' }).entries;
    const replay = await gateway.api.replayTraffic(call!.id, { confirm: true });
    expect(replay.outcome).toBe('ok');
  });

  it('with 0 keeps no history, and deletes the one there was', async () => {
    const first = await gatewayWith();
    await echo(first, 'recorded');
    await stop(first);
    expect(existsSync(historyFile)).toBe(true);

    const off = await gatewayWith({ history: { days: 0 } });
    expect(existsSync(historyFile)).toBe(false);
    await echo(off, 'in memory only');
    // The live record still works; nothing reaches the disk.
    expect(echoed(off.traffic)).toEqual(['in memory only']);
    await stop(off);
    expect(existsSync(historyFile)).toBe(false);
  });

  it('while another program holds the file locked, calls are not held up and the record shows them', async () => {
    const gateway = await gatewayWith();
    const logs: string[] = [];
    gateway.on('log', (line) => logs.push(line.text));
    await echo(gateway, 'before the lock');
    gateway.traffic.flush();
    // A database browser with the file open in a write transaction, in a process of its own.
    const lock = await lockDatabase(historyFile);
    try {
      const client = await httpClient(gateway.httpUrl()!);
      const slowest = { ms: 0 };
      const until = Date.now() + 2500;
      // At most 400 calls (echoed() reads the newest 1000 exchanges), spread over the time the lock is held.
      for (let i = 0; Date.now() < until; i++) {
        if (i >= 400) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const began = performance.now();
        await client.callTool({ name: 'fx__echo', arguments: { message: `locked ${i}` } });
        slowest.ms = Math.max(slowest.ms, performance.now() - began);
      }
      await client.close();
      // Each try to write waited two seconds for the lock, holding every message up meanwhile.
      expect(slowest.ms).toBeLessThan(1000);
      expect(logs.join('\n')).toMatch(/traffic history .*traffic\.db: cannot write \(database is locked\)/);
      // The record still shows what it could not write yet (it showed nothing after the lock).
      const calls = echoed(gateway.traffic);
      expect(calls[0]).toBe('before the lock');
      expect(calls.at(-1)).toMatch(/^locked \d+$/);
      const last = gateway.traffic.list({ edge: 'client', method: 'tools/call', limit: 1 }).entries[0]!;
      expect(gateway.traffic.tree(last.id).children.map((c) => c.entry.target)).toEqual(['echo']);
      expect(gateway.traffic.stats().servers[0]!.calls).toBeGreaterThanOrEqual(calls.length);
      // The app and the CLI are told, not only the log.
      expect((await gateway.api.getStatus()).trafficHistoryProblem).toBe(
        `cannot write ${historyFile}: another program holds it locked, as a database browser with it open can ` +
          '(SQLite: database is locked); up to 10,000 exchanges are held in memory and written once it works ' +
          'again, newer ones are not saved',
      );
    } finally {
      await lock.release();
    }
    await waitFor(() => logs.some((l) => /writing works again/.test(l)), 5000, 'the held exchanges written');
    expect((await gateway.api.getStatus()).trafficHistoryProblem).toBeUndefined();
    const calls = echoed(gateway.traffic);
    await stop(gateway);
    const kept = TrafficLog.readHistory(historyFile, 'test');
    expect(echoed(kept)).toEqual(calls);
    kept.close();
  });

  it('moves aside a history damaged beyond its first pages (it opens), says so, and records anew', async () => {
    const first = await gatewayWith();
    await echo(first, ...Array.from({ length: 150 }, (_, i) => `before-${i} ${'x'.repeat(2000)}`));
    await stop(first);
    // A bad sector in the middle of the file: its header and schema read well, its rows do not.
    const file = await open(historyFile, 'r+');
    const pages = (await file.stat()).size / 4096;
    await file.write(Buffer.alloc(4096 * Math.floor(pages / 2), 0xff), 0, undefined, 4096 * Math.floor(pages / 4));
    await file.close();

    const logs: string[] = [];
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    const gateway = createGateway({
      configPath: config,
      secrets: createMemorySecretStore(),
      version: 'test',
      http: { port: 0 },
      socket: false,
      trafficHistoryFile: historyFile,
    });
    gateway.on('log', (line) => logs.push(line.text));
    running.push(gateway);
    await gateway.start();
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 20_000);
    await echo(gateway, 'fresh');
    // Searched, listed, counted and exported as a history should be, not failing with SQLite's error.
    expect(echoed(gateway.traffic)).toEqual(['fresh']);
    expect(gateway.traffic.list({ text: 'fresh', edge: 'client' }).entries).toHaveLength(1);
    expect(gateway.traffic.stats().toolCalls).toEqual({ calls: 1, failed: 0 });
    expect(gateway.traffic.export({}, 'jsonl').entries).toBeGreaterThan(0);
    expect(gateway.trafficHistoryProblem()).toBeUndefined();
    expect(logs.join('\n')).toMatch(/traffic history .*traffic\.db is damaged .*moved it to .*traffic\.db\.corrupt-/);
    expect(
      (await readdir(path.dirname(historyFile))).filter((n) => /\.corrupt-\d{8}T\d{6}-\d{3}Z$/.test(n)),
    ).toHaveLength(1);
  });

  it('moves a damaged history file aside, says so, and records anew', async () => {
    await mkdir(path.dirname(historyFile), { recursive: true });
    await writeFile(historyFile, 'this is not a database'.repeat(100));
    const logs: string[] = [];
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    const gateway = createGateway({
      configPath: config,
      secrets: createMemorySecretStore(),
      version: 'test',
      http: { port: 0 },
      socket: false,
      trafficHistoryFile: historyFile,
    });
    gateway.on('log', (line) => logs.push(line.text));
    running.push(gateway);
    await gateway.start();
    expect(logs.join('\n')).toMatch(
      /traffic history .*traffic\.db is unreadable .*moved it to .*traffic\.db\.corrupt-/,
    );
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 20_000);
    await echo(gateway, 'fresh');
    expect(echoed(gateway.traffic)).toEqual(['fresh']);
  });
});
