/**
 * Bytes that are not UTF-8 are refused, not rewritten: from a client over HTTP (Streamable and
 * legacy SSE), stdio and the shim's socket they get a -32700 parse error; from a stdio server
 * they fail the request they answer. Nothing is forwarded with replacement characters, and the
 * session and the server carry on.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../main/engine/index.ts';
import { LineSplitter } from '../../main/shared/lines.ts';
import { connectShimSocket } from '../helpers/shim-socket.ts';
import { INITIALIZE, rawStdio } from '../helpers/raw-stdio.ts';
import { JSON_HEADERS, rawSession, readRpc } from '../helpers/raw-http.ts';
import { CLI, NODE, ROOT, fixtureServer, startGateway, tempDir, textOf, writeConfig } from '../helpers/gateway.ts';

const HOSTILE = path.join(ROOT, 'test/fixtures/servers/hostile-server.ts');

/** An echo call whose message holds 0xff 0xfe: not UTF-8 anywhere. */
function badCall(id: number): Buffer {
  return Buffer.concat([
    Buffer.from(
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"fx__echo","arguments":{"message":"`,
    ),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}}}'),
  ]);
}

const echo = (id: number, message: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'fx__echo', arguments: { message } },
});

const PARSE_ERROR = { code: -32700, message: expect.stringMatching(/not valid UTF-8/) };

describe('bytes that are not UTF-8', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx'), hostile: { command: NODE, args: [HOSTILE] } },
    });
    gateway = await startGateway(config, { socket: true, runtimeDir: path.join(dir.dir, 'run') });
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('in a Streamable HTTP POST get a parse error, and the session carries on', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    const raw = await fetch(gateway.httpUrl()!, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'mcp-session-id': s.sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: badCall(2),
    });
    expect(raw.status).toBe(400);
    const body = (await readRpc(raw)) as { error?: unknown };
    expect(body.error).toMatchObject(PARSE_ERROR);
    expect(JSON.stringify(body)).not.toContain('\ufffd');
    expect(textOf(((await s.call(echo(3, 'still here'))) as { result: unknown }).result)).toBe('still here');
  });

  it('in a legacy SSE POST get a parse error', async () => {
    const base = new URL(gateway.httpUrl()!).origin;
    const ac = new AbortController();
    const stream = await fetch(`${base}/sse`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    try {
      const reader = stream.body!.getReader();
      let text = '';
      while (!/data: (\S+)\n/.test(text)) text += Buffer.from((await reader.read()).value!).toString('utf8');
      const endpoint = /data: (\S+)\n/.exec(text)![1]!;
      const res = await fetch(new URL(endpoint, base), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: badCall(1),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: unknown }).error).toMatchObject(PARSE_ERROR);
    } finally {
      ac.abort();
    }
  });

  it('on a stdio line get a parse error, and the next line is served', async () => {
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    try {
      client.send(INITIALIZE(0));
      await client.response(0);
      client.child.stdin!.write(Buffer.concat([badCall(1), Buffer.from('\n')]));
      client.send(echo(2, 'after'));
      expect(textOf((await client.response(2)).result)).toBe('after');
      const refused = client.messages.find((m) => m.id === null);
      expect(refused?.error).toMatchObject(PARSE_ERROR);
      expect(client.messages.some((m) => m.id === 1)).toBe(false);
    } finally {
      client.close();
    }
  });

  it("on the shim's socket get a parse error, and the connection carries on", async () => {
    const { socket, head } = await connectShimSocket(path.join(dir.dir, 'run'));
    const lines: Record<string, unknown>[] = [];
    const splitter = new LineSplitter(
      1024 * 1024,
      (line) => lines.push(JSON.parse(line.toString('utf8')) as Record<string, unknown>),
      () => undefined,
    );
    socket.on('data', (c: Buffer) => splitter.push(c));
    if (head.length) splitter.push(head);
    socket.resume();
    try {
      socket.write(JSON.stringify(INITIALIZE(0)) + '\n');
      socket.write(Buffer.concat([badCall(1), Buffer.from('\n')]));
      socket.write(JSON.stringify(echo(2, 'over the socket')) + '\n');
      const deadline = Date.now() + 15_000;
      while (!lines.some((l) => l.id === 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(textOf(lines.find((l) => l.id === 2)?.result)).toBe('over the socket');
      expect(lines.find((l) => l.id === null)?.error).toMatchObject(PARSE_ERROR);
      expect(lines.some((l) => l.id === 1)).toBe(false);
    } finally {
      socket.destroy();
    }
  });

  it('from a stdio server fail the request they answer, and the server carries on', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    const bad = (await s.call({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'hostile__latin1', arguments: {} },
    })) as { error?: { message: string } };
    expect(bad.error?.message).toMatch(/server "hostile" sent a response that is not valid UTF-8/);
    expect(JSON.stringify(bad)).not.toContain('\ufffd');
    const poked = (await s.call({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'hostile__poke', arguments: {} },
    })) as { result: unknown };
    expect(textOf(poked.result)).toBe('poked');
  });
});
