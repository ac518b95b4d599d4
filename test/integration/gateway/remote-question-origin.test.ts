/**
 * A remote server sends its question on the answer stream of the call it belongs to (Streamable
 * HTTP). The gateway reads which stream that was, so the question reaches the client that made
 * the call even while another client has a call in flight on the same server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';

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
