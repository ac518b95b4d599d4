import { describe, expect, it } from 'vitest';
import { profileCapabilities } from '../../../../main/engine/routing/capabilities.ts';

describe('profile capabilities', () => {
  it('offers lists with list_changed and nothing else when no member is known', () => {
    expect(profileCapabilities([])).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true },
    });
  });

  it('adds what at least one member supports, tasks merged', () => {
    const caps = profileCapabilities([
      { tools: {}, logging: {} },
      { resources: { subscribe: true }, completions: {}, tasks: { cancel: {}, requests: { tools: { call: {} } } } },
      { tasks: { requests: { sampling: { createMessage: {} } } } },
    ]);
    expect(caps).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      logging: {},
      completions: {},
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} }, sampling: { createMessage: {} } } },
    });
  });

  it('ignores malformed member capabilities', () => {
    expect(profileCapabilities([{ logging: true, completions: null, tasks: 'yes', resources: [] }])).toEqual(
      profileCapabilities([]),
    );
  });
});
