/**
 * A secret used in a header whose value no HTTP header can carry (a character beyond U+00FF, as in
 * a password with "€", or a control character): the server fails at once, naming the header and
 * never the value, as for a NUL or a line break; it is not retried as if the backend were down, and
 * nothing is sent. A value with Latin-1 letters (é) goes out as before.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const EURO = 'key-€-canary-5f4e3d';
const ESCAPE = 'key-\u001b-canary-9c8b7a';
const LATIN1 = 'clé-canary-1a2b3c';
const EMOJI = 'key-\u{1F511}-canary-7e6d5c';

describe('a secret a header cannot carry', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let backend: Server;
  const seen: IncomingHttpHeaders[] = [];
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-secret-header-');
    // A handler that lists one tool, and records every request's headers.
    backend = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ tools: [{ name: 'noop', input_schema: { type: 'object' } }] }));
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/`;
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          euro: { handler: url, headers: { 'X-Api-Key': '${secret:euro}' } },
          escape: { handler: url, headers: { 'X-Api-Key': 'Key ${secret:escape}' } },
          remote: { url: `${url}mcp`, headers: { Authorization: 'Bearer ${secret:euro}' } },
          latin: { handler: url, headers: { 'X-Api-Key': '${secret:latin}' } },
          emoji: { handler: url, headers: { 'X-Api-Key': '${secret:emoji}' } },
        },
      }),
      { secrets: createMemorySecretStore({ euro: EURO, escape: ESCAPE, latin: LATIN1, emoji: EMOJI }) },
    );
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await new Promise((resolve) => backend?.close(resolve));
    await dir?.cleanup();
  });

  const server = async (name: string) => (await gateway.api.listServers()).find((s) => s.name === name);

  it('fails the server at once, naming the header, never the value; nothing is sent', async () => {
    for (const [name, field, code] of [
      ['euro', 'headers.X-Api-Key', 'U+20AC'],
      ['escape', 'headers.X-Api-Key', 'U+001B'],
      ['remote', 'headers.Authorization', 'U+20AC'],
      // The character, not the first half of its UTF-16 pair.
      ['emoji', 'headers.X-Api-Key', 'U+1F511'],
    ] as const) {
      await waitFor(async () => (await server(name))?.state === 'failed', 10_000, `${name} to fail`);
      const lastError = (await server(name))?.lastError ?? '';
      expect(lastError).toContain(`${field} holds a character a header cannot carry (${code}:`);
      expect(lastError).not.toMatch(/canary/);
    }
    expect(seen.some((h) => JSON.stringify(h).includes('canary-5f4e3d'))).toBe(false);
    expect(seen.some((h) => JSON.stringify(h).includes('canary-9c8b7a'))).toBe(false);
    expect(seen.some((h) => JSON.stringify(h).includes('canary-7e6d5c'))).toBe(false);
  });

  it('sends a value with Latin-1 letters as before', async () => {
    await waitFor(async () => (await server('latin'))?.state === 'ready', 10_000, 'latin to be ready');
  });
});
