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
            ...fixtureServer('same', { FIXTURE_NOTES: '1', FIXTURE_LABEL: 'alpha' }),
            tools: { allow: ['echo', 'slow', 'log'], deny: ['log'], aliases: { echo: 'say' } },
          },
          beta: fixtureServer('same', { FIXTURE_NOTES: '1', FIXTURE_LABEL: 'beta' }),
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
    expect(read.contents[0]).toMatchObject({ uri: alpha, text: 'about alpha' });
    // A prompt of alpha's linking to its fixture://same/about names it as clients know it.
    const cite = await client.getPrompt({ name: 'alpha__cite' });
    expect(cite.messages[0]!.content).toMatchObject({ type: 'resource_link', uri: alpha });
  });

  it('reads a shared resource by its uri written out after the prefix, as a shared template names them', async () => {
    // Listed as switchboard://resource/beta/fixture%3A%2F%2Fsame%2Fabout; the docs write <server>/<uri>.
    const written = 'switchboard://resource/beta/fixture://same/about';
    expect((await client.readResource({ uri: written })).contents[0]).toMatchObject({
      uri: written,
      text: 'about beta',
    });
    await expect(client.readResource({ uri: 'switchboard://resource/beta/fixture://same/nothing' })).rejects.toThrow(
      'Resource not found: switchboard://resource/beta/fixture://same/nothing',
    );
  });

  it('says where a uri two servers offer is, when it is asked for as the servers name it', async () => {
    await expect(client.readResource({ uri: 'fixture://same/about' })).rejects.toThrow(
      'Resource not found: fixture://same/about (offered by servers "alpha" and "beta": here it is ' +
        'switchboard://resource/alpha/fixture%3A%2F%2Fsame%2Fabout or ' +
        'switchboard://resource/beta/fixture%3A%2F%2Fsame%2Fabout)',
    );
    await expect(client.readResource({ uri: 'fixture://same/notes/tea' })).rejects.toThrow(
      'Resource not found: fixture://same/notes/tea (offered by servers "alpha" and "beta": here it is ' +
        'switchboard://resource/alpha/fixture://same/notes/tea or ' +
        'switchboard://resource/beta/fixture://same/notes/tea)',
    );
    await expect(client.readResource({ uri: 'fixture://nobody/about' })).rejects.toThrow(
      /^MCP error -32602: Resource not found: fixture:\/\/nobody\/about$/,
    );
  });

  it('keeps two servers with the same resource template apart: each is listed, read and linked to', async () => {
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates.filter((t) => t.includes('/notes/')).sort()).toEqual([
      'switchboard://resource/alpha/fixture://same/notes/{topic}',
      'switchboard://resource/beta/fixture://same/notes/{topic}',
    ]);
    const beta = 'switchboard://resource/beta/fixture://same/notes/tea';
    expect((await client.readResource({ uri: beta })).contents[0]).toMatchObject({
      uri: beta,
      text: 'note tea from beta',
    });
    const alpha = 'switchboard://resource/alpha/fixture://same/notes/tea';
    expect((await client.readResource({ uri: alpha })).contents[0]).toMatchObject({ text: 'note tea from alpha' });
    // beta's tool links to one of its notes: the link is named as the profile lists the template.
    const linked = await client.callTool({ name: 'beta__link_note', arguments: { topic: 'cake' } });
    const link = (linked.content as { uri: string }[])[0]!;
    expect(link).toMatchObject({ type: 'resource_link', uri: 'switchboard://resource/beta/fixture://same/notes/cake' });
    expect((await client.readResource({ uri: link.uri })).contents[0]).toMatchObject({ text: 'note cake from beta' });
    // A malformed escape in a prefixed uri is a resource not found, not a crash of the request.
    await expect(client.readResource({ uri: 'switchboard://resource/%E0%A4/x' })).rejects.toThrow(/Resource not found/);
  });

  it('serves a profile with only its servers', async () => {
    const narrow = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/narrow'));
    try {
      const names = (await narrow.listTools()).tools.map((t) => t.name);
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((n) => n.startsWith('beta__'))).toBe(true);
      // With one server the original URIs are kept.
      expect((await narrow.listResources()).resources.map((r) => r.uri)).toEqual(['fixture://same/about']);
      expect((await narrow.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual([
        'fixture://same/notes/{topic}',
      ]);
    } finally {
      await narrow.close();
    }
  });

  it('says why a name is unknown: hidden, named otherwise, not offered, or not in the profile', async () => {
    const fails = (name: string, c = client) =>
      c.callTool({ name, arguments: {} }).then(
        () => 'answered',
        (err: Error) => err.message,
      );
    expect(await fails('alpha__log')).toMatch(
      /Unknown tool: alpha__log \(the tools filter of server "alpha" in the config hides "log"\)$/,
    );
    expect(await fails('alpha__crash')).toMatch(/\(the tools filter of server "alpha" in the config hides "crash"\)$/);
    expect(await fails('alpha__echo')).toMatch(/\(tool "echo" of server "alpha" is named "say" here\)$/);
    expect(await fails('beta__nope')).toMatch(/Unknown tool: beta__nope \(server "beta" has no tool "nope"\)$/);
    expect(await fails('nope')).toMatch(/Unknown tool: nope \(no server of profile "default" has it\)$/);
    const completion = await client
      .complete({ ref: { type: 'ref/prompt', name: 'beta__nope' }, argument: { name: 'x', value: '' } })
      .catch((err: Error) => err.message);
    expect(completion).toMatch(/Unknown prompt: beta__nope \(server "beta" has no prompt "nope"\)$/);
    const narrow = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/narrow'));
    try {
      expect(await fails('alpha__slow', narrow)).toMatch(
        /Unknown tool: alpha__slow \(server "alpha" is not in profile "narrow"\)$/,
      );
    } finally {
      await narrow.close();
    }
  });

  it('refuses a profile the config does not have, naming those it has', async () => {
    const res = await fetch(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/narow'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Unknown profile "narow" (known: default, narrow)' });
    // A name that is not even percent-encoding (a hand-built URL) is said so, not an internal error.
    const malformed = await fetch(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/na%E0rrow'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      error: 'The profile in /mcp/na%E0rrow is not valid percent-encoding (known: default, narrow)',
    });
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
