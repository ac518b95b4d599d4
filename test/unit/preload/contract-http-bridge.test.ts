import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpBridge } from '../../../preload/contract/http-bridge.ts';

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
});
