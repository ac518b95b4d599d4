/**
 * An isolated server starts a process for every client session (and every stateless call): many
 * clients must not mean as many processes. Over limits.maxIsolatedProcesses a session is refused
 * that server, says why, keeps its other servers, and gets it once a process stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../helpers/gateway.ts';
import { statelessPost } from '../helpers/stateless.ts';
import { isAlive } from '../helpers/processes.ts';

interface Echo {
  structuredContent?: { pid: number };
  isError?: boolean;
}

const echo = (c: Client) => c.callTool({ name: 'solo__echo', arguments: { message: 'x' } }) as Promise<Echo>;

describe('hostile: more client sessions than isolated processes may run', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let configPath: string;
  const clients: Client[] = [];
  const refusals: string[] = [];
  const config = (maxIsolatedProcesses: number) => ({
    mcpServers: { solo: { ...fixtureServer('solo'), isolated: true }, shared: fixtureServer('shared') },
    limits: { maxIsolatedProcesses },
  });
  const instances = () => gateway.servers().find((s) => s.name === 'solo')?.instances;
  const connect = async () => {
    const client = await httpClient(gateway.httpUrl()!);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    dir = await tempDir();
    configPath = await writeConfig(dir.dir, config(2));
    gateway = await startGateway(configPath);
    gateway.on('log', (note: { text: string; server?: string }) => {
      if (note.text.includes('limits.maxIsolatedProcesses')) refusals.push(`${note.server}: ${note.text}`);
    });
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('refuses the third session the server, names the limit, and starts it there once a process stops', async () => {
    const [first, second, third] = [await connect(), await connect(), await connect()];
    const pids = [(await echo(first)).structuredContent!.pid, (await echo(second)).structuredContent!.pid];
    expect(new Set(pids).size).toBe(2);

    // The third keeps the shared server, and is told why the isolated one is not there.
    expect((await third.listTools()).tools.map((t) => t.name)).not.toContain('solo__echo');
    expect(textOf(await third.callTool({ name: 'shared__echo', arguments: { message: 'still here' } }))).toBe(
      'still here',
    );
    await expect(echo(third)).rejects.toThrow(
      'server "solo" cannot start: 2 processes of isolated servers are running ' +
        '(limits.maxIsolatedProcesses); it starts for this client once one of them stops',
    );
    expect(instances()).toBe(2);
    // The Servers screen says so, where a server's last error is.
    expect(gateway.servers().find((s) => s.name === 'solo')?.lastError).toBe(
      '1 client session refused: 2 processes of isolated servers are running (limits.maxIsolatedProcesses); ' +
        'each starts once one of them stops',
    );
    // Logged once, naming the client, though refused for its list and its call.
    expect(refusals).toEqual([
      expect.stringMatching(
        /^solo: not started for client session \w+ \(.*streamable-http, profile default\): 2 processes/,
      ),
    ]);

    // The first client leaves: its process stops, and the third hears that its tools changed.
    let told = 0;
    third.setNotificationHandler(ToolListChangedNotificationSchema, () => void told++);
    await (first.transport as StreamableHTTPClientTransport).terminateSession();
    await waitFor(() => !isAlive(pids[0]!), 10_000, "the first session's process to stop");
    await waitFor(() => told > 0, 5000, 'the refused client to be told its tools changed');
    await waitFor(
      async () => (await third.listTools()).tools.some((t) => t.name === 'solo__echo'),
      10_000,
      "the refused client's list to hold the isolated server's tools",
    );
    expect(gateway.servers().find((s) => s.name === 'solo')?.lastError).toBeUndefined();
    const own = (await echo(third)).structuredContent!.pid;
    expect(pids).not.toContain(own);
    expect(isAlive(own)).toBe(true);
    expect(instances()).toBe(2);
  });

  it('refuses a stateless call over the limit, and a session its server until the limit is raised', async () => {
    expect(instances()).toBe(2);
    const call = () =>
      statelessPost(`${gateway.httpUrl()!}`, 'tools/call', { name: 'solo__echo', arguments: { message: 'once' } });
    const refused = await call();
    expect(JSON.stringify(refused.body)).toContain('(limits.maxIsolatedProcesses)');
    expect(instances()).toBe(2);

    const late = await connect();
    let told = 0;
    late.setNotificationHandler(ToolListChangedNotificationSchema, () => void told++);
    await expect(echo(late)).rejects.toThrow('limits.maxIsolatedProcesses');
    // Raised in the config: the refused session is told, and starts its own.
    await writeConfig(dir.dir, config(3));
    await gateway.reload();
    await waitFor(() => told > 0, 5000, 'the refused client to be told when the limit is raised');
    const latePid = (await echo(late)).structuredContent!.pid;
    expect(isAlive(latePid)).toBe(true);
    expect(instances()).toBe(3);

    // With room, a stateless call gets a process of its own, stopped after it.
    await (late.transport as StreamableHTTPClientTransport).terminateSession();
    await waitFor(() => !isAlive(latePid), 10_000, "the late session's process to stop");
    // Counted until the gateway has seen it exit: a moment after the process is gone.
    const answered = await waitFor(async () => (await call()).body.result, 10_000, 'a stateless call to get room');
    expect(answered).toMatchObject({ content: [{ type: 'text', text: 'once' }] });
    await waitFor(() => instances() === 2, 10_000, "the stateless call's process to stop");
  });
});
