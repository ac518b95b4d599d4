/**
 * A question a server asks during a call lives exactly as long as it can still be answered: the
 * call's timeout is held while a person (or the client) answers, and runs again in full from the
 * answer; when the call ends first (the client cancelled it, or went away) or the server's
 * process dies, the question is withdrawn from the app rather than left to take an answer that
 * goes nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import type { Question } from '../../../preload/contract/index.ts';
import {
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { statelessPost } from '../../helpers/stateless.ts';

const TIMEOUT_MS = 1500;

describe('the life of a question asked during a call', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  const asked = async (): Promise<Question> =>
    waitFor(async () => (await gateway.api.listQuestions()).find((q) => q.server === 'fx'), 10_000, 'the question');
  const none = () => waitFor(async () => (await gateway.api.listQuestions()).length === 0, 10_000, 'no question left');

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, { mcpServers: { fx: { ...fixtureServer('fx'), timeoutMs: TIMEOUT_MS } } }),
    );
    // No elicitation capability: the gateway asks the user in the app.
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it("holds the call's timeout while the question waits, then gives the server its full time again", async () => {
    const call = client.callTool({ name: 'fx__ask', arguments: { thenMs: TIMEOUT_MS / 2 } }, undefined, {
      timeout: 30_000,
    });
    const question = await asked();
    // Well past the server's timeout, the call still waits for the person.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 2));
    expect(await gateway.api.listQuestions()).toHaveLength(1);
    await gateway.api.answerQuestion(question.id, { action: 'accept', content: { name: 'Ada' } });
    expect(textOf(await call)).toBe('hello Ada');
  });

  it('holds it too while a 2026-07-28 client takes its time to answer (the call waits parked)', async () => {
    const caps = { capabilities: { elicitation: {} } };
    const first = await statelessPost(gateway.httpUrl()!, 'tools/call', { name: 'fx__ask', arguments: {} }, caps);
    const round = first.body.result as { resultType: string; requestState: string; inputRequests: object };
    expect(round.resultType).toBe('input_required');
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 1.5));
    const [key] = Object.keys(round.inputRequests);
    const second = await statelessPost(
      gateway.httpUrl()!,
      'tools/call',
      {
        name: 'fx__ask',
        arguments: {},
        inputResponses: { [key!]: { action: 'accept', content: { name: 'Lin' } } },
        requestState: round.requestState,
      },
      caps,
    );
    expect(textOf(second.body.result)).toBe('hello Lin');
  });

  it('keeps the question while another call of the same client on that server ends first', async () => {
    // A stdio server does not say which call its question belongs to: it may be either of the two.
    const call = client.callTool({ name: 'fx__ask', arguments: { beforeMs: 300 } }, undefined, { timeout: 30_000 });
    const other = client.callTool({ name: 'fx__slow', arguments: { steps: 1, delayMs: 600 } });
    const question = await asked();
    expect(textOf(await other)).toBe('done after 1 steps');
    await new Promise((r) => setTimeout(r, 200));
    expect(await gateway.api.listQuestions()).toHaveLength(1);
    await gateway.api.answerQuestion(question.id, { action: 'accept', content: { name: 'Ada' } });
    expect(textOf(await call)).toBe('hello Ada');
  });

  it('withdraws the question when the client cancels the call', async () => {
    const abort = new AbortController();
    const call = client.callTool({ name: 'fx__ask', arguments: {} }, undefined, { signal: abort.signal });
    await asked();
    abort.abort();
    await expect(call).rejects.toThrow();
    await none();
  });

  it("withdraws the question when the server's process dies, and the server serves again", async () => {
    const call = client.callTool({ name: 'fx__ask', arguments: {} });
    await asked();
    const pid = (
      (await client.callTool({ name: 'fx__echo', arguments: { message: 'x' } })).structuredContent as { pid: number }
    ).pid;
    process.kill(pid, 'SIGKILL');
    await expect(call).rejects.toThrow(/server "fx" was killed/);
    await none();
    await waitFor(() => gateway.servers().find((s) => s.name === 'fx')?.state === 'ready', 15_000, 'fx again');
  });
});
