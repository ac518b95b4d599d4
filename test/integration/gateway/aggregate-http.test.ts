import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  EVERYTHING,
  FILESYSTEM,
  MEMORY,
  NODE,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  writeConfig,
} from '../../helpers/gateway.ts';

describe('three reference servers behind one gateway, over Streamable HTTP', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        everything: { command: NODE, args: [EVERYTHING, 'stdio'] },
        memory: { command: NODE, args: [MEMORY], env: { MEMORY_FILE_PATH: `${dir.dir}/memory.jsonl` } },
        files: { command: NODE, args: [FILESYSTEM, dir.dir] },
      },
    });
    gateway = await startGateway(config);
    client = await httpClient(gateway.httpUrl()!);
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it("lists every server's tools under namespaced, valid names", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('everything__echo');
    expect(names).toContain('memory__create_entities');
    expect(names).toContain('files__read_text_file');
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(new Set(names).size).toBe(names.length);
  });

  it('routes calls to the right server and returns their results', async () => {
    expect(textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'hi there' } }))).toBe(
      'Echo: hi there',
    );
    await client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }] },
    });
    const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(textOf(graph)).toContain('wrote the first program');
    const dirs = await client.callTool({ name: 'files__list_allowed_directories', arguments: {} });
    expect(textOf(dirs)).toContain(dir.dir.split('/').pop());
  });

  it('serves prompts and resources from the servers that own them', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('everything__simple-prompt');
    const prompt = await client.getPrompt({ name: 'everything__simple-prompt', arguments: {} });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const { resources } = await client.listResources();
    const doc = resources.find((r) => r.uri.startsWith('demo://'));
    expect(doc).toBeDefined();
    const read = await client.readResource({ uri: doc!.uri });
    expect(read.contents[0]?.uri).toBe(doc!.uri);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.length).toBeGreaterThan(0);
  });

  it('delivers every progress notification, in order, before the result', async () => {
    const events: string[] = [];
    const result = await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 5 } },
      undefined,
      { onprogress: (p) => events.push(`progress ${p.progress}`) },
    );
    events.push('result');
    expect(textOf(result)).toContain('completed');
    expect(events).toEqual(['progress 1', 'progress 2', 'progress 3', 'progress 4', 'progress 5', 'result']);
  });

  it('answers an unknown tool with a clear error and keeps the session', async () => {
    await expect(client.callTool({ name: 'nope__missing', arguments: {} })).rejects.toThrow(
      /Unknown tool: nope__missing/,
    );
    expect(textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } }))).toBe(
      'Echo: still here',
    );
  });

  it('refuses a list cursor it never gave (its lists come in one page), naming it', async () => {
    const error = await client.listTools({ cursor: 'page-2' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: -32602, message: expect.stringMatching(/Invalid cursor "page-2"/) });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('serves old clients over the legacy SSE transport', async () => {
    const legacy = new Client({ name: 'legacy', version: '1' });
    await legacy.connect(new SSEClientTransport(new URL(gateway.httpUrl()!.replace(/\/mcp$/, '/sse'))));
    try {
      const { tools } = await legacy.listTools();
      expect(tools.map((t) => t.name)).toContain('memory__read_graph');
      expect(textOf(await legacy.callTool({ name: 'everything__echo', arguments: { message: 'old' } }))).toBe(
        'Echo: old',
      );
    } finally {
      await legacy.close();
    }
  });
});
