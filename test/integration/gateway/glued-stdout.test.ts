/**
 * A server that prints a word to stdout without a newline before it speaks ("loading..."): its
 * first message ran into the text, the line was not JSON, and the server never got past
 * initialize. The message is read from where it starts; the text goes to the server's log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { NODE, httpClient, startGateway, tempDir, textOf, writeConfig } from '../../helpers/gateway.ts';

const GLUED = [
  '-e',
  `process.stdout.write('loading...');
  require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
    const m = JSON.parse(line);
    if (m.id === undefined) return;
    const answer = (result) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
    const tools = [{ name: 'hi', inputSchema: { type: 'object' } }];
    const hello = { protocolVersion: m.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: {} };
    if (m.method === 'initialize') answer(hello);
    else if (m.method === 'tools/list') answer({ tools });
    else if (m.method === 'tools/call') answer({ content: [{ type: 'text', text: 'hello' }] });
    else answer({});
  });`,
];

describe('text glued to a server first message', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-glued-');
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { glued: { command: NODE, args: GLUED, protocol: 'stateful' } } }),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('does not keep the server from starting; the text is in its log', async () => {
    expect(gateway.servers()[0]?.state).toBe('ready');
    const client = await httpClient(gateway.httpUrl()!);
    try {
      expect(textOf(await client.callTool({ name: 'glued__hi', arguments: {} }))).toBe('hello');
    } finally {
      await client.close();
    }
    expect((await gateway.api.getServerLog('glued')).some((l) => l.endsWith('[stdout, not JSON-RPC] loading...'))).toBe(
      true,
    );
  });
});
