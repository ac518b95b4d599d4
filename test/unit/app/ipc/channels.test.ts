import { beforeAll, describe, expect, it, vi } from 'vitest';
import { GATEWAY_CHANNELS, GATEWAY_METHODS } from '../../../../main/app/ipc/channels.ts';
import type { GatewayApi } from '../../../../preload/contract/gateway-api.ts';

// The compiler (npm run typecheck) rejects this object unless it names every GatewayApi method
// and nothing else, so it is the runtime list of the interface's keys.
const API_METHODS = {
  getStatus: true,
  listServers: true,
  listTools: true,
  restartServer: true,
  getServerLog: true,
  listPrompts: true,
  answerPrompt: true,
} satisfies Record<keyof GatewayApi, true>;

const exposed = new Map<string, unknown>();
const invoke = vi.fn(async (..._args: unknown[]) => 'result');

// The real 'electron' module cannot load here (no runtime binary); the preload only needs these two.
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: { invoke: (...args: unknown[]) => invoke(...args) },
}));

const toKebab = (method: string) => method.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe('control API channels', () => {
  let preloadApi: Record<string, (...args: unknown[]) => Promise<unknown>>;

  beforeAll(async () => {
    await import('../../../../preload/index.ts');
    preloadApi = exposed.get('switchboard') as typeof preloadApi;
  });

  it('main has one channel per GatewayApi method, named switchboard:<kebab-case method>', () => {
    expect(Object.keys(GATEWAY_CHANNELS).sort()).toEqual(Object.keys(API_METHODS).sort());
    expect([...GATEWAY_METHODS].sort()).toEqual(Object.keys(API_METHODS).sort());
    for (const [method, channel] of Object.entries(GATEWAY_CHANNELS)) expect(channel).toBe(`switchboard:${toKebab(method)}`);
    expect(new Set(Object.values(GATEWAY_CHANNELS)).size).toBe(Object.keys(GATEWAY_CHANNELS).length);
  });

  it('the preload exposes exactly the GatewayApi methods as window.switchboard', () => {
    expect([...exposed.keys()]).toEqual(['switchboard']);
    expect(Object.keys(preloadApi).sort()).toEqual(Object.keys(API_METHODS).sort());
  });

  it('each preload method invokes the channel main handles, forwarding its arguments', async () => {
    for (const method of Object.keys(API_METHODS) as (keyof GatewayApi)[]) {
      invoke.mockClear();
      await expect(preloadApi[method]!('arg')).resolves.toBe('result');
      expect(invoke).toHaveBeenCalledWith(GATEWAY_CHANNELS[method], 'arg');
    }
    invoke.mockClear();
    await preloadApi.listTools!();
    expect(invoke).toHaveBeenCalledWith('switchboard:list-tools');
  });
});
