/**
 * A 2026-07-28 client's per-request `_meta` (its capabilities, client info, log level) reaches a
 * 2026-07-28 server as the client sent it, also when the call arrives while that server restarts:
 * the gateway shapes the request for the revision the server spoke when it was last ready.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { NODE, ROOT, TEST_BACKOFF, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { statelessPost } from '../../helpers/stateless.ts';

const SERVER = path.join(ROOT, 'test/fixtures/servers/stateless-server.ts');
const META = {
  capabilities: { roots: {} },
  meta: { 'io.modelcontextprotocol/logLevel': 'debug' },
};

describe("a stateless client's _meta while its stateless server restarts", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          st: { command: NODE, args: [SERVER, '--stdio'], env: { STATELESS_NAME: 'st' }, protocol: 'stateless' },
        },
      }),
      // A restart slow enough for the next call to arrive before it is done.
      { backoff: { ...TEST_BACKOFF, initialMs: 800, maxMs: 800 } },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  const seen = async (): Promise<Record<string, unknown>> => {
    const echoed = await statelessPost(
      gateway.httpUrl()!,
      'tools/call',
      { name: 'st__echo', arguments: { message: 'x' } },
      META,
    );
    const result = echoed.body.result as { structuredContent?: { envelope: Record<string, unknown> } } | undefined;
    if (!result?.structuredContent) throw new Error(`no echo: ${JSON.stringify(echoed.body)}`);
    return result.structuredContent.envelope;
  };

  it('reaches the server as the client sent it, ready or restarting', async () => {
    const expected = {
      'io.modelcontextprotocol/clientCapabilities': { roots: {} },
      'io.modelcontextprotocol/clientInfo': { name: 'stateless-test', version: '1' },
      'io.modelcontextprotocol/logLevel': 'debug',
    };
    const pick = (envelope: Record<string, unknown>) =>
      Object.fromEntries(Object.keys(expected).map((key) => [key, envelope[key]]));
    expect(pick(await seen())).toEqual(expected);
    await statelessPost(gateway.httpUrl()!, 'tools/call', { name: 'st__crash', arguments: {} }, META);
    await waitFor(() => gateway.servers().find((s) => s.name === 'st')?.state !== 'ready', 5000, 'the crash noticed');
    expect(pick(await seen())).toEqual(expected);
  });
});
