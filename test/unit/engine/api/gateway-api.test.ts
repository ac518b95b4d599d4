import { describe, expect, it } from 'vitest';
import { createEngineApi } from '../../../../main/engine/api/gateway-api.ts';
import { PromptBroker } from '../../../../main/engine/elicitation/index.ts';
import type { Gateway } from '../../../../main/engine/gateway.ts';

describe('createEngineApi: prompts', () => {
  it('lists and answers the broker\'s prompts', async () => {
    const broker = new PromptBroker();
    // The prompt methods never touch the gateway.
    const api = createEngineApi({} as Gateway, 'test', broker);
    const asked = broker.ask({ server: 's', method: 'elicitation/create', params: { message: 'ok?', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }, reason: 'r' }, { timeoutMs: 10_000 });
    const [prompt] = await api.listPrompts();
    expect(prompt).toMatchObject({ server: 's', kind: 'elicitation', mode: 'form', message: 'ok?' });
    await expect(api.answerPrompt(prompt!.id, { action: 'accept', content: {} })).rejects.toMatchObject({ code: 'invalid_request', field: 'ok', message: 'field "ok" is required' });
    await expect(api.answerPrompt('nope', { action: 'decline' })).rejects.toMatchObject({ code: 'not_found' });
    await api.answerPrompt(prompt!.id, { action: 'accept', content: { ok: true } });
    await expect(asked).resolves.toEqual({ action: 'accept', content: { ok: true } });
    await expect(api.listPrompts()).resolves.toEqual([]);
  });
});
