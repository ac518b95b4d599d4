/**
 * Completions in a profile of servers that do and do not offer them. The profile advertises
 * `completions` because server-everything does, so a client asks for the arguments of every
 * prompt it lists: one of a server without completions (the fixture) has no suggestions, and is
 * answered so. It was answered with the fixture's "Method not found" (-32601, naming no server;
 * HTTP 404 for a 2026-07-28 client), as if the gateway had no completions at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  EVERYTHING,
  NODE,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  writeConfig,
} from '../../helpers/gateway.ts';
import { statelessPost } from '../../helpers/stateless.ts';

describe('completions in a profile where only some servers offer them', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          everything: { command: NODE, args: [EVERYTHING, 'stdio'] },
          fx: fixtureServer('fx', { FIXTURE_NOTES: '1' }),
        },
      }),
    );
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('advertises completions and completes the arguments of the server that offers them', async () => {
    expect(client.getServerCapabilities()?.completions).toEqual({});
    const result = await client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'S' },
    });
    expect(result.completion.values).toEqual(['Sales', 'Support']);
  });

  it("answers no suggestions for a prompt's argument of a server without completions", async () => {
    const names = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(names).toContain('fx__greet');
    const result = await client.complete({
      ref: { type: 'ref/prompt', name: 'fx__greet' },
      argument: { name: 'who', value: 'A' },
    });
    expect(result.completion).toEqual({ values: [], hasMore: false });
  });

  it("answers no suggestions for a template's variable of a server without completions", async () => {
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).toContain('fixture://fx/notes/{topic}');
    const result = await client.complete({
      ref: { type: 'ref/resource', uri: 'fixture://fx/notes/{topic}' },
      argument: { name: 'topic', value: 'a' },
    });
    expect(result.completion).toEqual({ values: [], hasMore: false });
  });

  it('answers a 2026-07-28 client the same, with 200', async () => {
    const { status, body } = await statelessPost(gateway.httpUrl()!, 'completion/complete', {
      ref: { type: 'ref/prompt', name: 'fx__greet' },
      argument: { name: 'who', value: 'A' },
    });
    expect(status).toBe(200);
    expect((body.result as { completion: unknown }).completion).toEqual({ values: [], hasMore: false });
  });

  it('still names a prompt the profile does not have', async () => {
    await expect(
      client.complete({ ref: { type: 'ref/prompt', name: 'fx__nope' }, argument: { name: 'who', value: '' } }),
    ).rejects.toThrow('Unknown prompt: fx__nope (server "fx" has no prompt "nope")');
  });
});

/**
 * Servers of 2024-11-05, which has no `completions` capability: MCP's first revision had
 * completion/complete for every server, and SDK servers of that time (1.3 to 1.6) answered it for a
 * prompt with a Completable argument while declaring nothing. Such a server was never asked, and its
 * prompts' arguments had no suggestions.
 */
describe('completions from servers of 2024-11-05', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          now: fixtureServer('now', { FIXTURE_COMPLETABLE: '1' }),
          old: fixtureServer('old', { FIXTURE_COMPLETABLE: '1', FIXTURE_REVISION: '2024-11-05' }),
          plain: fixtureServer('plain', { FIXTURE_REVISION: '2024-11-05' }),
        },
        profiles: { old: { servers: ['old'] }, plain: { servers: ['plain'] } },
      }),
    );
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it("completes the arguments of a 2024-11-05 server's prompts", async () => {
    expect(client.getServerCapabilities()?.completions).toEqual({});
    const result = await client.complete({
      ref: { type: 'ref/prompt', name: 'old__pick' },
      argument: { name: 'color', value: 'r' },
    });
    expect(result.completion.values).toEqual(['red', 'rose']);
  });

  it('advertises completions in a profile whose only server is of 2024-11-05 and has prompts', async () => {
    // A client of a later revision asks only a server that advertises them: without, the server's
    // suggestions never reached it.
    for (const profile of ['old', 'plain']) {
      const alone = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, `/mcp/${profile}`));
      try {
        expect(alone.getServerCapabilities()?.completions, profile).toEqual({});
        const result = await alone.complete({
          ref: { type: 'ref/prompt', name: profile === 'old' ? 'old__pick' : 'plain__greet' },
          argument: profile === 'old' ? { name: 'color', value: 'r' } : { name: 'who', value: 'A' },
        });
        expect(result.completion.values, profile).toEqual(profile === 'old' ? ['red', 'rose'] : []);
      } finally {
        await alone.close();
      }
    }
  });

  it('answers no suggestions, not an error, for a 2024-11-05 server that does not complete', async () => {
    const result = await client.complete({
      ref: { type: 'ref/prompt', name: 'plain__greet' },
      argument: { name: 'who', value: 'A' },
    });
    expect(result.completion).toEqual({ values: [], hasMore: false });
  });
});
