import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../main/engine/protocol/errors.ts';
import { classifyProbe, createMcpUpstream, type UpstreamProtocol } from '../../../main/engine/upstreams/era.ts';
import { StdioMcpUpstream } from '../../../main/engine/upstreams/mcp-stdio/stdio-upstream.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import { freePort, startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import {
  STATELESS_SERVER,
  startStatelessHttp,
  type StatelessHttpServer,
} from '../../fixtures/servers/stateless-launch.ts';
import { reach } from '../../helpers/upstream-state.ts';

const SERVERS = path.join(import.meta.dirname, '../../fixtures/servers');
const STATEFUL = path.join(SERVERS, 'fixture-server.ts');
const SILENT = path.join(SERVERS, 'stateless-silent-stateful.ts');
const FAST_BACKOFF = { initialMs: 100, maxMs: 400, maxAttempts: 30, stableMs: 60_000 };
const CLIENT = { name: 'switchboard-test', version: '0.0.1' };

const upstreams: Upstream[] = [];
const processes: (StatelessHttpServer | EverythingServer)[] = [];
let logs: string[] = [];

afterEach(async () => {
  for (const u of upstreams.splice(0)) await u.stop();
  for (const p of processes.splice(0)) await p.kill();
  logs = [];
});

function stdio(script: string, protocol: UpstreamProtocol = 'auto', extra: { probeTimeoutMs?: number } = {}): Upstream {
  const u = createMcpUpstream(
    {
      name: 'srv',
      command: process.execPath,
      args: [script],
      env: { FIXTURE_NAME: 'srv' },
      timeoutMs: 10_000,
      startupTimeoutMs: 10_000,
      protocol,
    },
    {
      clientInfo: CLIENT,
      capabilities: {},
      maxMessageBytes: 1 << 24,
      backoff: FAST_BACKOFF,
      path: () => Promise.resolve(process.env.PATH ?? ''),
      log: (l) => logs.push(l),
      ...extra,
    },
  );
  upstreams.push(u);
  return u;
}

function http(url: string, protocol: UpstreamProtocol = 'auto'): Upstream {
  const u = createMcpUpstream(
    { name: 'srv', url, headers: {}, transport: 'auto', timeoutMs: 10_000, startupTimeoutMs: 10_000, protocol },
    { clientInfo: CLIENT, capabilities: {}, backoff: FAST_BACKOFF, log: (l) => logs.push(l) },
  );
  upstreams.push(u);
  return u;
}

function textOf(result: Record<string, unknown>): string {
  return ((result.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
}

describe('era detection over stdio', () => {
  it('detects a stateful-only server (v1 SDK) from its -32601, restarts it, and works through initialize', async () => {
    const u = stdio(STATEFUL);
    u.start();
    const info = await u.whenReady(15_000);
    expect(u).toBeInstanceOf(StdioMcpUpstream);
    expect(info.protocolVersion).toBe('2025-11-25');
    expect(info.serverInfo.name).toBe('srv');
    expect(logs.join('\n')).toMatch(
      /server "srv" speaks the stateful protocol \(initialize; server\/discover failed with -32601.*\)/,
    );
    // The decision shows in the server's own log too, and the upstream is still a stdio one.
    expect((u as StdioMcpUpstream).stderr().join('\n')).toMatch(
      /\[switchboard\] server "srv" speaks the stateful protocol/,
    );
    const result = await u.request('tools/call', { name: 'echo', arguments: { message: 'stateful' } });
    expect(textOf(result)).toBe('stateful');
    // Stateful requests carry no stateless envelope.
    expect(result.resultType).toBeUndefined();
  });

  it('remembers the stateful era: a restart after a crash goes straight to initialize', async () => {
    const u = stdio(STATEFUL);
    u.start();
    await u.whenReady(15_000);
    await expect(u.request('tools/call', { name: 'crash', arguments: {} })).rejects.toMatchObject({
      code: 'upstream_closed',
    });
    await reach(u, 'ready');
    expect(u.status().restarts).toBe(1);
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { message: 'again' } }))).toBe('again');
    expect(logs.filter((l) => l.includes('speaks the stateful protocol'))).toHaveLength(1);
  });

  it('falls back after the probe times out, on a fresh process that never saw the probe', async () => {
    const u = stdio(SILENT, 'auto', { probeTimeoutMs: 400 });
    u.start();
    const info = await u.whenReady(15_000);
    expect(info.serverInfo.name).toBe('silent-stateful');
    expect(logs.join('\n')).toMatch(/no answer to server\/discover in time/);
    const seen = JSON.parse(textOf(await u.request('tools/call', { name: 'echo', arguments: {} }))) as {
      pid: number;
      sawProbe: boolean;
    };
    expect(seen.sawProbe).toBe(false);
    expect(seen.pid).toBe(u.status().pid);
  });

  it('forced stateless: a stateless server is used without a probe', async () => {
    const u = stdio(STATELESS_SERVER, 'stateless');
    u.start();
    expect((await u.whenReady(15_000)).protocolVersion).toBe('2026-07-28');
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { message: 'forced' } }))).toBe('forced');
    expect(logs).toEqual([]);
  });

  it('forced stateless: a stateful server fails to start, saying it does not speak 2026-07-28', async () => {
    const u = stdio(STATEFUL, 'stateless');
    u.start();
    await reach(u, 'backoff');
    expect(u.status().lastError).toMatch(
      /does not speak protocol revision 2026-07-28: server\/discover failed \(-32601/,
    );
  });

  it(
    'forced stateful: the stateless-only fixture refuses ' +
      'initialize (so the stateless tests prove the stateless path)',
    async () => {
      const u = stdio(STATELESS_SERVER, 'stateful');
      u.start();
      await reach(u, 'backoff');
      expect(u.status().lastError).toMatch(/Unsupported protocol version: 2025-11-25/);
    },
  );
});

describe('era detection over HTTP', () => {
  it('falls back to stateful on a 4xx without a stateless error body (reference everything server)', async () => {
    const server = await startEverything('streamableHttp');
    processes.push(server);
    const u = http(server.url);
    u.start();
    const info = await u.whenReady(15_000);
    expect(info.protocolVersion).toMatch(/^2025-/);
    // Its 400 carries a JSON-RPC error, but not a stateless one (-32022 with the supported versions).
    expect(logs.join('\n')).toMatch(
      /speaks the stateful protocol \(initialize; server\/discover failed with -32000 .*\)/,
    );
    const tools = (await u.request('tools/list', {})).tools as { name: string }[];
    expect(tools.map((t) => t.name)).toContain('echo');
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { message: 'via fallback' } }))).toContain(
      'via fallback',
    );
  });

  it('falls back to legacy HTTP+SSE through the same path', async () => {
    const server = await startEverything('sse');
    processes.push(server);
    const u = http(server.url);
    u.start();
    const info = await u.whenReady(15_000);
    expect(info.protocolVersion).toMatch(/^202[45]-/);
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { message: 'sse' } }))).toContain('sse');
  });

  it('forced stateful against a stateless-only server fails with its -32022', async () => {
    const server = await startStatelessHttp();
    processes.push(server);
    const u = http(server.url, 'stateful');
    u.start();
    await reach(u, 'backoff');
    expect(u.status().lastError).toMatch(/Unsupported protocol version/);
  });

  it('forced stateless against an unreachable server backs off and says why', async () => {
    const port = await freePort();
    const u = http(`http://127.0.0.1:${port}/mcp`, 'stateless');
    u.start();
    await reach(u, 'backoff');
    expect(u.status().lastError).toBe(`cannot connect to http://127.0.0.1:${port}/mcp (connection refused)`);
  });

  it('a server in maintenance (503, Retry-After) is left alone as long as it asks, detected or forced', async () => {
    const down = createServer((_req, res) =>
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '3' }).end('maintenance'),
    );
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(down.address() as AddressInfo).port}/mcp`;
      for (const protocol of ['auto', 'stateless'] as const) {
        const u = http(url, protocol);
        u.start();
        await reach(u, 'backoff');
        expect(u.status().lastError).toMatch(/maintenance; it asks to wait 3 s before trying again \(Retry-After\)$/);
        // The backoff alone would try again in well under a second.
        expect(u.status().retryAt! - Date.now()).toBeGreaterThan(2500);
        await u.stop();
      }
    } finally {
      down.close();
    }
  });

  it('a server answering 500 to everything is not said to speak the stateful protocol', async () => {
    const broken = createServer((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('db down'));
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    try {
      const u = http(`http://127.0.0.1:${(broken.address() as AddressInfo).port}/mcp`);
      u.start();
      await reach(u, 'backoff');
      expect(u.status().lastError).toMatch(/db down/);
      expect(logs.join('\n')).not.toMatch(/speaks the stateful protocol/);
    } finally {
      broken.close();
    }
  });
});

describe('classifyProbe', () => {
  const rpcError = (code: number, data?: unknown) =>
    new GatewayError('upstream_error', 'x', { rpc: { code, message: 'm', ...(data === undefined ? {} : { data }) } });

  it('reads a DiscoverResult', () => {
    expect(classifyProbe({ result: { supportedVersions: ['2026-07-28'] } }).era).toBe('stateless');
    expect(classifyProbe({ result: { supportedVersions: ['2027-01-01'] } }).era).toBe('unsupported');
    expect(classifyProbe({ result: { supportedVersions: ['2025-11-25'] } }).era).toBe('stateful');
  });

  it('recognises -32022 with data.supported, and nothing else, as a stateless answer', () => {
    expect(classifyProbe({ error: rpcError(-32022, { supported: ['2027-01-01'], requested: '2026-07-28' }) }).era).toBe(
      'unsupported',
    );
    expect(classifyProbe({ error: rpcError(-32022, { supported: ['2025-06-18', '2025-11-25'] }) }).era).toBe(
      'stateful',
    );
    expect(classifyProbe({ error: rpcError(-32022) }).era).toBe('stateful');
    expect(classifyProbe({ error: rpcError(-32601) }).era).toBe('stateful');
    expect(classifyProbe({ error: rpcError(-32002) }).era).toBe('stateful');
    expect(classifyProbe({ error: new GatewayError('request_timeout', 'slow') })).toEqual({
      era: 'stateful',
      reason: 'no answer to server/discover in time',
    });
  });
});
