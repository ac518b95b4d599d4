/**
 * A long call whose server reports progress is not cut at the server's timeout: each progress
 * notification restarts it (the spec lets a receiver do so, as work is under way), up to
 * `timeouts.maxRequestMs` in all. A call without progress times out as before. Clients that reset
 * their own timeout on progress saw such calls fail through Switchboard and succeed without it.
 *
 * The fixture server over stdio, its `slow` tool reporting a step every 300 ms; the gateway's timeout
 * for it 2 s (so a step late by over a second on a busy machine is still in time), its longest 5 s.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/gateway.ts';
import { fixtureServer, httpClient, startGateway, tempDir, textOf, writeConfig } from '../../helpers/gateway.ts';

describe('progress and the request timeout', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: { fx: { ...fixtureServer('fx'), timeoutMs: 2000 } },
        timeouts: { maxRequestMs: 5000 },
      }),
    );
    client = await httpClient(gateway.httpUrl()!);
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  /** `slow` with `steps` steps 300 ms apart, asking for progress or not: its text, or the error's message. */
  async function slow(steps: number, progress: boolean): Promise<{ text?: string; error?: string; reports: number }> {
    let reports = 0;
    const onprogress = progress ? () => reports++ : undefined;
    try {
      const result = await client.callTool({ name: 'fx__slow', arguments: { steps, delayMs: 300 } }, undefined, {
        onprogress,
        timeout: 30_000,
      });
      return { text: textOf(result), reports };
    } catch (err) {
      return { error: (err as Error).message, reports };
    }
  }

  it('lets a call that reports progress run past the timeout', async () => {
    // 10 steps: 3 s, each step well within the 2 s timeout of the one before.
    const { text, error, reports } = await slow(10, true);
    expect(error).toBeUndefined();
    expect(text).toBe('done after 10 steps');
    expect(reports).toBe(10);
  });

  it('times out a call that reports no progress, as before', async () => {
    const { error } = await slow(10, false);
    expect(error).toMatch(/tools\/call to server "fx" timed out after 2000 ms/);
  });

  it('ends a call that reports progress at timeouts.maxRequestMs, saying so', async () => {
    // 20 steps: 6 s, past the longest a call may run.
    const { error, reports } = await slow(20, true);
    expect(error).toMatch(/tools\/call to server "fx" timed out after \d+ ms, the most a request reporting progress/);
    expect(error).toContain('may run (timeouts.maxRequestMs)');
    expect(reports).toBeGreaterThanOrEqual(10);
  });
});
