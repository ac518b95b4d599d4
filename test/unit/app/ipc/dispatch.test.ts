import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers, createSenderCheck, type IpcSender } from '../../../../main/app/ipc/dispatch.ts';
import { createApiDispatcher, GatewayError, type Gateway } from '../../../../main/engine/index.ts';
import { MAX_CALL_BYTES, METHODS, type GatewayApi } from '../../../../preload/contract/index.ts';
import { startGateway, tempDir, writeConfig } from '../../../helpers/gateway.ts';

const TRUSTED: IpcSender = { webContentsId: 1, frameUrl: 'switchboard://app/index.html', isMainFrame: true };

/** Records what reached the API; the handlers under test sit in front of it. */
function setup(trusted = true) {
  const calls: string[] = [];
  const api: GatewayApi = {
    getStatus: async () => ({
      version: '0.1.0',
      configPath: '/tmp/c.json',
      listen: [],
      paused: false,
      trafficRecording: true,
    }),
    listServers: async () => [],
    listTools: async (server) => {
      calls.push(`listTools(${String(server)})`);
      return [];
    },
    setPaused: async () => undefined,
    loginServer: async () => ({ opened: false }),
    completeLogin: async () => undefined,
    cancelLogin: async () => undefined,
    logoutServer: async () => undefined,
    restartServer: async (name) => {
      calls.push(`restartServer(${name})`);
      if (name === 'nope') throw new GatewayError('not_found', 'no server named "nope"');
    },
    addServer: async (name) => {
      calls.push(`addServer(${name})`);
    },
    renameServer: async (name, newName) => {
      calls.push(`renameServer(${name}, ${newName})`);
    },
    removeServer: async (name) => {
      calls.push(`removeServer(${name})`);
    },
    getSettings: async () => ({ trafficEnabled: true, historyDays: 3, historyMaxBytes: 1 }),
    changeSettings: async () => {},
    listSessions: async () => [],
    listProfiles: async () => [],
    saveProfile: async () => {},
    removeProfile: async () => {},
    listSecrets: async () => ({ store: 'the memory secret store', secrets: [] }),
    setSecret: async () => {},
    deleteSecret: async () => {},
    listClients: async () => [],
    previewInstall: async () => ({ path: '/x', diff: '', fingerprint: '', warnings: [] }),
    installClient: async () => ({ path: '/x', written: false }),
    uninstallClient: async () => ({ path: '/x', written: false }),
    previewAdoption: async () => ({
      clientPath: '/x',
      configPath: '/y',
      adoptable: [],
      moving: [],
      alreadyInConfig: [],
      warnings: [],
      clientDiff: '',
      configDiff: '',
    }),
    adoptServers: async () => ({ moved: [], note: '' }),
    restoreClient: async () => ({ path: '/x', action: 'unchanged' }),
    getServerEntry: async () => ({}),
    updateServer: async () => {},
    setServerEnabled: async () => {},
    listServerTools: async () => [],
    setToolOptions: async () => {},
    getServerLog: async () => [],
    listQuestions: async () => [],
    answerQuestion: async () => undefined,
    listTraffic: async () => ({ entries: [] }),
    getTrafficTree: async (id) => {
      throw new GatewayError('not_found', `no exchange "${id}"`);
    },
    getTrafficStats: async () => ({ since: 0, until: 0, servers: [], tools: [], toolCalls: { calls: 0, failed: 0 } }),
    exportTraffic: async (format) => ({
      format,
      fileName: 'x',
      contentType: 'application/json',
      text: '',
      entries: 0,
      truncated: false,
    }),
    replayTraffic: async () => ({ id: 'x', outcome: 'ok' }),
  };
  const handlers = createIpcHandlers(createApiDispatcher({ api }), () => trusted);
  return { calls, handler: (channel: string) => handlers.get(channel)!, handlers };
}

describe('IPC handlers', () => {
  it('has exactly one handler per method of the table, on its channel', () => {
    const { handlers } = setup();
    expect([...handlers.keys()].sort()).toEqual(
      Object.values(METHODS)
        .map((m) => m.channel)
        .sort(),
    );
  });

  it('answers a reply: the result, or the error with its code', async () => {
    const { handler, calls } = setup();
    expect(await handler('switchboard:restart-server')(TRUSTED, ['github'])).toEqual({ ok: true, result: undefined });
    expect(await handler('switchboard:restart-server')(TRUSTED, ['nope'])).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'no server named "nope"' },
    });
    expect(calls).toEqual(['restartServer(github)', 'restartServer(nope)']);
  });

  it('refuses an untrusted sender without calling the API', async () => {
    const { handlers, calls } = setup(false);
    for (const [channel, handler] of handlers) {
      const reply = await handler({ ...TRUSTED, frameUrl: 'https://evil.example/' }, ['x']);
      expect(reply, channel).toEqual({
        ok: false,
        error: {
          code: 'unauthorized',
          message: `${channel}: refused a call from an untrusted sender (https://evil.example/)`,
        },
      });
    }
    expect(calls).toEqual([]);
  });

  it('checks arguments against the table before the API sees them', async () => {
    const { handler, calls } = setup();
    expect(await handler('switchboard:list-tools')(TRUSTED, [])).toEqual({ ok: true, result: [] });
    expect(await handler('switchboard:list-tools')(TRUSTED, [undefined])).toEqual({ ok: true, result: [] });
    expect(await handler('switchboard:restart-server')(TRUSTED, [{ name: 'github' }])).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', field: 'name' },
    });
    expect(await handler('switchboard:restart-server')(TRUSTED, ['x'.repeat(257)])).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', field: 'name' },
    });
    expect(await handler('switchboard:answer-question')(TRUSTED, ['id', null])).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', field: 'answer' },
    });
    expect(calls).toEqual(['listTools(undefined)', 'listTools(undefined)']);
  });
});

describe('IPC arguments a hostile page sends, into a real gateway', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;
  // Electron's structured clone hands main what the page sent, cycles, BigInt and any size included.
  const call = (channel: string, ...args: unknown[]) =>
    createIpcHandlers(gateway.dispatch, () => true).get(channel)!(TRUSTED, structuredClone(args));

  beforeAll(async () => {
    dir = await tempDir('sb-ipc-args-');
    config = await writeConfig(dir.dir, { mcpServers: {} });
    gateway = await startGateway(config, { http: false });
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('refuses arguments over the /api body limit before the config file is touched', async () => {
    const before = await readFile(config, 'utf8');
    const huge = { command: 'node', args: ['x'.repeat(MAX_CALL_BYTES)] };
    expect(await call('switchboard:add-server', 'huge', huge)).toEqual({
      ok: false,
      error: {
        code: 'message_too_large',
        message: `addServer: the arguments are over the ${MAX_CALL_BYTES}-byte limit`,
        field: 'entry',
      },
    });
    expect(await readFile(config, 'utf8')).toBe(before);
  });

  it('refuses what JSON cannot carry as a mistake of the caller, naming the argument', async () => {
    const cycle: Record<string, unknown> = { command: 'node' };
    cycle.self = cycle;
    expect(await call('switchboard:add-server', 'loop', cycle)).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_request',
        field: 'entry',
        message: expect.stringMatching(/^addServer: "entry" is not JSON/),
      },
    });
    expect(await call('switchboard:add-server', 'big', { command: 'node', env: { N: 10n } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', field: 'entry' },
    });
  });

  it('reads the rest as JSON would: a Map is an empty object, a left-out argument stays left out', async () => {
    expect(await call('switchboard:add-server', 'mapped', { command: 'node', env: new Map([['A', '1']]) })).toEqual({
      ok: true,
      result: undefined,
    });
    expect(await call('switchboard:get-server-entry', 'mapped')).toEqual({
      ok: true,
      result: { command: 'node', env: {} },
    });
    expect(await call('switchboard:list-tools', undefined)).toEqual({ ok: true, result: [] });
  });
});

describe('sender check', () => {
  const isAppUrl = (url: string) => url.startsWith('switchboard://app/');
  const check = createSenderCheck(isAppUrl, (id) => id === 1);

  it('trusts the main frame of our window showing an app page', () => {
    expect(check(TRUSTED)).toBe(true);
  });

  it.each([
    ['another webContents', { ...TRUSTED, webContentsId: 2 }],
    ['an iframe', { ...TRUSTED, isMainFrame: false }],
    ['a remote page', { ...TRUSTED, frameUrl: 'https://evil.example/' }],
    ['a file page', { ...TRUSTED, frameUrl: 'file:///tmp/index.html' }],
    ['a destroyed frame', { ...TRUSTED, frameUrl: null }],
  ])('refuses %s', (_label, sender) => {
    expect(check(sender)).toBe(false);
  });
});
