import { describe, expect, it } from 'vitest';
import { missingCapability } from '../../../../main/engine/protocol/capabilities.ts';

describe('what a client lacks to be asked a request', () => {
  const form = { mode: 'form', message: 'm', requestedSchema: { type: 'object', properties: {} } };
  const url = { mode: 'url', message: 'm', url: 'https://example.com', elicitationId: 'e' };

  it('elicitation: the capability, then the mode (an empty capability means form only)', () => {
    expect(missingCapability({}, 'elicitation/create', form)).toBe('elicitation');
    expect(missingCapability({ elicitation: {} }, 'elicitation/create', form)).toBeUndefined();
    expect(missingCapability({ elicitation: {} }, 'elicitation/create', url)).toBe('elicitation.url');
    expect(missingCapability({ elicitation: { form: {} } }, 'elicitation/create', url)).toBe('elicitation.url');
    expect(missingCapability({ elicitation: { url: {} } }, 'elicitation/create', form)).toBe('elicitation.form');
    expect(missingCapability({ elicitation: { url: {}, form: {} } }, 'elicitation/create', url)).toBeUndefined();
  });

  it('sampling with tools needs sampling.tools; roots needs roots; anything else needs nothing', () => {
    const messages = [{ role: 'user', content: { type: 'text', text: 'hi' } }];
    expect(missingCapability({ sampling: {} }, 'sampling/createMessage', { messages })).toBeUndefined();
    expect(missingCapability({ sampling: {} }, 'sampling/createMessage', { messages, tools: [] })).toBe(
      'sampling.tools',
    );
    expect(missingCapability({ sampling: { tools: {} } }, 'sampling/createMessage', { messages, tools: [] })).toBe(
      undefined,
    );
    const choice = { messages, toolChoice: { mode: 'none' } };
    expect(missingCapability({ sampling: {} }, 'sampling/createMessage', choice)).toBe('sampling.tools');
    expect(missingCapability({}, 'roots/list', {})).toBe('roots');
    expect(missingCapability({}, 'ping', {})).toBeUndefined();
    expect(missingCapability(JSON.parse('{"__proto__":{"elicitation":{}}}'), 'elicitation/create', form)).toBe(
      'elicitation',
    );
  });
});
