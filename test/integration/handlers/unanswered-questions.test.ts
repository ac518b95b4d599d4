/**
 * A handler's question that no person answered (the app had no room for it, or it expired there)
 * is not said to be the user's cancel: the handler gets `elicitation_cancelled` with `unsupported`,
 * as the contract says for "no one answered in the app", and the client's tool error says why.
 * A cancel the user gave in the app stays a cancel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { DEFAULT_MAX_PENDING } from '../../../main/engine/elicitation/broker.ts';
import { httpClient, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { jsonResponder, startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';

/** How many questions of one server the app holds at once. */
const SHARE = Math.floor(DEFAULT_MAX_PENDING / 4);

describe("a handler's question nobody answered", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let handler: TestServer;
  let gateway: Gateway;
  let client: Client;

  const cancelled = () => handler.received.filter((r) => r.envelope.type === 'elicitation_cancelled');

  beforeAll(async () => {
    handler = await startHttpHandler(
      jsonResponder(({ envelope }) => {
        if (envelope.type === 'discover') return { tools: [{ name: 'ask' }] };
        if (envelope.type === 'elicitation_cancelled') return {};
        return {
          elicit: {
            message: 'Your name?',
            schema: { type: 'object', properties: { n: { type: 'string' } } },
            context: { step: 1 },
          },
        };
      }),
    );
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { h: { handler: handler.address } } }));
    // No elicitation capability: its questions wait in the app.
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await handler?.close();
    await dir?.cleanup();
  });

  it('a cancel in the app is the user cancelling', async () => {
    const call = client.callTool({ name: 'h__ask', arguments: {} });
    const question = await waitFor(async () => (await gateway.api.listQuestions())[0], 10_000, 'the question');
    await gateway.api.answerQuestion(question.id, { action: 'cancel' });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('The user cancelled the question "Your name?", so ask did not complete.');
    expect(cancelled().at(-1)?.envelope).toMatchObject({ action: 'cancel', context: { step: 1 } });
  });

  it('one the app has no room for is unsupported, the client told why and not that the user cancelled', async () => {
    const waiting = Array.from({ length: SHARE }, () =>
      client.callTool({ name: 'h__ask', arguments: {} }).catch((err: unknown) => err),
    );
    await waitFor(
      async () => (await gateway.api.listQuestions()).length === SHARE,
      20_000,
      `${SHARE} questions waiting`,
    );
    const result = await client.callTool({ name: 'h__ask', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      `Nobody could answer "Your name?" ("h" already has ${SHARE} questions waiting for the user), ` +
        'so ask did not complete.',
    );
    expect(result._meta).toEqual({ 'switchboard/elicitation': { action: 'unsupported' } });
    expect(cancelled().at(-1)?.envelope).toMatchObject({
      type: 'elicitation_cancelled',
      name: 'ask',
      action: 'unsupported',
      context: { step: 1 },
    });
    for (const q of await gateway.api.listQuestions()) await gateway.api.answerQuestion(q.id, { action: 'decline' });
    await Promise.all(waiting);
  });
});
