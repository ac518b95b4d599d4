/**
 * The secret behind Switchboard's own listener token (`listen.http.token`), changed and removed
 * while `switchboard serve` runs, with a real keychain (gnome-keyring over a private D-Bus
 * session): the running gateway names the setting as what uses it, `switchboard secrets set`
 * rotates the token (clients with the old one are refused) and says so, and `secrets rm` says that
 * the config file cannot be applied without it, where it used to say nothing at all.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRunningGateway,
  createKeychainSecretStore,
  type RunningGatewayApi,
  type SecretStore,
} from '../../../main/engine/index.ts';
import {
  cliPiped,
  cliRun,
  fixtureServer,
  initializeWith,
  serveGateway,
  tempDir,
  writeConfig,
} from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from './keyring-session.ts';

/** A session begun with `token`: its id. */
async function sessionWith(url: string, token: string): Promise<string> {
  const res = await post(url, token, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'token-test', version: '1' } },
  });
  await res.body?.cancel();
  return res.headers.get('mcp-session-id')!;
}

function post(url: string, token: string, body: unknown, session?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: JSON.stringify(body),
  });
}

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)("the secret of the gateway's own listener token", () => {
  let keyring: KeyringSession;
  let dir: { dir: string; cleanup(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let store: SecretStore;
  let serve: ChildProcess;
  let url: string;
  let running: RunningGatewayApi;
  const first = randomBytes(16).toString('hex');
  const second = randomBytes(16).toString('hex');
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS;

  const tokenSecret = async () => (await running.api.listSecrets()).secrets.find((s) => s.name === 'switchboard-token');

  beforeAll(async () => {
    keyring = await startKeyringSession();
    // The keychain library of this process reads the bus address from its own environment.
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    dir = await tempDir('sb-listener-token-');
    const config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx') },
      listen: { http: { token: '${secret:switchboard-token}' } },
    });
    env = {
      ...process.env,
      ...keyring.env,
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      NO_COLOR: '1',
    };
    store = createKeychainSecretStore({ stateDir: env.SWITCHBOARD_STATE_DIR!, env });
    await store.set('switchboard-token', first);
    const served = await serveGateway(env);
    ({ child: serve, url } = served);
    running = (await connectRunningGateway(env))!;
  }, 40_000);

  afterAll(async () => {
    running?.close();
    serve?.kill('SIGKILL');
    await keyring?.close();
    await dir?.cleanup();
    if (bus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = bus;
  });

  it('the Secrets list says the listener token uses it', async () => {
    expect(await tokenSecret()).toEqual({
      name: 'switchboard-token',
      stored: true,
      usedBy: [],
      settings: ['listen.http.token'],
    });
    expect(await initializeWith(url, first)).toBe(200);
  });

  it('switchboard secrets set rotates the token through the running gateway, and says so', async () => {
    // A client's session and its event stream from before: the listener is not reopened for a new token,
    // which cut every HTTP client's connection and ended its session (the browser UI's live view too).
    const session = await sessionWith(url, first);
    const listening = new AbortController();
    const stream = await fetch(url, {
      headers: { authorization: `Bearer ${first}`, accept: 'text/event-stream', 'mcp-session-id': session },
      signal: listening.signal,
    });
    expect(stream.status).toBe(200);
    let streamEnded = false;
    void stream.body
      ?.pipeTo(new WritableStream())
      .catch(() => undefined)
      .finally(() => (streamEnded = true));
    const set = await cliPiped(env, `${second}\n`, 'secrets', 'set', 'switchboard-token');
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain(
      'The running gateway applied it to listen.http.token: MCP clients send this value as their token from now on.',
    );
    await expect.poll(() => initializeWith(url, second), { timeout: 5000 }).toBe(200);
    expect(await initializeWith(url, first)).toBe(401);
    // The session goes on with the new token; its stream is still open.
    const ping = await post(url, second, { jsonrpc: '2.0', id: 2, method: 'ping' }, session);
    expect(ping.status).toBe(200);
    expect(await ping.text()).toContain('"result":{}');
    expect((await post(url, first, { jsonrpc: '2.0', id: 3, method: 'ping' }, session)).status).toBe(401);
    expect(streamEnded).toBe(false);
    listening.abort();
  });

  it('switchboard secrets rm says the config cannot be applied without it; the list shows it missing', async () => {
    const removed = await cliRun(env, 'secrets', 'rm', 'switchboard-token');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(
      'Still referred to by listen.http.token: the config file cannot be applied without it (the running gateway ' +
        'keeps the config it has, and at its next start runs no server) until it is set again or the reference is ' +
        'taken out of the config.',
    );
    await expect
      .poll(async () => (await running.api.getStatus()).configError ?? '', { timeout: 5000 })
      .toMatch(/listen\.http\.token refers to \$\{secret:switchboard-token\}, which is not in the keychain/);
    expect(await tokenSecret()).toMatchObject({ stored: false, settings: ['listen.http.token'] });
    // The listener keeps the token it had.
    expect(await initializeWith(url, second)).toBe(200);
  });

  it('without a gateway, set and rm name the setting from the config file', async () => {
    running.close();
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
    const set = await cliPiped(env, first, 'secrets', 'set', 'switchboard-token');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(
      'Used by listen.http.token: MCP clients send this value as their token once the gateway starts.',
    );
    const removed = await cliRun(env, 'secrets', 'rm', 'switchboard-token');
    expect(removed.stdout).toContain(
      'Still referred to by listen.http.token: the config file cannot be applied without it (the gateway runs no ' +
        'server at its next start)',
    );
  });
});
