import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { unwrapUpstream, type Gateway } from '../../../main/engine/index.ts';
import type { StdioMcpUpstream } from '../../../main/engine/upstreams/mcp-stdio/stdio-upstream.ts';
import {
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

describe('routing: filters, aliases, collisions, isolation, cancellation', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          alpha: {
            ...fixtureServer('same'),
            tools: { allow: ['echo', 'slow', 'log'], deny: ['log'], aliases: { echo: 'say' } },
          },
          beta: fixtureServer('same'),
          solo: { ...fixtureServer('solo'), isolated: true },
          ['very-long-server-name-that-goes-on-and-on']: { ...fixtureServer('long'), tools: { allow: ['echo'] } },
        },
        profiles: { narrow: { servers: ['beta'] } },
      }),
    );
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('applies allow/deny lists and aliases', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('say');
    expect(names).toContain('alpha__slow');
    expect(names).not.toContain('alpha__echo');
    expect(names).not.toContain('alpha__log');
    expect(names).not.toContain('alpha__crash');
    expect(names).toContain('beta__crash');
    const result = await client.callTool({ name: 'say', arguments: { message: 'aliased' } });
    expect(textOf(result)).toBe('aliased');
  });

  it('shortens names over 64 characters deterministically', async () => {
    const long = (await client.listTools()).tools.map((t) => t.name).find((n) => n.startsWith('very-long'));
    expect(long).toBe('very-long-server-name-that-goes-on-and-on__echo');
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    const longPrompt = prompts.find((n) => n.startsWith('very-long'))!;
    expect(longPrompt.length).toBeLessThanOrEqual(64);
    expect(longPrompt).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it('keeps two servers with the same resource URI apart instead of shadowing one', async () => {
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    const shared = uris.filter((u) => u.startsWith('switchboard://resource/'));
    // alpha and beta both offer fixture://same/about; the long-named server's URI is unique and kept.
    expect(shared).toHaveLength(2);
    expect(uris).toContain('fixture://long/about');
    const alpha = shared.find((u) => u.includes('/alpha/'))!;
    const read = await client.readResource({ uri: alpha });
    expect(read.contents[0]).toMatchObject({ uri: alpha, text: 'about same' });
    // A prompt of alpha's linking to its fixture://same/about names it as clients know it.
    const cite = await client.getPrompt({ name: 'alpha__cite' });
    expect(cite.messages[0]!.content).toMatchObject({ type: 'resource_link', uri: alpha });
  });

  it('serves a profile with only its servers', async () => {
    const narrow = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/narrow'));
    try {
      const names = (await narrow.listTools()).tools.map((t) => t.name);
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((n) => n.startsWith('beta__'))).toBe(true);
      // With one server the original URIs are kept.
      expect((await narrow.listResources()).resources.map((r) => r.uri)).toEqual(['fixture://same/about']);
    } finally {
      await narrow.close();
    }
  });

  it('runs an isolated server once per session', async () => {
    const other = await httpClient(gateway.httpUrl()!);
    try {
      const pid = async (c: Client) =>
        (
          (await c.callTool({ name: 'solo__echo', arguments: { message: 'x' } })) as unknown as {
            structuredContent: { pid: number };
          }
        ).structuredContent.pid;
      const mine = await pid(client);
      const theirs = await pid(other);
      expect(mine).not.toBe(theirs);
      expect(await pid(client)).toBe(mine);
    } finally {
      await (other.transport as StreamableHTTPClientTransport).terminateSession();
      await other.close();
    }
    await waitFor(
      () => gateway.servers().find((s) => s.name === 'solo')?.instances === 1,
      5000,
      "the closed session's instance to stop",
    );
  });

  it("passes a client's cancellation to the server with the upstream's id", async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: 'beta__slow', arguments: { steps: 100, delayMs: 50 } }, undefined, {
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    controller.abort('user pressed stop');
    await expect(call).rejects.toThrow();
    const beta = unwrapUpstream(gateway.upstream('beta')!) as StdioMcpUpstream;
    await waitFor(
      () => beta.stderr().some((l) => /slow cancelled at step \d+/.test(l)),
      5000,
      'the server to see the cancellation',
    );
  });
});
