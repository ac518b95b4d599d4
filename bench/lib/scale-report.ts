/**
 * The scale curves as markdown (tables, and where each curve bends) and as chart specs.
 */
import type { ChartSpec } from './scale-chart.ts';
import type { ClientsPoint } from './scale-clients.ts';
import type { PeerPoint, ScalePlan, ServersPoint, ToolsPoint } from './scale-steps.ts';
import { median } from './stats.ts';

export interface ScaleResults {
  plan: ScalePlan;
  servers: ServersPoint[];
  tools: ToolsPoint[];
  clients: ClientsPoint[];
  /** Clients points that saw connection resets, measured again with maxPendingConnections raised. */
  clientsRaisedLimit: ClientsPoint[];
  /** The aggregation peer on the same servers and tools steps (scale-peer.ts), when it ran. */
  peer?: { name: string; servers: PeerPoint[]; tools: PeerPoint[] };
  /** Plain Node from spawn to answering HTTP: the floor under the listener time. */
  nodeListenerMs?: number;
  /** Steps that did not complete, with why. */
  failures: { step: string; error: string }[];
}

/** The issue's targets. */
export const LISTENER_TARGET_MS = 250;
export const STOP_TARGET_MS = 1000;
/** tools/list at the gateway, by number of tools. */
export const LIST_TARGETS_MS: Record<number, number> = { 1000: 0.5, 10_000: 3 };

const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
const kb = (bytes: number) => f1(bytes / 1024);
const med = (xs: number[]) => median(xs) ?? NaN;

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---:')), ...rows.map(line)].join('\n');
}

/** RSS growth per server: (RSS at N − RSS at 1) / (N − 1). */
export function rssPerServer(points: { servers: number; idleRssMb: number }[]): (number | undefined)[] {
  const one = points.find((p) => p.servers === 1);
  return points.map((p) => (one && p.servers > 1 ? (p.idleRssMb - one.idleRssMb) / (p.servers - 1) : undefined));
}

/**
 * How y grows with x, in words: the cost per unit of x on each segment, and where that cost
 * rises or falls by half or more (a bend), when the difference matters (over 10% of the largest
 * value; smaller ones are within run-to-run noise).
 */
export function growth(name: string, xs: number[], ys: number[], unit: string, per: string): string {
  const pts = xs.map((x, i) => ({ x, y: ys[i] as number })).filter((p) => Number.isFinite(p.y));
  if (pts.length < 2) return `${name}: too few points.`;
  const top = Math.max(...pts.map((p) => Math.abs(p.y)));
  const spread = Math.max(...pts.map((p) => p.y)) - Math.min(...pts.map((p) => p.y));
  const values = `${pts.map((p) => fmt(p.y)).join(' → ')} ${unit}`;
  if (spread < 0.03 * top) return `${name}: flat (${values}).`;
  const slopes = pts.slice(1).map((p, i) => (p.y - pts[i]!.y) / (p.x - pts[i]!.x));
  const matters = (dy: number) => Math.abs(dy) >= 0.1 * top;
  const drops = slopes.filter((s, i) => s < 0 && matters(s * (pts[i + 1]!.x - pts[i]!.x)));
  if (drops.length === slopes.length) return `${name}: falls (${values}).`;
  if (drops.length) return `${name}: not monotonic (${values}): noise or a step that varies.`;
  const segs = slopes.map((s, i) => `${fmt(s)} ${unit}/${per} (${pts[i]!.x}→${pts[i + 1]!.x})`).join(', ');
  const small = spread < 0.1 * top ? `, small (${values})` : '';
  if (pts.length === 2) return `${name}: ${segs}${small}; two points give no shape.`;
  const bends: string[] = [];
  for (let i = 1; i < slopes.length; i++) {
    const before = slopes[i - 1]!;
    const after = slopes[i]!;
    if (!matters((after - before) * (pts[i + 1]!.x - pts[i]!.x))) continue;
    if (after > 1.5 * Math.max(before, 0))
      bends.push(`bends up after ${pts[i]!.x}${before > 0 ? ` (${fmt(after / before)}× the cost per ${per})` : ''}`);
    else if (after < before / 1.5) bends.push(`bends down after ${pts[i]!.x}`);
  }
  const shape = bends.some((b) => b.includes('up')) ? 'superlinear' : bends.length ? 'sublinear' : 'linear';
  return `${name}: ${shape}${small}${bends.length ? `, ${bends.join('; ')}` : ''}; ${segs}.`;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(3) : v.toPrecision(2);
}

function serversSection(points: ServersPoint[], plan: ScalePlan, floorMs: number | undefined): string {
  const per = rssPerServer(points);
  const rows = points.map((p, i) => [
    String(p.servers),
    String(p.list.tools),
    f0(p.listenerMs),
    f0(p.initializeMs),
    f0(p.readyMs),
    f1(p.idleRssMb),
    per[i] === undefined ? '–' : f2(per[i]),
    `${f2(p.list.p50Ms)} / ${f2(p.list.p99Ms)}`,
    f2(p.list.gatewayP50Ms ?? NaN),
    kb(p.list.bytes),
    f0(p.stopMs),
    f0(p.goneMs),
  ]);
  const xs = points.map((p) => p.servers);
  const worstListener = Math.max(...points.map((p) => p.listenerMs));
  const worstStop = Math.max(...points.map((p) => p.goneMs));
  return [
    `### Servers (stdio, ${plan.toolsPerServer} tools each)`,
    '',
    table(
      [
        'servers',
        'tools',
        'listener answers (ms)',
        'initialize answered (ms)',
        'all ready (ms)',
        'idle RSS (MB)',
        'RSS per server (MB)',
        'tools/list p50 / p99 (ms)',
        'at the gateway p50 (ms)',
        'list size (KB)',
        'stop: gateway exit (ms)',
        'stop: all processes gone (ms)',
      ],
      rows,
    ),
    '',
    `Listener target ≤ ${LISTENER_TARGET_MS} ms: ${worstListener <= LISTENER_TARGET_MS ? 'met' : 'missed'} ` +
      `(worst ${f0(worstListener)} ms). Stop target ≤ ${STOP_TARGET_MS} ms: ` +
      `${worstStop <= STOP_TARGET_MS ? 'met' : 'missed'} (worst ${f0(worstStop)} ms). ` +
      (floorMs === undefined
        ? ''
        : `Plain Node, spawned and answering HTTP, takes ${f0(floorMs)} ms here: the floor. `) +
      'Listener: any HTTP answer. initialize waits up to 1 s for servers still starting (by design), ' +
      'longer when the gateway is busy starting them. ' +
      'Stop: SIGTERM until the gateway exited, and until every process it started is gone.',
    '',
    `- ${growth(
      'Idle RSS',
      xs,
      points.map((p) => p.idleRssMb),
      'MB',
      'server',
    )}`,
    `- ${growth(
      'Time to all ready',
      xs,
      points.map((p) => p.readyMs),
      'ms',
      'server',
    )}`,
    `- ${growth(
      'Listener answers',
      xs,
      points.map((p) => p.listenerMs),
      'ms',
      'server',
    )}`,
    `- ${growth(
      'tools/list p50',
      xs,
      points.map((p) => p.list.p50Ms),
      'ms',
      'server',
    )}`,
    `- ${growth(
      'Stop (all gone)',
      xs,
      points.map((p) => p.goneMs),
      'ms',
      'server',
    )}`,
  ].join('\n');
}

function toolsSection(points: ToolsPoint[], plan: ScalePlan): string {
  const rows = points.map((p) => [
    `${p.tools} (${p.servers} × ${Math.round(p.tools / p.servers)})`,
    `${f2(p.list.p50Ms)} / ${f2(p.list.p99Ms)}`,
    f2(p.list.gatewayP50Ms ?? NaN),
    kb(p.list.bytes),
    f1(p.idleRssMb),
    f1(med(p.notifyMs)),
    `${f1(med(p.visibleMs))} (max ${f1(Math.max(...p.visibleMs))})`,
  ]);
  const xs = points.map((p) => p.tools);
  return [
    `### Tools (over ${plan.toolServers} servers)`,
    '',
    table(
      [
        'tools',
        'tools/list p50 / p99 (ms)',
        'at the gateway p50 (ms)',
        'list size (KB)',
        'idle RSS (MB)',
        'list_changed after a change (ms, median)',
        'change visible in tools/list (ms, median)',
      ],
      rows,
    ),
    '',
    `tools/list is timed by the client, from sending the request to the answer parsed; "at the gateway" ` +
      'is the same calls as the traffic record times them, from the request read to its answer written ' +
      `(targets: ≤ ${LIST_TARGETS_MS[1000]} ms for 1,000 tools, ≤ ${LIST_TARGETS_MS[10_000]} ms for 10,000). ` +
      `A change: one server's \`bump\` renames one of its tools and sends \`notifications/tools/list_changed\` ` +
      `(${plan.bumps} per step). Timed from bump's answer to the gateway's list_changed on the client's GET ` +
      "stream (sent once it has fetched that server's new list), and to the answer of the tools/list the " +
      'client sends on it (listing again until the renamed tool shows), which includes one tools/list.',
    '',
    `- ${growth(
      'tools/list p50',
      xs,
      points.map((p) => p.list.p50Ms),
      'ms',
      'tool',
    )}`,
    `- ${growth(
      'List size',
      xs,
      points.map((p) => p.list.bytes / 1024),
      'KB',
      'tool',
    )}`,
    `- ${growth(
      'Change visible',
      xs,
      points.map((p) => med(p.visibleMs)),
      'ms',
      'tool',
    )}`,
  ].join('\n');
}

function clientsSection(points: ClientsPoint[], raised: ClientsPoint[], plan: ScalePlan): string {
  const row = (p: ClientsPoint, note = '') => [
    `${p.sessions} (${p.busy} busy)${note}`,
    `${f1(p.rssNoneMb)} → ${f1(p.rssIdleMb)}`,
    f1(p.perIdleSessionKb),
    f0(p.callsPerSec),
    `${f2(p.p50Ms)} / ${f2(p.p99Ms)}`,
    f0(p.gatewayCpuUsPerCall),
    `${(p.clientCpuShare * 100).toFixed(0)}%`,
    `${p.misrouted} / ${p.wrong} / ${p.failed}${p.resets ? ` (${p.resets} resets)` : ''} of ${p.calls}`,
  ];
  const rows = [...points.map((p) => row(p)), ...raised.map((p) => row(p, ', limit raised¹'))];
  const resets = points.filter((p) => p.resets > 0);
  const xs = points.map((p) => p.sessions);
  return [
    `### Clients (Streamable HTTP sessions, one server)`,
    '',
    table(
      [
        'sessions',
        'RSS: no session → all idle (MB)',
        'per idle session (KB)',
        'calls/s (busy ones)',
        'echo p50 / p99 (ms)',
        'gateway CPU (µs/call)',
        'load client CPU',
        'misrouted / wrong / failed',
      ],
      rows,
    ),
    '',
    `Busy: ${Math.round(plan.busyShare * 100)}% of the sessions (at least one), ${plan.inflight} echo calls in ` +
      `flight each (one keep-alive connection per call in flight) for ${plan.busyMs / 1000} s; every echo ` +
      "carries a unique token, an answer carrying another call's token counts as misrouted. Idle sessions " +
      'are initialized and hold no connection. Per idle session at 1 session is within RSS noise. ' +
      'calls/s and latencies count answered calls only; the last column adds up all rounds.',
    ...(resets.length
      ? [
          '',
          `¹ Failed calls at ${resets.map((p) => p.sessions).join(', ')} sessions are connection resets: the ` +
            'listener lets at most `listen.http.limits.maxPendingConnections` (64 by default) connections wait ' +
            'for a request; over that, a new connection closes the one that has waited longest. A kept-alive ' +
            'connection answered within the last second is in use and is never closed for room (before that ' +
            'rule, 3,019 calls of this step failed); what is left are connections of the load client that sat ' +
            'idle longer while others carried the load, closed for a newcomer, whose next request then fails. ' +
            'The rows marked "limit raised" are the same load with that limit at 1024.',
        ]
      : []),
    '',
    `- ${growth(
      'RSS with idle sessions',
      xs,
      points.map((p) => p.rssIdleMb - p.rssNoneMb),
      'MB',
      'session',
    )}`,
    `- ${growth(
      'echo p99',
      xs,
      points.map((p) => p.p99Ms),
      'ms',
      'session',
    )}`,
    `- ${growth(
      'Gateway CPU per call',
      xs,
      points.map((p) => p.gatewayCpuUsPerCall),
      'µs',
      'session',
    )}`,
  ].join('\n');
}

/** The peer's rows beside Switchboard's: same servers, same tools, same client and calls. */
function peerSection(peer: NonNullable<ScaleResults['peer']>, r: ScaleResults): string {
  const sb = new Map(r.servers.map((p) => [p.servers, p]));
  const per = rssPerServer(peer.servers);
  const ownPer = rssPerServer(r.servers);
  const ownPerAt = new Map(r.servers.map((p, i) => [p.servers, ownPer[i]]));
  const both = (theirs: string, ours: string | undefined) => `${theirs} (${ours ?? '–'})`;
  const serverRows = peer.servers.map((p, i) => {
    const own = sb.get(p.servers);
    return [
      String(p.servers),
      both(f0(p.readyMs), own && f0(own.readyMs)),
      both(f1(p.idleRssMb), own && f1(own.idleRssMb)),
      both(
        per[i] === undefined ? '–' : f2(per[i]),
        ownPerAt.get(p.servers) === undefined ? '–' : f2(ownPerAt.get(p.servers)!),
      ),
      both(`${f2(p.list.p50Ms)} / ${f2(p.list.p99Ms)}`, own && `${f2(own.list.p50Ms)} / ${f2(own.list.p99Ms)}`),
      both(kb(p.list.bytes), own && kb(own.list.bytes)),
      both(f0(p.goneMs), own && f0(own.goneMs)),
    ];
  });
  const tb = new Map(r.tools.map((p) => [p.tools, p]));
  const toolRows = peer.tools.map((p) => {
    const own = tb.get(p.tools);
    return [
      `${p.tools} (${p.servers} × ${Math.round(p.tools / p.servers)})`,
      both(`${f2(p.list.p50Ms)} / ${f2(p.list.p99Ms)}`, own && `${f2(own.list.p50Ms)} / ${f2(own.list.p99Ms)}`),
      both(kb(p.list.bytes), own && kb(own.list.bytes)),
      both(f1(p.idleRssMb), own && f1(own.idleRssMb)),
    ];
  });
  const parts = [
    `### Beside an aggregating peer: ${peer.name}`,
    '',
    `${peer.name} (npm, pinned) aggregates the same stdio servers behind one endpoint. The same client lists ` +
      'tools through its legacy HTTP+SSE endpoint (the only MCP endpoint it serves; an answer arrives on ' +
      "the client's event stream), the same number of times. Each cell: the peer's figure, Switchboard's " +
      'from the tables above in brackets. Ready: spawn until the peer logs that every server started. ' +
      'RSS: the gateway process only, servers not included, for both.',
    '',
  ];
  if (serverRows.length)
    parts.push(
      table(
        [
          'servers',
          'all ready (ms)',
          'idle RSS (MB)',
          'RSS per server (MB)',
          'tools/list p50 / p99 (ms)',
          'list size (KB)',
          'stop: all gone (ms)',
        ],
        serverRows,
      ),
      '',
    );
  if (toolRows.length)
    parts.push(table(['tools', 'tools/list p50 / p99 (ms)', 'list size (KB)', 'idle RSS (MB)'], toolRows), '');
  parts.push(
    `- ${peer.name}: ${growth(
      'tools/list p50 by tools',
      peer.tools.map((p) => p.tools),
      peer.tools.map((p) => p.list.p50Ms),
      'ms',
      'tool',
    )}`,
    `- ${peer.name}: ${growth(
      'Time to all ready',
      peer.servers.map((p) => p.servers),
      peer.servers.map((p) => p.readyMs),
      'ms',
      'server',
    )}`,
  );
  return parts.join('\n');
}

export function scaleMarkdown(r: ScaleResults, chartLinks: string[] = []): string {
  const parts = ['## Scale curves', ''];
  if (r.servers.length) parts.push(serversSection(r.servers, r.plan, r.nodeListenerMs), '');
  if (r.tools.length) parts.push(toolsSection(r.tools, r.plan), '');
  if (r.peer && (r.peer.servers.length || r.peer.tools.length)) parts.push(peerSection(r.peer, r), '');
  if (r.clients.length) parts.push(clientsSection(r.clients, r.clientsRaisedLimit, r.plan), '');
  if (r.failures.length)
    parts.push('Steps that did not complete:', ...r.failures.map((f) => `- ${f.step}: ${f.error}`), '');
  if (chartLinks.length) parts.push(chartLinks.map((l) => `![](${l})`).join('\n'), '');
  return parts.join('\n');
}

/** One chart per metric; file names become docs/images/bench-scale-<name>.svg. */
export function scaleCharts(r: ScaleResults): { name: string; spec: ChartSpec }[] {
  const s = r.servers;
  const t = r.tools;
  const c = r.clients;
  const out: { name: string; spec: ChartSpec }[] = [];
  const add = (name: string, ok: boolean, spec: ChartSpec) => ok && out.push({ name, spec });
  type Pt = { x: number; y: number };
  const own = (points: Pt[]) => [{ name: 'Switchboard', points }];
  // The peer as a second line where it was measured (servers and tools curves).
  const peer = r.peer;
  const peerServers = (y: (p: PeerPoint) => number) =>
    peer?.servers.length ? [{ name: peer.name, points: peer.servers.map((p) => ({ x: p.servers, y: y(p) })) }] : [];
  const peerTools = (y: (p: PeerPoint) => number) =>
    peer?.tools.length ? [{ name: peer.name, points: peer.tools.map((p) => ({ x: p.tools, y: y(p) })) }] : [];
  const servers = `servers (stdio, ${r.plan.toolsPerServer} tools each)`;
  add('servers-rss', s.length > 1, {
    title: 'Gateway idle RSS by servers',
    xTitle: servers,
    yTitle: 'RSS (MB)',
    series: [...own(s.map((p) => ({ x: p.servers, y: p.idleRssMb }))), ...peerServers((p) => p.idleRssMb)],
  });
  add('servers-ready', s.length > 1, {
    title: 'Spawn to all servers ready',
    xTitle: servers,
    yTitle: 'time (ms)',
    series: [...own(s.map((p) => ({ x: p.servers, y: p.readyMs }))), ...peerServers((p) => p.readyMs)],
  });
  add('servers-listener', s.length > 1, {
    title: 'Spawn to HTTP listener answering',
    xTitle: servers,
    yTitle: 'time (ms)',
    series: own(s.map((p) => ({ x: p.servers, y: p.listenerMs }))),
    target: { y: LISTENER_TARGET_MS, label: `target ${LISTENER_TARGET_MS} ms` },
  });
  add('servers-stop', s.length > 1, {
    title: 'SIGTERM to every process gone',
    xTitle: servers,
    yTitle: 'time (ms)',
    series: own(s.map((p) => ({ x: p.servers, y: p.goneMs }))),
    target: { y: STOP_TARGET_MS, label: `target ${STOP_TARGET_MS} ms` },
  });
  add('servers-list', s.length > 1, {
    title: 'tools/list p50 by servers',
    xTitle: servers,
    yTitle: 'latency (ms)',
    series: [...own(s.map((p) => ({ x: p.servers, y: p.list.p50Ms }))), ...peerServers((p) => p.list.p50Ms)],
  });
  const tools = `tools (over ${r.plan.toolServers} servers, log scale)`;
  add('tools-list', t.length > 1, {
    title: 'tools/list p50 by tools (log–log)',
    xTitle: tools,
    yTitle: 'latency (ms)',
    series: [
      ...own(t.map((p) => ({ x: p.tools, y: p.list.p50Ms }))),
      ...peerTools((p) => p.list.p50Ms),
      { name: 'Switchboard, at the gateway', points: t.map((p) => ({ x: p.tools, y: p.list.gatewayP50Ms ?? NaN })) },
    ],
    logX: true,
    logY: true,
  });
  add('tools-size', t.length > 1, {
    title: 'tools/list size by tools (log–log)',
    xTitle: tools,
    yTitle: 'size (KB)',
    series: [...own(t.map((p) => ({ x: p.tools, y: p.list.bytes / 1024 }))), ...peerTools((p) => p.list.bytes / 1024)],
    logX: true,
    logY: true,
  });
  add('tools-change', t.length > 1, {
    title: 'Change visible in tools/list (log–log)',
    xTitle: tools,
    yTitle: 'median time (ms)',
    series: own(t.map((p) => ({ x: p.tools, y: med(p.visibleMs) }))),
    logX: true,
    logY: true,
  });
  const sessions = `sessions (${Math.round(r.plan.busyShare * 100)}% busy, ${r.plan.inflight} calls in flight each)`;
  add('clients-rss', c.length > 1, {
    title: 'Gateway RSS added by idle sessions',
    xTitle: 'idle sessions',
    yTitle: 'RSS added (MB)',
    series: own(c.map((p) => ({ x: p.sessions, y: p.rssIdleMb - p.rssNoneMb }))),
  });
  add('clients-throughput', c.length > 1, {
    title: 'Echo throughput, busy sessions',
    xTitle: sessions,
    yTitle: 'calls/s',
    series: own(c.map((p) => ({ x: p.sessions, y: p.callsPerSec }))),
  });
  add('clients-p99', c.length > 1, {
    title: 'Echo p99 latency',
    xTitle: sessions,
    yTitle: 'p99 (ms)',
    series: own(c.map((p) => ({ x: p.sessions, y: p.p99Ms }))),
  });
  return out;
}
