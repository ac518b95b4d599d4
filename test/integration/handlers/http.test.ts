/**
 * HTTP(S) handlers going wrong, against real in-process servers: every error names the server
 * and the cause and keeps the raw reply; TLS checks with an explicit insecure opt-in; header
 * forwarding; keep-alive and the connection bound; HTTP over a Unix socket.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHandlerAddress } from '../../../main/engine/config/handler-address.ts';
import { createHttpTransport } from '../../../main/engine/upstreams/handler/http-transport.ts';
import { HandlerError } from '../../../main/engine/upstreams/handler/errors.ts';
import {
  createHandlerUpstream,
  type HandlerUpstreamDeps,
} from '../../../main/engine/upstreams/handler/handler-upstream.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import { freePort } from '../../fixtures/servers/http-everything.ts';
import {
  jsonResponder,
  startHttpHandler,
  type Received,
  type Responder,
  type TestServer,
} from '../../fixtures/handlers/servers.ts';
import { FAST_BACKOFF, specFor } from './helpers.ts';
import { waitFor } from '../../helpers/gateway.ts';

const upstreams: Upstream[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const u of upstreams.splice(0)) await u.stop();
  for (const s of servers.splice(0)) await s.close();
});

const DISCOVER = { tools: [{ name: 'go' }] };

/** Discover answers properly; `go` gets `misbehave`. */
function forGo(misbehave: Responder): Responder {
  const discover = jsonResponder(() => DISCOVER);
  return (received, res) =>
    received.envelope.type === 'discover' ? discover(received, res) : misbehave(received, res);
}

function send(status: number, body: string, contentType = 'application/json'): Responder {
  return (_received, res) => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}

async function server(respond: Responder, options: { tls?: boolean } = {}): Promise<TestServer> {
  const s = await startHttpHandler(respond, options);
  servers.push(s);
  return s;
}

async function ready(
  name: string,
  address: string,
  extra: Parameters<typeof specFor>[2] = {},
  deps: HandlerUpstreamDeps = {},
): Promise<Upstream> {
  const u = createHandlerUpstream(specFor(name, address, extra), { backoff: FAST_BACKOFF, ...deps });
  upstreams.push(u);
  u.start();
  await u.whenReady(5000);
  return u;
}

async function callError(u: Upstream, options = {}): Promise<HandlerError> {
  const err = await u.request('tools/call', { name: 'go', arguments: {} }, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandlerError);
  return err as HandlerError;
}

describe('handlers that answer something other than a JSON reply', () => {
  it('an HTML page with status 200', async () => {
    const s = await server(
      forGo(
        send(
          200,
          '<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1>' +
            '<p>If you see this page, the nginx web server is successfully installed.</p></body></html>',
          'text/html',
        ),
      ),
    );
    const err = await callError(await ready('html', s.address));
    expect(err.code).toBe('upstream_protocol');
    expect(err.message).toBe(
      `server "html": handler at ${s.address} answered HTML instead of JSON: Welcome to nginx!: ` +
        'If you see this page, the nginx web server is successfully installed.',
    );
    expect(err.raw).toContain('<title>Welcome to nginx!</title>');
    expect(err.status).toBe(200);
  });

  it('non-2xx answers: an HTML error page, a JSON error, an empty body', async () => {
    const s = await server(forGo(send(500, '<html><title>500 Internal Server Error</title></html>', 'text/html')));
    const u = await ready('status', s.address);
    expect((await callError(u)).message).toBe(
      `server "status": handler at ${s.address} answered HTTP 500 (an HTML page: 500 Internal Server Error)`,
    );
    s.respond = forGo(send(502, '{"error":{"message":"the database is down"}}'));
    const json = await callError(u);
    expect(json.code).toBe('upstream_error');
    expect(json.message).toBe(`server "status": handler at ${s.address} answered HTTP 502 (the database is down)`);
    expect(json.raw).toBe('{"error":{"message":"the database is down"}}');
    s.respond = forGo(send(404, ''));
    expect((await callError(u)).message).toBe(
      `server "status": handler at ${s.address} answered HTTP 404 (an empty body)`,
    );
  });

  it('malformed JSON, JSON that is not an object, an empty body', async () => {
    const s = await server(forGo(send(200, '{"content": [oops')));
    const u = await ready('json', s.address);
    expect((await callError(u)).message).toMatch(
      new RegExp(
        `^server "json": handler at ${escape(s.address)} answered malformed JSON \\(.+\\): \\{"content": \\[oops$`,
      ),
    );
    s.respond = forGo(send(200, '[1,2]'));
    expect((await callError(u)).message).toBe(
      `server "json": handler at ${s.address} answered JSON that is not an object: [1,2]`,
    );
    s.respond = forGo(send(200, '  '));
    expect((await callError(u)).message).toBe(
      `server "json": handler at ${s.address} answered with an empty body instead of JSON`,
    );
  });

  it('a byte order mark before the JSON is let go; gzip that nobody asked for is named', async () => {
    const s = await server(forGo(send(200, '\uFEFF{"content": [{"type": "text", "text": "bom"}]}')));
    const u = await ready('bom', s.address);
    expect(await u.request('tools/call', { name: 'go', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'bom' }],
    });
    s.respond = forGo((_received, res) => {
      const body = gzipSync('{"content": []}');
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body);
    });
    expect((await callError(u)).message).toBe(
      `server "bom": handler at ${s.address} answered gzip-compressed bytes, which it was not asked for (no ` +
        'Accept-Encoding): JSON must come uncompressed',
    );
  });

  it('a reply with none of the three kinds, and malformed kinds', async () => {
    const s = await server(forGo(send(200, '{"result": {"content": []}}')));
    const u = await ready('nokind', s.address);
    const err = await callError(u);
    // What it has instead is named: a misnamed key is seen at once.
    expect(err.message).toBe('server "nokind": handler reply has no elicit, error or content (it has "result")');
    expect(err.raw).toBe('{"result": {"content": []}}');
    s.respond = forGo(send(200, '{"structured_content": {"seat": "14A"}}'));
    expect((await callError(u)).message).toBe(
      'server "nokind": handler reply has no elicit, error or content (it has "structured_content"; ' +
        'structured_content comes with content, such as a text block of the same JSON)',
    );
    s.respond = forGo(send(200, '{"content": "Booked 14A"}'));
    expect((await callError(u)).message).toBe(
      'server "nokind": handler reply "content" must be an array of content blocks (it is a string, not a list: ' +
        '[{"type": "text", "text": "…"}] is one text block)',
    );
    s.respond = forGo(send(200, '{"content": {"type": "text", "text": "Booked 14A"}}'));
    expect((await callError(u)).message).toBe(
      'server "nokind": handler reply "content" must be an array of content blocks (it is one block, not a list: ' +
        'put it in one)',
    );
    s.respond = forGo(send(200, '{"content": [{"text": "Booked 14A"}]}'));
    expect((await callError(u)).message).toBe(
      'server "nokind": handler reply content[0] has no "type" (expected text, image, audio, resource_link or ' +
        'resource)',
    );
    s.respond = forGo(send(200, '{"content": [{"type": "video", "url": "x"}]}'));
    expect((await callError(u)).message).toBe(
      'server "nokind": handler reply content[0] has unknown type "video" (expected text, image, audio, ' +
        'resource_link or resource)',
    );
    s.respond = forGo(send(200, '{"elicit": {"mode": "url", "message": "Log in", "url": "javascript:alert(1)"}}'));
    expect((await callError(u)).message).toBe(
      'server "nokind": handler reply "elicit" in URL mode needs an http:// or https:// "url"',
    );
    // A form no client can show (a nested object): said here, not by a client's pages of validator output.
    const nested = { type: 'object', properties: { address: { type: 'object', properties: { city: {} } } } };
    const asks = send(200, JSON.stringify({ elicit: { message: 'Where to?', schema: nested, context: { step: 2 } } }));
    s.respond = (received, res) =>
      received.envelope.type === 'elicitation_cancelled' ? send(200, '{}')(received, res) : forGo(asks)(received, res);
    expect((await callError(u)).message).toBe(
      'server "nokind": handler reply "elicit.schema" is not a form MCP clients can show: requestedSchema ' +
        'property "address" has unsupported type "object" (forms take string, number, integer, boolean or a ' +
        'multi-select array)',
    );
    // Nobody was asked, and the handler hears that the call ended, as it would of a cancel.
    const call = s.received.findLast((r) => r.envelope.type === 'call_tool')!;
    expect(s.received.at(-1)!.envelope).toMatchObject({
      type: 'elicitation_cancelled',
      request_id: call.envelope.request_id,
      name: 'go',
      action: 'cancel',
      context: { step: 2 },
    });
  });

  it('a handler refusing for a while (503 with Retry-After) is tried again when it asks, not before', async () => {
    const discovers: number[] = [];
    const discover = jsonResponder(() => DISCOVER);
    const s = await server((received, res) => {
      if (received.envelope.type !== 'discover') return send(200, '{"content":[]}')(received, res);
      discovers.push(Date.now());
      if (discovers.length > 1) return discover(received, res);
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '2' }).end('deploying');
    });
    const u = createHandlerUpstream(specFor('deploying', s.address), { backoff: FAST_BACKOFF });
    upstreams.push(u);
    u.start();
    await waitFor(() => u.status().state === 'backoff');
    expect(u.status().lastError).toBe(
      `handler at ${s.address} answered HTTP 503 (deploying); it asks to wait 2 s before trying again (Retry-After)`,
    );
    // The backoff alone would try again in 50 ms.
    expect(u.status().retryAt! - Date.now()).toBeGreaterThan(1500);
    await u.whenReady(10_000);
    expect(discovers).toHaveLength(2);
    expect(discovers[1]! - discovers[0]!).toBeGreaterThanOrEqual(1900);
    // A call refused the same way says how long to wait.
    s.respond = forGo((_received, res) => void res.writeHead(429, { 'retry-after': '30' }).end());
    expect((await callError(u)).message).toBe(
      `server "deploying": handler at ${s.address} answered HTTP 429 (an empty body); it asks to wait 30 s before ` +
        'trying again (Retry-After)',
    );
  });

  it('keeps at most 4 KiB of the raw reply on the error', async () => {
    const s = await server(forGo(send(500, 'x'.repeat(10_000), 'text/plain')));
    const err = await callError(await ready('long', s.address));
    expect(err.raw).toHaveLength(4096);
    expect(err.rawTruncated).toBe(true);
    expect(err.message).toMatch(/answered HTTP 500 \(x{157}\.\.\.\)$/);
  });
});

describe('handlers that are slow, hang up or are not there', () => {
  it('a timeout names the server, the URL and the limit', async () => {
    const s = await server(forGo(() => undefined));
    const u = await ready('slow', s.address);
    const err = await callError(u, { timeoutMs: 200 });
    expect(err.code).toBe('request_timeout');
    expect(err.message).toBe(`server "slow": no complete reply from ${s.address} within 200 ms`);
  });

  it('the configured timeout applies (timeoutMs on the server)', async () => {
    const s = await server(forGo(() => undefined));
    const u = await ready('slow2', s.address, { timeoutMs: 150 });
    expect((await callError(u)).message).toBe(`server "slow2": no complete reply from ${s.address} within 150 ms`);
  });

  it('a connection closed before the reply', async () => {
    const s = await server(
      forGo((_r, res) => {
        res.socket?.destroy();
      }),
    );
    const err = await callError(await ready('hangup', s.address));
    expect(err.code).toBe('upstream_closed');
    expect(err.message).toBe(`server "hangup": ${s.address} closed the connection before replying`);
  });

  it('a connection reset mid-reply keeps what arrived', async () => {
    const s = await server(
      forGo((_r, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"content":[{"type":"text","text":"par');
        setTimeout(() => res.socket?.destroy(), 30);
      }),
    );
    const err = await callError(await ready('reset', s.address));
    expect(err.code).toBe('upstream_closed');
    expect(err.message).toBe(`server "reset": ${s.address} closed the connection mid-reply (HTTP 200, after 38 bytes)`);
    expect(err.raw).toBe('{"content":[{"type":"text","text":"par');
  });

  it('headers without end, and a body that is not HTTP/1.1, are said to be that, not a closed connection', async () => {
    const endless = await server(
      forGo((_r, res) => {
        const socket = res.socket!;
        socket.write('HTTP/1.1 200 OK\r\n');
        const line = `X-Pad: ${'a'.repeat(1000)}\r\n`.repeat(64);
        const pump = (): void => {
          while (!socket.destroyed) if (!socket.write(line)) return void socket.once('drain', pump);
        };
        pump();
      }),
    );
    const headers = await callError(await ready('headers', endless.address));
    expect(headers.code).toBe('upstream_protocol');
    expect(headers.message).toBe(
      `server "headers": ${endless.address} answered headers larger than 16384 bytes, more than Switchboard reads`,
    );
    const chunked = await server(
      forGo((_r, res) => {
        res.socket!.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n');
      }),
    );
    const body = await callError(await ready('chunks', chunked.address));
    expect(body.code).toBe('upstream_protocol');
    expect(body.message).toBe(
      `server "chunks": ${chunked.address} answered HTTP 200 with bytes that are not HTTP/1.1 ` +
        '(Invalid character in chunk size)',
    );
  });

  it('a reply over the size limit', async () => {
    const s = await server(forGo(send(200, JSON.stringify({ content: [{ type: 'text', text: 'x'.repeat(10_000) }] }))));
    const err = await callError(await ready('big', s.address, {}, { maxReplyBytes: 2048 }));
    expect(err.code).toBe('message_too_large');
    expect(err.message).toBe(
      `server "big": the reply from ${s.address} is larger than 2048 bytes (limits.maxResponseBytes)`,
    );
  });

  it('a call that finds the handler gone shows it down at once, not at the next list; back once it is', async () => {
    const port = await freePort();
    const start = async () => {
      const handler = createServer(
        (req, res) => void body(req).then(() => send(200, JSON.stringify(DISCOVER))({} as Received, res)),
      );
      await new Promise<void>((resolve) => handler.listen(port, '127.0.0.1', resolve));
      return async () => {
        handler.closeAllConnections();
        await new Promise((resolve) => handler.close(resolve));
      };
    };
    let stop = await start();
    const u = await ready('gone', `http://127.0.0.1:${port}/mcp`);
    await stop();
    // Nothing lists meanwhile (a client may not for a long time): the call alone tells.
    expect((await callError(u)).code).toBe('upstream_unavailable');
    await expect.poll(() => u.status().state).toBe('backoff');
    expect(u.status().lastError).toBe(
      `cannot connect to http://127.0.0.1:${port}/mcp (connection refused (is the handler running?))`,
    );
    stop = await start();
    try {
      await u.whenReady(5000);
    } finally {
      await stop();
    }
  });

  it('connection refused: backoff, the reason in the status, and ready once the handler starts', async () => {
    const port = await freePort();
    const u = createHandlerUpstream(specFor('later', `http://127.0.0.1:${port}/mcp`), { backoff: FAST_BACKOFF });
    upstreams.push(u);
    u.start();
    await expect.poll(() => u.status().state).toBe('backoff');
    expect(u.status().lastError).toBe(
      `cannot connect to http://127.0.0.1:${port}/mcp (connection refused (is the handler running?))`,
    );
    expect(u.info()).toBeUndefined();
    const err = await callError(u);
    expect(err.code).toBe('upstream_unavailable');
    // The handler comes up on that port: the next retry finds it.
    const late = createServer(
      (req, res) => void body(req).then(() => send(200, JSON.stringify(DISCOVER))({} as Received, res)),
    );
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
    try {
      await u.whenReady(5000);
      expect(u.status()).toMatchObject({ state: 'ready' });
    } finally {
      late.closeAllConnections();
      await new Promise((resolve) => late.close(resolve));
    }
  });
});

describe('HTTPS', () => {
  it('refuses a self-signed certificate unless the server is marked insecure', async () => {
    const s = await server(
      jsonResponder(() => ({ tools: [{ name: 'go' }], content: [{ type: 'text', text: 'secure enough' }] })),
      { tls: true },
    );
    const strict = createHandlerUpstream(specFor('strict', s.address), { backoff: FAST_BACKOFF });
    upstreams.push(strict);
    strict.start();
    await expect.poll(() => strict.status().state).toBe('backoff');
    expect(strict.status().lastError).toMatch(
      new RegExp(
        `^cannot connect to ${escape(s.address)} \\(TLS: the server's certificate is self-signed, and this ` +
          `computer does not trust it; DEPTH_ZERO_SELF_SIGNED_CERT\\); for a development server with a ` +
          `self-signed certificate, set "insecure": true on this server$`,
      ),
    );
    const relaxed = await ready('relaxed', s.address, { insecure: true });
    expect(await relaxed.request('tools/call', { name: 'go', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'secure enough' }],
    });
  });
});

describe('headers, connections and sockets', () => {
  const HOSTILE_CLIENT: [string, string][] = [
    ['X-Tenant', 'client-tenant'],
    ['X-Api-Key', 'client-key'],
    ['Cookie', 'a=1'],
    ['Cookie', 'b=2'],
    ['X-Multi', 'one'],
    ['X-Multi', 'two'],
    ['Host', 'evil.example'],
    ['Content-Type', 'text/plain'],
    ['Content-Length', '999'],
    ['Transfer-Encoding', 'chunked'],
    ['Connection', 'X-Secret'],
    ['X-Secret', 'hop'],
    ['Proxy', 'http://evil'],
    ['X_Underscore', 'no'],
    ['Authorization', 'Bearer gateway-token'],
    ['Mcp-Session-Id', 'abc'],
    ['Accept-Language', 'nb'],
  ];

  it('sends static headers, forwards only the safe set by default, and owns Content-Type and Host', async () => {
    const s = await server(jsonResponder(() => ({ tools: [], content: [] })));
    const u = await ready('headers', s.address, {
      headers: { 'X-Api-Key': 'from-config', 'X-Tenant': 'config-tenant' },
    });
    await u.request('tools/call', { name: 'go', arguments: {} }, { clientHeaders: HOSTILE_CLIENT });
    const call = s.received.find((r) => r.envelope.type === 'call_tool')!;
    expect(call.headers).toMatchObject({
      'x-api-key': 'from-config',
      'x-tenant': 'config-tenant',
      'accept-language': 'nb',
      host: `127.0.0.1:${s.port}`,
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(Number(call.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(call.envelope)));
    for (const dropped of ['cookie', 'x-multi', 'mcp-session-id', 'x-secret', 'proxy', 'x_underscore', 'authorization'])
      expect(call.headers).not.toHaveProperty(dropped);
  });

  it('"*" forwards all but Cookie, credentials, hop-by-hop and MCP headers; config keeps its values', async () => {
    const s = await server(jsonResponder(() => ({ tools: [], content: [] })));
    const u = await ready('headers-all', s.address, {
      headers: { 'X-Api-Key': 'from-config', 'X-Tenant': 'config-tenant' },
      forwardHeaders: ['*'],
    });
    await u.request('tools/call', { name: 'go', arguments: {} }, { clientHeaders: HOSTILE_CLIENT });
    const call = s.received.find((r) => r.envelope.type === 'call_tool')!;
    expect(call.headers).toMatchObject({
      'x-api-key': 'from-config',
      'x-tenant': 'config-tenant',
      'x-multi': 'one, two',
      'accept-language': 'nb',
      host: `127.0.0.1:${s.port}`,
      'content-type': 'application/json',
    });
    for (const dropped of ['cookie', 'mcp-session-id', 'x-secret', 'proxy', 'x_underscore', 'authorization'])
      expect(call.headers).not.toHaveProperty(dropped);
  });

  it('a client replaces a configured header only where the entry says so', async () => {
    const s = await server(jsonResponder(() => ({ tools: [], content: [] })));
    const u = await ready('headers-override', s.address, {
      headers: { 'X-Api-Key': 'from-config', 'X-Tenant': 'config-tenant' },
      forwardHeaders: ['X-Api-Key'],
      overridableHeaders: ['X-Tenant'],
    });
    await u.request('tools/call', { name: 'go', arguments: {} }, { clientHeaders: HOSTILE_CLIENT });
    const call = s.received.find((r) => r.envelope.type === 'call_tool')!;
    expect(call.headers).toMatchObject({ 'x-api-key': 'from-config', 'x-tenant': 'client-tenant' });
    const discover = s.received.find((r) => r.envelope.type === 'discover')!;
    expect(discover.headers['x-tenant']).toBe('config-tenant');
  });

  it('turns credentials in the URL into Basic auth', async () => {
    const s = await server(jsonResponder(() => ({ tools: [] })));
    await ready('basic', s.address.replace('http://', 'http://user:p%40ss@'));
    expect(s.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('keeps connections alive and never opens more than the pool allows', async () => {
    const s = await server(
      jsonResponder(async ({ envelope }) => {
        if (envelope.type === 'discover') return DISCOVER;
        await new Promise((r) => setTimeout(r, 50));
        return { content: [] };
      }),
    );
    const u = await ready('pool', s.address, { pool: 3 });
    for (let i = 0; i < 5; i++) await u.request('tools/call', { name: 'go', arguments: {} });
    // Six requests (discover and five calls) over at most two connections.
    expect(s.connections().total).toBeLessThanOrEqual(2);
    await Promise.all(Array.from({ length: 12 }, () => u.request('tools/call', { name: 'go', arguments: {} })));
    expect(s.connections().maxOpen).toBeLessThanOrEqual(3);
  });

  it('a request that never got a connection says the pool stayed busy, not that the handler was slow', async () => {
    const s = await server(
      jsonResponder(async ({ envelope }) => {
        if (envelope.type === 'discover') return DISCOVER;
        await new Promise((r) => setTimeout(r, 600));
        return { content: [] };
      }),
    );
    const u = await ready('busy', s.address, { pool: 2, timeoutMs: 400 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => u.request('tools/call', { name: 'go', arguments: {} })),
    );
    const messages = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'answered'));
    // Two were sent and the handler took too long; two waited for a connection (nearly) all along,
    // and say so: that they timed out is the pool's doing, not the handler's slowness.
    expect(messages.every((m) => /no complete reply from .* within 400 ms|all 2 connections/.test(m))).toBe(true);
    const waited = /\b\d{3} ms of it spent waiting for one of the 2 connections \(raise "pool"\)/;
    const neverSent = /all 2 connections to .* stayed busy for the 400 ms/;
    expect(messages.filter((m) => waited.test(m) || neverSent.test(m))).toHaveLength(2);
    // Each says the handler is busy, not gone (a discover failing so leaves it ready while calls run).
    for (const o of outcomes) expect(o.status === 'rejected' && (o.reason as { busy?: boolean }).busy).toBe(true);
  });

  it('a request cancelled before it could get a connection fails at once, not when one frees up', async () => {
    const s = await server(
      jsonResponder(async () => {
        await new Promise((r) => setTimeout(r, 1_000));
        return { content: [] };
      }),
    );
    const transport = createHttpTransport({
      name: 'cancel',
      target: { url: s.address },
      insecure: false,
      headers: {},
      connections: 1,
      maxReplyBytes: 1 << 20,
      egress: { allowPrivateNetwork: true },
    });
    try {
      const exchange = (signal?: AbortSignal) =>
        transport.send({ body: Buffer.from('{}'), timeoutMs: 5_000, idempotent: false, ...(signal ? { signal } : {}) });
      const first = exchange();
      const started = Date.now();
      await expect(exchange(AbortSignal.abort())).rejects.toThrow(/was cancelled/);
      expect(Date.now() - started).toBeLessThan(500);
      await first;
    } finally {
      await transport.close();
    }
  });

  it('a regular file at the socket path is said to be one, not a handler that refuses', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-http-sock-'));
    const file = path.join(dir, 'handler.sock');
    await writeFile(file, '');
    try {
      const u = unixHttpHandler('file-http', file);
      await expect
        .poll(() => u.status().lastError)
        .toMatch(`(${file} is a regular file, not a socket: the address must be the socket the handler listens on)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('speaks HTTP over a Unix socket when the kind says handler-http', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-http-sock-'));
    const socketPath = path.join(dir, 'handler.sock');
    const unix = createServer(
      (req, res) =>
        void body(req).then((b) =>
          send(
            200,
            JSON.stringify(
              JSON.parse(b).type === 'discover' ? DISCOVER : { content: [{ type: 'text', text: `path ${req.url}` }] },
            ),
          )({} as Received, res),
        ),
    );
    await new Promise<void>((resolve) => unix.listen(socketPath, resolve));
    try {
      const u = unixHttpHandler('unix-http', socketPath);
      await u.whenReady(5000);
      expect(await u.request('tools/call', { name: 'go', arguments: {} })).toEqual({
        content: [{ type: 'text', text: 'path /' }],
      });
    } finally {
      unix.closeAllConnections();
      await new Promise((resolve) => unix.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A started HTTP handler upstream that speaks HTTP over the Unix socket at `socketPath`. */
function unixHttpHandler(name: string, socketPath: string): Upstream {
  const address = parseHandlerAddress(socketPath, 'handler-http');
  if ('error' in address || address.kind !== 'handler-http') throw new Error('expected an HTTP address');
  const u = createHandlerUpstream(
    {
      kind: 'handler-http',
      name,
      target: address.target,
      insecure: false,
      headers: {},
      timeoutMs: 5000,
      pool: 2,
      discoverTtlMs: 0,
    },
    { backoff: FAST_BACKOFF },
  );
  upstreams.push(u);
  u.start();
  return u;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (d: Buffer) => {
      text += d.toString();
    });
    req.on('end', () => resolve(text));
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
