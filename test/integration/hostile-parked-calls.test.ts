/**
 * A 2026-07-28 client that starts calls whose server asks it a question, and never comes back with
 * the answers. Each such call waits parked (a session and the server's open request) for its
 * client; there is a most the gateway keeps at once, and past it the call that waited longest is
 * cancelled and logged, so the pile cannot grow for the ten minutes a parked call may wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../main/engine/index.ts';
import { startGateway, tempDir, writeConfig } from '../helpers/gateway.ts';
import { statelessPost } from '../helpers/stateless.ts';
import { startExample, type ExampleHandler } from '../fixtures/handlers/example-process.ts';

const MAX = 20;
const STARTED = 25;
const caps = { capabilities: { elicitation: {} } };

describe('a stateless client that never answers the questions of its calls', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let travel: ExampleHandler;
  let url: string;
  const warnings: string[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    travel = await startExample('node');
    const config = await writeConfig(dir.dir, { mcpServers: { travel: { handler: travel.url } } });
    gateway = await startGateway(config, { statelessMaxParked: MAX });
    gateway.on('log', (note: { level: string; text: string }) => warnings.push(note.text));
    url = gateway.httpUrl()!;
  });
  afterAll(async () => {
    await gateway?.stop();
    await travel?.stop();
    await dir?.cleanup();
  });

  it('keeps at most the limit parked: the longest waiting are cancelled and logged, the rest finish', async () => {
    const parked: { key: string; state: string }[] = [];
    for (let i = 0; i < STARTED; i++) {
      const first = await statelessPost(
        url,
        'tools/call',
        { name: 'travel__book_flight', arguments: { destination: `city${i}` } },
        caps,
      );
      const asked = first.body.result as { resultType: string; inputRequests: object; requestState: string };
      expect(asked.resultType).toBe('input_required');
      parked.push({ key: Object.keys(asked.inputRequests)[0]!, state: asked.requestState });
    }

    const cancelled = warnings.filter((w) => w.includes('(the most Switchboard keeps)'));
    expect(cancelled).toHaveLength(STARTED - MAX);
    expect(cancelled[0]).toBe(
      '2026-07-28 call tools/call "travel__book_flight" (profile default) cancelled: ' +
        `${MAX} calls were waiting for their clients to come back with answers (the most Switchboard keeps), ` +
        'and this one had waited longest',
    );

    const resume = (p: { key: string; state: string }, i: number) =>
      statelessPost(
        url,
        'tools/call',
        {
          name: 'travel__book_flight',
          arguments: { destination: `city${i}` },
          inputResponses: { [p.key]: { action: 'accept', content: { class: 'economy' } } },
          requestState: p.state,
        },
        caps,
      );
    // The first ones are gone; coming back for them is refused like an expired call.
    for (const [i, p] of parked.slice(0, STARTED - MAX).entries()) {
      const late = await resume(p, i);
      expect(late.body.error).toMatchObject({ code: -32602, message: expect.stringMatching(/expired/) });
    }
    // Every one still parked goes on with its answer (to the next question: the seat).
    for (const [i, p] of parked.slice(STARTED - MAX).entries()) {
      const next = await resume(p, STARTED - MAX + i);
      expect(next.body.result).toMatchObject({ resultType: 'input_required' });
      expect(JSON.stringify(next.body.result)).toContain(`Window or aisle seat in economy?`);
    }
  }, 60_000);
});
