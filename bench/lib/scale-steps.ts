/**
 * The scale curves' steps over servers and over tools: one fresh gateway per step, so no step
 * inherits another's heap. The clients curve is in scale-clients.ts.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ProcessGroup } from './proc.ts';
import { Session, textOf, type Answer } from './scale-client.ts';
import { startGateway, type Gateway, type ScaleContext } from './scale-gateway.ts';
import { LegacySseSession, startPeer } from './scale-peer.ts';
import { median, percentile, sortedCopy } from './stats.ts';

export interface ScalePlan {
  /** Every step is measured this many times (interleaved); a point is the median of its rounds. */
  rounds: number;
  /** Servers curve: server counts, each server with `toolsPerServer` tools. */
  servers: number[];
  toolsPerServer: number;
  /** Tools curve: total tools, spread over `toolServers` servers. */
  tools: number[];
  toolServers: number;
  /** Clients curve: initialized sessions; `busyShare` of them keep `inflight` calls in flight. */
  clients: number[];
  busyShare: number;
  inflight: number;
  /** tools/list calls per step (sequential, one client), fewer when `listBudgetMs` runs out. */
  listCalls: number;
  listBudgetMs: number;
  /** Catalog changes timed per tools step. */
  bumps: number;
  /** How long the busy sessions call. */
  busyMs: number;
  /** Quiet time before RSS is read. */
  settleMs: number;
  stepTimeoutMs: number;
  /** The whole scale run. */
  deadlineMs: number;
  /** Experiment: config listen.http.limits for every gateway (default: the gateway's defaults). */
  httpLimits?: Record<string, number>;
}

export const FULL_SCALE_PLAN: ScalePlan = {
  rounds: 3,
  servers: [1, 10, 50, 100],
  toolsPerServer: 20,
  tools: [100, 1000, 10_000],
  toolServers: 10,
  clients: [1, 50, 200],
  busyShare: 0.25,
  inflight: 4,
  listCalls: 200,
  listBudgetMs: 15_000,
  bumps: 7,
  busyMs: 5000,
  settleMs: 1500,
  stepTimeoutMs: 120_000,
  deadlineMs: 14 * 60_000,
};

export const QUICK_SCALE_PLAN: ScalePlan = {
  ...FULL_SCALE_PLAN,
  rounds: 1,
  servers: [1, 10],
  tools: [100, 1000],
  clients: [1, 50],
  listCalls: 50,
  listBudgetMs: 5000,
  bumps: 3,
  busyMs: 1500,
  settleMs: 800,
  stepTimeoutMs: 60_000,
  deadlineMs: 4 * 60_000,
};

export interface ListStats {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  /** Size of one answer on the wire. */
  bytes: number;
  tools: number;
  /** Switchboard only: the gateway's own time per list (traffic record), without client and network. */
  gatewayP50Ms?: number;
}

export interface ServersPoint {
  servers: number;
  listenerMs: number;
  initializeMs: number;
  readyMs: number;
  idleRssMb: number;
  list: ListStats;
  /** SIGTERM → gateway exited, and → all its processes gone. */
  stopMs: number;
  goneMs: number;
}

export interface ToolsPoint {
  tools: number;
  servers: number;
  idleRssMb: number;
  list: ListStats;
  /** Per bump, from its answer: list_changed on the GET stream, and a tools/list showing the change. */
  notifyMs: number[];
  visibleMs: number[];
}

/** The aggregation peer (scale-peer.ts) at one step of the servers or the tools curve. */
export interface PeerPoint {
  servers: number;
  tools: number;
  listenerMs: number;
  readyMs: number;
  idleRssMb: number;
  list: ListStats;
  stopMs: number;
  goneMs: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Tool = { name: string };
const toolsOf = (msg: { result?: Record<string, unknown> }): Tool[] => (msg.result?.tools as Tool[] | undefined) ?? [];

/** The exposed name of a server's tool (the gateway may prefix it with the server's name). */
export function findTool(tools: Tool[], original: string): string {
  const found = tools.find((t) => t.name === original || t.name.endsWith(`__${original}`));
  if (!found) throw new Error(`no tool "${original}" among ${tools.length}`);
  return found.name;
}

/** RSS after a quiet time: the median of a few readings (a GC can land on one). */
export async function idleRss(gw: { rssMb(): number }, settleMs: number): Promise<number> {
  await sleep(settleMs);
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(gw.rssMb());
    await sleep(100);
  }
  return median(readings) as number;
}

/** One client, sequential tools/list calls after a short warm-up. */
export async function listLatency(
  session: { request(method: string, params: Record<string, unknown>): Promise<Answer> },
  plan: ScalePlan,
): Promise<{ stats: ListStats; tools: Tool[] }> {
  let last = await session.request('tools/list', {});
  for (let i = 0; i < Math.min(20, plan.listCalls / 5); i++) last = await session.request('tools/list', {});
  const times: number[] = [];
  const stop = performance.now() + plan.listBudgetMs;
  while (times.length < plan.listCalls && (times.length < 20 || performance.now() < stop)) {
    const t = performance.now();
    last = await session.request('tools/list', {});
    times.push(performance.now() - t);
  }
  const sorted = sortedCopy(times);
  const tools = toolsOf(last.msg);
  return {
    stats: {
      calls: times.length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      bytes: last.bytes,
      tools: tools.length,
    },
    tools,
  };
}

/** The list's figures with the gateway's own p50 for the same calls added. */
async function withGatewayTime(gw: Gateway, list: ListStats): Promise<ListStats> {
  const times = await gw.recordedMs('tools/list', list.calls);
  return { ...list, gatewayP50Ms: median(times) ?? NaN };
}

export async function serversPoint(
  ctx: ScaleContext,
  group: ProcessGroup,
  plan: ScalePlan,
  servers: number,
): Promise<ServersPoint> {
  const gw = await startGateway(ctx, group, servers, plan.toolsPerServer, plan.stepTimeoutMs / 2);
  const idleRssMb = await idleRss(gw, plan.settleMs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let list: ListStats;
  try {
    const session = new Session(gw.url, agent);
    await session.initialize();
    list = await withGatewayTime(gw, (await listLatency(session, plan)).stats);
    if (list.tools !== servers * plan.toolsPerServer)
      throw new Error(`tools/list had ${list.tools} tools, expected ${servers * plan.toolsPerServer}`);
    await session.close();
  } finally {
    agent.destroy();
  }
  const { exitMs, goneMs } = await gw.stop();
  return {
    servers,
    listenerMs: gw.listenerMs,
    initializeMs: gw.initializeMs,
    readyMs: gw.readyMs,
    idleRssMb,
    list,
    stopMs: exitMs,
    goneMs,
  };
}

/** Resolves with the first time in `times` at index `index` or later, polling it. */
async function arrival(times: number[], index: number, timeoutMs: number): Promise<number> {
  const until = performance.now() + timeoutMs;
  while (times.length <= index) {
    if (performance.now() > until) throw new Error('no notifications/tools/list_changed on the GET stream');
    await sleep(1);
  }
  return times[index] as number;
}

/**
 * Catalog changes: `bump` renames one tool of one server, which says list_changed. Timed from
 * the bump's answer: (a) the gateway's list_changed on the client's GET stream (it is sent once
 * the gateway has fetched the server's new list), (b) a tools/list the client sends on (a) that
 * shows the renamed tool (the merged view is rebuilt for it), listing again if it does not yet.
 */
async function catalogChanges(
  session: Session,
  tools: Tool[],
  bumps: number,
): Promise<{ notify: number[]; visible: number[] }> {
  const bump = findTool(tools, 'bump');
  const changes: number[] = [];
  const closeStream = await session.openStream((m) => {
    if (m.method === 'notifications/tools/list_changed') changes.push(performance.now());
  });
  const notify: number[] = [];
  const visible: number[] = [];
  try {
    for (let i = 0; i < bumps; i++) {
      const seen = changes.length;
      const { msg } = await session.request('tools/call', { name: bump, arguments: {} });
      const answered = performance.now();
      const want = textOf(msg);
      if (!want?.startsWith('gen_')) throw new Error(`bump answered ${JSON.stringify(msg).slice(0, 200)}`);
      notify.push((await arrival(changes, seen, 10_000)) - answered);
      for (;;) {
        const { msg: listed } = await session.request('tools/list', {});
        if (toolsOf(listed).some((t) => t.name.endsWith(want))) break;
        if (performance.now() - answered > 10_000) throw new Error(`${want} not listed 10 s after the bump`);
      }
      visible.push(performance.now() - answered);
      await sleep(100);
    }
  } finally {
    closeStream();
  }
  return { notify, visible };
}

export async function toolsPoint(
  ctx: ScaleContext,
  group: ProcessGroup,
  plan: ScalePlan,
  total: number,
): Promise<ToolsPoint> {
  const servers = plan.toolServers;
  const gw = await startGateway(ctx, group, servers, Math.round(total / servers), plan.stepTimeoutMs / 2);
  const idleRssMb = await idleRss(gw, plan.settleMs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const session = new Session(gw.url, agent);
    await session.initialize();
    const { stats, tools } = await listLatency(session, plan);
    const list = await withGatewayTime(gw, stats);
    if (list.tools !== total) throw new Error(`tools/list had ${list.tools} tools, expected ${total}`);
    const { notify, visible } = await catalogChanges(session, tools, plan.bumps);
    await session.close();
    return { tools: total, servers, idleRssMb, list, notifyMs: notify, visibleMs: visible };
  } finally {
    agent.destroy();
  }
}

/**
 * The aggregation peer with `servers` × `tools` each: the same measurements as serversPoint, the
 * list through the peer's one endpoint for all servers.
 */
export async function peerPoint(
  ctx: ScaleContext,
  group: ProcessGroup,
  plan: ScalePlan,
  servers: number,
  tools: number,
): Promise<PeerPoint> {
  const peer = await startPeer(ctx, group, servers, tools, plan.stepTimeoutMs / 2);
  const idleRssMb = await idleRss(peer, plan.settleMs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let list: ListStats;
  try {
    const session = new LegacySseSession(peer.url, agent);
    await session.initialize();
    list = (await listLatency(session, plan)).stats;
    await session.close();
  } finally {
    agent.destroy();
  }
  if (list.tools !== servers * tools)
    throw new Error(`${peer.name}: tools/list had ${list.tools} tools, expected ${servers * tools}`);
  const { exitMs, goneMs } = await peer.stop();
  return {
    servers,
    tools: servers * tools,
    listenerMs: peer.listenerMs,
    readyMs: peer.readyMs,
    idleRssMb,
    list,
    stopMs: exitMs,
    goneMs,
  };
}
