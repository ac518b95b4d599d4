/**
 * A session belongs to the principal (bearer token) that created it: the same session id
 * presented with another credential is answered like an unknown session, on Streamable HTTP and
 * on legacy SSE. The listener here has two tokens, as per-client tokens will give it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenHttp, type HttpListener } from '../../main/engine/downstream/http-server.ts';
import type { Gateway } from '../../main/engine/index.ts';
import { fixtureServer, startGateway, tempDir, writeConfig } from '../helpers/gateway.ts';
import { JSON_HEADERS, readRpc } from '../helpers/raw-http.ts';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef';
const PROTOCOL = '2025-06-18';

const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const echo = (id: number, message: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'fx__echo', arguments: { message } },
});

describe('sessions are bound to the principal that created them', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let listener: HttpListener;
  let url: string;

  const as = (token: string | undefined, extra: Record<string, string> = {}) => ({
    ...JSON_HEADERS,
    'mcp-protocol-version': PROTOCOL,
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    ...extra,
  });

  async function openSession(token: string): Promise<string> {
    const res = await fetch(url, { method: 'POST', headers: as(token), body: JSON.stringify(initialize) });
    expect(res.status).toBe(200);
    await res.text();
    const id = res.headers.get('mcp-session-id')!;
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await (await fetch(url, { method: 'POST', headers: as(token, { 'mcp-session-id': id }), body: note })).text();
    return id;
  }

  beforeAll(async () => {
    dir = await tempDir('sb-hostile-principal-');
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }), {
      http: false,
    });
    listener = await listenHttp({
      host: '127.0.0.1',
      port: 0,
      allowedOrigins: [],
      maxRequestBytes: 1024 * 1024,
      principals: [
        { name: 'alice', token: ALICE },
        { name: 'bob', token: BOB },
      ],
      createSession: (profile, transport, send, id, onAbandoned) =>
        gateway.createSession(profile, transport, send, id, onAbandoned),
      profileExists: (p) => gateway.profileExists(p),
    });
    url = listener.url;
  });
  afterAll(async () => {
    await listener?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('answers 404 to a Streamable HTTP session id presented with another token, and serves its owner', async () => {
    const id = await openSession(ALICE);
    const mine = await fetch(url, {
      method: 'POST',
      headers: as(ALICE, { 'mcp-session-id': id }),
      body: JSON.stringify(echo(1, 'mine')),
    });
    expect(JSON.stringify(await readRpc(mine))).toContain('mine');

    const theirs = await fetch(url, {
      method: 'POST',
      headers: as(BOB, { 'mcp-session-id': id }),
      body: JSON.stringify(echo(2, 'stolen')),
    });
    expect(theirs.status).toBe(404);
    expect(await theirs.text()).toMatch(/Session not found/);

    const stream = await fetch(url, {
      headers: { ...as(BOB, { 'mcp-session-id': id }), accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(404);
    await stream.text();
    const ended = await fetch(url, { method: 'DELETE', headers: as(BOB, { 'mcp-session-id': id }) });
    expect(ended.status).toBe(404);
    await ended.text();

    // Bob's attempts changed nothing for Alice; without any token the listener refuses outright.
    const still = await fetch(url, {
      method: 'POST',
      headers: as(ALICE, { 'mcp-session-id': id }),
      body: JSON.stringify(echo(3, 'still mine')),
    });
    expect(JSON.stringify(await readRpc(still))).toContain('still mine');
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: as(undefined, { 'mcp-session-id': id }),
      body: JSON.stringify(echo(4, 'x')),
    });
    expect(anonymous.status).toBe(401);
    await anonymous.text();
  });

  it('answers 404 to a legacy SSE session presented with another token', async () => {
    const base = url.replace(/\/mcp$/, '');
    const controller = new AbortController();
    const sse = await fetch(`${base}/sse`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${ALICE}` },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    let text = '';
    while (!/data: (\S+)\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const endpoint = /data: (\S+)\n/.exec(text)![1]!;
    try {
      const post = (token: string) =>
        fetch(`${base}${endpoint}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(initialize),
        });
      const theirs = await post(BOB);
      expect(theirs.status).toBe(404);
      await theirs.text();
      const mine = await post(ALICE);
      expect(mine.status).toBe(202);
      await mine.text();
    } finally {
      controller.abort();
    }
  });
});
