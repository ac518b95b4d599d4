/**
 * One path, one round: start it, time the first answers, read idle memory, then sequential
 * latency, throughput with N calls in flight, progress, blobs and the id-collision check, with
 * the bridge's CPU and memory read from /proc around each window. Every answer is verified.
 */
import { performance } from 'node:perf_hooks';
import { blobText } from './blob.ts';
import type { PathContext, PathSpec, Started } from './paths.ts';
import { isEchoServer } from './paths.ts';
import os from 'node:os';
import { cpuTicks, machineBusyTicks, memory, processTree, readCmdline, TICKS_PER_SECOND } from './proc.ts';
import { HttpError, type Message, type RpcClient } from './rpc.ts';
import { percentile, sortedCopy } from './stats.ts';

export interface Plan {
  rounds: number;
  warmup: number;
  sequential: number;
  concurrent: number;
  inflight: number;
  progressCalls: number;
  progressCount: number;
  progressInflight: number;
  blobBytes: number;
  blobCount: number;
  smallBlobs: number;
  smallBlobBytes: number;
  collisionCalls: number;
  idleSettleMs: number;
  startTimeoutMs: number;
  pathTimeoutMs: number;
}

export const FULL_PLAN: Plan = {
  rounds: 5,
  warmup: 300,
  sequential: 2000,
  concurrent: 5000,
  inflight: 16,
  progressCalls: 32,
  progressCount: 10,
  progressInflight: 4,
  blobBytes: 10_000_000,
  blobCount: 5,
  smallBlobs: 32,
  smallBlobBytes: 65_536,
  collisionCalls: 400,
  idleSettleMs: 500,
  startTimeoutMs: 30_000,
  pathTimeoutMs: 180_000,
};

export const QUICK_PLAN: Plan = {
  ...FULL_PLAN,
  rounds: 1,
  warmup: 50,
  sequential: 300,
  concurrent: 800,
  progressCalls: 8,
  blobCount: 1,
  smallBlobs: 16,
  collisionCalls: 100,
  idleSettleMs: 300,
  pathTimeoutMs: 60_000,
};

/** Profiling: only small calls (where per-call overhead shows), or only 10 MB responses. */
export const PROFILE_CALLS_PLAN: Plan = {
  ...FULL_PLAN,
  rounds: 1,
  warmup: 300,
  sequential: 3000,
  concurrent: 10_000,
  progressCalls: 0,
  blobCount: 0,
  smallBlobs: 0,
  collisionCalls: 0,
};
export const PROFILE_BLOBS_PLAN: Plan = {
  ...FULL_PLAN,
  rounds: 1,
  warmup: 50,
  sequential: 50,
  concurrent: 50,
  progressCalls: 0,
  blobCount: 10,
  smallBlobs: 0,
  collisionCalls: 0,
};

export interface Verification {
  echoCalls: number;
  echoOk: number;
  blobCalls: number;
  blobOk: number;
  /** Calls that failed: JSON-RPC or tool errors, HTTP errors, timeouts. */
  failed: number;
  /** Answers that belonged to another call, and responses for no call in flight. */
  misrouted: number;
  /** Wrong content that matched no other call. */
  wrong: number;
  progressCalls: number;
  progressExpected: number;
  /** Notifications that arrived for their call, in order, before its result. */
  progressBeforeResult: number;
  /** Progress notifications after their result or for no call. */
  progressStray: number;
  /** Progress calls whose notifications were missing, out of order or late. */
  progressBadCalls: number;
}

export interface RoundResult {
  path: string;
  round: number;
  available: boolean;
  reason?: string;
  toolName?: string;
  firstResponseMs?: number;
  firstCallMs?: number;
  latencyUs?: { p50: number; p90: number; p99: number; mean: number; n: number };
  callsPerSec?: number;
  concurrentMs?: number;
  cpu?: {
    seqUsPerCall: number;
    concUsPerCall: number;
    seqTicks: number;
    concTicks: number;
    pids: number;
    /** Per bridge process (the shim path: gateway and shim). */
    byProcess: { process: string; seqUsPerCall: number; concUsPerCall: number }[];
  };
  /**
   * CPU the rest of the machine used during the measured windows, as a share of all cores
   * (other programs on a shared machine disturb a run: such rounds are measured again).
   */
  foreignCpuShare?: number;
  /** The load client's own CPU per call (this process), for context. */
  clientCpuUsPerCall?: { seq: number; conc: number };
  /** The echo server's own CPU per call (context, not a target). */
  serverCpuUsPerCall?: number;
  /** The whole bridge (for the shim path: gateway + shim), and its main process alone (the gateway). */
  memMb?: {
    idleRss: number;
    peakLoad: number;
    peakAll: number;
    mainIdleRss: number;
    mainPeakLoad: number;
    mainPeakAll: number;
  };
  blobMbPerSec?: number;
  blobMs?: number[];
  verify: Verification;
  errors: string[];
  durationMs: number;
}

const ticksToUs = (ticks: number) => (ticks * 1e6) / TICKS_PER_SECOND;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newVerification(): Verification {
  return {
    echoCalls: 0,
    echoOk: 0,
    blobCalls: 0,
    blobOk: 0,
    failed: 0,
    misrouted: 0,
    wrong: 0,
    progressCalls: 0,
    progressExpected: 0,
    progressBeforeResult: 0,
    progressStray: 0,
    progressBadCalls: 0,
  };
}

function textOf(msg: Message): string | undefined {
  const content = msg.result?.content as { type?: string; text?: string }[] | undefined;
  return Array.isArray(content) && content[0]?.type === 'text' ? content[0].text : undefined;
}

function describe(msg: Message): string {
  if (msg.error) return `error ${msg.error.code}: ${msg.error.message}`;
  if (msg.result?.isError) return `tool error: ${textOf(msg) ?? ''}`.slice(0, 300);
  return 'no text content';
}

class Checker {
  readonly v = newVerification();
  readonly errors: string[] = [];
  /** Texts of echo calls in flight, to tell a misrouted answer from a wrong one. */
  private readonly inflight = new Set<string>();
  private seq = 0;
  private readonly tag: string;

  constructor(tag: string) {
    this.tag = tag;
  }

  note(err: unknown): void {
    if (this.errors.length < 8) this.errors.push(err instanceof Error ? err.message.slice(0, 300) : String(err));
  }

  /** Unique, with characters that need JSON escaping and a non-ASCII one. */
  echoText(): string {
    return `"${this.tag}" #${this.seq++} ✓\\`;
  }

  async echo(client: RpcClient, tool: string, timeoutMs = 30_000): Promise<boolean> {
    const text = this.echoText();
    this.v.echoCalls++;
    this.inflight.add(text);
    try {
      const msg = await client.request('tools/call', { name: tool, arguments: { text } }, { timeoutMs });
      const got = textOf(msg);
      if (got === text) {
        this.v.echoOk++;
        return true;
      }
      if (got !== undefined && this.inflight.has(got)) this.v.misrouted++;
      else if (got !== undefined) this.v.wrong++;
      else {
        this.v.failed++;
        this.note(describe(msg));
      }
      return false;
    } catch (err) {
      if (err instanceof HttpError && err.code === 'misrouted') this.v.misrouted++;
      else this.v.failed++;
      this.note(err);
      return false;
    } finally {
      this.inflight.delete(text);
    }
  }

  async blob(client: RpcClient, tool: string, bytes: number, seed: number): Promise<boolean> {
    this.v.blobCalls++;
    try {
      const msg = await client.request(
        'tools/call',
        { name: tool, arguments: { bytes, seed } },
        { timeoutMs: 120_000 },
      );
      const got = textOf(msg);
      if (got === blobText(bytes, seed)) {
        this.v.blobOk++;
        return true;
      }
      if (got === undefined) {
        this.v.failed++;
        this.note(describe(msg));
      } else this.v.wrong++;
      return false;
    } catch (err) {
      this.v.failed++;
      this.note(err);
      return false;
    }
  }

  async progress(client: RpcClient, tool: string, count: number, token: string): Promise<void> {
    this.v.progressCalls++;
    this.v.progressExpected += count;
    const seen: number[] = [];
    let done = false;
    let late = 0;
    try {
      const msg = await client.request(
        'tools/call',
        { name: tool, arguments: { count }, _meta: { progressToken: token } },
        {
          timeoutMs: 30_000,
          onProgress: (n) => {
            if (done) late++;
            else seen.push(Number(n.params?.progress));
          },
        },
      );
      done = true;
      if (textOf(msg) !== `progress ${count}`) {
        this.v.failed++;
        this.note(describe(msg));
      }
    } catch (err) {
      this.v.failed++;
      this.note(err);
    }
    const inOrder = seen.every((p, i) => p === i + 1);
    this.v.progressBeforeResult += inOrder ? seen.length : 0;
    if (!inOrder || seen.length !== count || late) {
      this.v.progressBadCalls++;
      this.note(
        `progress call ${token}: ${seen.length}/${count} notifications before the ` +
          `result${inOrder ? '' : ' (out of order)'}${late ? `, ${late} after it` : ''}`,
      );
    }
  }

  /** Runs `total` calls of `one` with `inflight` in flight. */
  static async pool(total: number, inflight: number, one: (i: number) => Promise<unknown>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < total) await one(next++);
    };
    await Promise.all(Array.from({ length: Math.min(inflight, total) }, worker));
  }
}

function retryable(err: unknown): boolean {
  if (err instanceof HttpError)
    return err.status === undefined || err.status === 404 || err.status === 502 || err.status === 503;
  return false;
}

async function initialize(client: RpcClient, deadline: number): Promise<Message> {
  for (;;) {
    try {
      return await client.request(
        'initialize',
        {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'switchboard-bench', version: '1.0.0' },
        },
        { timeoutMs: Math.max(1, deadline - performance.now()) },
      );
    } catch (err) {
      if (!retryable(err) || performance.now() > deadline) throw err;
      await sleep(5);
    }
  }
}

async function session(client: RpcClient, deadline: number): Promise<void> {
  const init = await initialize(client, deadline);
  if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
  await client.notify('notifications/initialized');
}

interface Tools {
  echo: string;
  blob?: string;
  progress?: string;
}

function pick(names: string[], tool: string): string | undefined {
  return (
    names.find((n) => n === tool) ??
    names.find((n) => n.endsWith(`__${tool}`) || n.endsWith(`_${tool}`) || n.endsWith(`.${tool}`))
  );
}

async function findTools(
  client: RpcClient,
  started: Started,
  deadline: number,
): Promise<Tools | { unavailable: string }> {
  for (;;) {
    const failed = started.status
      ? (await started.status().catch(() => [])).find((s) => s.state === 'failed')
      : undefined;
    if (failed) return { unavailable: failed.lastError ?? `server "${failed.name}" failed` };
    const list = await client.request('tools/list', {}, { timeoutMs: 10_000 });
    const names = ((list.result?.tools as { name: string }[] | undefined) ?? []).map((t) => t.name);
    const echo = pick(names, 'echo');
    if (echo)
      return {
        echo,
        ...(pick(names, 'blob') ? { blob: pick(names, 'blob') } : {}),
        ...(pick(names, 'progress') ? { progress: pick(names, 'progress') } : {}),
      };
    if (performance.now() > deadline)
      return { unavailable: `no echo tool listed (tools: ${names.join(', ') || 'none'})` };
    await sleep(20);
  }
}

export async function measurePath(spec: PathSpec, round: number, plan: Plan, ctx: PathContext): Promise<RoundResult> {
  const t0 = performance.now();
  const check = new Checker(`${spec.id}/${round}`);
  const result: RoundResult = {
    path: spec.id,
    round,
    available: true,
    verify: check.v,
    errors: check.errors,
    durationMs: 0,
  };
  const clients: RpcClient[] = [];
  try {
    const deadline = performance.now() + plan.startTimeoutMs;
    const started = await spec.start(ctx);
    const client = started.client;
    clients.push(client);
    await session(client, deadline);
    result.firstResponseMs = performance.now() - started.spawnedAt;
    const tools = await findTools(client, started, deadline);
    if ('unavailable' in tools) {
      result.available = false;
      result.reason = tools.unavailable;
      return result;
    }
    result.toolName = tools.echo;
    // The first call may race the upstream's start: retry until it answers or the deadline.
    while (!(await check.echo(client, tools.echo, Math.max(1, deadline - performance.now())))) {
      if (performance.now() > deadline)
        throw new Error(`no echo answer before the deadline: ${check.errors.join('; ')}`);
      await sleep(20);
    }
    result.firstCallMs = performance.now() - started.spawnedAt;
    // Failures while the path was starting are not verification failures.
    Object.assign(check.v, newVerification(), { echoCalls: 1, echoOk: 1 });
    check.errors.length = 0;

    ctx.group.sweep();
    await sleep(plan.idleSettleMs);
    const bridge = processTree(started.bridge, isEchoServer);
    const servers = processTree(ctx.group.rootPids()).filter((pid) => isEchoServer(readCmdline(pid)));
    const mainTree = started.bridge.length ? processTree(started.bridge.slice(0, 1), isEchoServer) : [];
    const idle = memory(bridge);
    const idleMain = memory(mainTree);

    for (let i = 0; i < plan.warmup; i++) await check.echo(client, tools.echo);

    // Sequential latency.
    const samples = new Array<number>(plan.sequential);
    const roots = started.bridge.map((pid) => processTree([pid], isEchoServer));
    const rootTicks = () => roots.map((tree) => cpuTicks(tree));
    const root0 = rootTicks();
    const ours = () => cpuTicks(processTree(ctx.group.rootPids()));
    const ours0 = ours();
    const busy0 = machineBusyTicks();
    const wall0 = performance.now();
    const client0 = process.cpuUsage();
    const cpu0 = cpuTicks(bridge);
    const srv0 = cpuTicks(servers);
    for (let i = 0; i < plan.sequential; i++) {
      const s = performance.now();
      await check.echo(client, tools.echo);
      samples[i] = (performance.now() - s) * 1000;
    }
    const cpu1 = cpuTicks(bridge);
    const root1 = rootTicks();
    const client1 = process.cpuUsage(client0);
    const sorted = sortedCopy(samples);
    result.latencyUs = {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      mean: samples.reduce((a, b) => a + b, 0) / samples.length,
      n: samples.length,
    };

    // Throughput with `inflight` calls in flight.
    const c0 = performance.now();
    await Checker.pool(plan.concurrent, plan.inflight, () => check.echo(client, tools.echo));
    result.concurrentMs = performance.now() - c0;
    result.callsPerSec = plan.concurrent / (result.concurrentMs / 1000);
    const cpu2 = cpuTicks(bridge);
    const root2 = rootTicks();
    const srv2 = cpuTicks(servers);
    const client2 = process.cpuUsage(client0);
    const foreign =
      machineBusyTicks() - busy0 - (ours() - ours0) - ((client2.user + client2.system) * TICKS_PER_SECOND) / 1e6;
    result.foreignCpuShare = Math.max(
      0,
      foreign / (((performance.now() - wall0) / 1000) * TICKS_PER_SECOND * os.availableParallelism()),
    );
    result.cpu = started.bridge.length
      ? {
          seqUsPerCall: ticksToUs(cpu1 - cpu0) / plan.sequential,
          concUsPerCall: ticksToUs(cpu2 - cpu1) / plan.concurrent,
          seqTicks: cpu1 - cpu0,
          concTicks: cpu2 - cpu1,
          pids: bridge.length,
          byProcess: roots.map((_, i) => ({
            process: started.bridgeNames?.[i] ?? `root ${i}`,
            seqUsPerCall: ticksToUs((root1[i] as number) - (root0[i] as number)) / plan.sequential,
            concUsPerCall: ticksToUs((root2[i] as number) - (root1[i] as number)) / plan.concurrent,
          })),
        }
      : undefined;
    result.clientCpuUsPerCall = {
      seq: (client1.user + client1.system) / plan.sequential,
      conc: (client2.user + client2.system - client1.user - client1.system) / plan.concurrent,
    };
    if (servers.length) result.serverCpuUsPerCall = ticksToUs(srv2 - srv0) / (plan.sequential + plan.concurrent);
    const peakLoad = memory(bridge).hwmKb;
    const peakLoadMain = memory(mainTree).hwmKb;

    // Progress: notifications must all arrive, in order, before their result.
    if (spec.progress && tools.progress) {
      const tool = tools.progress;
      await Checker.pool(plan.progressCalls, plan.progressInflight, (i) =>
        check.progress(client, tool, plan.progressCount, `tok-${round}-${i}`),
      );
    }

    // Blobs: small ones in flight together (routing), then big ones one at a time (MB/s).
    if (tools.blob) {
      const tool = tools.blob;
      await Checker.pool(plan.smallBlobs, plan.inflight, (i) => check.blob(client, tool, plan.smallBlobBytes + i, i));
      const times: number[] = [];
      for (let i = 0; i < plan.blobCount; i++) {
        const seed = round * 10 + i;
        blobText(plan.blobBytes, seed); // the expected text is built before the clock starts
        const s = performance.now();
        const ok = await check.blob(client, tool, plan.blobBytes, seed);
        if (ok) times.push(performance.now() - s);
      }
      result.blobMs = times;
      const sortedTimes = sortedCopy(times);
      const mid = sortedTimes.length ? sortedTimes[sortedTimes.length >> 1] : undefined;
      result.blobMbPerSec = mid === undefined ? undefined : plan.blobBytes / 1e6 / (mid / 1000);
    }
    ctx.group.sweep();
    const peakAll = memory(bridge).hwmKb;
    const peakAllMain = memory(mainTree).hwmKb;
    if (started.bridge.length) {
      result.memMb = {
        idleRss: idle.rssKb / 1024,
        peakLoad: peakLoad / 1024,
        peakAll: peakAll / 1024,
        mainIdleRss: idleMain.rssKb / 1024,
        mainPeakLoad: peakLoadMain / 1024,
        mainPeakAll: peakAllMain / 1024,
      };
    }

    // Two sessions using the same request ids at once: each must get only its own answers.
    if (started.newClient && plan.collisionCalls > 0) {
      const other = await started.newClient();
      clients.push(other);
      await session(other, performance.now() + plan.startTimeoutMs);
      client.resetIds(1_000_000);
      other.resetIds(1_000_000);
      const half = Math.max(1, plan.inflight >> 1);
      await Promise.all([
        Checker.pool(plan.collisionCalls, half, () => check.echo(client, tools.echo)),
        Checker.pool(plan.collisionCalls, half, () => check.echo(other, tools.echo)),
      ]);
    }
    for (const c of clients) check.v.misrouted += c.strays.responses;
    for (const c of clients) check.v.progressStray += c.strays.progress;
    return result;
  } catch (err) {
    result.available = result.latencyUs !== undefined;
    check.note(err);
    if (!result.available) result.reason = `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    check.v.failed++;
    return result;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await ctx.group.stopAll();
    result.durationMs = performance.now() - t0;
  }
}
