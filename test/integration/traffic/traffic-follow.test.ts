/**
 * `switchboard traffic --follow` across a break in its event stream: the gateway's live batches
 * are not replayed to a stream that comes back, it sends `resumed` instead, and the follower
 * lists what ended meanwhile. The gateway, its server and its API are real; the stream between
 * them is a relay the test can cut, as a network or a sleeping laptop does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { showTraffic } from '../../../main/cli/traffic.ts';
import type { Gateway, GatewayApiEvents } from '../../../main/engine/index.ts';
import type { TrafficBatch, TrafficEntry } from '../../../preload/contract/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let client: Client;

beforeAll(async () => {
  dir = await tempDir('sb-traffic-follow-');
  gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }));
  client = await httpClient(gateway.httpUrl()!);
});

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

/** The gateway's traffic events, passed on only while the stream is up; `resume` sends what the binding sends. */
function relay() {
  let up = true;
  const listeners = new Set<(batch: TrafficBatch) => void>();
  gateway.events.on('traffic', (batch) => {
    if (up) for (const l of listeners) l(batch);
  });
  const events = {
    on: (_name: 'traffic', listener: (batch: TrafficBatch) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as GatewayApiEvents;
  return {
    events,
    cut: () => (up = false),
    resume: () => {
      up = true;
      for (const l of listeners) l({ entries: [], skipped: 0, resumed: true });
    },
  };
}

const echo = (message: string) => client.callTool({ name: 'fx__echo', arguments: { message } });

describe('switchboard traffic --follow', () => {
  it('prints what ended during a break in its event stream once the stream is back, each call once', async () => {
    const stream = relay();
    const printed: TrafficEntry[] = [];
    const stop = await showTraffic(
      { api: gateway.api, events: stream.events },
      { edge: 'client', method: 'tools/call' },
      true,
      (entry) => printed.push(entry),
    );
    try {
      await echo('before');
      await waitFor(() => printed.some((e) => e.target === 'fx__echo'), 5000, 'the call before the break');
      // Seen waiting before the break, it ends during it.
      const slow = client.callTool({ name: 'fx__slow', arguments: { steps: 3, delayMs: 100 } });
      await new Promise((r) => setTimeout(r, 150));
      stream.cut();
      await echo('during 1');
      await echo('during 2');
      await slow;
      await new Promise((r) => setTimeout(r, 200));
      stream.resume();
      await waitFor(() => printed.length >= 4, 5000, 'what ended during the break');
      await echo('after');
      await waitFor(() => printed.length >= 5, 5000, 'the call after the break');
      // Oldest first by start: the slow call began before the two during the break.
      expect(printed.map((e) => e.target)).toEqual(['fx__echo', 'fx__slow', 'fx__echo', 'fx__echo', 'fx__echo']);
      expect(new Set(printed.map((e) => e.id)).size).toBe(5);
      expect(printed.every((e) => e.outcome === 'ok')).toBe(true);
    } finally {
      stop?.();
    }
  });
});
