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

/**
 * The gateway's traffic events, passed on only while the stream is up. `resume` and `resync` send
 * what the binding sends a stream that comes back; `squeeze` makes the next batch full, as the
 * gateway's is when more changed in its tenth of a second than a batch holds (the oldest left out).
 */
function relay() {
  let up = true;
  let squeeze = 0;
  const listeners = new Map([
    ['traffic', new Set<(batch: TrafficBatch) => void>()],
    ['resync', new Set<(batch: TrafficBatch) => void>()],
  ]);
  gateway.events.on('traffic', (batch) => {
    if (!up) return;
    const cut = Math.min(squeeze, batch.entries.length);
    if (cut > 0) squeeze = 0;
    const passed = { entries: batch.entries.slice(cut), skipped: batch.skipped + cut };
    for (const l of listeners.get('traffic')!) l(passed);
  });
  const events = {
    on: (name: 'traffic' | 'resync', listener: (batch: TrafficBatch) => void) => {
      listeners.get(name)!.add(listener);
      return () => listeners.get(name)!.delete(listener);
    },
  } as unknown as GatewayApiEvents;
  return {
    events,
    cut: () => (up = false),
    squeeze: (n: number) => (squeeze = n),
    resume: () => {
      up = true;
      for (const l of listeners.get('traffic')!) l({ entries: [], skipped: 0, resumed: true });
    },
    resync: () => {
      up = true;
      for (const l of listeners.get('resync')!) l({ entries: [], skipped: 0 });
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

  it('prints what a full batch left out, and what a resync says was missed', async () => {
    const stream = relay();
    const printed: TrafficEntry[] = [];
    const stop = await showTraffic(
      { api: gateway.api, events: stream.events },
      { edge: 'client', method: 'tools/call', target: 'fx__echo' },
      true,
      (entry) => printed.push(entry),
    );
    const before = printed.length;
    try {
      // Five calls, one after the other, end in one batch window; the batch keeps only the newest
      // changes, so what it left out began before anything it holds.
      stream.squeeze(6);
      for (let i = 1; i <= 5; i++) await echo(`squeezed ${i}`);
      await waitFor(() => printed.length === before + 5, 5000, 'the five calls, the left-out ones included');
      // A gateway that restarted, or a break longer than what it keeps: resync instead of resumed.
      stream.cut();
      await echo('missed');
      // Its batch goes out (a tenth of a second later) while the stream is down.
      await new Promise((r) => setTimeout(r, 300));
      stream.resync();
      await waitFor(() => printed.length === before + 6, 5000, 'the call before the resync');
      expect(new Set(printed.map((e) => e.id)).size).toBe(printed.length);
      // What a catch-up prints is what live entries are: sizes, no payload text.
      expect(printed.slice(before).every((e) => e.request.json === undefined)).toBe(true);
    } finally {
      stop?.();
    }
  });

  it('prints a call listed while it waits again when it ends', async () => {
    const stream = relay();
    const slow = client.callTool({ name: 'fx__slow', arguments: { steps: 4, delayMs: 100 } });
    const waiting = await waitFor(
      () => gateway.traffic.list({ edge: 'client', target: 'fx__slow', outcome: 'pending' }).entries[0],
      5000,
      'the call waiting',
    );
    const printed: TrafficEntry[] = [];
    const stop = await showTraffic(
      { api: gateway.api, events: stream.events },
      { edge: 'client', target: 'fx__slow', since: Date.now() - 60_000 },
      true,
      (entry) => printed.push(entry),
    );
    try {
      await slow;
      const lines = () => printed.filter((e) => e.id === waiting.id).map((e) => e.outcome);
      await waitFor(() => lines().length === 2, 5000, 'its end');
      expect(lines()).toEqual(['pending', 'ok']);
    } finally {
      stop?.();
    }
  });
});
