/**
 * What a failed JSON handler said, in the traffic record: a real php-fpm running a script that
 * writes warnings and fatal errors to FastCGI stderr (and one that prints its warning into the
 * reply, display_errors on), and an HTTP handler answering an HTML 500 page, called by a real MCP
 * client through the gateway. The server exchange of each call shows the status, the start of the
 * reply (its cut noted) and the stderr, read through the control API; a key the gateway gave the
 * handler from the keychain, which the handler printed, is hidden there as everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import type { TrafficEntry, TrafficPage } from '../../../preload/contract/index.ts';
import { httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { MISBEHAVE_PHP, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';
import { startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';

const CANARY = 'sk-canary-handler-4d5e6f7a8b9c';

/** An HTML error page as a framework renders it: the key it was sent in its debug table, and 6 KiB of trace. */
function errorPage(key: string): string {
  const trace = Array.from({ length: 120 }, (_, i) => `<li>#${i} /srv/app/vendor/Kernel.php(${i})</li>`).join('\n');
  return (
    '<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>' +
    `<h1>Whoops, looks like something went wrong.</h1><table><tr><td>X-Api-Key</td><td>${key}</td></tr></table>` +
    `<ol>${trace}</ol></body></html>`
  );
}

describe('a failed handler call shows what the handler said in the traffic record', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let fpm: PhpFpm;
  let fpmShown: PhpFpm;
  let web: TestServer;
  let gateway: Gateway;

  beforeAll(async () => {
    [dir, fpm, fpmShown] = await Promise.all([
      tempDir('sb-handler-errors-'),
      startPhpFpm({ listen: 'tcp' }),
      startPhpFpm({ listen: 'tcp', displayErrors: true }),
    ]);
    web = await startHttpHandler((received, res) => {
      if (received.envelope.type === 'discover') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tools: [{ name: 'report' }] }));
        return;
      }
      const key = received.headers['x-api-key'];
      res.writeHead(500, { 'content-type': 'text/html' }).end(errorPage(typeof key === 'string' ? key : ''));
    });
    const withKey = { 'X-Api-Key': '${secret:handler-key}' };
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          php: { handler: fpm.address, entrypoint: MISBEHAVE_PHP, headers: withKey },
          dev: { handler: fpmShown.address, entrypoint: MISBEHAVE_PHP },
          web: { handler: web.address, headers: withKey },
        },
      }),
      { secrets: createMemorySecretStore({ 'handler-key': CANARY }) },
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([fpm?.stop(), fpmShown?.stop(), web?.close(), dir?.cleanup()]);
  });

  /** The control API's listTraffic (POST /api/traffic/query), as the app and `switchboard traffic` read it. */
  async function listTraffic(filter: Record<string, unknown>): Promise<TrafficPage> {
    const res = await fetch(gateway.httpUrl()!.replace(/\/mcp$/, '/api/traffic/query'), {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.apiToken()!}`, 'content-type': 'application/json' },
      body: JSON.stringify(filter),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as TrafficPage;
  }

  /** Calls `tool` as an MCP client does; gives the error it got, and the call's server exchange. */
  async function failedCall(
    server: string,
    tool: string,
  ): Promise<{ clientSaw: string; entry: TrafficEntry; answer: Record<string, unknown> }> {
    const client = await httpClient(gateway.httpUrl()!);
    let clientSaw: string;
    try {
      clientSaw = JSON.stringify(
        await client.callTool({ name: `${server}__${tool}`, arguments: {} }).catch((err: unknown) => ({
          error: (err as Error).message,
          data: (err as { data?: unknown }).data,
        })),
      );
    } finally {
      await client.close();
    }
    const entry = await waitFor(
      async () =>
        (await listTraffic({ edge: 'upstream', server, method: 'tools/call', target: tool })).entries.find(
          (e) => e.outcome !== 'pending',
        ),
      10_000,
      `the recorded call of ${tool} to ${server}`,
    );
    expect(entry.outcome).toBe('error');
    return { clientSaw, entry, answer: JSON.parse(entry.response!.json!) as Record<string, unknown> };
  }

  it("shows a PHP script's warnings and fatal error from FastCGI stderr, with the status", async () => {
    const { entry, answer } = await failedCall('php', 'warn_then_fatal');
    expect(answer).toMatchObject({ error: { message: entry.error!.message }, detail: { status: 500, reply: '' } });
    const stderr = (answer.detail as { stderr: string }).stderr;
    for (let i = 0; i < 4; i++) expect(stderr).toContain(`PHP Warning:  Undefined array key "customer_name_${i}"`);
    expect(stderr).toContain('PHP Fatal error:  Uncaught Error: Class "PDOx" not found');
    expect(stderr).toContain('Stack trace:');
  });

  it('shows the reply a warning was printed into (display_errors on), and the warning on stderr', async () => {
    const { answer } = await failedCall('dev', 'undefined_key');
    const detail = answer.detail as { status: number; reply: string; stderr: string };
    expect(detail.status).toBe(200);
    expect(detail.reply).toMatch(/^\s*<br \/>\s*<b>Warning<\/b>: {2}Undefined array key "city"/);
    expect(detail.reply).toContain('{"content":[{"type":"text","text":"weather in "}]}');
    expect(detail.stderr).toContain('PHP Warning:  Undefined array key "city"');
  });

  it("hides the key a script printed to stderr and into its reply, here and in the client's error", async () => {
    const { clientSaw, entry, answer } = await failedCall('php', 'leak_key');
    expect(answer.detail).toMatchObject({
      reply: 'debug: key=[redacted:handler-key]\n',
      stderr: expect.stringContaining('calling the billing API with key [redacted:handler-key]') as unknown,
    });
    expect((answer.detail as { stderr: string }).stderr).toContain('undefined_function_for_the_test()');
    expect(JSON.stringify(entry)).not.toContain(CANARY);
    // The client is answered the error's message, as before: not the record's detail.
    expect(clientSaw).not.toContain(CANARY);
    expect(clientSaw).not.toContain('"detail"');
  });

  it("shows the start of an HTTP handler's HTML 500 page, cut at 4 KiB, without the key it echoed", async () => {
    const { clientSaw, entry, answer } = await failedCall('web', 'report');
    const detail = answer.detail as { status: number; reply: string; replyTruncated?: boolean; stderr?: string };
    expect(detail.status).toBe(500);
    expect(detail.replyTruncated).toBe(true);
    expect(detail.stderr).toBeUndefined();
    expect(detail.reply.startsWith(errorPage('[redacted:handler-key]').slice(0, 300))).toBe(true);
    // The first 4 KiB of the page as the handler sent it, its key hidden after the cut.
    const sent = errorPage(CANARY);
    expect(detail.reply).toBe(sent.slice(0, 4096).replace(CANARY, '[redacted:handler-key]'));
    expect(JSON.stringify(entry)).not.toContain(CANARY);
    expect(clientSaw).not.toContain('Kernel.php(3)');
    // The record's text search finds what the handler said.
    const found = await listTraffic({ edge: 'upstream', text: 'Whoops, looks like something went wrong' });
    expect(found.entries.map((e) => e.id)).toContain(entry.id);
  });
});
