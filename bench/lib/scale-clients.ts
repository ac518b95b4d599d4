/**
 * The clients curve: N initialized Streamable HTTP sessions on one gateway (one server, echo).
 * Memory per idle session: RSS with N idle sessions against RSS with none, after one session has
 * been through the whole path and ended (first-use costs, code and JIT, are not per session).
 * Idle sessions hold no connection (no keep-alive), so this is the gateway's session state.
 * Then `busyShare` of them keep `inflight` echo calls in flight each; every echo carries a unique
 * token and each answer must carry its own: another call's token is a misrouted answer.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { cpuTicks, TICKS_PER_SECOND, type ProcessGroup } from './proc.ts';
import { Session, textOf } from './scale-client.ts';
import { startGateway, type Gateway, type ScaleContext } from './scale-gateway.ts';
import { findTool, idleRss, type ScalePlan } from './scale-steps.ts';
import { percentile, sortedCopy } from './stats.ts';

export interface ClientsPoint {
  sessions: number;
  busy: number;
  rssNoneMb: number;
  rssIdleMb: number;
  /** (rssIdle − rssNone) / sessions. */
  perIdleSessionKb: number;
  calls: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** Failed calls whose connection was reset or closed under them. */
  resets: number;
  misrouted: number;
  wrong: number;
  errors: string[];
  /** What the gateway logged about connection pressure (it sheds waiting connections over its limits). */
  pressure: string[];
  /** Gateway CPU per call, and the load client's own CPU share of one core (it may be the limit). */
  gatewayCpuUsPerCall: number;
  clientCpuShare: number;
}

interface Load {
  calls: number;
  latencies: number[];
  failed: number;
  resets: number;
  misrouted: number;
  wrong: number;
  errors: string[];
}

async function busyLoad(sessions: Session[], echo: string, inflight: number, ms: number): Promise<Load> {
  const load: Load = { calls: 0, latencies: [], failed: 0, resets: 0, misrouted: 0, wrong: 0, errors: [] };
  const issued = new Set<string>();
  const note = (e: unknown) => load.errors.length < 5 && load.errors.push(String(e).slice(0, 200));
  const end = performance.now() + ms;
  const worker = async (session: Session, tag: string) => {
    for (let seq = 0; performance.now() < end; seq++) {
      const token = `${tag}#${seq} "✓"`;
      issued.add(token);
      load.calls++;
      const t = performance.now();
      try {
        const { msg } = await session.request('tools/call', { name: echo, arguments: { text: token } }, 15_000);
        const got = textOf(msg);
        if (got === token) load.latencies.push(performance.now() - t);
        else if (got !== undefined && issued.has(got)) load.misrouted++;
        else if (got !== undefined) load.wrong++;
        else {
          load.failed++;
          note(JSON.stringify(msg.error ?? msg.result));
        }
      } catch (err) {
        load.failed++;
        if (/ECONNRESET|EPIPE|socket hang up/.test(String(err))) load.resets++;
        note(err);
      }
    }
  };
  await Promise.all(sessions.flatMap((s, i) => Array.from({ length: inflight }, (_, w) => worker(s, `c${i}w${w}`))));
  return load;
}

/** Initializes the sessions a few at a time, as clients arriving close together would. */
async function openSessions(gw: Gateway, n: number, agent: http.Agent): Promise<Session[]> {
  const sessions = Array.from({ length: n }, () => new Session(gw.url, agent));
  for (let i = 0; i < n; i += 8) await Promise.all(sessions.slice(i, i + 8).map((s) => s.initialize()));
  return sessions;
}

export async function clientsPoint(
  ctx: ScaleContext,
  group: ProcessGroup,
  plan: ScalePlan,
  n: number,
): Promise<ClientsPoint> {
  const gw = await startGateway(ctx, group, 1, plan.toolsPerServer, plan.stepTimeoutMs / 2);
  const idleAgent = new http.Agent({ keepAlive: false });
  const busyAgents: http.Agent[] = [];
  try {
    const warm = new Session(gw.url, idleAgent);
    await warm.initialize();
    const echo = findTool(
      ((await warm.request('tools/list', {})).msg.result?.tools as { name: string }[]) ?? [],
      'echo',
    );
    for (let i = 0; i < 50; i++) await warm.request('tools/call', { name: echo, arguments: { text: 'warm' } });
    await warm.close();
    const rssNoneMb = await idleRss(gw, plan.settleMs);

    const sessions = await openSessions(gw, n, idleAgent);
    const rssIdleMb = await idleRss(gw, plan.settleMs);

    const busy = sessions.slice(0, Math.max(1, Math.round(n * plan.busyShare)));
    for (const s of busy) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: plan.inflight });
      busyAgents.push(agent);
      s.useAgent(agent);
    }
    const ticks0 = cpuTicks([gw.pid]);
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    const load = await busyLoad(busy, echo, plan.inflight, plan.busyMs);
    const elapsedMs = performance.now() - t0;
    const clientCpu = process.cpuUsage(client0);
    const gatewayUs = ((cpuTicks([gw.pid]) - ticks0) * 1e6) / TICKS_PER_SECOND;
    const sorted = sortedCopy(load.latencies);
    return {
      sessions: n,
      busy: busy.length,
      rssNoneMb,
      rssIdleMb,
      perIdleSessionKb: ((rssIdleMb - rssNoneMb) * 1024) / n,
      calls: load.calls,
      callsPerSec: (load.latencies.length * 1000) / elapsedMs,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      failed: load.failed,
      resets: load.resets,
      misrouted: load.misrouted,
      wrong: load.wrong,
      errors: load.errors,
      pressure: gw
        .stderr()
        .split('\n')
        .filter((l) => l.includes('connection pressure')),
      gatewayCpuUsPerCall: gatewayUs / Math.max(1, load.calls),
      clientCpuShare: (clientCpu.user + clientCpu.system) / 1000 / elapsedMs,
    };
  } finally {
    idleAgent.destroy();
    for (const a of busyAgents) a.destroy();
  }
}
