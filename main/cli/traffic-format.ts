/**
 * The traffic record in a terminal: one compact line per exchange (time, who talked to whom,
 * method and subject, outcome, duration, sizes), coloured when the output is a terminal; and a
 * tree of one exchange with its payloads.
 */
import type { TrafficEntry, TrafficOutcome, TrafficStats, TrafficTree } from '../engine/index.ts';
import { printable, table } from './format.ts';

export interface Style {
  color: boolean;
}

const CODES = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;

function paint(style: Style, code: keyof typeof CODES, text: string): string {
  return style.color ? `\u001b[${CODES[code]}m${text}\u001b[0m` : text;
}

const OUTCOME_COLOR: Record<TrafficOutcome, keyof typeof CODES> = {
  ok: 'green',
  error: 'red',
  timeout: 'red',
  tool_error: 'red',
  cancelled: 'yellow',
  pending: 'cyan',
  delivered: 'dim',
};

/** Who sent it to whom, from the gateway's point of view. */
export function routeOf(entry: TrafficEntry): string {
  const client = printable(entry.session?.client?.name ?? `client ${entry.session?.id.slice(0, 8) ?? '?'}`);
  const server = printable(entry.server ?? 'server');
  switch (entry.edge) {
    case 'client':
      return entry.direction === 'in' ? `${client} → gateway` : `gateway → ${client}`;
    case 'upstream':
      return entry.direction === 'out' ? `gateway → ${server}` : `${server} → gateway`;
    default:
      return `${server} → app (asked the user)`;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * When it started, local time: the time of day for today's, with the date first for another day's (the
 * history is kept for days, and yesterday's would read as today's).
 */
function clock(at: number, now: number): string {
  const d = new Date(at);
  const time = `${hms(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  if (d.toDateString() === new Date(now).toDateString()) return time;
  return `${ymd(d)} ${time}`;
}

const two = (n: number) => String(n).padStart(2, '0');
/** `2026-12-04`, local. */
const ymd = (d: Date) => `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
/** `21:05:00`, local. */
const hms = (d: Date) => `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;

/**
 * One line: `12:03:04.567  cursor → gateway  tools/call github__search  ok  12.3 ms  120 B → 3.4 KiB`
 * (`2026-12-05 12:03:04.567  …` for one of another day than `now`'s).
 */
export function formatTrafficLine(entry: TrafficEntry, style: Style, now = Date.now()): string {
  const parts = [
    paint(style, 'dim', clock(entry.startedAt, now)),
    `${entry.parentId ? '  ↳ ' : ''}${routeOf(entry)}`,
    paint(style, 'bold', printable(entry.method)) + (entry.target === undefined ? '' : ` ${printable(entry.target)}`),
    paint(style, OUTCOME_COLOR[entry.outcome], entry.outcome),
  ];
  if (entry.kind === 'request') parts.push(formatDuration(entry.durationMs));
  const sizes =
    entry.response === undefined
      ? formatBytes(entry.request.bytes)
      : `${formatBytes(entry.request.bytes)} → ${formatBytes(entry.response.bytes)}`;
  parts.push(paint(style, 'dim', sizes));
  if (entry.error) parts.push(paint(style, 'red', `${entry.error.code}: ${printable(firstLine(entry.error.message))}`));
  return parts.filter((p) => p !== '').join('  ');
}

/** An exchange with everything it caused, indented, with the payloads (as recorded: redacted, maybe cut). */
export function formatTrafficTree(tree: TrafficTree, style: Style, depth = 0): string {
  const pad = '  '.repeat(depth);
  const e = tree.entry;
  const lines = [`${pad}${formatTrafficLine({ ...e, parentId: undefined } as TrafficEntry, style)}`];
  if (depth === 0) {
    const about = [`id ${e.id}`];
    if (e.session)
      // Whole: it is what --session takes.
      about.push(`session ${e.session.id} (${e.session.transport}, profile ${e.session.profile})`);
    if (e.session?.revision) about.push(`revision ${printable(e.session.revision)}`);
    lines.push(`${pad}  ${paint(style, 'dim', about.join(', '))}`);
  }
  // JSON escapes C0 controls, not C1 ones (U+009B starts a sequence in some terminals) or bidi overrides.
  if (e.request.json !== undefined) lines.push(`${pad}  ${paint(style, 'cyan', '→')} ${printable(e.request.json)}`);
  if (e.response?.json !== undefined) lines.push(`${pad}  ${paint(style, 'cyan', '←')} ${printable(e.response.json)}`);
  for (const child of tree.children) lines.push(formatTrafficTree(child, style, depth + 1));
  return lines.join('\n');
}

export function formatTrafficStats(stats: TrafficStats): string {
  const rows = (list: TrafficStats['servers']) =>
    list.map((r) => [
      printable(r.tool === undefined ? r.server : `${r.server} ${r.tool}`),
      String(r.calls),
      String(r.errors),
      r.p50Ms === undefined ? '' : formatDuration(r.p50Ms),
      r.p95Ms === undefined ? '' : formatDuration(r.p95Ms),
      formatBytes(r.requestBytes),
      formatBytes(r.responseBytes),
    ]);
  const header = ['', 'CALLS', 'ERRORS', 'P50', 'P95', 'SENT', 'RECEIVED'];
  // Local time, as the list's lines and --since are, with the offset so a pasted window is unambiguous.
  const window = `From ${localTime(stats.since)} to ${localTime(stats.until)} (${utcOffset(stats.until)})`;
  const { calls, failed } = stats.toolCalls;
  const made = `clients made ${calls} tool ${calls === 1 ? 'call' : 'calls'}, ${failed} failed`;
  if (stats.servers.length === 0) return `${window}: no calls to any server; ${made}.\n`;
  return (
    `${window}: ${made}.\n\nServers\n${table(['SERVER', ...header.slice(1)], rows(stats.servers))}\n` +
    `Tools\n${table(['TOOL', ...header.slice(1)], rows(stats.tools))}`
  );
}

/** `2026-12-04 21:05:00`, local time. */
export function localTime(at: number): string {
  const d = new Date(at);
  return `${ymd(d)} ${hms(d)}`;
}

/** The local zone's offset at that time: `UTC+01:00`, `UTC-05:00`, `UTC`. */
function utcOffset(at: number): string {
  const minutes = -new Date(at).getTimezoneOffset();
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!;
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
