/**
 * A PHP handler that writes its empty schemas and results the way json_encode does (`[]` for an
 * empty object) under a real php-fpm: its tools are listed and called, and the other servers of
 * the profile keep theirs (a client refuses a whole tool list with one such schema in it).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, textOf, writeConfig } from '../../helpers/gateway.ts';
import { startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';

const HANDLER = `<?php
$in = json_decode(file_get_contents('php://input'), true);
header('Content-Type: application/json');
if ($in['type'] === 'discover') {
  echo json_encode(['tools' => [
    ['name' => 'ping', 'description' => 'No arguments', 'input_schema' => ['type' => 'object', 'properties' => []]],
    ['name' => 'bare', 'input_schema' => [], 'output_schema' => ['type' => 'object', 'properties' => []]],
    ['name' => 'search', 'input_schema' => ['type' => 'object'], 'output_schema' => ['type' => 'object',
      'properties' => [
        'facets' => ['type' => 'object'],
        'ids' => ['type' => 'array', 'items' => ['type' => 'string']],
        'hits' => ['type' => 'array',
          'items' => ['type' => 'object', 'properties' => ['tags' => ['type' => 'object']]]],
      ],
      'required' => ['facets', 'ids', 'hits']]],
  ]]);
  exit;
}
if ($in['name'] === 'search') {
  // Empty maps as json_encode writes them, nested, beside an empty list that is a list.
  echo json_encode(['content' => [['type' => 'text', 'text' => 'found']],
    'structured_content' => ['facets' => [], 'ids' => [], 'hits' => [['tags' => []]]]]);
  exit;
}
echo json_encode(['content' => [['type' => 'text', 'text' => 'pong']], 'structured_content' => []]);
`;

/** A handler begun step by step: its discover builds the catalog in an array that nothing was put in yet. */
const STARTER = `<?php
$in = json_decode(file_get_contents('php://input'), true);
header('Content-Type: application/json');
$reply = [];
if ($in['type'] === 'call_tool') $reply['error'] = ['code' => 404, 'message' => 'no tools yet'];
echo json_encode($reply);
`;

describe('a PHP handler with empty arrays for empty objects', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let fpm: PhpFpm;
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    [fpm, dir] = await Promise.all([startPhpFpm({ listen: 'tcp' }), tempDir()]);
    const script = path.join(dir.dir, 'empty.php');
    const starter = path.join(dir.dir, 'starter.php');
    await Promise.all([writeFile(script, HANDLER), writeFile(starter, STARTER)]);
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          php: { handler: fpm.address, entrypoint: script },
          starter: { handler: fpm.address, entrypoint: starter },
          fx: fixtureServer('fx'),
        },
      }),
    );
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await fpm?.stop();
    await dir?.cleanup();
  });

  it("lists its tools beside the other servers' and calls them", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['php__ping', 'php__bare', 'fx__echo']));
    expect(tools.find((t) => t.name === 'php__ping')!.inputSchema).toEqual({ type: 'object', properties: {} });
    const result = await client.callTool({ name: 'php__ping', arguments: {} });
    expect(textOf(result)).toBe('pong');
    expect(result.structuredContent).toEqual({});
  });

  it("reads nested empty maps by the tool's output schema (the client checks the result against it)", async () => {
    // The SDK client validates structured content against the output schema: "data/facets must be object".
    const result = await client.callTool({ name: 'php__search', arguments: {} });
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent).toEqual({ facets: {}, ids: [], hits: [{ tags: {} }] });
  });

  it('a discover answered with [] (json_encode of a catalog with nothing in it) is an empty catalog', async () => {
    const starter = (await gateway.api.listServers()).find((server) => server.name === 'starter');
    expect(starter?.lastError).toBeUndefined();
    expect(starter?.state).toBe('ready');
    expect(await gateway.serverTools('starter')).toEqual([]);
  });
});
