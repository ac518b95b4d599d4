/**
 * A JSON handler over HTTP that never stops asking: every reply to `ask` is another question
 * (elicit), however the client answers. The gateway asks the client 20 times, then gives the
 * call up with an error that says so and tells the handler it was cancelled; the handler is
 * served again at once. A real handler on 127.0.0.1, a real client that answers every question.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { httpClient, startGateway, tempDir, textOf, writeConfig } from '../../helpers/gateway.ts';

interface Envelope {
  type: string;
  name?: string;
  elicitation_results?: unknown[];
}

describe('a handler that asks for input without end', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let handler: http.Server;
  const seen: Envelope[] = [];

  beforeAll(async () => {
    handler = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope;
        seen.push(envelope);
        const reply =
          envelope.type === 'discover'
            ? { tools: [{ name: 'ask' }, { name: 'hello' }] }
            : envelope.name === 'hello' || envelope.type !== 'call_tool'
              ? { content: [{ type: 'text', text: 'hello' }] }
              : {
                  elicit: {
                    message: `And one more (${envelope.elicitation_results?.length ?? 0} so far)?`,
                    schema: { type: 'object', properties: { more: { type: 'string' } } },
                  },
                };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => handler.listen(0, '127.0.0.1', () => resolve()));
    dir = await tempDir();
    const url = `http://127.0.0.1:${(handler.address() as AddressInfo).port}/`;
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { curious: { handler: url } } }));
  });

  afterAll(async () => {
    await gateway?.stop();
    handler?.closeAllConnections();
    handler?.close();
    await dir?.cleanup();
  });

  it('asks the client 20 times, then gives the call up saying so, and tells the handler', async () => {
    const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    let asked = 0;
    client.setRequestHandler(ElicitRequestSchema, async () => {
      asked++;
      return { action: 'accept', content: { more: 'sure' } };
    });
    try {
      const failed = await client.callTool({ name: 'curious__ask', arguments: {} }).then(
        (r) => (r.isError ? textOf(r) : 'the call worked'),
        (err: unknown) => String(err),
      );
      expect(failed).toMatch(/the handler asked for input more than 20 times in one call of ask; gave up/);
      expect(asked).toBe(20);
      const calls = seen.filter((e) => e.type === 'call_tool' && e.name === 'ask');
      expect(calls).toHaveLength(21);
      expect(calls.at(-1)!.elicitation_results).toHaveLength(20);
      expect(seen.filter((e) => e.type === 'elicitation_cancelled')).toHaveLength(1);
      expect(textOf(await client.callTool({ name: 'curious__hello', arguments: {} }))).toBe('hello');
    } finally {
      await client.close();
    }
  }, 30_000);
});
