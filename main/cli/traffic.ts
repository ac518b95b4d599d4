/**
 * `switchboard traffic`: the traffic record in a terminal. It asks the running gateway (its
 * control API over HTTP, found through the lock in the runtime directory); with no gateway
 * running it reads the history the last one kept. `--follow` needs the running gateway.
 */
import { writeFile } from 'node:fs/promises';
import {
  TrafficLog,
  connectRunningGateway,
  errorMessage,
  trafficHistoryPath,
  trafficMatches,
  withoutPayloads,
  type GatewayApi,
  type GatewayApiEvents,
  type TrafficEntry,
  type TrafficExportFormat,
  type TrafficFilter,
} from '../engine/index.ts';
import { formatTrafficLine, formatTrafficStats, formatTrafficTree, type Style } from './traffic-format.ts';
import pkg from '../../package.json' with { type: 'json' };

type TrafficApi = Pick<GatewayApi, 'listTraffic' | 'getTrafficTree' | 'getTrafficStats' | 'exportTraffic'>;

export interface TrafficOptions {
  action: 'list' | 'show' | 'export' | 'stats';
  id?: string;
  follow: boolean;
  json: boolean;
  server?: string;
  method?: string;
  client?: string;
  session?: string;
  profile?: string;
  errors: boolean;
  /** `15m`, `2h`, `3d` or a date. */
  since?: string;
  limit?: number;
  format: TrafficExportFormat;
  output?: string;
}

interface Source {
  api: TrafficApi;
  events?: GatewayApiEvents;
  close(): void;
}

const log = (line: string) => process.stderr.write(`switchboard: ${line}\n`);

export async function traffic(opts: TrafficOptions, usage: (message: string) => Error): Promise<number> {
  const filter = filterOf(opts, usage);
  const source = await openSource(opts.follow);
  const style: Style = { color: !opts.json && process.stdout.isTTY === true && !process.env.NO_COLOR };
  try {
    switch (opts.action) {
      case 'show': {
        if (!opts.id) throw usage('usage: switchboard traffic show ID [--json]');
        const tree = await source.api.getTrafficTree(opts.id);
        process.stdout.write(opts.json ? `${JSON.stringify(tree, null, 2)}\n` : `${formatTrafficTree(tree, style)}\n`);
        return 0;
      }
      case 'stats': {
        const stats = await source.api.getTrafficStats({
          ...(filter.since === undefined ? {} : { since: filter.since }),
          ...(filter.server === undefined ? {} : { server: filter.server }),
          ...(filter.client === undefined ? {} : { client: filter.client }),
          ...(filter.profile === undefined ? {} : { profile: filter.profile }),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : formatTrafficStats(stats));
        return 0;
      }
      case 'export': {
        const { limit: _limit, ...exported } = filter;
        const file = await source.api.exportTraffic(opts.format, exported);
        if (opts.output) {
          await writeFile(opts.output, file.text, { mode: 0o600 });
          log(
            `wrote ${file.entries} exchanges to ${opts.output}${file.truncated ? ' (the newest; more matched)' : ''}`,
          );
        } else {
          process.stdout.write(file.text);
        }
        return 0;
      }
      default:
        return await list(source, filter, opts, style);
    }
  } finally {
    source.close();
  }
}

async function list(source: Source, filter: TrafficFilter, opts: TrafficOptions, style: Style): Promise<number> {
  const print = (entry: TrafficEntry) =>
    process.stdout.write(opts.json ? `${JSON.stringify(entry)}\n` : `${formatTrafficLine(entry, style)}\n`);
  const unsubscribe = await showTraffic(source, filter, opts.follow, print);
  if (!unsubscribe) return 0;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  unsubscribe();
  return 0;
}

/**
 * Prints the matching exchanges, oldest first, and with `follow` each one that ends from then on;
 * gives the way to stop following. What a live batch left out, or a break in the event stream
 * (`resumed`), is listed and printed, so nothing that ended is missing.
 */
export async function showTraffic(
  source: Pick<Source, 'api' | 'events'>,
  filter: TrafficFilter,
  follow: boolean,
  print: (entry: TrafficEntry) => void,
): Promise<(() => void) | undefined> {
  const printed = new Set<string>();
  // Subscribed before listing, so nothing falls between the list and the live entries.
  const waiting: TrafficEntry[] = [];
  let listed = false;
  /** Where a catch-up lists from: the newest exchange printed, or the oldest seen still waiting. */
  let newest = Date.now();
  const unanswered = new Map<string, number>();
  const live = (entry: TrafficEntry) => {
    if (printed.has(entry.id) || !trafficMatches(entry, { ...filter, since: 0 })) return;
    if (entry.outcome === 'pending') {
      if (unanswered.size < 10_000) unanswered.set(entry.id, entry.startedAt);
      return;
    }
    unanswered.delete(entry.id);
    if (printed.size > 10_000) printed.clear();
    printed.add(entry.id);
    newest = Math.max(newest, entry.startedAt);
    print(entry);
  };
  /** One catch-up at a time; a gap found meanwhile is listed after it, from where the first began. */
  let catching: { since: number; again?: number } | undefined;
  const catchUp = (since: number) => {
    if (catching) {
      catching.again = Math.min(catching.again ?? since, since);
      return;
    }
    catching = { since };
    source.api
      .listTraffic({ ...filter, since, limit: 1000 })
      .then((page) => {
        // Printed as live entries are: without payload text, with --json too.
        for (const entry of page.entries.reverse()) live(withoutPayloads(entry));
        if (page.nextCursor) log('more changed than one list holds: the oldest of it is not shown');
      })
      .catch((err: unknown) => log(`could not list what was missed: ${errorMessage(err)}`))
      .finally(() => {
        const again = catching?.again;
        catching = undefined;
        if (again !== undefined) catchUp(again);
      });
  };
  /** Where a catch-up lists from: the newest exchange printed, or the oldest seen still waiting. */
  const gapStart = () => Math.min(newest, ...unanswered.values());
  const stops = follow
    ? [
        source.events!.on('traffic', (batch) => {
          // Taken before this batch moves `newest`: what a full batch left out is older than what it holds.
          const since = gapStart();
          for (const entry of batch.entries)
            if (listed) live(entry);
            else waiting.push(entry);
          if (listed && (batch.skipped > 0 || batch.resumed)) catchUp(since);
        }),
        // A stream that could not be told what it missed (a gateway restarted, too much missed).
        source.events!.on('resync', () => {
          if (listed) catchUp(gapStart());
        }),
      ]
    : undefined;
  const page = await source.api.listTraffic(filter);
  for (const entry of page.entries.reverse()) {
    printed.add(entry.id);
    print(entry);
  }
  listed = true;
  for (const entry of waiting.splice(0)) live(entry);
  return stops && (() => stops.forEach((stop) => stop()));
}

async function openSource(follow: boolean): Promise<Source> {
  let reason: string | undefined;
  try {
    const running = await connectRunningGateway();
    if (running) return { api: running.api, events: running.api, close: running.close };
  } catch (err) {
    reason = errorMessage(err);
  }
  if (follow)
    throw new Error(
      reason ? `cannot follow the traffic: ${reason}` : 'no Switchboard gateway is running: there is no live traffic',
    );
  const file = trafficHistoryPath();
  log(reason ? `${reason}; reading the history in ${file}` : `no gateway is running; reading the history in ${file}`);
  const history = TrafficLog.readHistory(file, pkg.version);
  return {
    api: {
      listTraffic: async (filter) => history.list(filter),
      getTrafficTree: async (id) => history.tree(id),
      getTrafficStats: async (query) => history.stats(query),
      exportTraffic: async (format, filter) => history.export(filter ?? {}, format),
    },
    close: () => history.close(),
  };
}

function filterOf(opts: TrafficOptions, usage: (message: string) => Error): TrafficFilter {
  const filter: TrafficFilter = {};
  if (opts.server !== undefined) filter.server = opts.server;
  if (opts.method !== undefined) filter.method = opts.method;
  if (opts.client !== undefined) filter.client = opts.client;
  if (opts.session !== undefined) filter.session = opts.session;
  if (opts.profile !== undefined) filter.profile = opts.profile;
  if (opts.errors) filter.outcome = ['error', 'timeout'];
  if (opts.since !== undefined) filter.since = parseSince(opts.since, usage);
  if (opts.limit !== undefined) {
    if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > 1000)
      throw usage(`--limit must be a whole number from 1 to 1000, got ${opts.limit}`);
    filter.limit = opts.limit;
  } else {
    filter.limit = opts.follow ? 20 : 50;
  }
  return filter;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m` ago, `2h` ago, `3d` ago, or a date (`2026-12-04`, `2026-12-04T10:00`). */
export function parseSince(text: string, usage: (message: string) => Error, now = Date.now()): number {
  const relative = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (relative) return Math.round(now - Number(relative[1]) * UNITS[relative[2]!]!);
  // A date alone is local midnight, as a date with a time is local time (Date.parse would take UTC).
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])];
    const at = new Date(year, month, date);
    // new Date rolls 2026-13-45 over into 2027; a date that does not exist is refused instead.
    if (at.getFullYear() === year && at.getMonth() === month && at.getDate() === date) return at.getTime();
    throw usage(`--since: there is no date ${text.trim()}`);
  }
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw usage(`--since takes a duration (15m, 2h, 3d) or a date (2026-12-04T10:00), got "${text}"`);
  return at;
}
