/**
 * A client that reads a long event stream (a call logging far more than limits.maxSessionBufferBytes)
 * gets every message, and the gateway never logs it as a client "not reading" whose messages were
 * dropped. A stateless (2026-07-28) call cannot be resumed, so what its stream delivered is not kept
 * at all; a session's stream keeps its events for a resume, and past the budget lets the oldest
 * delivered ones go, which cost the client nothing it has not had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { statelessPost } from '../../helpers/stateless.ts';

const COUNT = 200;
const BYTES = 4096;

describe('a client reading a long event stream', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const log: string[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, {
      // A budget far below the stream (800 KiB): a reading client must never need it.
      limits: { maxSessionBufferBytes: 64 * 1024 },
      mcpServers: { fx: fixtureServer('fx') },
    });
    gateway = await startGateway(config);
    gateway.on('log', (l) => log.push(l.text));
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('a stateless call: delivers every message, and logs nothing as dropped', async () => {
    const call = await statelessPost(
      gateway.httpUrl()!,
      'tools/call',
      { name: 'fx__log_flood', arguments: { count: COUNT, bytes: BYTES } },
      { meta: { 'io.modelcontextprotocol/logLevel': 'info' } },
    );
    const logs = call.messages.filter((m) => m.method === 'notifications/message');
    expect(logs).toHaveLength(COUNT);
    expect(call.body.result).toMatchObject({ content: [{ type: 'text', text: `logged ${COUNT}` }] });
    expect(log.filter((l) => /^stateless call .* is not reading/.test(l))).toEqual([]);
  });

  it("a session's call: delivers every message, and logs nothing as dropped", async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      let logs = 0;
      client.setNotificationHandler(LoggingMessageNotificationSchema, () => {
        logs++;
      });
      const result = await client.callTool({ name: 'fx__log_flood', arguments: { count: COUNT, bytes: BYTES } });
      expect(result).toMatchObject({ content: [{ type: 'text', text: `logged ${COUNT}` }] });
      // The client's handler may hear the last of them after the call's result is in: wait for them.
      await waitFor(() => logs === COUNT, 10_000, `all ${COUNT} log messages (had ${logs})`);
      expect(log.filter((l) => /^client session .* is not reading/.test(l))).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
