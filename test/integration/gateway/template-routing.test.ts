/**
 * A uri that the templates of two servers both match goes to the server of the more specific one
 * (`fixture://wiki/notes/{topic}` before `fixture://wiki/{+path}`), whatever order the servers are in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, settled, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

describe('resource templates that overlap', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          // First in server order, with the wider template.
          'a-wide': fixtureServer('wiki', { FIXTURE_WIDE: '1', FIXTURE_LABEL: 'the wide one' }),
          'b-notes': fixtureServer('wiki', { FIXTURE_NOTES: '1', FIXTURE_LABEL: 'the notes one' }),
        },
      }),
    );
    await settled(gateway);
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('reads a uri both match from the server of the more specific template, the rest from the wider', async () => {
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate).sort();
    expect(templates).toEqual(['fixture://wiki/notes/{topic}', 'fixture://wiki/{+path}']);
    const text = async (uri: string) => {
      const [content] = (await client.readResource({ uri })).contents;
      return (content as { text: string }).text;
    };
    expect(await text('fixture://wiki/notes/deploys')).toBe('note deploys from the notes one');
    expect(await text('fixture://wiki/guides/setup')).toBe('page guides/setup from the wide one');
  });
});
