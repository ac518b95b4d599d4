/**
 * Request ids the gateway refuses, the same on every client transport (the shim says the same
 * without asking it): a string id over 1024 characters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Gateway } from '../../../main/engine/index.ts';
import { CLI, NODE, fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { INITIALIZE, rawStdio } from '../../helpers/raw-stdio.ts';
import { rawSession } from '../../helpers/raw-http.ts';

const LONG_ID = 'x'.repeat(1025);
const TOO_LONG = {
  code: -32600,
  message: 'request id of 1025 characters is longer than the 1024 Switchboard accepts: use a shorter id',
};
const echo = (id: string | number, message: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'fx__echo', arguments: { message } },
});

describe('request ids longer than 1024 characters', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-ids-');
    config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    gateway = await startGateway(config);
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('over Streamable HTTP: refused with the id, alone or in a batch; 1024 characters are taken', async () => {
    const s = await rawSession(gateway.httpUrl()!, '2025-03-26');
    const alone = await s.post(echo(LONG_ID, 'long'));
    expect(alone.status).toBe(400);
    expect(await alone.json()).toEqual({ jsonrpc: '2.0', id: LONG_ID, error: TOO_LONG });
    const batch = (await (await s.post([echo(LONG_ID, 'long'), echo(1, 'short')])).json()) as Record<string, unknown>[];
    expect(batch.find((a) => a.id === LONG_ID)?.error).toEqual(TOO_LONG);
    expect(batch.find((a) => a.id === 1)?.result).toBeDefined();
    const longest = 'y'.repeat(1024);
    expect((await s.call(echo(longest, 'fine'))).id).toBe(longest);
  });

  it('over the legacy SSE transport: refused with the id', async () => {
    const base = gateway.httpUrl()!.replace(/\/mcp$/, '');
    const stream = await fetch(`${base}/sse`, { headers: { accept: 'text/event-stream' } });
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('event: endpoint')) text += new TextDecoder().decode((await reader.read()).value);
    const endpoint = /event: endpoint\ndata: (.+)\n/.exec(text)![1]!;
    const post = (m: unknown) =>
      fetch(`${base}${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(m),
      });
    await post(INITIALIZE(0, '2024-11-05'));
    const refused = await post(echo(LONG_ID, 'long'));
    await reader.cancel();
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ jsonrpc: '2.0', id: LONG_ID, error: TOO_LONG });
  });

  it('over stdio: refused with the id', async () => {
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    try {
      client.send(INITIALIZE(0));
      await client.response(0);
      client.send(echo(LONG_ID, 'long'));
      expect((await client.response(LONG_ID)).error).toEqual(TOO_LONG);
    } finally {
      client.close();
    }
  });
});
