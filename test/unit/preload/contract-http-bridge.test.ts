import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpBridge, type StreamState } from '../../../preload/contract/http-bridge.ts';

/** A port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the HTTP bridge', () => {
  it('answers untyped and unknown calls with a reply, never a throw', async () => {
    const bridge = createHttpBridge({ baseUrl: 'http://127.0.0.1:9/api', token: 'x'.repeat(16) });
    const call = bridge.call as (method: unknown, args: unknown) => Promise<unknown>;
    expect(await call(123, [])).toEqual({
      ok: false,
      error: { code: 'method_not_found', message: 'the control API has no method "123"' },
    });
    expect(await call('__proto__', [])).toMatchObject({ ok: false, error: { code: 'method_not_found' } });
    expect(await call('getStatus', null)).toEqual({
      ok: false,
      error: { code: 'invalid_request', message: 'getStatus: the arguments must be an array' },
    });
    expect(await call('restartServer', [42])).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', field: 'name' },
    });
  });

  it('says so when the gateway cannot be reached', async () => {
    const port = await closedPort();
    const bridge = createHttpBridge({ baseUrl: `http://127.0.0.1:${port}/api`, token: 'x'.repeat(16) });
    const reply = await bridge.call('getStatus', []);
    expect(reply).toMatchObject({
      ok: false,
      error: {
        code: 'gateway_unreachable',
        message: expect.stringContaining(`cannot reach Switchboard at http://127.0.0.1:${port}/api`),
      },
    });
  });

  it('fails a call the gateway takes in and never answers at its time limit, a long one at its own', async () => {
    // Accepts every connection and says nothing: a suspended gateway, or a tunnel whose link died.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const bridge = createHttpBridge({
        baseUrl: `http://127.0.0.1:${port}/api`,
        token: 'x'.repeat(16),
        callTimeoutMs: { normal: 200, long: 1500 },
      });
      const settled = (call: Promise<unknown>): Promise<unknown> =>
        Promise.race([call, new Promise((resolve) => setTimeout(() => resolve('waiting'), 700))]);
      const restart = bridge.call('restartServer', ['fx']);
      const replay = bridge.call('replayTraffic', ['1']);
      expect(await bridge.call('getStatus', [])).toEqual({
        ok: false,
        error: {
          code: 'gateway_unreachable',
          message:
            `Switchboard at http://127.0.0.1:${port}/api did not answer in 0.2 s: the gateway may be suspended, or ` +
            'the connection to it stalled',
        },
      });
      // A restart may take long (servers stop and start): it waits its own, longer, limit.
      expect(await settled(restart)).toBe('waiting');
      expect(await restart).toMatchObject({ ok: false, error: { message: expect.stringContaining('in 1.5 s') } });
      // A replay ends at its server's own time limit, which the gateway keeps: none here.
      expect(await settled(replay)).toBe('waiting');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('counts a stream that goes quiet for 2.5 keep-alive intervals as broken, and opens it again', async () => {
    const streams: ServerResponse[] = [];
    // Announces a keep-alive every 100 ms, then never writes again.
    const gateway = createHttpServer((_req, res) => {
      streams.push(res);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-keep-alive-ms': '100' });
      res.write(': connected\n\n');
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const { port } = gateway.address() as { port: number };
    const states: StreamState[] = [];
    const bridge = createHttpBridge({
      baseUrl: `http://127.0.0.1:${port}/api`,
      token: 'x'.repeat(16),
      reconnect: { initialMs: 10, maxMs: 10 },
      onStreamState: (state) => states.push(state),
    });
    const since = Date.now();
    try {
      bridge.on('status', () => undefined);
      await waitUntil(() => states.includes('unreachable'));
      expect(Date.now() - since).toBeGreaterThanOrEqual(240);
      expect(states).toEqual(['open', 'unreachable']);
      // And it tries again, as after any break: a second stream is asked for.
      await waitUntil(() => streams.length >= 2);
    } finally {
      bridge.close();
      for (const res of streams) res.destroy();
      gateway.closeAllConnections();
      await new Promise((resolve) => gateway.close(resolve));
    }
  });
});

async function waitUntil(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
