/**
 * A completion for a prompt of a server that is still starting (a first start, or a restart by a
 * config edit) waits for the server, as a call of its tool or a get of the prompt does; it was
 * answered at once that the prompt is unknown. The server is the reference server-everything,
 * started late the way a first `npx` run is.
 */
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { EVERYTHING, NODE, httpClient, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

describe('a completion for a prompt of a server still starting', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    const everything = JSON.stringify(pathToFileURL(EVERYTHING).href);
    const late = `await new Promise((r) => setTimeout(r, 1500)); await import(${everything});`;
    const config = await writeConfig(dir.dir, {
      mcpServers: { everything: { command: NODE, args: ['--input-type=module', '-e', late] } },
    });
    gateway = await startGateway(config, {}, { settle: false });
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('waits for the server and gives its completions', async () => {
    expect(gateway.servers().find((s) => s.name === 'everything')?.state).toBe('starting');
    const result = await client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'S' },
    });
    expect(result.completion.values).toEqual(['Sales', 'Support']);
  });
});
