/**
 * A Python handler (http.server) making the mistakes people make, run for real: what the error
 * says must be enough to fix the handler without reading Switchboard's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { HandlerError } from '../../../main/engine/upstreams/handler/errors.ts';
import { createHandlerUpstream } from '../../../main/engine/upstreams/handler/handler-upstream.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import { startExample, type ExampleHandler } from '../../fixtures/handlers/example-process.ts';
import { cliRun, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { FAST_BACKOFF, specFor } from './helpers.ts';

describe('a Python handler that gets HTTP wrong', () => {
  let handler: ExampleHandler;
  let u: Upstream;
  beforeAll(async () => {
    handler = await startExample('python', 'test/fixtures/handlers/mistakes.py');
    u = createHandlerUpstream(specFor('py', handler.url, { timeoutMs: 5000 }), { backoff: FAST_BACKOFF });
    u.start();
    await u.whenReady(5000);
  });
  afterAll(async () => {
    await u?.stop();
    await handler?.stop();
  });

  async function failure(tool: string, timeoutMs?: number): Promise<HandlerError> {
    const options = timeoutMs === undefined ? {} : { timeoutMs };
    const err = await u.request('tools/call', { name: tool, arguments: {} }, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HandlerError);
    return err as HandlerError;
  }

  it("send_error: the message the handler gave, not only its error page's title", async () => {
    const err = await failure('send_error');
    expect(err.code).toBe('upstream_error');
    expect(err.message).toMatch(
      new RegExp(
        `^server "py": handler at ${escape(handler.url)} answered HTTP 400 \\(an HTML page: Error response: ` +
          'Error code: 400 Message: city is required\\.',
      ),
    );
  });

  it('a redirect: where to, and that it is not followed', async () => {
    const err = await failure('redirect');
    expect(err.code).toBe('upstream_error');
    expect(err.status).toBe(308);
    expect(err.message).toBe(
      `server "py": handler at ${handler.url} answered HTTP 308, a redirect to ${handler.url}mcp/, which is not ` +
        'followed (if the handler is there, make that its "handler" address)',
    );
  });

  it('a reply without Content-Length on a connection kept open: the timeout says why it never ended', async () => {
    const err = await failure('no_length', 500);
    expect(err.code).toBe('request_timeout');
    expect(err.message).toBe(
      `server "py": no complete reply from ${handler.url} within 500 ms (53 bytes received; the reply has no ` +
        'Content-Length, so it ends only when the handler closes the connection, which it kept open: send a ' +
        'Content-Length header)',
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('a Python handler listing a tool whose input_schema is not an object schema', () => {
  let handler: ExampleHandler;
  let dir: { dir: string; cleanup(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let config: string;
  beforeAll(async () => {
    handler = await startExample('python', 'test/fixtures/handlers/mistakes.py');
    dir = await tempDir();
    config = await writeConfig(dir.dir, { mcpServers: { py: { handler: handler.url } } });
    env = {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    };
  });
  afterAll(async () => {
    await handler?.stop();
    await dir?.cleanup();
  });

  it('switchboard list names the tool left out and why', async () => {
    const run = await cliRun(env, 'list', '--config', config);
    expect(run.stdout).toMatch(/^py +handler-http +ready +3 +1 left out \(clients would refuse it\)$/m);
    expect(run.stdout).toContain('  left out: tool "cities" (inputSchema.type: Invalid input: expected "object")\n');
    expect(run.code).toBe(0);
  });

  it('switchboard call on it says it is left out and why, not that there is no such tool', async () => {
    const run = await cliRun(env, 'call', 'py', 'cities', '--config', config);
    expect(run.stderr.trim()).toBe(
      'switchboard: server "py" lists tool "cities" but it is left out: MCP clients would refuse it ' +
        '(inputSchema.type: Invalid input: expected "object")',
    );
    expect(run.code).toBe(1);
  });
});
