import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../main/engine/protocol/errors.ts';
import {
  checkHttpConfig,
  createHttpUpstream,
  type HttpUpstreamConfig,
} from '../../../main/engine/upstreams/mcp-http/http-upstream.ts';
import type { Upstream, UpstreamState } from '../../../main/engine/upstreams/types.ts';
import { freePort, startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import { startHttpRecorder, type HttpRecorder } from '../../fixtures/servers/http-recorder.ts';
import { reach } from '../../helpers/upstream-state.ts';

const FAST_BACKOFF = { initialMs: 100, maxMs: 400, maxAttempts: 30, stableMs: 60_000 };

const upstreams: Upstream[] = [];
const everything: EverythingServer[] = [];
const recorders: HttpRecorder[] = [];
let logs: string[] = [];

afterEach(async () => {
  for (const u of upstreams.splice(0)) await u.stop();
  for (const s of everything.splice(0)) await s.kill();
  for (const r of recorders.splice(0)) await r.close();
  logs = [];
});

function upstream(config: Partial<HttpUpstreamConfig> & { url: string }, backoff = FAST_BACKOFF): Upstream {
  const u = createHttpUpstream(
    { name: 'remote', headers: {}, transport: 'auto', timeoutMs: 5000, startupTimeoutMs: 5000, ...config },
    {
      clientInfo: { name: 'switchboard-test', version: '0.0.0' },
      capabilities: {},
      backoff,
      log: (line) => logs.push(line),
    },
  );
  upstreams.push(u);
  return u;
}

async function runEverything(mode: 'streamableHttp' | 'sse', port?: number): Promise<EverythingServer> {
  const s = await startEverything(mode, port);
  everything.push(s);
  return s;
}

async function recorder(): Promise<HttpRecorder> {
  const r = await startHttpRecorder();
  recorders.push(r);
  return r;
}

/** Resolves once the upstream has passed through `state` (now or later). */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function echo(u: Upstream, message: string): Promise<string> {
  const result = await u.request('tools/call', { name: 'echo', arguments: { message } });
  return (result.content as { text: string }[])[0]!.text;
}

async function exercise(u: Upstream): Promise<void> {
  u.start();
  const info = await u.whenReady(10_000);
  expect(info.serverInfo.name).toBeTypeOf('string');
  expect(info.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  const list = await u.request('tools/list', {});
  expect((list.tools as { name: string }[]).map((t) => t.name)).toContain('echo');
  expect(await echo(u, 'hello')).toBe('Echo: hello');
}

function sessionIds(output: string): string[] {
  return [...output.matchAll(/Session initialized with ID: (\S+)/g)].map((m) => m[1]!);
}

describe('http-mcp upstream configuration', () => {
  it('rejects header values fetch would quote in its error, and headers the transport owns', () => {
    const check =
      (headers: Record<string, string>, url = 'http://127.0.0.1:1/mcp') =>
      () =>
        checkHttpConfig({ name: 'remote', url, headers });
    expect(check({ Authorization: 'Bearer a\nb' })).toThrow(
      /^server "remote": the value of header Authorization contains a line break/,
    );
    expect(check({ Authorization: 'Bearer a\nb' })).not.toThrow(/Bearer/);
    expect(check({ 'Mcp-Session-Id': 'x' })).toThrow(/set by the transport/);
    expect(check({}, 'ftp://example.com/mcp')).toThrow(/must start with http:\/\/, https:\/\/, ws:\/\/ or wss:\/\//);
    expect(check({ Authorization: 'Bearer ok' })()).toMatchObject({ headers: { Authorization: 'Bearer ok' } });
  });

  it('does not throw for a bad config: the upstream fails to start, saying why', async () => {
    const u = upstream(
      { url: 'http://127.0.0.1:1/mcp', headers: { 'X-Key': 'sekrit\r\n' } },
      { initialMs: 10, maxMs: 10, maxAttempts: 1, stableMs: 60_000 },
    );
    u.start();
    await reach(u, 'failed');
    expect(u.status().lastError).toMatch(/the value of header X-Key contains a line break/);
    expect(u.status().lastError).not.toContain('sekrit');
  });
});

describe('http-mcp upstream against the reference everything server', () => {
  it.each(['streamable-http', 'auto'] as const)(
    'initializes, lists and calls tools over Streamable HTTP (transport %s)',
    async (transport) => {
      const server = await runEverything('streamableHttp');
      await exercise(upstream({ url: server.url, transport }));
      expect(logs.join('\n')).not.toMatch(/legacy/);
    },
  );

  it('speaks legacy HTTP+SSE when forced', async () => {
    const server = await runEverything('sse');
    await exercise(upstream({ url: server.url, transport: 'sse' }));
  });

  it('falls back from Streamable HTTP to SSE in auto mode, and remembers it for reconnects', async () => {
    const server = await runEverything('sse');
    const u = upstream({ url: server.url, transport: 'auto' });
    await exercise(u);
    expect(logs.filter((l) => /legacy HTTP\+SSE/.test(l))).toHaveLength(1);
    await u.stop();
    u.start();
    await u.whenReady(10_000);
    expect(await echo(u, 'again')).toBe('Echo: again');
    // The second connection went straight to SSE: no second fallback.
    expect(logs.filter((l) => /legacy HTTP\+SSE/.test(l))).toHaveLength(1);
  });

  it('reconnects over SSE after a legacy server restart without probing Streamable HTTP again', async () => {
    const first = await runEverything('sse');
    const u = upstream({ url: first.url, transport: 'auto' });
    let readies = 0;
    u.on('ready', () => {
      readies++;
    });
    await exercise(u);
    await first.kill();
    await runEverything('sse', first.port);
    await until(() => readies === 2, 20_000);
    expect(await echo(u, 'back')).toBe('Echo: back');
    expect(u.status().restarts).toBe(1);
    expect(logs.filter((l) => /legacy HTTP\+SSE/.test(l))).toHaveLength(1);
  });

  it('survives a server restart: backoff, then ready again with a new session', async () => {
    const first = await runEverything('streamableHttp');
    const u = upstream({ url: first.url, transport: 'streamable-http' });
    const states: UpstreamState[] = [];
    let readies = 0;
    u.on('status', (s) => states.push(s.state));
    u.on('ready', () => {
      readies++;
    });
    u.start();
    await u.whenReady(10_000);
    expect(await echo(u, 'one')).toBe('Echo: one');
    await until(() => sessionIds(first.output()).length === 1);
    const oldSession = sessionIds(first.output())[0];

    // Listening before the kill: the loss may be noticed at once.
    const sawBackoff = reach(u, 'backoff', 30_000);
    await first.kill();
    const second = await runEverything('streamableHttp', first.port);
    // The broken GET stream usually tells; when the SDK's own reconnect hid it, the next request
    // does (the new server does not know the old session).
    void echo(u, 'probe').catch(() => 'lost with the old session');
    await sawBackoff;
    await until(() => readies === 2, 20_000);
    expect(states.indexOf('backoff')).toBeGreaterThan(states.indexOf('ready'));
    expect(states.at(-1)).toBe('ready');
    expect(u.status().restarts).toBeGreaterThanOrEqual(1);
    expect(await echo(u, 'two')).toBe('Echo: two');
    const newSessions = sessionIds(second.output());
    expect(newSessions.length).toBeGreaterThanOrEqual(1);
    expect(newSessions).not.toContain(oldSession);
  });

  it('goes to backoff, then failed, with "connection refused" for an unreachable URL', async () => {
    const port = await freePort();
    const u = upstream(
      { url: `http://127.0.0.1:${port}/mcp` },
      { initialMs: 50, maxMs: 100, maxAttempts: 3, stableMs: 60_000 },
    );
    const states: UpstreamState[] = [];
    u.on('status', (s) => states.push(s.state));
    u.start();
    await reach(u, 'failed');
    expect(states).toContain('backoff');
    expect(u.status().lastError).toMatch(/connection refused/);
    expect(u.status().lastError).toContain(`127.0.0.1:${port}/mcp`);
    await expect(u.whenReady(100)).rejects.toThrow(/connection refused/);
  });

  it('reports "connection refused" for an unreachable legacy SSE URL too', async () => {
    const port = await freePort();
    const u = upstream(
      { url: `http://127.0.0.1:${port}/sse`, transport: 'sse' },
      { initialMs: 50, maxMs: 100, maxAttempts: 2, stableMs: 60_000 },
    );
    u.start();
    await reach(u, 'failed');
    expect(u.status().lastError).toMatch(/connection refused/);
  });

  it('says fetch never connects to port 6000 (a "bad port"), not that it lost a connection it never had', async () => {
    // Reached with ${env:…} in the config, the port is known only now; fetch refuses it before dialling.
    const u = upstream(
      { url: 'http://127.0.0.1:6000/mcp' },
      { initialMs: 50, maxMs: 100, maxAttempts: 2, stableMs: 60_000 },
    );
    u.start();
    await reach(u, 'failed');
    expect(u.status().lastError).toContain(
      'cannot connect to http://127.0.0.1:6000/mcp (port 6000 is one that web requests never connect to',
    );
  });
});

describe('http-mcp upstream against the recording fixture', () => {
  it('sends the static headers on every request, the GET stream and DELETE included, and never logs them', async () => {
    const server = await recorder();
    const u = upstream({
      url: server.url,
      transport: 'streamable-http',
      headers: { Authorization: 'Bearer sekrit-123', 'X-Team': 'blue' },
    });
    u.start();
    const info = await u.whenReady(10_000);
    const result = await u.request('tools/call', { name: 'whoami', arguments: {} });
    const seen = JSON.parse((result.content as { text: string }[])[0]!.text) as Record<string, string>;
    expect(seen.authorization).toBe('Bearer sekrit-123');
    expect(seen['x-team']).toBe('blue');
    expect(seen['mcp-protocol-version']).toBe(info.protocolVersion);

    await until(() => server.requests.some((r) => r.method === 'GET'));
    await u.stop();
    const methods = new Set(server.requests.map((r) => r.method));
    expect(methods).toEqual(new Set(['POST', 'GET', 'DELETE']));
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe('Bearer sekrit-123');
      expect(r.headers['x-team']).toBe('blue');
    }
    // Everything after initialize carries the session and the negotiated version.
    for (const r of server.requests.filter((x) => x.rpcMethod !== 'initialize')) {
      expect(r.headers['mcp-session-id']).toBe(server.sessionsCreated[0]);
      expect(r.headers['mcp-protocol-version']).toBe(info.protocolVersion);
    }
    expect(logs.join('\n')).not.toContain('sekrit-123');
  });

  it('reconnects with a new session when the server drops ours (404), and sends that request again', async () => {
    const server = await recorder();
    const u = upstream({ url: server.url, transport: 'streamable-http' });
    let readies = 0;
    u.on('ready', () => {
      readies++;
    });
    u.start();
    await u.whenReady(10_000);
    expect(await echo(u, 'before')).toBe('Echo: before');

    // The server forgot the session (an idle timeout): it ran nothing, so the call goes again on a new one.
    server.dropSessions();
    expect(await echo(u, 'resent')).toBe('Echo: resent');

    await until(() => readies === 2);
    expect(server.sessionsCreated).toHaveLength(2);
    expect(server.sessionsCreated[1]).not.toBe(server.sessionsCreated[0]);
    expect(await echo(u, 'after')).toBe('Echo: after');
    expect(u.status().restarts).toBe(1);
  });

  it('opens the new session as the gateway, not with the headers of the client whose call found it gone', async () => {
    const server = await recorder();
    const u = upstream({ url: server.url, transport: 'streamable-http', forwardHeaders: ['x-user'] });
    u.start();
    await u.whenReady(10_000);
    await until(() => server.requests.some((r) => r.method === 'GET'));
    server.dropSessions();
    const alice = { clientHeaders: [['x-user', 'alice']] as [string, string][] };
    await u.request('tools/call', { name: 'echo', arguments: { message: 'as alice' } }, alice);
    const second = server.sessionsCreated[1];
    const mine = server.requests.filter((r) => r.headers['mcp-session-id'] === second || r.rpcMethod === 'initialize');
    // Alice's own call carries her header; the session's initialize and event stream do not.
    expect(mine.find((r) => r.rpcMethod === 'tools/call')?.headers['x-user']).toBe('alice');
    for (const r of mine.filter((x) => x.rpcMethod !== 'tools/call')) expect(r.headers['x-user']).toBeUndefined();
  });

  it('reconnects when the server ends the session while idle (GET stream reopened with 404)', async () => {
    const server = await recorder();
    const u = upstream({ url: server.url, transport: 'streamable-http' });
    const states: UpstreamState[] = [];
    let readies = 0;
    const reasons: string[] = [];
    u.on('status', (s) => {
      states.push(s.state);
      if (s.state === 'backoff') reasons.push(s.lastError ?? '');
    });
    u.on('ready', () => {
      readies++;
    });
    u.start();
    await u.whenReady(10_000);
    await until(() => server.requests.some((r) => r.method === 'GET'));

    server.dropSessions(true);
    await until(() => readies === 2);
    expect(states).toContain('backoff');
    expect(reasons[0]).toMatch(/^ended the session \(HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/mcp\)$/);
    expect(server.sessionsCreated).toHaveLength(2);
    expect(
      server.requests.some((r) => r.method === 'GET' && r.headers['mcp-session-id'] === server.sessionsCreated[0]),
    ).toBe(true);
    expect(await echo(u, 'after')).toBe('Echo: after');
  });

  it('fails a request answered with HTTP 500 at once, naming the server, and stays ready', async () => {
    const server = await recorder();
    const u = upstream({ url: server.url, transport: 'streamable-http', timeoutMs: 20_000 });
    u.start();
    await u.whenReady(10_000);
    server.failNext('tools/call', 500);
    const started = Date.now();
    const err = await u.request('tools/call', { name: 'echo', arguments: { message: 'x' } }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000); // well before the 20 s request timeout
    expect(err).toBeInstanceOf(GatewayError);
    const rpc = (err as GatewayError).rpc!;
    expect(rpc.code).toBe(-32002);
    expect(rpc.message).toMatch(
      /^server "remote": HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/mcp: fixture: forced failure$/,
    );
    expect(u.status().state).toBe('ready');
    expect(await echo(u, 'fine')).toBe('Echo: fine');
  });

  it('fails initialize clearly when a forced transport gets an HTTP error', async () => {
    const server = await recorder();
    server.failNext('initialize', 503, 100);
    const u = upstream(
      { url: server.url, transport: 'streamable-http' },
      { initialMs: 50, maxMs: 100, maxAttempts: 2, stableMs: 60_000 },
    );
    u.start();
    await reach(u, 'failed');
    expect(u.status().lastError).toMatch(/HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/mcp: fixture: forced failure/);
  });

  it('waits as long as a server refusing to start asks (Retry-After), and says so', async () => {
    const server = await recorder();
    server.failNext('initialize', 503, 1, { 'retry-after': '2' });
    const u = upstream({ url: server.url, transport: 'streamable-http' });
    u.start();
    await reach(u, 'backoff');
    const status = u.status();
    expect(status.lastError).toBe(
      `failed to start: server "remote": HTTP 503 from ${server.url}: fixture: forced failure; ` +
        'it asks to wait 2 s before trying again (Retry-After)',
    );
    // The backoff alone would try again in 100 ms.
    expect(status.retryAt! - Date.now()).toBeGreaterThan(1500);
    await u.whenReady(10_000);
    const initializes = server.requests.filter((r) => r.rpcMethod === 'initialize');
    expect(initializes).toHaveLength(2);
    expect(initializes[1]!.at - initializes[0]!.at).toBeGreaterThanOrEqual(1900);
  });

  it("tells a caller how long a rate-limited server asks it to wait (429's Retry-After), and stays ready", async () => {
    const server = await recorder();
    const u = upstream({ url: server.url, transport: 'streamable-http' });
    u.start();
    await u.whenReady(10_000);
    server.failNext('tools/call', 429, 1, { 'retry-after': '150' });
    const err = await u.request('tools/call', { name: 'echo', arguments: { message: 'x' } }).catch((e: unknown) => e);
    expect((err as GatewayError).rpc!.message).toBe(
      `server "remote": HTTP 429 from ${server.url}: fixture: forced failure; ` +
        'it asks to wait 3 min before trying again (Retry-After)',
    );
    server.failNext('tools/call', 429);
    const bare = await u.request('tools/call', { name: 'echo', arguments: { message: 'x' } }).catch((e: unknown) => e);
    expect((bare as GatewayError).rpc!.message).toMatch(
      /: fixture: forced failure \(too many requests: it limits how often it may be called\)$/,
    );
    expect(u.status().state).toBe('ready');
    expect(await echo(u, 'fine')).toBe('Echo: fine');
  });

  it('says where a server moved to (a redirect to another origin, not followed), in words', async () => {
    const server = await recorder();
    const moved = server.url.replace('127.0.0.1', 'localhost');
    const front = createServer((_req, res) => void res.writeHead(308, { location: `${moved}?key=sekrit` }).end());
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/mcp`;
      const u = upstream(
        { url, transport: 'streamable-http' },
        { initialMs: 10, maxMs: 10, maxAttempts: 1, stableMs: 0 },
      );
      u.start();
      await reach(u, 'failed');
      expect(u.status().lastError).toBe(
        `failed to start: server "remote": HTTP 308 from ${url}: it moved to ${moved}, another origin, where ` +
          "requests are not followed (the server's headers and session belong to this one): if that is the " +
          'server, put its URL in the entry',
      );
      expect(server.requests).toEqual([]);
    } finally {
      front.close();
    }
  });

  it('says what a web page where MCP should be says: a page that answers every path, an HTML error page', async () => {
    let status = 200;
    const page = (title: string) =>
      `<!doctype html><html><head><title>${title}</title><style>p{}</style></head>` +
      `<body><h1>${title}</h1><p>Sign in to continue</p></body></html>`;
    const site = createServer((req, res) => {
      req.resume();
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(page(`Acme ${status}`));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/docs/mcp`;
      const once = { initialMs: 10, maxMs: 10, maxAttempts: 1, stableMs: 0 };
      const u = upstream({ url, transport: 'streamable-http' }, once);
      u.start();
      await reach(u, 'failed');
      // It said "bad response from URL: Streamable HTTP error: Unexpected content type: text/html".
      expect(u.status().lastError).toBe(
        `failed to start: server "remote": ${url} answered with an HTML page (Acme 200: Sign in to continue), ` +
          "not MCP: is that the server's MCP address? (a login page or a proxy in the way answers like this too)",
      );
      status = 502;
      const v = upstream({ url, transport: 'streamable-http' }, once);
      v.start();
      await reach(v, 'failed');
      // It said only "HTTP 502 from URL".
      expect(v.status().lastError).toBe(
        `failed to start: server "remote": HTTP 502 from ${url} (an HTML page: Acme 502: Sign in to continue)`,
      );
    } finally {
      site.close();
    }
  });
});
