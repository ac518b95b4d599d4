import { describe, expect, it, vi } from 'vitest';
import { GATEWAY_CHANNELS } from '../../../../main/app/ipc/channels.ts';
import { createIpcHandlers, createSenderCheck, IpcCallError, MAX_STRING_ARG, type IpcHandler, type IpcSender } from '../../../../main/app/ipc/dispatch.ts';
import type { GatewayChannel } from '../../../../preload/contract/channels.ts';
import type { GatewayApi, PromptAnswerDto, ServerDto } from '../../../../preload/contract/gateway-api.ts';

const TRUSTED: IpcSender = { webContentsId: 1, frameUrl: 'switchboard://app/index.html', isMainFrame: true };
const SERVERS: ServerDto[] = [{ name: 'github', kind: 'stdio', state: 'ready', restarts: 0, toolCount: 3, pid: 42 }];

function fakeApi() {
  return {
    getStatus: vi.fn(async () => ({ version: '0.1.0', configPath: '/tmp/c.json', listen: ['http://127.0.0.1:1/mcp'] })),
    listServers: vi.fn(async () => SERVERS),
    listTools: vi.fn(async (_server?: string) => []),
    restartServer: vi.fn(async (_name: string) => undefined),
    getServerLog: vi.fn(async (_name: string) => ['line 1']),
    listPrompts: vi.fn(async () => []),
    answerPrompt: vi.fn(async (_id: string, _answer: PromptAnswerDto) => undefined),
  } satisfies GatewayApi;
}

function setup(trusted = true) {
  const api = fakeApi();
  const handlers = createIpcHandlers(api, () => trusted);
  const handler = (channel: GatewayChannel): IpcHandler => {
    const h = handlers.get(channel);
    if (h === undefined) throw new Error(`no handler for ${channel}`);
    return h;
  };
  return { api, handlers, handler };
}

describe('IPC dispatch', () => {
  it('has exactly one handler per contract channel', () => {
    const { handlers } = setup();
    expect([...handlers.keys()].sort()).toEqual(Object.values(GATEWAY_CHANNELS).sort());
  });

  it('forwards a good call and returns its result', async () => {
    const { api, handler } = setup();
    await expect(handler('switchboard:list-servers')(TRUSTED, [])).resolves.toEqual(SERVERS);
    await expect(handler('switchboard:get-server-log')(TRUSTED, ['github'])).resolves.toEqual(['line 1']);
    await handler('switchboard:restart-server')(TRUSTED, ['github']);
    expect(api.restartServer).toHaveBeenCalledWith('github');
    expect(api.getServerLog).toHaveBeenCalledWith('github');
  });

  it('accepts the optional argument of listTools present, absent or undefined', async () => {
    const { api, handler } = setup();
    await handler('switchboard:list-tools')(TRUSTED, []);
    await handler('switchboard:list-tools')(TRUSTED, [undefined]);
    await handler('switchboard:list-tools')(TRUSTED, ['github']);
    expect(api.listTools.mock.calls).toEqual([[], [], ['github']]);
  });

  it('rejects an unknown sender without calling the API', async () => {
    const { api, handler } = setup(false);
    const call = handler('switchboard:restart-server')(TRUSTED, ['github']);
    await expect(call).rejects.toBeInstanceOf(IpcCallError);
    await expect(call).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringContaining('untrusted sender') });
    expect(api.restartServer).not.toHaveBeenCalled();
  });

  it.each([
    ['switchboard:restart-server', [], 'switchboard:restart-server expects 1 argument (name), got 0'],
    ['switchboard:restart-server', ['a', 'b'], 'switchboard:restart-server expects 1 argument (name), got 2'],
    ['switchboard:restart-server', [42], 'switchboard:restart-server: argument "name" must be a non-empty string, got number'],
    ['switchboard:restart-server', [''], 'switchboard:restart-server: argument "name" must be a non-empty string, got an empty string'],
    ['switchboard:get-server-log', [null], 'switchboard:get-server-log: argument "name" must be a non-empty string, got null'],
    ['switchboard:get-server-log', [{ toString: 'x' }], 'switchboard:get-server-log: argument "name" must be a non-empty string, got object'],
    ['switchboard:list-tools', [['github']], 'switchboard:list-tools: argument "server" must be a non-empty string, got an array'],
    ['switchboard:list-tools', ['a', 'b'], 'switchboard:list-tools expects 0 to 1 arguments (server), got 2'],
    ['switchboard:get-status', ['extra'], 'switchboard:get-status expects no arguments, got 1'],
    ['switchboard:list-servers', [1], 'switchboard:list-servers expects no arguments, got 1'],
  ] as const)('rejects bad arguments on %s %j with a clear message', async (channel, args, message) => {
    const { api, handler } = setup();
    await expect(handler(channel)(TRUSTED, args)).rejects.toMatchObject({ name: 'IpcCallError', code: 'invalid_request', message });
    for (const fn of Object.values(api)) expect(fn).not.toHaveBeenCalled();
  });

  it('rejects over-long strings', async () => {
    const { handler } = setup();
    await expect(handler('switchboard:restart-server')(TRUSTED, ['x'.repeat(MAX_STRING_ARG + 1)])).rejects.toThrow(/longer than 256 characters/);
    await expect(handler('switchboard:restart-server')(TRUSTED, ['x'.repeat(MAX_STRING_ARG)])).resolves.toBeUndefined();
  });

  it('forwards prompt calls: list, and answer with an object after a non-empty id', async () => {
    const { api, handler } = setup();
    await expect(handler('switchboard:list-prompts')(TRUSTED, [])).resolves.toEqual([]);
    await handler('switchboard:answer-prompt')(TRUSTED, ['p1', { action: 'decline' }]);
    expect(api.answerPrompt).toHaveBeenCalledWith('p1', { action: 'decline' });
    await expect(handler('switchboard:answer-prompt')(TRUSTED, ['p1'])).rejects.toMatchObject({ message: 'switchboard:answer-prompt expects 2 arguments (id, answer), got 1' });
    await expect(handler('switchboard:answer-prompt')(TRUSTED, ['p1', 'accept'])).rejects.toMatchObject({ message: 'switchboard:answer-prompt: argument "answer" must be an object, got string' });
    await expect(handler('switchboard:answer-prompt')(TRUSTED, ['p1', [{ action: 'accept' }]])).rejects.toMatchObject({ message: 'switchboard:answer-prompt: argument "answer" must be an object, got an array' });
    await expect(handler('switchboard:answer-prompt')(TRUSTED, ['', { action: 'accept' }])).rejects.toMatchObject({ code: 'invalid_request' });
    expect(api.answerPrompt).toHaveBeenCalledTimes(1);
  });

  it('passes API failures through unchanged', async () => {
    const { api, handler } = setup();
    api.restartServer.mockRejectedValueOnce(new Error('unknown server "nope"'));
    await expect(handler('switchboard:restart-server')(TRUSTED, ['nope'])).rejects.toThrow('unknown server "nope"');
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
