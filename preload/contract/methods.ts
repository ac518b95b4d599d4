/**
 * The method table: every GatewayApi method once, with its IPC channel, its HTTP route and the
 * schema of its arguments. Every binding is generated from it (the preload, main's IPC handlers,
 * the /api routes, the clients), so adding a method is one entry here plus its implementation.
 * `satisfies MethodTable<GatewayApi>` makes a missing, extra or mistyped entry a compile error.
 */
import { z } from 'zod';
import type { GatewayApi } from './api.ts';
import { GatewayApiError } from './errors.ts';
import { MAX_SECRET_VALUE_LENGTH } from './secret-values.ts';
import { TRAFFIC_OUTCOMES, type QuestionAnswer, type TrafficFilter, type TrafficStatsQuery } from './payloads.ts';

/** `getServerLog` -> `get-server-log`. */
export type KebabCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `-${Lowercase<Head>}`}${KebabCase<Tail>}`
  : S;

/** IPC channel of a method: `switchboard:` + its name in kebab-case. */
export type ChannelOf<M extends string> = `switchboard:${KebabCase<M>}`;

/**
 * Where a method lives under `/api`. `:name` segments are the arguments of that name. A GET
 * takes its other arguments (strings) from the query string; a POST takes at most one other
 * argument, as its JSON body.
 */
export interface HttpRoute {
  method: 'GET' | 'POST';
  path: `/${string}`;
  /**
   * How long a page waits for the answer: by default CALL_TIMEOUT_MS; `long` (LONG_CALL_TIMEOUT_MS) for a call
   * that may stop and start servers or write many files; `unbounded` for one that ends when a time limit of the
   * gateway's own does (a replay waits as long as its server's timeout).
   */
  wait?: 'long' | 'unbounded';
}

/** How long the web UI waits for the gateway to answer a call (the keychain alone may take 30 s to answer). */
export const CALL_TIMEOUT_MS = 120_000;

/** How long it waits for a call that may stop and start servers, or write many files (`wait: 'long'`). */
export const LONG_CALL_TIMEOUT_MS = 10 * 60_000;

/** What IPC needs of a method; the desktop app's own methods (desktop.ts) have only this, no HTTP route. */
export interface IpcMethodSpec<Args extends readonly unknown[] = readonly unknown[], M extends string = string> {
  channel: ChannelOf<M>;
  /** Names of the positional arguments; a trailing `?` marks an optional one. */
  params: readonly string[];
  /** Checks the arguments as the binding received them (untrusted input). */
  args: z.ZodType<Args>;
}

export interface MethodSpec<
  Args extends readonly unknown[] = readonly unknown[],
  M extends string = string,
> extends IpcMethodSpec<Args, M> {
  http: HttpRoute;
}

type Method = (...args: never[]) => Promise<unknown>;

/** One entry per method of `Api`, typed by that method's parameters. */
export type MethodTable<Api> = {
  readonly [M in keyof Api & string]: Api[M] extends Method ? MethodSpec<Parameters<Api[M]>, M> : never;
};

/** Like MethodTable, for methods reached over IPC only. */
export type IpcMethodTable<Api> = {
  readonly [M in keyof Api & string]: Api[M] extends Method ? IpcMethodSpec<Parameters<Api[M]>, M> : never;
};

/**
 * The most a call's arguments may take as JSON text, in bytes, on either binding: the body of an
 * /api request, and what main accepts over IPC (where the renderer could send any size).
 */
export const MAX_CALL_BYTES = 1024 * 1024;

/** A config key or question id: what people and the UI pass around. */
const name = z.string().min(1).max(256);

/**
 * Only the shape: the question broker checks the rest against the question it answers, with
 * messages that name the form field.
 */
const answer = z.custom<QuestionAnswer>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { action?: unknown }).action === 'string',
  { message: 'must be an object with an "action" ("accept", "decline" or "cancel")' },
);

/** Epoch milliseconds. */
const time = z.number().int().min(0).max(8.64e15);
/** The longest text a traffic filter takes (a name, a method, a search): the CLI refuses longer as usage. */
export const MAX_FILTER_TEXT = 1024;
const text = z.string().max(MAX_FILTER_TEXT);

const outcome = z.enum(TRAFFIC_OUTCOMES);

/** A window that ends before it starts holds nothing: said, rather than answered with an empty list. */
const inOrder = (window: { since?: number | undefined; until?: number | undefined }) =>
  window.since === undefined || window.until === undefined || window.since <= window.until;
const OUT_OF_ORDER = { message: 'is after "until": nothing could match', path: ['since'] };

const trafficFilter: z.ZodType<TrafficFilter> = z
  .strictObject({
    since: time.optional(),
    until: time.optional(),
    edge: z.enum(['client', 'upstream', 'app']).optional(),
    client: text.optional(),
    session: text.optional(),
    profile: text.optional(),
    server: text.optional(),
    method: text.optional(),
    target: text.optional(),
    // Else zod's "Invalid input": a union does not say what its members take.
    outcome: z
      .union([outcome, z.array(outcome).min(1).max(TRAFFIC_OUTCOMES.length)], {
        error: `must be one of ${TRAFFIC_OUTCOMES.map((o) => JSON.stringify(o)).join(', ')}, or a list of them`,
      })
      .optional(),
    minDurationMs: z.number().min(0).optional(),
    text: text.optional(),
    rootsOnly: z.boolean().optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    cursor: z.string().max(64).optional(),
  })
  .refine(inOrder, OUT_OF_ORDER);

/** An export holds every exchange that matches (the newest 10,000 at most): a page size would go unapplied. */
const exportFilter = trafficFilter.refine((filter) => filter.limit === undefined, {
  message:
    'does not apply to an export, which holds every exchange that matches (the newest 10,000 at most): ' +
    'narrow it with since, until or the other conditions',
  path: ['limit'],
});

const trafficStatsQuery: z.ZodType<TrafficStatsQuery> = z
  .strictObject({
    since: time.optional(),
    until: time.optional(),
    server: text.optional(),
    profile: text.optional(),
    client: text.optional(),
  })
  .refine(inOrder, OUT_OF_ORDER);

export const METHODS = {
  getStatus: {
    channel: 'switchboard:get-status',
    http: { method: 'GET', path: '/status' },
    params: [],
    args: z.tuple([]),
  },
  listServers: {
    channel: 'switchboard:list-servers',
    http: { method: 'GET', path: '/servers' },
    params: [],
    args: z.tuple([]),
  },
  listTools: {
    channel: 'switchboard:list-tools',
    http: { method: 'GET', path: '/tools' },
    params: ['server?'],
    args: z.tuple([name.optional()]),
  },
  restartServer: {
    channel: 'switchboard:restart-server',
    http: { method: 'POST', path: '/servers/:name/restart', wait: 'long' },
    params: ['name'],
    args: z.tuple([name]),
  },
  loginServer: {
    channel: 'switchboard:login-server',
    http: { method: 'POST', path: '/servers/:name/login', wait: 'long' },
    params: ['name'],
    args: z.tuple([name]),
  },
  completeLogin: {
    channel: 'switchboard:complete-login',
    http: { method: 'POST', path: '/servers/:name/login/complete' },
    params: ['name', 'address'],
    args: z.tuple([name, z.string().min(1).max(8192)]),
  },
  cancelLogin: {
    channel: 'switchboard:cancel-login',
    http: { method: 'POST', path: '/servers/:name/login/cancel' },
    params: ['name'],
    args: z.tuple([name]),
  },
  logoutServer: {
    channel: 'switchboard:logout-server',
    http: { method: 'POST', path: '/servers/:name/logout', wait: 'long' },
    params: ['name'],
    args: z.tuple([name]),
  },
  setPaused: {
    channel: 'switchboard:set-paused',
    http: { method: 'POST', path: '/paused', wait: 'long' },
    params: ['paused'],
    args: z.tuple([z.boolean()]),
  },
  addServer: {
    channel: 'switchboard:add-server',
    http: { method: 'POST', path: '/servers/:name' },
    params: ['name', 'entry'],
    args: z.tuple([name, z.record(z.string(), z.unknown())]),
  },
  getServerEntry: {
    channel: 'switchboard:get-server-entry',
    http: { method: 'GET', path: '/servers/:name/entry' },
    params: ['name'],
    args: z.tuple([name]),
  },
  updateServer: {
    channel: 'switchboard:update-server',
    http: { method: 'POST', path: '/servers/:name/entry' },
    params: ['name', 'entry'],
    args: z.tuple([name, z.record(z.string(), z.unknown())]),
  },
  renameServer: {
    channel: 'switchboard:rename-server',
    http: { method: 'POST', path: '/servers/:name/rename' },
    params: ['name', 'newName'],
    args: z.tuple([name, name]),
  },
  removeServer: {
    channel: 'switchboard:remove-server',
    http: { method: 'POST', path: '/servers/:name/remove' },
    params: ['name'],
    args: z.tuple([name]),
  },
  getSettings: {
    channel: 'switchboard:get-settings',
    http: { method: 'GET', path: '/settings' },
    params: [],
    args: z.tuple([]),
  },
  changeSettings: {
    channel: 'switchboard:change-settings',
    http: { method: 'POST', path: '/settings' },
    params: ['change'],
    args: z.tuple([
      z.strictObject({
        httpPort: z.number().int().optional(),
        trafficEnabled: z.boolean().optional(),
        historyDays: z.number().optional(),
        historyMaxBytes: z.number().int().optional(),
      }),
    ]),
  },
  listSessions: {
    channel: 'switchboard:list-sessions',
    http: { method: 'GET', path: '/sessions' },
    params: [],
    args: z.tuple([]),
  },
  listProfiles: {
    channel: 'switchboard:list-profiles',
    http: { method: 'GET', path: '/profiles' },
    params: [],
    args: z.tuple([]),
  },
  saveProfile: {
    channel: 'switchboard:save-profile',
    http: { method: 'POST', path: '/profiles/:name' },
    params: ['name', 'profile'],
    args: z.tuple([
      // A profile name is at most 64 characters (the config's rule): said here, not as the 256 of any name.
      z.string().min(1).max(64),
      z.strictObject({ servers: z.array(name).max(1000), description: z.string().max(1000).optional() }),
    ]),
  },
  removeProfile: {
    channel: 'switchboard:remove-profile',
    http: { method: 'POST', path: '/profiles/:name/remove' },
    params: ['name'],
    args: z.tuple([name]),
  },
  listSecrets: {
    channel: 'switchboard:list-secrets',
    http: { method: 'GET', path: '/secrets' },
    params: [],
    args: z.tuple([]),
  },
  setSecret: {
    channel: 'switchboard:set-secret',
    http: { method: 'POST', path: '/secrets/:name' },
    params: ['name', 'value'],
    args: z.tuple([name, z.string().min(1, 'must not be empty').max(MAX_SECRET_VALUE_LENGTH)]),
  },
  deleteSecret: {
    channel: 'switchboard:delete-secret',
    http: { method: 'POST', path: '/secrets/:name/delete' },
    params: ['name'],
    args: z.tuple([name]),
  },
  listClients: {
    channel: 'switchboard:list-clients',
    http: { method: 'GET', path: '/clients' },
    params: [],
    args: z.tuple([]),
  },
  previewInstall: {
    channel: 'switchboard:preview-install',
    http: { method: 'GET', path: '/clients/:client/install' },
    params: ['client', 'profile?'],
    args: z.tuple([name, name.optional()]),
  },
  installClient: {
    channel: 'switchboard:install-client',
    http: { method: 'POST', path: '/clients/:client/install', wait: 'long' },
    params: ['client', 'choice?'],
    args: z.tuple([
      name,
      z
        .union([name, z.strictObject({ profile: name.optional(), fingerprint: z.string().max(200).optional() })])
        .optional(),
    ]),
  },
  uninstallClient: {
    channel: 'switchboard:uninstall-client',
    http: { method: 'POST', path: '/clients/:client/uninstall', wait: 'long' },
    params: ['client'],
    args: z.tuple([name]),
  },
  previewAdoption: {
    channel: 'switchboard:preview-adoption',
    http: { method: 'POST', path: '/clients/:client/adoption-preview' },
    params: ['client', 'servers?'],
    args: z.tuple([name, z.array(name).max(1000).optional()]),
  },
  adoptServers: {
    channel: 'switchboard:adopt-servers',
    http: { method: 'POST', path: '/clients/:client/adopt', wait: 'long' },
    params: ['client', 'servers?'],
    args: z.tuple([name, z.array(name).max(1000).optional()]),
  },
  restoreClient: {
    channel: 'switchboard:restore-client',
    http: { method: 'POST', path: '/clients/:client/restore', wait: 'long' },
    params: ['client'],
    args: z.tuple([name]),
  },
  setServerEnabled: {
    channel: 'switchboard:set-server-enabled',
    http: { method: 'POST', path: '/servers/:name/enabled' },
    params: ['name', 'enabled'],
    args: z.tuple([name, z.boolean()]),
  },
  listServerTools: {
    channel: 'switchboard:list-server-tools',
    http: { method: 'GET', path: '/servers/:name/tools' },
    params: ['name'],
    args: z.tuple([name]),
  },
  setToolOptions: {
    channel: 'switchboard:set-tool-options',
    http: { method: 'POST', path: '/servers/:server/tools/:tool' },
    params: ['server', 'tool', 'options'],
    args: z.tuple([
      name,
      name,
      z.strictObject({ shown: z.boolean().optional(), alias: z.string().max(128).optional() }),
    ]),
  },
  getServerLog: {
    channel: 'switchboard:get-server-log',
    http: { method: 'GET', path: '/servers/:name/log' },
    params: ['name'],
    args: z.tuple([name]),
  },
  listQuestions: {
    channel: 'switchboard:list-questions',
    http: { method: 'GET', path: '/questions' },
    params: [],
    args: z.tuple([]),
  },
  answerQuestion: {
    channel: 'switchboard:answer-question',
    http: { method: 'POST', path: '/questions/:id' },
    params: ['id', 'answer'],
    args: z.tuple([name, answer]),
  },
  listTraffic: {
    channel: 'switchboard:list-traffic',
    http: { method: 'POST', path: '/traffic/query' },
    params: ['filter?'],
    args: z.tuple([trafficFilter.optional()]),
  },
  getTrafficTree: {
    channel: 'switchboard:get-traffic-tree',
    http: { method: 'GET', path: '/traffic/:id' },
    params: ['id'],
    args: z.tuple([name]),
  },
  getTrafficStats: {
    channel: 'switchboard:get-traffic-stats',
    http: { method: 'POST', path: '/traffic/stats' },
    params: ['query?'],
    args: z.tuple([trafficStatsQuery.optional()]),
  },
  exportTraffic: {
    channel: 'switchboard:export-traffic',
    http: { method: 'POST', path: '/traffic/export/:format', wait: 'long' },
    params: ['format', 'filter?'],
    args: z.tuple([z.enum(['jsonl', 'har']), exportFilter.optional()]),
  },
  replayTraffic: {
    channel: 'switchboard:replay-traffic',
    http: { method: 'POST', path: '/traffic/:id/replay', wait: 'unbounded' },
    params: ['id', 'options?'],
    args: z.tuple([name, z.strictObject({ confirm: z.boolean().optional() }).optional()]),
  },
} as const satisfies MethodTable<GatewayApi>;

export type GatewayMethod = keyof typeof METHODS;

/** A parameter's name without its optional marker. */
export function paramName(param: string): string {
  return param.endsWith('?') ? param.slice(0, -1) : param;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/**
 * The arguments of `method`, checked: returns them as the schema parsed them, or throws a
 * GatewayApiError('invalid_request') naming the argument at fault (`field`).
 */
export function parseArgs<A extends readonly unknown[]>(
  method: string,
  spec: IpcMethodSpec<A>,
  args: readonly unknown[],
): A {
  const names = spec.params.map(paramName);
  const required = spec.params.filter((p) => !p.endsWith('?')).length;
  // A trailing undefined is an argument left out (IPC keeps it, JSON drops it).
  let count = args.length;
  while (count > required && args[count - 1] === undefined) count--;
  if (count < required || count > names.length) {
    const wanted =
      names.length === 0
        ? 'no arguments'
        : required === names.length
          ? plural(required, 'argument')
          : `${required} to ${names.length} arguments`;
    const listed = names.length === 0 ? '' : ` (${names.join(', ')})`;
    throw new GatewayApiError({ code: 'invalid_request', message: `${method} takes ${wanted}${listed}, got ${count}` });
  }
  // With the value an issue is about: a text too long is told its length.
  const parsed = spec.args.safeParse(args.slice(0, count), { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const [index, ...rest] = issue.path;
  const field = [typeof index === 'number' ? (names[index] ?? String(index)) : undefined, ...rest.map(String)]
    .filter((p) => p !== undefined)
    .join('.');
  throw new GatewayApiError({
    code: 'invalid_request',
    message: `${method}: ${field ? `"${field}" ` : ''}${plainIssue(issue)}`,
    ...(field ? { field } : {}),
  });
}

/**
 * What a refusal says of its field, for a form that shows it at that field: an argument check's
 * message without the method and the argument's path, which name the call, not the form
 * (`changeSettings: "change.httpPort" must be a whole number` -> `must be a whole number`), and a
 * config check's without the place in the file it names; any other message as it is. The message
 * and `field` on the wire stay as they are for API clients.
 */
export function fieldMessage(error: { message: string; field?: string | undefined }): string {
  if (error.field === undefined) return error.message;
  const match = /^[A-Za-z]+: "([^"]*)" /.exec(error.message);
  if (match?.[1] === error.field) return error.message.slice(match[0].length);
  // A config check names the place in the file (`mcpServers.fx.tools.aliases.big: …`): at its field
  // the field says where.
  const place = CONFIG_PLACE.exec(error.message);
  return place ? error.message.slice(place[0].length) : error.message;
}

const CONFIG_PLACE =
  /^(?:mcpServers|profiles|listen|traffic|limits|timeouts)(?:\.[^\s.[\]:]+|\[(?:"(?:[^"\\]|\\.)*"|\d+)\])*: /;

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  record: 'an object',
  object: 'an object',
  array: 'a list',
};

/** What an argument check says, as a sentence a person reads at a field (zod's words are a programmer's). */
function plainIssue(issue: z.core.$ZodIssue): string {
  const i = issue as z.core.$ZodIssue & {
    origin?: string;
    minimum?: number | bigint;
    maximum?: number | bigint;
    expected?: string;
    values?: unknown[];
    input?: unknown;
  };
  if (i.code === 'too_small' && i.origin === 'string')
    return Number(i.minimum) === 1 ? 'must not be empty' : `must be at least ${i.minimum} characters`;
  if (i.code === 'too_big' && i.origin === 'string')
    return (
      `must be at most ${i.maximum} characters` +
      (typeof i.input === 'string' ? ` (this one has ${i.input.length})` : '')
    );
  // A whole number past the safe range is an `int` one ("Too big: expected int to be <=9007199254740991").
  const numeric = i.origin === 'number' || i.origin === 'int';
  if (i.code === 'too_small' && numeric) return `must be at least ${i.minimum}`;
  if (i.code === 'too_big' && numeric) return `must be at most ${i.maximum}`;
  if (i.code === 'too_small' && i.origin === 'array')
    return Number(i.minimum) === 1 ? 'must not be an empty list' : `must have at least ${i.minimum} items`;
  if (i.code === 'too_big' && i.origin === 'array') return `must have at most ${i.maximum} items`;
  if (i.code === 'invalid_type' && i.expected !== undefined && EXPECTED[i.expected])
    return `must be ${EXPECTED[i.expected]}`;
  if (i.code === 'invalid_value' && i.values)
    return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}
