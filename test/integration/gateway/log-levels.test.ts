/**
 * Log levels of several clients of one shared server. The server is set to the most verbose level
 * any of its clients asks for, and each client gets only the lines at its own level. Once the
 * client that asked for the most verbose level has gone, the server is set to what the clients
 * left ask for: it stayed at debug, so a client that never asked a level went on getting every
 * debug line, and the server went on making them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

describe('log levels of several clients of one server', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];
  const heard = new Map<Client, string[]>();

  async function client(): Promise<Client> {
    const c = await httpClient(gateway.httpUrl()!);
    heard.set(c, []);
    c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.get(c)!.push(String(n.params.data)));
    clients.push(c);
    return c;
  }
  /** The server logs `text` at `level` (its tool, called by `by`). */
  const log = (by: Client, level: 'debug' | 'error', text: string) =>
    by.callTool({ name: 'fx__log', arguments: { level, text } });

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }));
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('gives each client the lines at its level, and narrows the server once the verbose client has gone', async () => {
    const verbose = await client();
    const quiet = await client();
    const bystander = await client();
    await verbose.setLoggingLevel('debug');
    await quiet.setLoggingLevel('error');
    await log(quiet, 'debug', 'detail 1');
    await log(quiet, 'error', 'failure 1');
    await waitFor(() => heard.get(bystander)!.includes('failure 1'), 5000, 'the lines');
    expect(heard.get(verbose)).toEqual(['detail 1', 'failure 1']);
    expect(heard.get(quiet)).toEqual(['failure 1']);
    expect(heard.get(bystander)).toEqual(['detail 1', 'failure 1']);

    // It ends its session (DELETE), as a client that quits does.
    await (verbose.transport as StreamableHTTPClientTransport).terminateSession();
    await verbose.close();
    // The server hears the new level shortly after the session ends.
    let round = 1;
    await waitFor(
      async () => {
        round++;
        await log(quiet, 'debug', `detail ${round}`);
        await log(quiet, 'error', `failure ${round}`);
        await waitFor(() => heard.get(bystander)!.includes(`failure ${round}`), 5000, 'the error line');
        return !heard.get(bystander)!.includes(`detail ${round}`);
      },
      5000,
      'the server to stop sending debug lines',
    );
    expect(heard.get(quiet)!.filter((line) => line.startsWith('detail'))).toEqual([]);
  });
});

/**
 * A log level from a client whose `isolated` server has not started yet. Setting it started that
 * client's instance (a process per client), just for the level; the level is the session's, and an
 * instance that starts later gets it when it starts.
 */
describe('a log level before an isolated server has started', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { solo: { ...fixtureServer('solo'), isolated: true } } }),
    );
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('starts no process for it, and the instance that starts later logs at that level', async () => {
    const instances = () => gateway.servers().find((s) => s.name === 'solo')?.instances;
    client = await httpClient(gateway.httpUrl()!);
    const heard: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.push(String(n.params.data)));
    expect(instances()).toBe(0);
    await client.setLoggingLevel('debug');
    await new Promise((r) => setTimeout(r, 500));
    expect(instances()).toBe(0);

    await client.callTool({ name: 'solo__log', arguments: { level: 'debug', text: 'detail' } });
    await waitFor(() => heard.includes('detail'), 5000, 'the debug line');
    expect(instances()).toBe(1);
  });
});
