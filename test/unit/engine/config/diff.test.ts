import { describe, expect, it } from 'vitest';
import { diffConfigs, emptyConfig, parseConfigText, type ConfigInput } from '../../../../main/engine/config/index.ts';

const load = (input: ConfigInput) => parseConfigText(JSON.stringify(input), 'config.json').config;

const base: ConfigInput = {
  mcpServers: {
    a: { command: 'a', args: ['1'], env: { X: '1', Y: '2' } },
    b: { url: 'https://b.example/mcp' },
    c: { command: 'c' },
  },
  profiles: { work: { servers: ['a'] } },
};

describe('diffConfigs', () => {
  it('finds nothing to do for the same config, even with keys reordered', () => {
    // Server order is kept (it is the listing order of the default profile); key order is not.
    const reordered: ConfigInput = {
      profiles: { work: { servers: ['a'] } },
      mcpServers: {
        a: { env: { Y: '2', X: '1' }, args: ['1'], command: 'a' },
        b: { url: 'https://b.example/mcp' },
        c: { command: 'c' },
      },
    };
    expect(diffConfigs(load(base), load(reordered))).toEqual({
      added: [],
      removed: [],
      changed: [],
      unchanged: ['a', 'b', 'c'],
      profilesChanged: false,
      profiles: { added: [], removed: [], changed: [] },
      listenChanged: false,
      httpListenChanged: false,
      socketListenChanged: false,
      settingsChanged: false,
    });
  });

  it('sorts servers into added, removed, changed and unchanged', () => {
    const next: ConfigInput = {
      mcpServers: {
        a: { command: 'a', args: ['2'], env: { X: '1', Y: '2' } },
        b: { url: 'https://b.example/mcp' },
        d: { command: 'd' },
      },
      profiles: { work: { servers: ['a'] } },
    };
    const diff = diffConfigs(load(base), load(next));
    expect(diff).toMatchObject({ added: ['d'], removed: ['c'], changed: ['a'], unchanged: ['b'] });
    // The implicit default profile follows the server list.
    expect(diff.profilesChanged).toBe(true);
  });

  it('counts defaults as written: an explicit default value is no change', () => {
    const explicit: ConfigInput = {
      ...base,
      mcpServers: { ...base.mcpServers, c: { command: 'c', disabled: false, isolated: false, timeoutMs: 60_000 } },
      listen: { http: { host: '127.0.0.1', port: 8787 }, socket: true },
      timeouts: { requestMs: 60_000 },
    };
    expect(diffConfigs(load(base), load(explicit))).toMatchObject({
      changed: [],
      listenChanged: false,
      settingsChanged: false,
    });
  });

  it('treats filters, disabled and timeouts as changes to the server', () => {
    const prev = load(base);
    expect(
      diffConfigs(
        prev,
        load({ ...base, mcpServers: { ...base.mcpServers, c: { command: 'c', tools: { deny: ['x'] } } } }),
      ).changed,
    ).toEqual(['c']);
    expect(
      diffConfigs(prev, load({ ...base, mcpServers: { ...base.mcpServers, c: { command: 'c', disabled: true } } }))
        .changed,
    ).toEqual(['c']);
    // A global timeout change reaches every server that does not set its own.
    const slower = diffConfigs(prev, load({ ...base, timeouts: { requestMs: 1000 } }));
    expect(slower.changed).toEqual(['a', 'b', 'c']);
    expect(slower.settingsChanged).toBe(true);
  });

  it('flags profile, listener and settings changes separately', () => {
    const prev = load(base);
    expect(diffConfigs(prev, load({ ...base, profiles: { work: { servers: ['a', 'b'] } } }))).toMatchObject({
      unchanged: ['a', 'b', 'c'],
      profilesChanged: true,
      listenChanged: false,
      settingsChanged: false,
    });
    expect(diffConfigs(prev, load({ ...base, listen: { http: false } }))).toMatchObject({
      listenChanged: true,
      httpListenChanged: true,
      socketListenChanged: false,
      settingsChanged: false,
    });
    expect(diffConfigs(prev, load({ ...base, listen: { socket: false } }))).toMatchObject({
      httpListenChanged: false,
      socketListenChanged: true,
    });
    expect(diffConfigs(prev, load({ ...base, namespaceSeparator: '_' }))).toMatchObject({
      settingsChanged: true,
      listenChanged: false,
    });
    expect(diffConfigs(prev, load({ ...base, limits: { maxResponseBytes: 1 } }))).toMatchObject({
      settingsChanged: true,
    });
  });

  it('starts everything when coming from the empty config', () => {
    expect(diffConfigs(emptyConfig(), load(base))).toMatchObject({ added: ['a', 'b', 'c'], removed: [], changed: [] });
  });
});
