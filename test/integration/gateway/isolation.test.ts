import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { rawSession } from '../../helpers/raw-http.ts';

describe('request ids never cross sessions', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }));
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('fifty clients all using id 0 at once each get only their own answer', async () => {
    const sessions = await Promise.all(Array.from({ length: 50 }, () => rawSession(gateway.httpUrl()!)));
    const answers = await Promise.all(
      sessions.map((s, i) =>
        s.call({
          jsonrpc: '2.0',
          id: 0,
          method: 'tools/call',
          params: { name: 'fx__echo', arguments: { message: `client ${i}` } },
        }),
      ),
    );
    answers.forEach((a, i) => {
      expect(a.id).toBe(0);
      expect((a.result as { structuredContent: { message: string } }).structuredContent.message).toBe(`client ${i}`);
    });
  });

  it('two requests with the same id in one session: the second is refused, the first still answered', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    const slow = s.call({
      jsonrpc: '2.0',
      id: 'dup',
      method: 'tools/call',
      params: { name: 'fx__slow', arguments: { steps: 3, delayMs: 50 } },
    });
    await new Promise((r) => setTimeout(r, 20));
    const second = await s.call({
      jsonrpc: '2.0',
      id: 'dup',
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { message: 'x' } },
    });
    expect((second.error as { message: string }).message).toMatch(/already in use/);
    const first = await slow;
    expect(JSON.stringify(first.result)).toContain('done after 3 steps');
  });
});
