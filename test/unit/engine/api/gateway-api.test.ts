import { describe, expect, it } from 'vitest';
import { createGatewayApi, type ApiHost } from '../../../../main/engine/api/gateway-api.ts';
import { QuestionBroker } from '../../../../main/engine/elicitation/index.ts';

describe('createGatewayApi: questions', () => {
  it("lists and answers the broker's questions", async () => {
    const broker = new QuestionBroker();
    // The question methods never touch the host.
    const api = createGatewayApi({} as ApiHost, 'test', broker);
    const asked = broker.ask(
      {
        server: 's',
        method: 'elicitation/create',
        params: {
          message: 'ok?',
          requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
        },
        reason: 'r',
      },
      { timeoutMs: 10_000 },
    );
    const [question] = await api.listQuestions();
    expect(question).toMatchObject({ server: 's', kind: 'elicitation', mode: 'form', message: 'ok?' });
    await expect(api.answerQuestion(question!.id, { action: 'accept', content: {} })).rejects.toMatchObject({
      code: 'invalid_request',
      field: 'ok',
      message: 'field "ok" is required',
    });
    await expect(api.answerQuestion('nope', { action: 'decline' })).rejects.toMatchObject({ code: 'not_found' });
    await api.answerQuestion(question!.id, { action: 'accept', content: { ok: true } });
    await expect(asked).resolves.toEqual({ action: 'accept', content: { ok: true } });
    await expect(api.listQuestions()).resolves.toEqual([]);
  });
});
