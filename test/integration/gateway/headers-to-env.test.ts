/**
 * headersToEnv: an isolated stdio server started for an HTTP client gets that client's header
 * values as environment variables, so one gateway serves several users' tokens to a server that
 * reads its token from the environment. Real SDK clients with their own headers, the fixture
 * server over stdio; a careless server printing its token finds it redacted in the log.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';

const ALICE = 'tok-alice-7f3a9c1e5b';
const BOB = 'tok-bob-2d8e4f6a0c';

describe('client headers as environment of an isolated server', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];
  /** What the servers printed, as the app shows it live (the `log` event). */
  const printed: string[] = [];

  const client = async (headers: Record<string, string>): Promise<Client> => {
    const c = new Client({ name: 'user', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(gateway.httpUrl()!), { requestInit: { headers } }));
    clients.push(c);
    return c;
  };
  const token = async (c: Client) => textOf(await c.callTool({ name: 'per__env', arguments: { name: 'USER_TOKEN' } }));

  beforeAll(async () => {
    dir = await tempDir('sb-h2e-');
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        per: { ...fixtureServer('per'), isolated: true, headersToEnv: { 'X-User-Token': 'USER_TOKEN' } },
      },
    });
    gateway = await startGateway(config, { logDir: path.join(dir.dir, 'logs') });
    gateway.events.on('log', (line) => printed.push(line.text));
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it("gives each client's process that client's header value, and none to a client without it", async () => {
    const alice = await client({ 'X-User-Token': ALICE });
    const bob = await client({ 'x-user-token': BOB });
    const nobody = await client({});
    const [a, b, n] = await Promise.all([token(alice), token(bob), token(nobody)]);
    expect(a).toBe(ALICE);
    expect(b).toBe(BOB);
    expect(n).toBe('(unset)');
    // Three clients, three processes.
    expect(gateway.servers().find((s) => s.name === 'per')?.instances).toBe(3);
  });

  it('hides the values from what the server printed: live and in its log file', async () => {
    await waitFor(() => printed.filter((l) => l.includes('USER_TOKEN=')).length >= 3, 5000, 'three lines printed');
    const file = await readFile(path.join(dir.dir, 'logs', 'per.log'), 'utf8');
    for (const text of [printed.join('\n'), file]) {
      expect(text).toContain('USER_TOKEN=[redacted:USER_TOKEN]');
      expect(text).not.toContain(ALICE);
      expect(text).not.toContain(BOB);
    }
  });
});
