import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import { MEMORY, NODE, httpClient, startGateway, tempDir, textOf, writeConfig } from '../../helpers/gateway.ts';

describe('remote MCP servers behind the gateway', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let stateless: EverythingServer;
  let legacy: EverythingServer;
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    [stateless, legacy] = await Promise.all([startEverything('streamableHttp'), startEverything('sse')]);
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          remote: { type: 'http', url: stateless.url },
          old: { url: legacy.url, transport: 'auto' },
          memory: { command: NODE, args: [MEMORY], env: { MEMORY_FILE_PATH: `${dir.dir}/m.jsonl` } },
        },
      }),
    );
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await Promise.all([stateless?.kill(), legacy?.kill()]);
    await dir?.cleanup();
  });

  it('merges a Streamable HTTP server, a legacy SSE server and a stdio server', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['remote__echo', 'old__echo', 'memory__read_graph']));
    expect(textOf(await client.callTool({ name: 'remote__echo', arguments: { message: 'via http' } }))).toBe(
      'Echo: via http',
    );
    expect(textOf(await client.callTool({ name: 'old__echo', arguments: { message: 'via sse' } }))).toBe(
      'Echo: via sse',
    );
  });

  it('forwards progress from a remote server in order before the result', async () => {
    const events: string[] = [];
    await client.callTool(
      { name: 'remote__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      undefined,
      { onprogress: (p) => events.push(`p${p.progress}`) },
    );
    events.push('result');
    expect(events).toEqual(['p1', 'p2', 'p3', 'result']);
  });
});
