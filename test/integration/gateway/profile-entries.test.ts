/** Profiles as written by hand in the config file: what their clients get, and what the app says of them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

describe('a profile written by hand', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client | undefined;
  let own: Client | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          fx: fixtureServer('fx', { FIXTURE_INSTRUCTIONS: 'Use fx for echoes.' }),
          other: fixtureServer('other'),
          mine: { ...fixtureServer('mine'), isolated: true },
        },
        // A server named twice (a paste, a merge) is one server of the profile.
        profiles: { twice: { servers: ['fx', 'fx'] }, own: { servers: ['mine', 'other'] } },
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    await own?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('that names a server twice has it once: its instructions, its tools and what the app counts', async () => {
    client = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/twice'));
    // A profile of one server passes its instructions on as they are, not once under a heading per mention.
    expect(client.getInstructions()).toBe('Use fx for echoes.');
    const listed = (await client.listTools()).tools.map((t) => t.name);
    const profile = (await gateway.api.listProfiles()).find((p) => p.name === 'twice')!;
    expect(profile.servers).toEqual(['fx']);
    expect(profile.toolNames).toEqual(listed);
    expect(profile.tools).toBe(listed.length);
  });

  it("with an isolated server counts the tools its clients' processes list, as its clients get them", async () => {
    own = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/own'));
    // The client's own process of "mine" starts with its session: its tools are there once it has listed them.
    const listed = await waitFor(async () => {
      const names = (await own!.listTools()).tools.map((t) => t.name);
      return names.includes('mine__echo') ? names : undefined;
    });
    const profile = (await gateway.api.listProfiles()).find((p) => p.name === 'own')!;
    expect(profile.toolNames.toSorted()).toEqual(listed.toSorted());
    expect(profile.tools).toBe(listed.length);
  });
});
