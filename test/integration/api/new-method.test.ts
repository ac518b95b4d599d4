/**
 * What the method table promises: a new API method is one table entry plus its implementation,
 * and it appears in both bindings — routed, validated, with typed errors. This test adds a method
 * the app does not have (a table entry and an implementation, nothing else) and uses it over HTTP
 * and over IPC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiRoutes } from '../../../main/engine/api/http-binding.ts';
import type { HttpListener } from '../../../main/engine/downstream/http-server.ts';
import { GatewayError, createApiDispatcher, type Gateway } from '../../../main/engine/index.ts';
import {
  GatewayApiError,
  METHODS,
  createApiClient,
  type GatewayApi,
  type MethodTable,
} from '../../../preload/contract/index.ts';
import { createHttpBridge } from '../../../preload/contract/http-bridge.ts';
import { ipcApi, listenApi, type ApiClient } from '../../helpers/api-clients.ts';
import { fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

interface ExtendedApi extends GatewayApi {
  /** One server in words. */
  describeServer(name: string, detail?: 'short' | 'long'): Promise<{ name: string; text: string }>;
}

const TABLE = {
  ...METHODS,
  describeServer: {
    channel: 'switchboard:describe-server',
    http: { method: 'GET', path: '/servers/:name/describe' },
    params: ['name', 'detail?'],
    args: z.tuple([z.string().min(1), z.enum(['short', 'long']).optional()]),
  },
} as const satisfies MethodTable<ExtendedApi>;

const TOKEN = 'a-test-token-of-enough-length';

describe('a method added to the table', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let listener: HttpListener;
  let clients: [string, ApiClient<ExtendedApi>][];
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }), {
      http: false,
    });
    await gateway.upstream('fx')!.whenReady(20_000);
    const api: ExtendedApi = {
      ...gateway.api,
      async describeServer(name, detail = 'short') {
        const server = (await gateway.api.listServers()).find((s) => s.name === name);
        if (!server) throw new GatewayError('not_found', `no server named "${name}"`);
        return { name, text: detail === 'long' ? `${name} is ${server.state}, ${server.kind}` : server.state };
      },
    };
    const routes = createApiRoutes<ExtendedApi>({
      dispatch: createApiDispatcher<ExtendedApi>({ api, table: TABLE }),
      table: TABLE,
      events: gateway.events,
      token: TOKEN,
    });
    listener = await listenApi(routes);
    closers.push(
      () => routes.close(),
      () => listener.close(),
    );
    const http = createApiClient<ExtendedApi>(
      createHttpBridge<ExtendedApi>({ baseUrl: `http://127.0.0.1:${listener.port}/api`, token: TOKEN, table: TABLE }),
      TABLE,
    );
    const ipc = await ipcApi<ExtendedApi>(gateway, { api, table: TABLE });
    closers.push(() => ipc.close());
    clients = [
      ['http', http],
      ['ipc', ipc.client],
    ];
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('answers over both bindings, optional argument and all', async () => {
    for (const [binding, api] of clients) {
      expect(await api.describeServer('fx'), binding).toEqual({ name: 'fx', text: 'ready' });
      expect(await api.describeServer('fx', 'long'), binding).toEqual({ name: 'fx', text: 'fx is ready, stdio' });
      // The rest of the API is still there.
      expect((await api.getStatus()).version, binding).toBe('test');
    }
  });

  it('validates its arguments and reports its errors the same way on both', async () => {
    const untyped = (api: ApiClient<ExtendedApi>) =>
      api as unknown as { describeServer(...args: unknown[]): Promise<unknown> };
    for (const [binding, api] of clients) {
      const errors = await Promise.all(
        [
          untyped(api).describeServer('fx', 'medium'),
          untyped(api).describeServer(7),
          untyped(api).describeServer(),
          api.describeServer('nope'),
        ].map((call) =>
          call.then(
            () => 'resolved',
            (err: GatewayApiError) => [err.constructor.name, err.code, err.field, err.message],
          ),
        ),
      );
      expect(errors, binding).toEqual([
        ['GatewayApiError', 'invalid_request', 'detail', 'describeServer: "detail" must be one of "short", "long"'],
        ['GatewayApiError', 'invalid_request', 'name', 'describeServer: "name" must be text'],
        [
          'GatewayApiError',
          'invalid_request',
          undefined,
          'describeServer takes 1 to 2 arguments (name, detail), got 0',
        ],
        ['GatewayApiError', 'not_found', undefined, 'no server named "nope"'],
      ]);
    }
  });

  it('is a plain HTTP route too, with its status codes', async () => {
    const base = `http://127.0.0.1:${listener.port}/api`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const ok = await fetch(`${base}/servers/fx/describe?detail=long`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ name: 'fx', text: 'fx is ready, stdio' });
    const missing = await fetch(`${base}/servers/nope/describe`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'no server named "nope"' },
    });
    const wrongMethod = await fetch(`${base}/servers/fx/describe`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });
});
