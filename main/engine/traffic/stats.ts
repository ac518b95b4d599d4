/**
 * Per server and per tool numbers over a time window: calls, errors, p50/p95 duration, bytes.
 * Computed from samples (one per request the gateway sent a server), wherever they are kept: the
 * in-memory ring or the history database.
 */
import {
  FAILED_OUTCOMES,
  type TrafficEntry,
  type TrafficOutcome,
  type TrafficStats,
  type TrafficStatsRow,
} from '../../../preload/contract/index.ts';

/** One request the gateway sent a server, or a client's tool call, as the stats need it. */
export interface StatSample {
  /** A client's tools/call as the gateway received it (counted in toolCalls), not a request it sent. */
  fromClient?: true;
  server: string;
  /** Set for tools/call: the tool as its server names it. */
  tool?: string;
  outcome: TrafficOutcome;
  durationMs?: number;
  requestBytes: number;
  responseBytes: number;
}

/**
 * Stats cover the requests the gateway sent upstream (each is one call to a server), and the tool
 * calls clients made: those include the calls that never reached a server.
 */
export function isStatEntry(entry: TrafficEntry): boolean {
  return isUpstreamCall(entry) || isClientToolCall(entry);
}

function isUpstreamCall(entry: TrafficEntry): boolean {
  return entry.edge === 'upstream' && entry.direction === 'out' && entry.kind === 'request' && !!entry.server;
}

function isClientToolCall(entry: TrafficEntry): boolean {
  return (
    entry.edge === 'client' && entry.direction === 'in' && entry.kind === 'request' && entry.method === 'tools/call'
  );
}

export function sampleOf(entry: TrafficEntry): StatSample {
  const sample: StatSample = {
    server: entry.server ?? '',
    outcome: entry.outcome,
    requestBytes: entry.request.bytes,
    responseBytes: entry.response?.bytes ?? 0,
  };
  if (entry.edge === 'client') sample.fromClient = true;
  if (entry.method === 'tools/call' && entry.target !== undefined) sample.tool = entry.target;
  if (entry.durationMs !== undefined) sample.durationMs = entry.durationMs;
  return sample;
}

interface Group {
  row: TrafficStatsRow;
  durations: number[];
}

export function aggregateStats(samples: Iterable<StatSample>, window: { since: number; until: number }): TrafficStats {
  const servers = new Map<string, Group>();
  const tools = new Map<string, Group>();
  const toolCalls = { calls: 0, failed: 0 };
  for (const s of samples) {
    if (s.fromClient) {
      toolCalls.calls++;
      if (FAILED_OUTCOMES.includes(s.outcome)) toolCalls.failed++;
      continue;
    }
    add(groupOf(servers, s.server, s.server), s);
    if (s.tool !== undefined) add(groupOf(tools, `${s.server}\u0000${s.tool}`, s.server, s.tool), s);
  }
  return { since: window.since, until: window.until, servers: finish(servers), tools: finish(tools), toolCalls };
}

function groupOf(groups: Map<string, Group>, key: string, server: string, tool?: string): Group {
  let group = groups.get(key);
  if (!group) {
    const row: TrafficStatsRow = {
      server,
      calls: 0,
      errors: 0,
      timeouts: 0,
      toolErrors: 0,
      cancelled: 0,
      requestBytes: 0,
      responseBytes: 0,
    };
    if (tool !== undefined) row.tool = tool;
    groups.set(key, (group = { row, durations: [] }));
  }
  return group;
}

function add(group: Group, s: StatSample): void {
  const row = group.row;
  row.calls++;
  if (FAILED_OUTCOMES.includes(s.outcome)) row.errors++;
  if (s.outcome === 'timeout') row.timeouts++;
  if (s.outcome === 'tool_error') row.toolErrors++;
  if (s.outcome === 'cancelled') row.cancelled++;
  row.requestBytes += s.requestBytes;
  row.responseBytes += s.responseBytes;
  if (s.durationMs !== undefined && s.outcome !== 'pending') group.durations.push(s.durationMs);
}

function finish(groups: Map<string, Group>): TrafficStatsRow[] {
  const rows: TrafficStatsRow[] = [];
  for (const { row, durations } of groups.values()) {
    if (durations.length) {
      durations.sort((a, b) => a - b);
      row.p50Ms = percentile(durations, 0.5);
      row.p95Ms = percentile(durations, 0.95);
    }
    rows.push(row);
  }
  return rows.sort((a, b) => b.calls - a.calls || a.server.localeCompare(b.server));
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
