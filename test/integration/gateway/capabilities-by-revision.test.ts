/**
 * What a profile says it offers, as each revision's client reads it: `completions` (2025-03-26) and
 * `tasks` (2025-11-25) only to clients of a revision that has them, whatever its servers offer.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { EVERYTHING, NODE, ROOT, settled, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { JSON_HEADERS, sseMessages } from '../../helpers/raw-http.ts';

const TASK_SERVER = path.join(ROOT, 'test/fixtures/servers/task-server.ts');

describe("a profile's capabilities by the client's revision", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          // Offers completions.
          everything: { command: NODE, args: [EVERYTHING, 'stdio'] },
          // Offers tasks.
          tasks: { command: NODE, args: [TASK_SERVER] },
        },
      }),
    );
    await settled(gateway);
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  /** The capabilities an initialize of `revision` is answered with. */
  async function offered(revision: string): Promise<string[]> {
    const res = await fetch(gateway.httpUrl()!, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: revision, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    const text = await res.text();
    const answer = (
      res.headers.get('content-type')?.includes('event-stream') ? sseMessages(text)[0] : JSON.parse(text)
    ) as {
      result: { protocolVersion: string; capabilities: Record<string, unknown> };
    };
    expect(answer.result.protocolVersion).toBe(revision);
    return Object.keys(answer.result.capabilities).sort();
  }

  it('tells each client only of what its revision has', async () => {
    expect(await offered('2025-11-25')).toEqual(['completions', 'logging', 'prompts', 'resources', 'tasks', 'tools']);
    expect(await offered('2025-06-18')).toEqual(['completions', 'logging', 'prompts', 'resources', 'tools']);
    expect(await offered('2025-03-26')).toEqual(['completions', 'logging', 'prompts', 'resources', 'tools']);
    expect(await offered('2024-11-05')).toEqual(['logging', 'prompts', 'resources', 'tools']);
  });
});
