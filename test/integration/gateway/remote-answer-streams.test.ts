/**
 * A remote server sends its question, or its log lines, on the answer stream of the call they
 * belong to (Streamable HTTP). The gateway reads which stream that was, so they reach the client
 * that made the call, and only that one, even while another client has a call on the same server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import { NODE, httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { startHostileHttpServer } from '../../helpers/hostile-http.ts';

describe("a remote server's question while two clients have calls in flight on it", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let remote: EverythingServer;
  let gateway: Gateway;
  let asking: Client;
  let other: Client;
  const shown: string[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    remote = await startEverything('streamableHttp');
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { remote: { type: 'http', url: remote.url } } }),
    );
    asking = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    asking.setRequestHandler(ElicitRequestSchema, (request) => {
      shown.push(request.params.message);
      return { action: 'accept', content: { name: 'Ada Lovelace', check: true } };
    });
    other = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    other.setRequestHandler(ElicitRequestSchema, () => {
      throw new Error('this client made no call that asks');
    });
  });
  afterAll(async () => {
    await Promise.allSettled([asking?.close(), other?.close()]);
    await gateway?.stop();
    await remote?.kill();
    await dir?.cleanup();
  });

  it('goes to the client whose call asked it, not to the app', async () => {
    const long = other.callTool({
      name: 'remote__trigger-long-running-operation',
      arguments: { duration: 2, steps: 2 },
    });
    // The other client's call is in flight on the server before the question comes.
    await waitFor(async () =>
      (await gateway.api.listTraffic({ limit: 20 })).entries.some((e) => e.method === 'tools/call'),
    );
    const asked = await asking.callTool({ name: 'remote__trigger-elicitation-request', arguments: {} });
    expect(shown).toEqual(['Please provide inputs for the following fields:']);
    expect(JSON.stringify(asked.content)).toContain('Ada Lovelace');
    expect(await gateway.api.listQuestions()).toEqual([]);
    expect(textOf(await long)).toContain('Long running operation');
  });
});

describe.each(['stateful', 'stateless'])(
  "a %s remote server's log lines during a call, with two clients on it",
  (protocol) => {
    const FIXTURE = fileURLToPath(new URL('../../fixtures/servers/conformance-everything.ts', import.meta.url));
    let dir: { dir: string; cleanup(): Promise<void> };
    let remote: ChildProcess;
    let gateway: Gateway;
    const clients: Client[] = [];
    const heard: string[][] = [[], []];

    beforeAll(async () => {
      dir = await tempDir();
      remote = spawn(NODE, [FIXTURE, '--http', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [first] = (await once(remote.stdout!, 'data')) as [Buffer];
      const url = first.toString().split('\n')[0]!;
      gateway = await startGateway(
        await writeConfig(dir.dir, { mcpServers: { remote: { type: 'http', url, protocol } } }),
      );
      for (const i of [0, 1]) {
        const client = await httpClient(gateway.httpUrl()!);
        client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
          heard[i]!.push(String(n.params.data));
        });
        // A 2026-07-28 server logs only at a level asked for (the gateway sends it with each request).
        await client.setLoggingLevel('info');
        clients.push(client);
      }
    });
    afterAll(async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
      await gateway?.stop();
      remote?.kill();
      await dir?.cleanup();
    });

    it('go to the client whose call it was, each client hearing its own call only', async () => {
      const calls = clients.map((c) => c.callTool({ name: 'remote__test_tool_with_logging', arguments: {} }));
      for (const result of await Promise.all(calls))
        expect(textOf(result)).toBe('Tool with logging executed successfully');
      const lines = ['Tool execution started', 'Tool processing data', 'Tool execution completed'];
      await waitFor(() => heard.every((h) => h.length >= lines.length), 5000, 'the log lines');
      // Sent to both, each client would hear six lines; give a stray one time to arrive.
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual([lines, lines]);
      // In the traffic record, each line sits under the upstream call it came during.
      const { entries } = await gateway.api.listTraffic({ limit: 100 });
      const upstreamCalls = entries.filter((e) => e.edge === 'upstream' && e.method === 'tools/call').map((e) => e.id);
      const logs = entries.filter((e) => e.edge === 'upstream' && e.method === 'notifications/message');
      expect(logs).toHaveLength(6);
      for (const log of logs) expect(upstreamCalls).toContain(log.parentId);
    });
  },
);

describe("a remote server's question on the answer stream of a call that has ended", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let remote: ChildProcess;
  let gateway: Gateway;
  let cancelling: Client;
  let bystander: Client;
  const shown: string[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    const started = await startHostileHttpServer();
    remote = started.child;
    const port = started.port;
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { web: { url: `http://127.0.0.1:${port}/mcp` } } }),
    );
    for (const name of ['cancelling', 'bystander']) {
      const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        shown.push(`${name}: ${request.params.message}`);
        return { action: 'decline' };
      });
      if (name === 'cancelling') cancelling = client;
      else bystander = client;
    }
  });
  afterAll(async () => {
    await Promise.allSettled([cancelling?.close(), bystander?.close()]);
    await gateway?.stop();
    remote?.kill();
    await dir?.cleanup();
  });

  it('never reaches a client: the cancel closed that stream, while another client has a call in flight', async () => {
    const waiting = bystander.callTool({ name: 'web__wait', arguments: {} });
    const cancel = new AbortController();
    const call = cancelling.callTool({ name: 'web__ask_late', arguments: {} }, undefined, { signal: cancel.signal });
    setTimeout(() => cancel.abort('changed my mind'), 200);
    await expect(call).rejects.toThrow();
    // The server writes its question half a second in, to a stream the gateway no longer reads.
    expect(textOf(await waiting)).toBe('waited');
    expect(textOf(await bystander.callTool({ name: 'web__late_answer', arguments: {} }))).toBe('null');
    expect(shown).toEqual([]);
    expect(await gateway.api.listQuestions()).toEqual([]);
  });
});
