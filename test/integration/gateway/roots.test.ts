/**
 * Roots (the client's folders) through the gateway to real servers from npm: server-filesystem,
 * which takes its allowed folders from them, and server-everything, whose get-roots-list tool
 * shows them.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  EVERYTHING,
  FILESYSTEM,
  NODE,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { rawSession } from '../../helpers/raw-http.ts';

const LIST_CHANGED = { jsonrpc: '2.0', method: 'notifications/roots/list_changed' };

/** The roots list_changed notices the gateway passed on to a server since `since`. */
const passedOn = (gateway: Gateway, since: number) =>
  gateway.traffic
    .list({ method: 'notifications/roots/list_changed', edge: 'upstream' })
    .entries.filter((e) => e.startedAt >= since)
    .map((e) => e.server);

describe('roots of isolated servers', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const folder = (name: string) => path.join(dir.dir, name);

  beforeAll(async () => {
    dir = await tempDir('sb-roots-');
    for (const name of ['configured', 'project', 'other']) await mkdir(folder(name));
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          files: { command: NODE, args: [FILESYSTEM, folder('configured')], isolated: true },
          every: { command: NODE, args: [EVERYTHING, 'stdio'], isolated: true },
        },
      }),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  const allowed = async (client: Awaited<ReturnType<typeof httpClient>>) =>
    textOf(await client.callTool({ name: 'files__list_allowed_directories', arguments: {} }));

  it('does not tell the server started for a client without roots that it may ask for them', async () => {
    const client = await httpClient(gateway.httpUrl()!, {});
    try {
      // server-filesystem keeps the folder it was started with.
      expect(await allowed(client)).toContain(folder('configured'));
      // server-everything offers its roots tool only to a client that has roots: it could only say
      // "The client supports roots but no roots are currently configured".
      const tools = await waitFor(
        async () => {
          const names = (await client.listTools()).tools.map((t) => t.name);
          return names.includes('every__echo') && names;
        },
        10_000,
        "the tools of the client's server-everything",
      );
      expect(tools).not.toContain('every__get-roots-list');
      // Nothing asked the client for roots it never had: no failed roots/list in the record
      // (this test runs first: no other client's server has asked anything yet).
      const failed = gateway.traffic.list({ method: 'roots/list' }).entries.filter((e) => e.outcome !== 'ok');
      expect(failed.map((e) => `${e.server}: ${e.error?.message}`)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('does not tell the servers of a client without roots that its folders changed', async () => {
    // A raw client that declares no roots, yet says its folders changed (MCP: only a client that
    // declared roots.listChanged sends that). Its servers were told it has no roots.
    const raw = await rawSession(gateway.httpUrl()!);
    const call = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'files__list_allowed_directories', arguments: {} },
    });
    expect(JSON.stringify(await raw.call(call(1)))).toContain(folder('configured'));
    const since = Date.now();
    expect((await raw.post(LIST_CHANGED)).status).toBe(202);
    expect(JSON.stringify(await raw.call(call(2)))).toContain(folder('configured'));
    expect(passedOn(gateway, since)).toEqual([]);
  });

  it("gives the server started for a client that client's folders, and their change", async () => {
    const client = await httpClient(gateway.httpUrl()!, { roots: { listChanged: true } });
    let roots = [folder('project')];
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: roots.map((r) => ({ uri: `file://${r}`, name: path.basename(r) })),
    }));
    try {
      await waitFor(async () => (await allowed(client)).includes(folder('project')), 10_000, 'the client folder');
      roots = [folder('other')];
      await client.sendRootsListChanged();
      await waitFor(async () => (await allowed(client)).includes(folder('other')), 10_000, 'the changed folder');
    } finally {
      await client.close();
    }
  });

  it('gives the server the changed folders even when a call of the client ends before it answers', async () => {
    const client = await httpClient(gateway.httpUrl()!, { roots: { listChanged: true } });
    let roots = [folder('project')];
    let answerAfter: Promise<unknown> = Promise.resolve();
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      const now = roots;
      await answerAfter;
      return { roots: now.map((r) => ({ uri: `file://${r}` })) };
    });
    const rootsTool = async () => textOf(await client.callTool({ name: 'every__get-roots-list', arguments: {} }));
    try {
      expect(await rootsTool()).toContain(folder('project'));
      // The server asks for the new folders while a call of the client's is in flight; the client
      // answers once that call is over (nothing ties the two: roots are the client's, not a call's).
      const call = client.callTool({
        name: 'every__trigger-long-running-operation',
        arguments: { duration: 0.3, steps: 1 },
      });
      answerAfter = call;
      roots = [folder('other')];
      const changedAt = Date.now();
      await client.sendRootsListChanged();
      await call;
      const asked = await waitFor(
        () =>
          gateway.traffic
            .list({ method: 'roots/list', edge: 'upstream' })
            .entries.find((e) => e.server === 'every' && e.startedAt >= changedAt && e.durationMs !== undefined),
        10_000,
        'the roots/list server-everything sends after the change, answered',
      );
      expect(asked.outcome).toBe('ok');
      expect(await rootsTool()).toContain(folder('other'));
    } finally {
      await client.close();
    }
  });
});

describe('roots of a shared server', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-roots-');
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { every: { command: NODE, args: [EVERYTHING, 'stdio'] } } }),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('tells the server asking for roots as it starts why it gets none, and how it could', async () => {
    // server-everything asks for roots on its own, shortly after it starts, outside any call.
    const asked = await waitFor(
      () => gateway.traffic.list({ method: 'roots/list', edge: 'upstream' }).entries[0],
      10_000,
      'the roots/list server-everything sends as it starts',
    );
    expect(asked.outcome).toBe('error');
    expect(asked.error?.message).toBe(
      'Switchboard cannot answer roots/list from server "every": no client has a request in flight on this ' +
        'server; it is one process shared by all its clients, whose folders may differ (with "isolated": true ' +
        'in its config, each client gets a process of its own and is asked for its folders)',
    );
  });

  it("shows the caller's folders in its roots tool: it was given an error at start, not an empty list", async () => {
    // The error at start leaves server-everything without roots, so it asks again during the call;
    // an empty list would have been kept for good, and every client's roots tool would show none.
    const client = await httpClient(gateway.httpUrl()!, { roots: {} });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: `file://${dir.dir}/caller` }] }));
    try {
      const shown = textOf(await client.callTool({ name: 'every__get-roots-list', arguments: {} }));
      expect(shown).toContain(`file://${dir.dir}/caller`);
    } finally {
      await client.close();
    }
  });

  it("does not pass a client's change of folders on to a server other clients share", async () => {
    // Its roots are not that client's: asked again, it could only be told none come (or, while
    // that client had a call in flight, be given that client's folders for every client).
    const client = await httpClient(gateway.httpUrl()!, { roots: { listChanged: true } });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: `file://${dir.dir}` }] }));
    try {
      await client.callTool({ name: 'every__echo', arguments: { message: 'hi' } });
      const since = Date.now();
      await client.sendRootsListChanged();
      await client.callTool({ name: 'every__echo', arguments: { message: 'again' } });
      await new Promise((r) => setTimeout(r, 300));
      expect(passedOn(gateway, since)).toEqual([]);
      const asked = gateway.traffic
        .list({ method: 'roots/list', edge: 'upstream' })
        .entries.filter((e) => e.startedAt >= since);
      expect(asked.map((e) => `${e.outcome}: ${e.error?.message}`)).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
