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
