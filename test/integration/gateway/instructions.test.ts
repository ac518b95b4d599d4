/**
 * Servers' instructions (initialize's `instructions`) reach clients: a one-server profile's as the
 * server wrote them, several under a heading naming each server and how its tools are named here;
 * a 2026-07-28 client finds them in `server/discover`'s answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { statelessPost } from '../../helpers/stateless.ts';

describe("servers' instructions", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = await tempDir('sb-instructions-');
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          docs: fixtureServer('docs', { FIXTURE_INSTRUCTIONS: 'Call search before read.' }),
          mail: fixtureServer('mail', { FIXTURE_INSTRUCTIONS: 'Never send without asking.' }),
          plain: fixtureServer('plain'),
        },
        profiles: { docs_only: { servers: ['docs'] }, plain_only: { servers: ['plain'] } },
      }),
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  const instructionsOf = async (profile?: string) => {
    const base = gateway.httpUrl()!;
    const client = await httpClient(profile ? `${base}/${profile}` : base);
    clients.push(client);
    return client.getInstructions();
  };

  it("passes one server's instructions on as they are", async () => {
    expect(await instructionsOf('docs_only')).toBe('Call search before read.');
  });

  it("gives each server's instructions under its name, and none for a server without", async () => {
    expect(await instructionsOf()).toBe(
      '## docs (its tools here: docs__…)\n\nCall search before read.\n\n' +
        '## mail (its tools here: mail__…)\n\nNever send without asking.',
    );
    expect(await instructionsOf('plain_only')).toBeUndefined();
  });

  it('gives a 2026-07-28 client the same in server/discover', async () => {
    const discover = async (profile?: string) => {
      const base = gateway.httpUrl()!;
      const { body } = await statelessPost(profile ? `${base}/${profile}` : base, 'server/discover');
      return (body.result as { instructions?: string }).instructions;
    };
    expect(await discover('docs_only')).toBe('Call search before read.');
    expect(await discover()).toMatch(/^## docs .*\n\nCall search before read\.\n\n## mail /s);
    expect(await discover('plain_only')).toBeUndefined();
  });
});
