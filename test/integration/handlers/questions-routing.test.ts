/**
 * A handler's question goes to the client whose call asked it, while other clients have calls
 * running on the same handler (handlers are shared: a guess by "who has a call in flight" would
 * send it to the app, or to the wrong client).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { httpClient, startGateway, tempDir, textOf, writeConfig } from '../../helpers/gateway.ts';
import { jsonResponder, startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';

describe("a handler's question while other clients' calls run on it", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let handler: TestServer;
  let gateway: Gateway;
  const clients: Client[] = [];
  const asked: string[] = [];

  const client = async (who: string): Promise<Client> => {
    const c = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    c.setRequestHandler(ElicitRequestSchema, async () => {
      asked.push(who);
      return { action: 'accept', content: { n: who } };
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    handler = await startHttpHandler(
      jsonResponder(async ({ envelope }) => {
        if (envelope.type === 'discover') return { tools: [{ name: 'ask' }, { name: 'slow' }] };
        if (envelope.name === 'slow') {
          await new Promise((r) => setTimeout(r, 1500));
          return { content: [{ type: 'text', text: 'slow done' }] };
        }
        if (envelope.type === 'elicitation_cancelled') return {};
        const results = envelope.elicitation_results as { n?: string }[] | undefined;
        if (!results?.length)
          return {
            elicit: { message: 'Your name?', schema: { type: 'object', properties: { n: { type: 'string' } } } },
          };
        return { content: [{ type: 'text', text: `hello ${results[0]!.n}` }] };
      }),
    );
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { h: { handler: handler.address } } }));
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await handler?.close();
    await dir?.cleanup();
  });

  it('asks the client that called, not the app and not the other client', async () => {
    const a = await client('A');
    const b = await client('B');
    // A's and B's slow calls are in flight when C asks: three sessions have calls on the handler.
    const slow = [a, b].map((c) => c.callTool({ name: 'h__slow', arguments: {} }));
    await new Promise((r) => setTimeout(r, 200));
    const c = await client('C');
    const started = Date.now();
    expect(textOf(await c.callTool({ name: 'h__ask', arguments: {} }))).toBe('hello C');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(asked).toEqual(['C']);
    await Promise.all(slow);
  });
});
