/**
 * A remote server that sends far more than limits.maxResponseBytes, as a JSON body and inside an
 * SSE event, over Streamable HTTP, legacy SSE and the stateless revision; and one that sends
 * bytes that are not UTF-8. The gateway runs as its own process (`serve --stdio`) so its peak
 * memory can be read from /proc: it must not hold anything near the flood.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, rawStdio, type RawStdio } from '../helpers/raw-stdio.ts';
import { CLI, NODE, tempDir, textOf, writeConfig } from '../helpers/gateway.ts';
import { startHostileHttpServer } from '../helpers/hostile-http.ts';

const MiB = 1024 * 1024;
const LIMIT = MiB;
/**
 * Streaming through fetch leaves up to ~120 MiB of chunks for the garbage collector whatever the
 * size, so the flood is large enough that holding it would be unmistakable.
 */
const FLOOD_MB = 400;

/** Peak resident memory of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

describe('a remote server that floods or sends bad bytes', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let server: { child: ChildProcess; port: number };
  let gateway: RawStdio;
  let nextId = 1;

  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const id = nextId++;
    gateway.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    return gateway.response(id, 60_000);
  };

  beforeAll(async () => {
    dir = await tempDir();
    server = await startHostileHttpServer();
    const base = `http://127.0.0.1:${server.port}`;
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        web: { url: `${base}/mcp` },
        legacy: { url: `${base}/sse`, transport: 'sse' },
        nosession: { url: `${base}/stateless` },
      },
      limits: { maxResponseBytes: LIMIT },
    });
    gateway = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    gateway.send(INITIALIZE(0));
    await gateway.response(0);
    gateway.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    // Every server answers once before the floods, so the baseline includes them all.
    for (const s of ['web', 'legacy', 'nosession']) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const small = await call(`${s}__small`);
        if (textOf(small.result) === 'fine') break;
        if (Date.now() > deadline) throw new Error(`${s} never answered: ${JSON.stringify(small)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 90_000);

  afterAll(async () => {
    gateway?.close();
    server?.child.kill();
    await dir?.cleanup();
  });

  const cases: [string, string][] = [
    ['web', 'flood_json'],
    ['web', 'flood_declared'],
    ['web', 'flood_sse'],
    ['legacy', 'flood_sse'],
    ['nosession', 'flood_json'],
    ['nosession', 'flood_sse'],
  ];

  it.each(cases)(
    '%s: %s of 400 MiB fails only that call, with the size error, and holds nothing near it',
    async (server, tool) => {
      const before = peakRss(gateway.child.pid!);
      const flooded = await call(`${server}__${tool}`, { mb: FLOOD_MB });
      expect(flooded.error).toMatchObject({
        code: -32003,
        message: expect.stringMatching(
          new RegExp(
            `^server "${server}" sent a .*response.*, over the ${LIMIT}-byte limit \\(limits.maxResponseBytes\\)`,
          ),
        ),
      });
      const grew = peakRss(gateway.child.pid!) - before;
      expect(grew).toBeLessThan((FLOOD_MB * MiB) / 2);
      expect(textOf((await call(`${server}__small`)).result)).toBe('fine');
    },
    90_000,
  );

  it.each([
    ['web', 'bad_utf8'],
    ['web', 'bad_utf8_sse'],
    ['legacy', 'bad_utf8'],
    ['nosession', 'bad_utf8'],
    ['nosession', 'bad_utf8_sse'],
  ])('%s: %s is an error for that call, not text with replacement characters', async (server, tool) => {
    const bad = await call(`${server}__${tool}`);
    expect(bad.error).toMatchObject({ message: expect.stringMatching(/not valid UTF-8/) });
    expect(JSON.stringify(bad)).not.toContain('\ufffd');
    expect(textOf((await call(`${server}__small`)).result)).toBe('fine');
  });
});
