/** `switchboard call` on a JSON handler: the time limit of the call is the server's own; no session id. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { cliRun, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { jsonResponder, startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';

describe('switchboard call on a handler', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let handler: TestServer;
  let env: NodeJS.ProcessEnv;
  let config: string;
  const sessionIds: unknown[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    // Answers a call after 1.5 s.
    handler = await startHttpHandler(
      jsonResponder(async ({ envelope }) => {
        if (envelope.type === 'discover') return { tools: [{ name: 'report' }, { name: 'order' }] };
        if (envelope.name === 'order') {
          if (envelope.type === 'elicitation_cancelled') return {};
          return {
            elicit: { message: 'How many?', schema: { type: 'object', properties: { n: { type: 'integer' } } } },
          };
        }
        sessionIds.push(envelope.session_id);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return { content: [{ type: 'text', text: 'the report' }] };
      }),
    );
    config = await writeConfig(dir.dir, { mcpServers: { slow: { handler: handler.address, timeoutMs: 400 } } });
    env = {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    };
  });
  afterAll(async () => {
    await handler?.close();
    await dir?.cleanup();
  });

  it("gives the call the server's timeoutMs, not the command's 30 s wait for servers", async () => {
    const started = Date.now();
    const run = await cliRun(env, 'call', 'slow', 'report', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`server "slow": no complete reply from ${handler.address} within 400 ms`);
    expect(Date.now() - started).toBeLessThan(1500 + 5000);
  });

  it('--timeout given on the command line is the limit for the call too', async () => {
    const run = await cliRun(env, 'call', 'slow', 'report', '--config', config, '--timeout', '10000');
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('the report');
    expect(run.code).toBe(0);
    // docs/handler-contract.md: switchboard call is no client session.
    expect(sessionIds.at(-1)).toBeNull();
  });

  it('a tool that asks a question: no one is asked, gateway running or not; says where to call it', async () => {
    const run = await cliRun(env, 'call', 'slow', 'order', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      'Nobody could answer "How many?" (Switchboard cannot answer elicitation/create from server "slow": nobody is ' +
        'there to answer it: a one-shot command such as "switchboard call" starts the server itself and asks no ' +
        'one, even while Switchboard runs (call the tool from an AI client connected to Switchboard: the client ' +
        'shows the question, or the app does)), so order did not complete.',
    );
  });
});
