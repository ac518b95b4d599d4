/**
 * A server's `timeoutMs` edited alone is taken without a restart: the calls in flight go on (with
 * the limit they started with), its process, the processes it runs for each client and a remote
 * server's session stay, and every call made from then on is held to the new limit.
 */
import { writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { jsonResponder, startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';
import { startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import {
  fixtureServer,
  httpClient,
  serveGateway,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

/** A handler with one tool, `wait`, that answers after `ms`. */
const waiter = jsonResponder(async ({ envelope }) => {
  if (envelope.type === 'discover')
    return { tools: [{ name: 'wait', input_schema: { type: 'object', properties: { ms: { type: 'number' } } } }] };
  const { ms } = envelope.arguments as { ms: number };
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
});

describe('editing only a server’s timeoutMs', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let handler: TestServer;
  let remote: EverythingServer;
  let gateway: Gateway;
  let client: Client;
  let configPath: string;
  let servers: Record<string, Record<string, unknown>>;

  /** Writes like an editor (temp file, then rename) and resolves with what the reload did. */
  async function save(timeouts: Record<string, number>, requestMs?: number) {
    for (const [name, timeoutMs] of Object.entries(timeouts)) servers[name] = { ...servers[name], timeoutMs };
    const reloaded = new Promise<{ restarted: string[]; updated: string[] }>((resolve) =>
      gateway.once('reloaded', resolve),
    );
    const tmp = `${configPath}.tmp`;
    const settings = requestMs === undefined ? {} : { timeouts: { requestMs } };
    await writeFile(tmp, JSON.stringify({ ...settings, mcpServers: servers }, null, 2));
    await rename(tmp, configPath);
    return reloaded;
  }

  /** The call's text, or the message of the error it was answered with. */
  const outcome = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }).then(
      (result) => textOf(result),
      (err: Error) => err.message,
    );
  const pidOf = async (tool: string) =>
    ((await client.callTool({ name: tool, arguments: { message: 'pid?' } })).structuredContent as { pid: number }).pid;
  const started = () => new Promise((resolve) => setTimeout(resolve, 300));

  beforeAll(async () => {
    dir = await tempDir();
    [handler, remote] = await Promise.all([startHttpHandler(waiter), startEverything('streamableHttp')]);
    servers = {
      local: { ...fixtureServer('local'), timeoutMs: 10_000 },
      own: { ...fixtureServer('own'), isolated: true, timeoutMs: 10_000 },
      desk: { handler: handler.address, timeoutMs: 10_000 },
      remote: { type: 'http', url: remote.url, timeoutMs: 10_000 },
      plain: fixtureServer('plain'),
    };
    configPath = await writeConfig(dir.dir, { mcpServers: servers });
    gateway = await startGateway(configPath, { watch: true });
    client = await httpClient(gateway.httpUrl()!);
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await Promise.all([handler?.close(), remote?.kill()]);
    await dir?.cleanup();
  });

  it('keeps a local server’s process and the one it runs for this client; new calls get the new limit', async () => {
    const pids = { local: await pidOf('local__echo'), own: await pidOf('own__echo') };
    expect(gateway.servers().find((s) => s.name === 'local')!.pid).toBe(pids.local);
    const slow = { steps: 20, delayMs: 100 };
    const inFlight = [outcome('local__slow', slow), outcome('own__slow', slow)];
    await started();

    expect(await save({ local: 500, own: 500 })).toMatchObject({ restarted: [], updated: ['local', 'own'] });

    expect(await Promise.all(inFlight)).toEqual(['done after 20 steps', 'done after 20 steps']);
    expect({ local: await pidOf('local__echo'), own: await pidOf('own__echo') }).toEqual(pids);
    expect(await outcome('local__slow', slow)).toMatch(/tools\/call to server "local" timed out after 500 ms/);
    expect(await outcome('own__slow', slow)).toMatch(/tools\/call to server "own" timed out after 500 ms/);
    expect(gateway.servers().find((s) => s.name === 'local')).toMatchObject({ pid: pids.local, state: 'ready' });
  }, 30_000);

  it('keeps a JSON handler’s calls and a remote server’s session; new calls get the new limit', async () => {
    const sessions = () => remote.output().match(/Session initialized/g)?.length ?? 0;
    await waitFor(() => sessions() > 0, 10_000, 'the remote server’s session');
    const before = sessions();
    const inFlight = [
      outcome('desk__wait', { ms: 2000 }),
      outcome('remote__trigger-long-running-operation', { duration: 2, steps: 2 }),
    ];
    await started();

    expect(await save({ desk: 500, remote: 500 })).toMatchObject({ restarted: [], updated: ['desk', 'remote'] });

    const [desk, long] = await Promise.all(inFlight);
    expect(desk).toBe('waited 2000 ms');
    expect(long).toMatch(/Long running operation completed/);
    expect(await outcome('desk__wait', { ms: 2000 })).toMatch(/within 500 ms/);
    expect(await outcome('remote__trigger-long-running-operation', { duration: 2, steps: 2 })).toMatch(
      /tools\/call to server "remote" timed out after 500 ms/,
    );
    expect(sessions()).toBe(before);
  }, 30_000);

  it('keeps a server that has no timeoutMs of its own when timeouts.requestMs changes', async () => {
    const pid = await pidOf('plain__echo');
    const slow = { steps: 20, delayMs: 100 };
    const inFlight = outcome('plain__slow', slow);
    await started();

    expect(await save({}, 500)).toMatchObject({ restarted: [], updated: ['plain'] });

    expect(await inFlight).toBe('done after 20 steps');
    expect(await pidOf('plain__echo')).toBe(pid);
    expect(await outcome('plain__slow', slow)).toMatch(/tools\/call to server "plain" timed out after 500 ms/);
  }, 30_000);
});

describe('serve’s log for a timeoutMs edit', () => {
  it('says the server was updated without a restart, not that no server changed', async () => {
    const dir = await tempDir();
    try {
      const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
      const { child, url, stderr } = await serveGateway({
        ...process.env,
        SWITCHBOARD_CONFIG: config,
        SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
        SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      });
      try {
        const client = await httpClient(url);
        await waitFor(() => client.callTool({ name: 'fx__echo', arguments: { message: 'hi' } }).catch(() => undefined));
        await client.close();
        await writeFile(config, JSON.stringify({ mcpServers: { fx: { ...fixtureServer('fx'), timeoutMs: 500 } } }));
        await waitFor(() => stderr().includes('config reloaded: '), 10_000, 'the reload');
        expect(stderr()).toContain('config reloaded: updated fx without a restart\n');
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      }
    } finally {
      await dir.cleanup();
    }
  }, 40_000);
});

describe('serve’s log for a profile edit', () => {
  it('names the profiles that changed (it said only that no server changed)', async () => {
    const dir = await tempDir();
    try {
      const profiles = { work: { servers: ['fx'] }, old: { servers: ['fx'] } };
      const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') }, profiles });
      const { child, stderr } = await serveGateway({
        ...process.env,
        SWITCHBOARD_CONFIG: config,
        SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
        SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      });
      try {
        const edited = { work: { servers: ['fx'], description: 'the work one' }, home: { servers: ['fx'] } };
        await writeFile(config, JSON.stringify({ mcpServers: { fx: fixtureServer('fx') }, profiles: edited }));
        await waitFor(() => stderr().includes('config reloaded: '), 10_000, 'the reload');
        expect(stderr()).toContain(
          'config reloaded: no server changed; added profile home; removed profile old; changed profile work\n',
        );
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      }
    } finally {
      await dir.cleanup();
    }
  }, 40_000);
});
