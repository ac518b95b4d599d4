/**
 * Servers that list a page at a time (test/fixtures/servers/paged-server.ts). The gateway reads
 * every page of every server and gives clients one merged page, each item under the name or uri
 * that routes back to its own server; a cursor from a client names no page of the gateway's and
 * is refused, saying so. A server whose list goes on past 100 pages is read that far (a guard
 * against cursors handed out forever), and the log says so: the rest of its list was left out
 * without a word.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { NODE, ROOT, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const PAGED = path.join(ROOT, 'test/fixtures/servers/paged-server.ts');
const paged = (name: string, count: number, size: number) => ({
  command: NODE,
  args: [PAGED],
  env: { PAGED_NAME: name, PAGED_COUNT: String(count), PAGED_SIZE: String(size) },
});

describe('servers that list a page at a time', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  const logged: string[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, {
      mcpServers: { left: paged('left', 25, 10), right: paged('right', 12, 5), long: paged('long', 1050, 10) },
      profiles: { both: { servers: ['left', 'right'] }, long: { servers: ['long'] } },
    });
    gateway = await startGateway(config, {}, { settle: false });
    gateway.on('log', (line) => logged.push(line.text));
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready'), 20_000, 'the servers');
    client = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/both'));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('lists every page of every server in one page, each item routed to its own server', async () => {
    const { resources, nextCursor } = await client.listResources();
    expect(nextCursor).toBeUndefined();
    const uris = resources.map((r) => r.uri);
    // 0–11 are offered by both (renamed), 12–24 by left only (kept).
    expect(uris).toHaveLength(12 * 2 + 13);
    expect(uris).toContain('paged://item/24');
    const rightsLast = `switchboard://resource/right/${encodeURIComponent('paged://item/11')}`;
    expect(uris).toContain(rightsLast);
    const read = await client.readResource({ uri: rightsLast });
    expect(read.contents).toEqual([{ uri: rightsLast, text: 'paged://item/11 from right' }]);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toHaveLength(25 + 12);
    expect(prompts).toEqual(expect.arrayContaining(['left__p24', 'right__p11']));
    const got = await client.getPrompt({ name: 'right__p11' });
    expect(got.messages[0]!.content).toEqual({ type: 'text', text: 'p11 from right' });
  });

  it("refuses a client's cursor, naming it", async () => {
    await expect(client.listResources({ cursor: 'at-10' })).rejects.toThrow(
      'Invalid cursor "at-10": this list comes in one page (no nextCursor)',
    );
  });

  it('reads a list as far as 100 pages, and says that the rest is left out', async () => {
    const long = await httpClient(gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/long'));
    try {
      expect((await long.listResources()).resources).toHaveLength(1000);
      expect((await long.listPrompts()).prompts).toHaveLength(1000);
    } finally {
      await long.close();
    }
    const notes = logged.filter((l) => l.startsWith('server "long": its '));
    expect(notes.sort()).toEqual([
      'server "long": its prompts go on past 100 pages (it gave a nextCursor each time); ' +
        'clients are listed the 1000 in those, the rest are left out',
      'server "long": its resources go on past 100 pages (it gave a nextCursor each time); ' +
        'clients are listed the 1000 in those, the rest are left out',
    ]);
  });
});
