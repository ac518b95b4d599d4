/**
 * What a FastCGI script writes to stderr (PHP's error_log, warnings, fatal errors) is in its server's
 * log, as a local server's stderr is: live as `log` lines, in the log the Servers screen shows
 * (getServerLog) and in the server's log file, also for a call that worked. A real php-fpm, called by
 * a real MCP client through the gateway; a key the gateway sent the script, which it printed, is
 * hidden in all three.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import type { LogLine } from '../../../preload/contract/index.ts';
import { httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { MISBEHAVE_PHP, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';

const CANARY = 'sk-canary-stderr-log-9a8b7c6d';

describe("a FastCGI script's stderr in its server's log", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let fpm: PhpFpm;
  let gateway: Gateway;
  let client: Client;
  const live: LogLine[] = [];

  beforeAll(async () => {
    [dir, fpm] = await Promise.all([tempDir('sb-handler-stderr-'), startPhpFpm({ listen: 'tcp' })]);
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          php: { handler: fpm.address, entrypoint: MISBEHAVE_PHP, headers: { 'X-Api-Key': '${secret:php-key}' } },
        },
      }),
      { secrets: createMemorySecretStore({ 'php-key': CANARY }), logDir: path.join(dir.dir, 'logs') },
    );
    gateway.events.on('log', (line) => live.push(line));
    client = await httpClient(gateway.httpUrl()!);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await Promise.all([fpm?.stop(), dir?.cleanup()]);
  });

  const logFile = () => readFile(path.join(dir.dir, 'logs', 'php.log'), 'utf8').catch(() => '');

  it('shows what a call that worked wrote to stderr, live, in the server log and in its file', async () => {
    const result = await client.callTool({ name: 'php__warning', arguments: {} });
    expect(result.isError).toBeFalsy();
    const said = 'careful: this went to FastCGI stderr';
    const line = await waitFor(
      () => live.find((l) => l.server === 'php' && l.text.includes(said)),
      10_000,
      'the live stderr line',
    );
    expect(line.source).toBe('stderr');
    expect(gateway.serverLog('php').some((l) => l.includes(said))).toBe(true);
    await waitFor(async () => (await logFile()).includes(said), 10_000, 'the line in php.log');
  });

  it('keeps the start of a long stderr and says how much of it was left out', async () => {
    // 300 lines of about 40 bytes: three times what a reply keeps (4 KiB).
    const result = await client.callTool({ name: 'php__warning', arguments: { lines: 300 } });
    expect(result.isError).toBeFalsy();
    const mark = await waitFor(
      () => live.find((l) => l.server === 'php' && /more bytes of stderr not kept/.test(l.text)),
      10_000,
      'the line saying stderr was cut',
    );
    const left = Number(/\[(\d+) more bytes of stderr not kept\]/.exec(mark.text)?.[1]);
    expect(left).toBeGreaterThan(4096);
    const kept = live.filter((l) => l.server === 'php' && l.text.includes('of a long trace'));
    expect(kept.some((l) => l.text.includes('détail 001 of a long trace'))).toBe(true);
    expect(kept.some((l) => l.text.includes('détail 300'))).toBe(false);
    // Cut between characters: nothing shows as a replacement character.
    expect(live.some((l) => l.text.includes('\uFFFD'))).toBe(false);
  });

  it('hides the key a failing script printed to stderr, everywhere the log goes', async () => {
    // A 500 from the script: the client gets an error (its message quotes the stderr, hidden too).
    await expect(client.callTool({ name: 'php__leak_key', arguments: {} })).rejects.toThrow(/answered HTTP 500/);
    const said = 'calling the billing API with key';
    const line = await waitFor(() => live.find((l) => l.text.includes(said)), 10_000, 'the live stderr line');
    expect(line.text).toContain('[redacted:php-key]');
    await waitFor(async () => (await logFile()).includes(said), 10_000, 'the line in php.log');
    const everywhere = [JSON.stringify(live), gateway.serverLog('php').join('\n'), await logFile()];
    for (const text of everywhere) expect(text).not.toContain(CANARY);
    expect(gateway.serverLog('php').some((l) => l.includes('PHP Fatal error'))).toBe(true);
  });
});
