/**
 * `switchboard traffic`: the traffic record in a terminal. It asks the running gateway (its
 * control API over HTTP, found through the lock in the runtime directory); with no gateway
 * running it reads the history the last one kept. `--follow` needs the running gateway.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  FAILED_OUTCOMES,
  MAX_FILTER_TEXT,
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
import { printable, printableLines } from './format.ts';
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
  /** The tool, prompt or resource, as the API's `target`. */
  target?: string;
  /** Searched for in the method, names and payloads, as the API's `text`. */
  text?: string;
  /** Milliseconds, as the API's `minDurationMs`. */
  minDuration?: number;
  client?: string;
  session?: string;
  profile?: string;
  errors: boolean;
  /** `15m`, `2h`, `3d` or a date. */
  since?: string;
  /** As `since`; a local date or time takes its whole day, minute or second. */
  until?: string;
  limit?: number;
  format: TrafficExportFormat;
  output?: string;
}

interface Source {
  api: TrafficApi;
  events?: GatewayApiEvents;
  /** Settles with why once the gateway followed is gone (a running gateway's source only). */
  gone?: Promise<string>;
  /** Whether the running gateway records traffic now (`traffic.enabled`); absent for the history. */
  recording?: boolean;
  /** Why the running gateway's history is not being written now, if it is not. */
  historyProblem?: string;
  close(): void;
}

const log = (line: string) => process.stderr.write(`switchboard: ${line}\n`);
/** --json output: JSON.stringify leaves C1 controls and bidi overrides raw, which a terminal acts on. */
const jsonText = (value: unknown, indent?: number) => printableLines(JSON.stringify(value, null, indent));
/** How far before the newest exchange printed a catch-up lists (see gapStart). */
const CATCH_UP_MARGIN_MS = 1000;

/** What list and export both filter by. */
const FILTERS = [
  'server',
  'method',
  'target',
  'text',
  'minDuration',
  'client',
  'session',
  'profile',
  'errors',
  'since',
  'until',
] as const;

/** The options each action reads; any other given is refused rather than silently ignored. */
const TAKES: Record<TrafficOptions['action'], readonly string[]> = {
  list: ['follow', 'json', ...FILTERS, 'limit'],
  show: ['json'],
  stats: ['json', 'server', 'client', 'profile', 'since', 'until'],
  export: [...FILTERS, 'format', 'output'],
};

/** The option as typed: minDuration is --min-duration. */
const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function refuseUnused(opts: TrafficOptions, usage: (message: string) => Error): void {
  const given = Object.entries(opts).filter(
    ([key, value]) =>
      key !== 'action' &&
      key !== 'id' &&
      value !== undefined &&
      value !== false &&
      !(key === 'format' && value === 'jsonl'),
  );
  const unused = given.map(([key]) => key).filter((key) => !TAKES[opts.action].includes(key));
  if (unused.length > 0) {
    const takes = TAKES[opts.action].map(flagOf).join(', ');
    throw usage(`traffic ${opts.action} does not take ${unused.map(flagOf).join(', ')} (it takes ${takes})`);
  }
}

export async function traffic(opts: TrafficOptions, usage: (message: string) => Error): Promise<number> {
  refuseUnused(opts, usage);
  // Before the source is opened: its notice on stderr would come first.
  if (opts.action === 'show' && !opts.id) throw usage('usage: switchboard traffic show ID [--json]');
  const filter = filterOf(opts, usage);
  const source = await openSource(opts.follow);
  // Else a follow prints nothing at all, and a list only what was recorded before, without a word why.
  if (source.recording === false && opts.action !== 'show')
    log(
      'the running gateway records no traffic (traffic.enabled is false in its config): ' +
        (opts.follow ? 'nothing will show until it is turned on' : 'what shows was recorded before it was turned off'),
    );
  // Else nothing but the gateway's log says that a restart would lose what is listed.
  if (source.historyProblem !== undefined && source.recording !== false)
    log(`the running gateway's traffic history is not being written: ${printable(source.historyProblem)}`);
  const style: Style = { color: !opts.json && process.stdout.isTTY === true && !process.env.NO_COLOR };
  try {
    switch (opts.action) {
      case 'show': {
        const tree = await source.api.getTrafficTree(opts.id!);
        process.stdout.write(opts.json ? `${jsonText(tree, 2)}\n` : `${formatTrafficTree(tree, style)}\n`);
        return 0;
      }
      case 'stats': {
        // Stats cover an hour by default: the hour before --until when only that is given.
        const since = filter.since ?? (filter.until === undefined ? undefined : filter.until - 3_600_000);
        const stats = await source.api.getTrafficStats({
          ...(since === undefined ? {} : { since }),
          ...(filter.until === undefined ? {} : { until: filter.until }),
          ...(filter.server === undefined ? {} : { server: filter.server }),
          ...(filter.client === undefined ? {} : { client: filter.client }),
          ...(filter.profile === undefined ? {} : { profile: filter.profile }),
        });
        process.stdout.write(opts.json ? `${jsonText(stats, 2)}\n` : formatTrafficStats(stats));
        return 0;
      }
      case 'export': {
        const { limit: _limit, ...exported } = filter;
        const file = await source.api.exportTraffic(opts.format, exported);
        if (file.entries === 0) await sayIfNoSuchSession(source.api, filter.session);
        if (opts.output) {
          await writeFile(opts.output, file.text, { mode: 0o600 }).catch((err: NodeJS.ErrnoException) => {
            throw new Error(`cannot write the export to ${opts.output}: ${writeProblem(err, opts.output!)}`);
          });
          log(
            `wrote ${file.entries} exchanges to ${opts.output}${file.truncated ? ' (the newest; more matched)' : ''}`,
          );
        } else {
          process.stdout.write(file.text);
          // Else a redirect gives an empty file (or a HAR without entries) without a word why.
          if (file.entries === 0) log('no exchange matched: the export holds none');
          // Said on stderr, which a redirect of stdout leaves on the terminal: the file would look whole.
          if (file.truncated)
            log(
              `exported the newest ${file.entries} exchanges; more matched ` +
                '(narrow it with --since, --server, --session, …)',
            );
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
  let printed = 0;
  const print = (entry: TrafficEntry) => {
    printed++;
    process.stdout.write(opts.json ? `${jsonText(entry)}\n` : `${formatTrafficLine(entry, style)}\n`);
  };
  const unsubscribe = await showTraffic(source, filter, opts.follow, print);
  if (printed === 0) await sayIfNoSuchSession(source.api, filter.session);
  if (!unsubscribe) return 0;
  const ended = await new Promise<string | undefined>((resolve) => {
    process.once('SIGINT', () => resolve(undefined));
    process.once('SIGTERM', () => resolve(undefined));
    // Following a gateway that is gone would print nothing, for ever.
    void source.gone?.then(resolve);
  });
  unsubscribe();
  if (ended === undefined) return 0;
  log(`${ended}: no more live traffic (run the command again to follow the one running now)`);
  return 1;
}

/**
 * Nothing matched a --session: says so when no exchange at all is of that session, which an id
 * shortened or mistyped gives (the filter takes whole ids only), rather than print nothing.
 */
async function sayIfNoSuchSession(api: TrafficApi, session: string | undefined): Promise<void> {
  if (session === undefined) return;
  if ((await api.listTraffic({ session, limit: 1 })).entries.length > 0) return;
  log(
    `no exchange recorded is of session "${printable(session)}" ` +
      '(--session takes a whole session id, as "switchboard traffic show" prints it)',
  );
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
  /** A gap reported before the first list was read: caught up once it was. */
  let gapBeforeList = false;
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
  /** One catch-up at a time; a gap found meanwhile is listed after it, from the earlier start. */
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
        const { since: first, again } = catching!;
        catching = undefined;
        if (again !== undefined) catchUp(Math.min(first, again));
      });
  };
  /**
   * Where a catch-up lists from: the oldest call seen waiting, or the newest printed, less a margin:
   * a call answered within 50 ms is seen only when it ends, so it may have begun before the newest.
   */
  const gapStart = () => Math.min(newest, ...unanswered.values()) - CATCH_UP_MARGIN_MS;
  const onGap = (since: number) => {
    if (listed) catchUp(since);
    else gapBeforeList = true;
  };
  const stops = follow
    ? [
        source.events!.on('traffic', (batch) => {
          // Taken before this batch moves `newest`: what a full batch left out is older than what it holds.
          const since = gapStart();
          for (const entry of batch.entries)
            if (listed) live(entry);
            else waiting.push(entry);
          if (batch.skipped > 0 || batch.resumed) onGap(since);
        }),
        // A stream that could not be told what it missed (a new stream, a gateway restarted, too much missed).
        source.events!.on('resync', () => onGap(gapStart())),
      ]
    : undefined;
  const page = await source.api.listTraffic(filter);
  for (const entry of page.entries.reverse()) {
    print(entry);
    // A call listed while it waits is printed again when it ends.
    if (entry.outcome === 'pending') unanswered.set(entry.id, entry.startedAt);
    else printed.add(entry.id);
  }
  listed = true;
  for (const entry of waiting.splice(0)) live(entry);
  if (gapBeforeList) catchUp(gapStart());
  return stops && (() => stops.forEach((stop) => stop()));
}

/** What a follower is told while the gateway refuses it the live stream (too many open), and when that ends. */
function noteLiveRefused(why: string | undefined): void {
  log(
    why === undefined
      ? 'live again'
      : `the gateway refuses the live connection: ${printableLines(why)}; nothing new shows until it takes it ` +
          '(trying again)',
  );
}

async function openSource(follow: boolean): Promise<Source> {
  let reason: string | undefined;
  try {
    const running = await connectRunningGateway(process.env, follow ? noteLiveRefused : undefined);
    if (running) {
      const source = { api: running.api, events: running.api, gone: running.gone, close: running.close };
      try {
        const status = await running.api.getStatus();
        return {
          ...source,
          recording: status.trafficRecording,
          ...(status.trafficHistoryProblem === undefined ? {} : { historyProblem: status.trafficHistoryProblem }),
        };
      } catch (err) {
        running.close();
        throw err;
      }
    }
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

/** The options whose text goes into the filter as it is: the API takes at most MAX_FILTER_TEXT characters. */
const TEXT_OPTIONS = ['server', 'method', 'target', 'text', 'client', 'session', 'profile'] as const;

function filterOf(opts: TrafficOptions, usage: (message: string) => Error): TrafficFilter {
  // Refused here, the same with a gateway (whose API said it in its own words) and without one (which took it).
  for (const key of TEXT_OPTIONS) {
    const given = opts[key];
    if (given !== undefined && given.length > MAX_FILTER_TEXT)
      throw usage(`${flagOf(key)} takes at most ${MAX_FILTER_TEXT} characters (this one has ${given.length})`);
  }
  const filter: TrafficFilter = {};
  if (opts.server !== undefined) filter.server = opts.server;
  if (opts.method !== undefined) filter.method = opts.method;
  if (opts.target !== undefined) filter.target = opts.target;
  if (opts.text !== undefined) {
    // Live entries carry no payload text: a follow would miss every one the text is only in the payloads of.
    if (opts.follow) throw usage('--text cannot be used with --follow: live exchanges come without their payloads');
    filter.text = opts.text;
  }
  if (opts.minDuration !== undefined) filter.minDurationMs = opts.minDuration;
  if (opts.client !== undefined) filter.client = opts.client;
  if (opts.session !== undefined) filter.session = opts.session;
  if (opts.profile !== undefined) filter.profile = opts.profile;
  if (opts.errors) filter.outcome = [...FAILED_OUTCOMES];
  if (opts.since !== undefined) filter.since = parseSince(opts.since, usage);
  if (opts.until !== undefined) {
    // What --follow prints is what ends from now on: after any --until.
    if (opts.follow) throw usage('--until cannot be used with --follow, which prints what happens from now on');
    filter.until = parseUntil(opts.until, usage, Date.now(), filter.since);
    if (filter.since !== undefined && filter.since > filter.until)
      throw usage(`--since ${opts.since} is after --until ${opts.until}: nothing could match`);
  }
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

/** `15m` ago, `2h` ago, `3d` ago, or a date (`2026-12-04`, `2026-12-04T10:00`): its start. */
export function parseSince(text: string, usage: (message: string) => Error, now = Date.now()): number {
  return parseWhen('--since', text, usage, now, false);
}

/**
 * As --since reads it, but a local date or time is taken whole: `2026-12-04` is until the end of that
 * day, `10:05` until 10:05:59.999 (so `--since 10:00 --until 10:05` holds what began at 10:05:30).
 */
export function parseUntil(text: string, usage: (message: string) => Error, now = Date.now(), since?: number): number {
  return parseWhen('--until', text, usage, now, true, since);
}

/**
 * A local time of day alone (`10:00`, `9:05:30`): --since the last time it was that time (today, or
 * yesterday when it is not that late yet); --until that time on the day --since starts (the next day
 * when earlier than it: `--since 23:00 --until 01:00`), else today.
 */
function timeOfDay(
  match: RegExpExecArray,
  option: string,
  usage: (message: string) => Error,
  now: number,
  wholeUnit: boolean,
  since: number | undefined,
): number {
  const [hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number];
  if (hour > 23 || minute > 59 || second > 59) throw usage(`${option}: there is no time of day ${match[0]}`);
  const at = new Date(wholeUnit && since !== undefined ? since : now);
  at.setHours(hour, minute, second, 0);
  if (wholeUnit) {
    if (since !== undefined && at.getTime() < since) at.setDate(at.getDate() + 1);
    // To the end of the minute or second given, as a date and time is.
    if (match[3] === undefined) at.setMinutes(at.getMinutes() + 1);
    else at.setSeconds(at.getSeconds() + 1);
    return at.getTime() - 1;
  }
  if (at.getTime() > now) at.setDate(at.getDate() - 1);
  return at.getTime();
}

function parseWhen(
  option: string,
  text: string,
  usage: (message: string) => Error,
  now: number,
  wholeUnit: boolean,
  since?: number,
): number {
  const trimmed = text.trim();
  const relative = /^(\d+(?:\.\d+)?)([smhd])$/.exec(trimmed);
  if (relative) return Math.round(now - Number(relative[1]) * UNITS[relative[2]!]!);
  const time = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(trimmed);
  if (time) return timeOfDay(time, option, usage, now, wholeUnit, since);
  const date = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(trimmed);
  if (date) {
    const [year, month, day, hour, minute, second] = date.slice(1).map((part) => Number(part ?? 0)) as number[];
    // new Date rolls 2026-02-30 over into March; a date or time that does not exist is refused instead.
    const at = new Date(Date.UTC(2000, 0, 1));
    at.setUTCFullYear(year!, month! - 1, day!);
    at.setUTCHours(hour!, minute!, second!);
    const exists =
      at.getUTCFullYear() === year &&
      at.getUTCMonth() === month! - 1 &&
      at.getUTCDate() === day &&
      at.getUTCHours() === hour &&
      at.getUTCMinutes() === minute &&
      at.getUTCSeconds() === second;
    if (!exists) throw usage(`${option}: there is no date ${trimmed}`);
    // Without a zone it is local time, the date alone too (Date.parse would take a date alone as UTC).
    if (trimmed.length === date[0].length) {
      const local = new Date(2000, 0, 1);
      local.setFullYear(year!, month! - 1, day!);
      local.setHours(hour!, minute!, second!, 0);
      if (!wholeUnit) return local.getTime();
      // The end of the day, minute or second given (the next day's start, less 1 ms: a DST day is 23 or 25 h).
      if (date[4] === undefined) local.setDate(local.getDate() + 1);
      else if (date[6] === undefined) local.setMinutes(local.getMinutes() + 1);
      else local.setSeconds(local.getSeconds() + 1);
      return local.getTime() - 1;
    }
  }
  // Only an ISO date and time is left to Date.parse (one without a zone is local time there too): it
  // takes much else ("5", "Dec 4", "monday") as a day in 2001, which would list everything without a word.
  const at = ISO_DATE_TIME.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (Number.isNaN(at)) {
    if (/^\d+(?:\.\d+)?$/.test(trimmed))
      throw usage(`${option} ${trimmed} needs a unit: ${trimmed}s, ${trimmed}m, ${trimmed}h or ${trimmed}d ago`);
    throw usage(
      `${option} takes a duration (15m, 2h, 3d), a time of day (10:00) or a date (2026-12-04T10:00), got "${text}"`,
    );
  }
  return at;
}

/** A date and time, maybe with a zone and seconds' fractions: `2026-12-04T10:00Z`, `2026-12-04 10:00:30.5+01:00`. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** Why a file could not be written, in words (Node says "ENOENT: no such file or directory, open …"). */
function writeProblem(err: NodeJS.ErrnoException, file: string): string {
  switch (err.code) {
    case 'ENOENT':
      return `the folder ${path.dirname(path.resolve(file))} does not exist`;
    case 'EISDIR':
      return 'that is a folder; give a file name';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return err.message;
  }
}
