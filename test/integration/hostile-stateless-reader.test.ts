/**
 * A stateless (2026-07-28) client that stops reading the event stream of its call while the
 * server floods that call with large log messages. What the gateway holds for the call is
 * bounded by limits.maxSessionBufferBytes: the oldest messages are dropped and logged naming the
 * call, its peak memory (read from /proc: the gateway runs as its own process) stays far below
 * the flood, another client is served meanwhile, and once the client reads again it gets what
 * fitted and the answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CLI, NODE, fixtureServer, httpClient, tempDir, textOf, waitFor, writeConfig } from '../helpers/gateway.ts';
import { STATELESS, statelessMeta } from '../helpers/stateless.ts';

const MiB = 1024 * 1024;
const FLOOD_COUNT = 400;
/** What the flood would cost the gateway if it kept it all for the client. */
const FLOOD_BYTES = FLOOD_COUNT * MiB;

function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

describe('a stateless client that stops reading its call while the server floods it', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: ChildProcess;
  let stderr = '';
  let url: URL;
  let other: Client;
  let socket: net.Socket | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, {
      // The default limits: limits.maxSessionBufferBytes is 8 MiB.
      mcpServers: { fx: fixtureServer('fx') },
    });
    gateway = spawn(NODE, [CLI, 'serve', '--port', '0', '--config', config], {
      env: {
        ...process.env,
        SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
        SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    gateway.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    url = new URL(await waitFor(() => /HTTP (http:\/\/\S+\/mcp)/.exec(stderr)?.[1], 30_000, 'the gateway URL'));
    other = await httpClient(url.href);
    await waitFor(
      async () => textOf(await other.callTool({ name: 'fx__echo', arguments: { message: 'up' } })) === 'up',
      30_000,
      'fx ready',
    );
  }, 60_000);

  afterAll(async () => {
    socket?.destroy();
    await other?.close();
    gateway?.kill();
    await dir?.cleanup();
  });

  it('holds at most the budget for the call, logs the drops, serves others, and delivers the answer', async () => {
    const before = peakRss(gateway.pid!);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'fx__log_flood',
        arguments: { count: FLOOD_COUNT, bytes: MiB },
        _meta: statelessMeta({}, { 'io.modelcontextprotocol/logLevel': 'info' }),
      },
    });
    const received: Buffer[] = [];
    const stalled = net.connect(Number(url.port), url.hostname);
    socket = stalled;
    await new Promise<void>((resolve, reject) => {
      stalled.once('error', reject);
      stalled.once('connect', () => {
        stalled.write(
          [
            `POST ${url.pathname} HTTP/1.1`,
            `Host: ${url.host}`,
            'Content-Type: application/json',
            'Accept: application/json, text/event-stream',
            `Mcp-Protocol-Version: ${STATELESS}`,
            'Mcp-Method: tools/call',
            'Mcp-Name: fx__log_flood',
            `Content-Length: ${Buffer.byteLength(body)}`,
            '',
            body,
          ].join('\r\n'),
        );
        // Reads the response head, then stops reading.
        stalled.once('data', (c: Buffer) => {
          received.push(c);
          stalled.pause();
          resolve();
        });
      });
    });

    // The flood passes; what waits for the call is dropped, oldest first, and said so, naming it
    // (at once, then summed up every 10 s). Nearly all of it: only the budget's worth stays.
    const dropped = () =>
      [...stderr.matchAll(/stateless call \S+ \(tools\/call, profile \S+\) is not reading: dropped (\d+) messages/g)]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0);
    await waitFor(() => dropped() >= FLOOD_COUNT - 50, 150_000, 'the drops');
    expect(stderr).toMatch(/limits\.maxSessionBufferBytes/);
    // Another client is served while this one sits there.
    expect(textOf(await other.callTool({ name: 'fx__echo', arguments: { message: 'meanwhile' } }))).toBe('meanwhile');

    // Reading again, the client gets what fitted in the budget (and the sockets' buffers), then its answer.
    stalled.on('data', (c: Buffer) => received.push(c));
    stalled.resume();
    const text = () => Buffer.concat(received).toString('latin1');
    await waitFor(() => text().includes(`logged ${FLOOD_COUNT}`), 120_000, 'the answer');
    const logs = text().match(/"method":"notifications\/message"/g)?.length ?? 0;
    expect(logs).toBeGreaterThan(0);
    expect(logs).toBeLessThan(FLOOD_COUNT / 4);
    // Held, the flood would have cost FLOOD_BYTES and more; bounded, the budget plus garbage not yet
    // collected of the messages passing through (about half the flood here).
    expect(peakRss(gateway.pid!) - before).toBeLessThan(FLOOD_BYTES);
  }, 240_000);
});
