import { describe, expect, it } from 'vitest';
import {
  aggregateStats,
  isStatEntry,
  percentile,
  sampleOf,
  type StatSample,
} from '../../../../main/engine/traffic/stats.ts';
import type { TrafficEntry } from '../../../../preload/contract/index.ts';

const window = { since: 1000, until: 2000 };

const sample = (extra: Partial<StatSample> = {}): StatSample => ({
  server: 'files',
  outcome: 'ok',
  durationMs: 10,
  requestBytes: 100,
  responseBytes: 1000,
  ...extra,
});

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p × n)', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(ten, 0.5)).toBe(5);
    expect(percentile(ten, 0.95)).toBe(10);
    expect(percentile(ten, 0.9)).toBe(9);
    expect(percentile(ten, 0.1)).toBe(1);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.95)).toBe(95);
    const twenty = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
    expect(percentile(twenty, 0.95)).toBe(190);
    expect(percentile([3, 4], 0.5)).toBe(3);
    expect(percentile([42], 0.5)).toBe(42);
    expect(percentile([42], 0.95)).toBe(42);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([1, 2, 3], 1)).toBe(3);
  });
});

describe('aggregateStats', () => {
  it("counts calls, errors, timeouts, tools' own errors and cancellations, and sums bytes, per server", () => {
    const stats = aggregateStats(
      [
        sample({ outcome: 'ok' }),
        sample({ outcome: 'error' }),
        sample({ outcome: 'timeout' }),
        sample({ outcome: 'tool_error' }),
        sample({ outcome: 'cancelled' }),
        sample({ outcome: 'pending', durationMs: undefined, responseBytes: 0 }),
      ],
      window,
    );
    expect(stats).toEqual({
      since: 1000,
      until: 2000,
      servers: [
        {
          server: 'files',
          calls: 6,
          // A timeout is an error too, and so is a result marked isError (the tool failed).
          errors: 3,
          timeouts: 1,
          toolErrors: 1,
          cancelled: 1,
          p50Ms: 10,
          p95Ms: 10,
          requestBytes: 600,
          responseBytes: 5000,
        },
      ],
      tools: [],
      toolCalls: { calls: 0, failed: 0 },
    });
  });

  it("counts clients' tool calls apart, those no server saw included, in no server's row", () => {
    const stats = aggregateStats(
      [
        sample({ tool: 'read' }),
        sample({ fromClient: true, tool: 'files__read' }),
        // Refused by the gateway: an unknown tool, a server that is down.
        sample({ fromClient: true, server: '', outcome: 'error' }),
        sample({ fromClient: true, server: 'files', outcome: 'timeout' }),
        sample({ fromClient: true, server: 'files', outcome: 'tool_error' }),
        sample({ fromClient: true, outcome: 'cancelled' }),
      ],
      window,
    );
    expect(stats.toolCalls).toEqual({ calls: 5, failed: 3 });
    expect(stats.servers).toMatchObject([{ server: 'files', calls: 1, errors: 0 }]);
    expect(stats.tools).toMatchObject([{ server: 'files', tool: 'read', calls: 1 }]);
  });

  it('computes durations over the calls that ended only', () => {
    const samples = [
      ...[30, 10, 20, 50, 40].map((durationMs) => sample({ durationMs })),
      // Pending: its duration, if any, is not one.
      sample({ outcome: 'pending', durationMs: 99_999 }),
      sample({ durationMs: undefined }),
    ];
    const [row] = aggregateStats(samples, window).servers;
    expect(row).toMatchObject({ calls: 7, p50Ms: 30, p95Ms: 50 });
  });

  it('has no percentiles for a group without durations', () => {
    const [row] = aggregateStats([sample({ outcome: 'pending', durationMs: undefined })], window).servers;
    expect(row!.calls).toBe(1);
    expect(row).not.toHaveProperty('p50Ms');
    expect(row).not.toHaveProperty('p95Ms');
  });

  it('groups per server and per (server, tool), busiest first, then by name', () => {
    const samples = [
      sample({ server: 'web', tool: 'fetch', durationMs: 100 }),
      sample({ server: 'web', tool: 'fetch', durationMs: 300 }),
      sample({ server: 'web', tool: 'search', durationMs: 5, outcome: 'error' }),
      sample({ server: 'files', tool: 'read', durationMs: 1 }),
      // The same tool name on another server is another tool.
      sample({ server: 'files', tool: 'fetch', durationMs: 2 }),
      sample({ server: 'files', durationMs: 3 }),
      sample({ server: 'db', tool: 'query' }),
      sample({ server: 'alpha' }),
    ];
    const stats = aggregateStats(samples, window);
    expect(stats.servers.map((r) => [r.server, r.calls])).toEqual([
      ['files', 3],
      ['web', 3],
      ['alpha', 1],
      ['db', 1],
    ]);
    expect(stats.servers.every((r) => r.tool === undefined)).toBe(true);
    expect(stats.tools.map((r) => [r.server, r.calls])).toEqual([
      ['web', 2],
      ['db', 1],
      ['files', 1],
      ['files', 1],
      ['web', 1],
    ]);
    expect(stats.tools.map((r) => `${r.server}/${r.tool}`).sort()).toEqual([
      'db/query',
      'files/fetch',
      'files/read',
      'web/fetch',
      'web/search',
    ]);
    expect(stats.tools[0]).toMatchObject({ p50Ms: 100, p95Ms: 300, errors: 0 });
    expect(stats.servers.find((r) => r.server === 'web')).toMatchObject({ errors: 1, p50Ms: 100, p95Ms: 300 });
  });

  it('has empty rows for no samples', () => {
    expect(aggregateStats([], window)).toEqual({
      since: 1000,
      until: 2000,
      servers: [],
      tools: [],
      toolCalls: { calls: 0, failed: 0 },
    });
  });
});

describe('stat samples from entries', () => {
  const entry = (extra: Partial<TrafficEntry> = {}): TrafficEntry => ({
    id: 'a',
    edge: 'upstream',
    direction: 'out',
    kind: 'request',
    method: 'tools/call',
    target: 'read',
    server: 'files',
    startedAt: 0,
    durationMs: 7,
    outcome: 'ok',
    request: { bytes: 10 },
    response: { bytes: 20 },
    ...extra,
  });

  it("counts the requests the gateway sent a server, and clients' tool calls", () => {
    expect(isStatEntry(entry())).toBe(true);
    const fromClient = entry({ edge: 'client', direction: 'in', server: undefined, target: 'files__read' });
    expect(isStatEntry(fromClient)).toBe(true);
    expect(sampleOf(fromClient)).toMatchObject({ fromClient: true, server: '' });
    expect(isStatEntry(entry({ edge: 'client', direction: 'in', method: 'tools/list' }))).toBe(false);
    expect(isStatEntry(entry({ edge: 'client', direction: 'out', method: 'elicitation/create' }))).toBe(false);
    expect(isStatEntry(entry({ direction: 'in', method: 'elicitation/create' }))).toBe(false);
    expect(isStatEntry(entry({ kind: 'notification' }))).toBe(false);
    expect(isStatEntry(entry({ server: undefined }))).toBe(false);
  });

  it('names the tool of a tools/call only', () => {
    expect(sampleOf(entry())).toEqual({
      server: 'files',
      tool: 'read',
      outcome: 'ok',
      durationMs: 7,
      requestBytes: 10,
      responseBytes: 20,
    });
    expect(sampleOf(entry({ method: 'resources/read', target: 'file:///x' }))).not.toHaveProperty('tool');
    expect(sampleOf(entry({ response: undefined, durationMs: undefined, outcome: 'pending' }))).toEqual({
      server: 'files',
      tool: 'read',
      outcome: 'pending',
      requestBytes: 10,
      responseBytes: 0,
    });
  });
});
