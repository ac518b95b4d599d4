import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Gateway } from '../../../main/engine/index.ts';
import { CLI, NODE, fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { INITIALIZE, rawStdio } from '../../helpers/raw-stdio.ts';
import { rawSession, sseMessages } from '../../helpers/raw-http.ts';

const STATEFUL = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];

describe('clients on every stateful revision', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    gateway = await startGateway(config);
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it.each(STATEFUL)(
    '%s over stdio: negotiated, and every progress notification arrives before the result',
    async (version) => {
      const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
        ...process.env,
        SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      });
      try {
        client.send(INITIALIZE(0, version));
        expect((await client.response(0)).result).toMatchObject({ protocolVersion: version });
        client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        client.send({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'fx__slow', arguments: { steps: 5 }, _meta: { progressToken: 'p' } },
        });
        await client.response(1);
        const order = client.messages
          .filter((m) => m.method === 'notifications/progress' || m.id === 1)
          .map((m) => (m.id === 1 ? 'result' : `p${(m.params as { progress: number }).progress}`));
        expect(order).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'result']);
      } finally {
        client.close();
      }
    },
  );

  it.each(STATEFUL.slice(1))(
    "%s over Streamable HTTP: progress before the result on the request's stream",
    async (version) => {
      const s = await rawSession(gateway.httpUrl()!, version);
      const res = await s.post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'fx__slow', arguments: { steps: 5 }, _meta: { progressToken: 7 } },
      });
      const order = sseMessages(await res.text()).map((m) =>
        m.id === 1 ? 'result' : `p${(m.params as { progress: number; progressToken: number }).progress}`,
      );
      expect(order).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'result']);
    },
  );

  it('2024-11-05 over the legacy SSE transport: progress before the result', async () => {
    const base = gateway.httpUrl()!.replace(/\/mcp$/, '');
    const stream = await fetch(`${base}/sse`, { headers: { accept: 'text/event-stream' } });
    const reader = stream.body!.getReader();
    let text = '';
    const read = async (until: (t: string) => boolean) => {
      while (!until(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await read((t) => t.includes('event: endpoint'));
    const endpoint = /event: endpoint\ndata: (.+)\n/.exec(text)![1]!;
    const post = (m: unknown) =>
      fetch(`${base}${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(m),
      });
    await post(INITIALIZE(0, '2024-11-05'));
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'fx__slow', arguments: { steps: 3 }, _meta: { progressToken: 'x' } },
    });
    await read((t) => /"id":1,"result"/.test(t));
    await reader.cancel();
    const messages = sseMessages(text);
    expect(messages[0]).toMatchObject({ id: 0, result: { protocolVersion: '2024-11-05' } });
    const order = messages
      .slice(1)
      .map((m) => (m.id === 1 ? 'result' : `p${(m.params as { progress: number }).progress}`));
    expect(order).toEqual(['p1', 'p2', 'p3', 'result']);
  });

  it('renders structured content as text for clients older than 2025-06-18', async () => {
    const old = await rawSession(gateway.httpUrl()!, '2025-03-26');
    const res = await old.call({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { message: 'hi' } },
    });
    const content = (res.result as { content: { type: string; text: string }[] }).content;
    expect(content.map((c) => c.text)).toContain(
      JSON.stringify({
        message: 'hi',
        pid: (res.result as { structuredContent: { pid: number } }).structuredContent.pid,
        server: 'fx',
      }),
    );
    const recent = await rawSession(gateway.httpUrl()!, '2025-06-18');
    const res2 = await recent.call({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { message: 'hi' } },
    });
    expect((res2.result as { content: unknown[] }).content).toHaveLength(1);
  });

  it("renders a prompt's blocks a client's revision cannot hold as text, as in a tool's result", async () => {
    const blocks = async (version: string) => {
      const session = await rawSession(gateway.httpUrl()!, version);
      const res = await session.call({ jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'fx__cite' } });
      return (res.result as { messages: { content: { type: string; text?: string } }[] }).messages.map(
        (m) => m.content,
      );
    };
    const link = { type: 'text', text: '[about](fixture://fx/about)' };
    const audio = { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' };
    expect(await blocks('2024-11-05')).toEqual([
      link,
      { type: 'text', text: '[audio audio/wav: not shown, this client predates audio content]' },
    ]);
    expect(await blocks('2025-03-26')).toEqual([link, audio]);
    expect(await blocks('2025-11-25')).toEqual([
      { type: 'resource_link', uri: 'fixture://fx/about', name: 'about' },
      audio,
    ]);
  });
});
