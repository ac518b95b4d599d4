/**
 * What the control API carries: plain JSON-safe data (no classes, functions, Dates or undefined
 * that matters), so the same objects travel over Electron IPC (structured clone) and HTTP (JSON).
 * Optional fields are absent, not null, when there is nothing to say. The engine builds these
 * very types; nothing else declares them.
 */

/** How Switchboard reaches a backend. */
export type ServerKind = 'stdio' | 'http' | 'handler-http' | 'handler-fastcgi';

/** Lifecycle of one backend as the user sees it. */
export type ServerState = 'stopped' | 'starting' | 'ready' | 'backoff' | 'failed';

export interface GatewayStatus {
  /** Switchboard's own version (package.json). */
  version: string;
  /** Absolute path of the config file in use (it may not exist yet). */
  configPath: string;
  /**
   * Why the last edit of the config could not be applied, in words a user can act on (file, line,
   * column and JSON path of each problem). The previous config keeps running. Absent when fine.
   */
  configError?: string;
  /**
   * With configError: the file was already broken when the gateway started, so there is no previous
   * config to keep running: no server runs until the file is fixed.
   */
  runsWithoutConfig?: boolean;
  /**
   * Where clients can reach the gateway: URLs of HTTP listeners (`http://127.0.0.1:PORT/mcp`)
   * and the local socket or named pipe path the shim connects to.
   */
  listen: string[];
  /**
   * Why the HTTP listener the config asks for is not open (its port is taken by another program):
   * clients that start the shim still reach the gateway, HTTP clients do not. Absent when it is open
   * or turned off.
   */
  httpProblem?: string;
  /** Paused from the tray or the window: servers are stopped until resumed. */
  paused: boolean;
  /** The traffic record takes new exchanges (`traffic.enabled`); off, it holds only what came before. */
  trafficRecording: boolean;
  /**
   * Why the traffic history is not being written now (the disk is full, another program holds the
   * file locked, it could not be opened), in words, with what happens to the record meanwhile.
   * Absent while it is written, and when no history is kept.
   */
  trafficHistoryProblem?: string;
}

/**
 * A server's error without the `server "NAME": ` it starts with, for where the server's name is said
 * already (its row, its detail, its tray submenu, its line in `switchboard list`).
 */
export function withoutServerName(text: string, server: string): string {
  const named = `server ${JSON.stringify(server)}: `;
  return text.startsWith(named) ? text.slice(named.length) : text;
}

export interface ServerView {
  /** The server's key in the config. Unique. */
  name: string;
  kind: ServerKind;
  /**
   * A remote server's transport when it is not the default (Streamable HTTP, falling back to legacy
   * SSE): `websocket` for a ws:// or wss:// URL, or the one its entry names. Absent otherwise.
   */
  transport?: 'streamable-http' | 'sse' | 'websocket';
  state: ServerState;
  /** The last failure, in words a user can act on. */
  lastError?: string;
  /** Process id while a stdio server's process is running. */
  pid?: number;
  /** Times the backend was restarted after a crash or lost connection. */
  restarts: number;
  /**
   * Tools the server currently offers. Absent while they are not known (not ready yet, turned off,
   * down, or its tools/list failed): unknown, not none.
   */
  toolCount?: number;
  /**
   * Tools it lists that MCP clients would refuse (a malformed schema, a name listed twice), left out
   * of every list: one line each, `tool "x" (why)`. Absent when there are none.
   */
  leftOutTools?: string[];
  /**
   * Why the server's tools/list failed (an error answer, a timeout), while no list of it is known: its
   * tools are unknown, not none (`toolCount` is absent). Absent once a list has been read.
   */
  toolsError?: string;
  /** Turned off in the config (`"disabled": true`): kept, not started. */
  disabled?: true;
  /**
   * One process per client session (`"isolated": true`): none runs, and `state` is `stopped`, while
   * no client is connected; Restart is refused (each client's process ends with its session).
   */
  isolated?: true;
  /** OAuth (remote servers that use it, once it is known whether they need it). */
  auth?: ServerAuthView;
}

/** A remote server's OAuth login, as the user sees it. */
export interface ServerAuthView {
  state: 'logged-in' | 'needs-login' | 'logging-in';
  /** The authorization server. */
  issuer?: string;
  /** Granted scopes, space-separated. */
  scope?: string;
  /** When the access token expires (epoch ms); it is renewed before then where the server allows. */
  expiresAt?: number;
  /** Why a login is needed, in words a user can act on. */
  reason?: string;
  /**
   * Why the last login started did not complete (refused, given up, timed out), until the next
   * one starts. Tokens from before may still work: `state` is then `logged-in`.
   */
  loginFailed?: string;
  /**
   * How many logins have ended (in or failed) since the gateway started: a view that started one
   * knows it is over once this passes the count it saw before.
   */
  loginsDone?: number;
}

/** A login started (loginServer). */
export interface LoginStart {
  /** Where the user logs in; absent when no browser step is needed (client credentials). */
  authorizationUrl?: string;
  /** Whether the app opened it in the system browser. */
  opened: boolean;
}

/** A server's entry as the config file holds it under `mcpServers` (checked by the gateway's config rules). */
export type ServerEntry = Record<string, unknown>;

/** What to change about one tool; what is left out stays. */
export interface ToolOptions {
  shown?: boolean;
  /** '' removes the alias. */
  alias?: string;
}

/** One of a server's own tools, shown to clients or hidden by the config. */
export interface ServerToolView {
  /** The name the server uses. */
  originalName: string;
  /** The name clients see; absent when hidden. */
  name?: string;
  shown: boolean;
  /** The name given to it in the config (`tools.aliases`). */
  alias?: string;
  title?: string;
  description?: string;
}

export interface ToolView {
  /** The name clients see (namespaced when two servers offer the same name). */
  name: string;
  /** The server that provides the tool. */
  server: string;
  /** The name the server itself uses. */
  originalName: string;
  title?: string;
  description?: string;
}

/** What the Settings screen shows and changes (the config file holds them). */
export interface Settings {
  /** The HTTP listener's port; absent when HTTP is off in the config. */
  httpPort?: number;
  httpHost?: string;
  /**
   * The port the gateway was started with (`--port`): it listens there whatever the config says,
   * and a new `httpPort` applies only when it starts without it.
   */
  httpPortFromCommandLine?: number;
  /** The traffic record (docs/traffic.md). */
  trafficEnabled: boolean;
  /** History kept on disk: days and bytes (0 keeps none). */
  historyDays: number;
  historyMaxBytes: number;
}

/** Settings to change; the others stay as they are. */
export interface SettingsChange {
  httpPort?: number;
  trafficEnabled?: boolean;
  historyDays?: number;
  historyMaxBytes?: number;
}

/** The longest traffic history the config file takes, in days (`traffic.history.days`). */
export const HISTORY_DAYS_MAX = 3650;

/** A client connected now. */
export interface SessionView {
  id: string;
  /** As it introduced itself (absent until it has). */
  client?: ClientInfo;
  /** `streamable-http`, `sse`, `stdio`, `socket` (through the shim). */
  transport: string;
  profile: string;
  /** The protocol revision agreed on. */
  revision?: string;
  /** Epoch milliseconds. */
  since: number;
  /**
   * When the client last sent anything (epoch ms). An HTTP client may go away without saying so:
   * its session is kept until it has been quiet for the listener's idle limit (2 hours).
   */
  lastHeard: number;
}

/** A profile: one MCP server as clients see it, made of some of the configured servers. */
export interface ProfileView {
  name: string;
  description?: string;
  /** The built-in "default" profile: every enabled server. */
  implicit: boolean;
  servers: string[];
  /** Where HTTP clients reach it (absent without an HTTP listener). */
  url?: string;
  /** Tools it offers now (servers that are not ready count none). */
  tools: number;
  /** Their names as the profile's clients see them. */
  toolNames: string[];
  /** About how many tokens its tool list costs a model in every conversation (its JSON text / 4). */
  approxTokens: number;
}

/** A profile as the config file lists it (`profiles.<name>`), to create or change one. */
export interface ProfileEntry {
  /** Server names from the config, in the order given. */
  servers: string[];
  description?: string;
}

/** Where a secret is used: a server's config field that says `${secret:NAME}`. */
export interface SecretUse {
  server: string;
  /** e.g. `env.GITHUB_TOKEN`, `headers.Authorization`. */
  field: string;
  /** The server is turned off: it gets the secret once it is turned on. */
  disabled?: true;
}

/** A secret by name; its value never leaves the gateway. */
export interface SecretView {
  name: string;
  /**
   * In the store. false: the config refers to it but it is not set (those servers cannot start).
   * null: not known, the store cannot be read now (SecretsView.unavailable).
   */
  stored: boolean | null;
  usedBy: SecretUse[];
  /**
   * Switchboard's own settings that refer to it (`listen.http.token`): without it the config file
   * cannot be applied. Absent when none does.
   */
  settings?: string[];
  /** What of Switchboard's own it serves, when it is its own: the backup key's "backups of client files". */
  own?: string;
}

export interface SecretsView {
  /** Where values are kept, as a user says it: "the keychain". */
  store: string;
  /**
   * Why the store cannot be read now (no keychain, a locked one): the list then holds the names the
   * config uses, each with `stored: null`.
   */
  unavailable?: string;
  secrets: SecretView[];
}

/** Where an AI client stands with Switchboard (see the installers). */
export type ClientConfigState =
  /** Neither the client nor its config file was found. */
  | 'not-detected'
  /** The client is there, its config file is not (install creates it). */
  | 'no-config'
  | 'not-installed'
  /** Switchboard's entry is there and starts it: this copy's, or the other kind's (see ClientView.entry). */
  | 'installed'
  /**
   * Switchboard's entry is there but no longer works as written: its program or script is gone, its
   * arguments are in an older form, or it is this kind's entry from another place (an old app location).
   * ClientView.outdatedBecause says which.
   */
  | 'outdated'
  /** The file cannot be read (or is refused: a symlink out of its folder). */
  | 'invalid';

/**
 * Which kind of entry starts Switchboard in a client. 'app': the desktop app's own program run as Node
 * (ELECTRON_RUN_AS_NODE) on the shim file in its data folder; with no gateway running it starts the app.
 * 'cli': Node on bin/switchboard.js (`switchboard install`, `switchboard serve`'s web UI); with no
 * gateway running it starts one in the background, without the app (an app opened then finds it running).
 */
export type ClientEntryKind = 'app' | 'cli';

/** An AI client on this machine (Claude Desktop, Cursor, Zed, VS Code, Claude Code, ...). */
export interface ClientView {
  /** `claude-desktop`, `cursor`, ... */
  id: string;
  name: string;
  /** Its MCP config file. */
  path: string;
  detected: boolean;
  state: ClientConfigState;
  problem?: string;
  /** The other servers in its file. */
  servers: string[];
  /** The profile Switchboard's entry starts, when installed. */
  profile?: string;
  /** The kind of Switchboard's entry, when installed (or outdated). */
  entry?: ClientEntryKind;
  /** Why the entry is 'outdated' ("its program /opt/old/node no longer exists"). */
  outdatedBecause?: string;
  /**
   * When (epoch ms) the client took Switchboard's entry out of its file while the gateway ran (Claude
   * Desktop rewriting it on launch), for a client that has none now; not for an uninstall or restore.
   */
  entryDroppedAt?: number;
  /**
   * The kind of entry Install writes from here: 'app' in the desktop app, 'cli' in `switchboard serve`.
   * Given with `entry` (to tell an entry of the other kind); absent when this copy cannot install (the
   * app run from its disk image).
   */
  installs?: ClientEntryKind;
  /**
   * Switchboard keeps the original of its file: Restore puts it back byte for byte (only its servers
   * when the client keeps more there and changed the file since).
   */
  backedUp: boolean;
}

/**
 * A client's config file changed on disk in what concerns Switchboard (the `client-file` event), by
 * anyone: the client itself, `switchboard install`, an edit by hand, or the app.
 */
export interface ClientFileChange {
  /** `claude-desktop`, `cursor`, ... (ClientView.id). */
  client: string;
  name: string;
  path: string;
  /**
   * `entry-removed`: the file no longer has Switchboard's entry (a client rewriting its file, an edit);
   * `entry-present`: it has one again, or for the first time; `entry-changed`: the entry says something
   * else (another profile); `reapplied`: Switchboard put its entry back; `error`: the file cannot be read.
   */
  change: 'entry-removed' | 'entry-present' | 'entry-changed' | 'reapplied' | 'error';
  /** In words, for a log or a notification. */
  message: string;
  /** The file is as Switchboard wrote it (an install or uninstall by the app or the command line). */
  bySwitchboard: boolean;
}

/** What installClient writes: a profile, and the change the user was shown (ClientChangePreview.fingerprint). */
export interface InstallChoice {
  profile?: string;
  fingerprint?: string;
}

/** What installing would change, before anything is written. */
export interface ClientChangePreview {
  path: string;
  /** A unified diff (secret-looking values masked); '' when nothing would change. */
  diff: string;
  /** Names this change: given to installClient, it writes only this change (see InstallChoice). */
  fingerprint: string;
  warnings: string[];
  /**
   * Why Switchboard will not write the file: a symbolic link to a file outside the client's folder (the
   * diff is the change for the user to make there by hand), or a read-only file (make it writable first).
   */
  refused?: string;
}

export interface ClientChange {
  path: string;
  /** false: the file already said this; nothing was written. */
  written: boolean;
  /** What to do next, e.g. restart the client. */
  note?: string;
  /** Where the original was saved, the first time Switchboard changed the file. */
  backupFile?: string;
  /**
   * What to know about the change made, as `switchboard install` prints it: the preview's warnings, and
   * those only the write can tell (the backup is not encrypted: no keychain holds its key).
   */
  warnings?: string[];
}

/** One of a client's own servers, and whether Switchboard can take it over. */
export interface AdoptableServerView {
  name: string;
  /** `stdio`, `remote`, or `unsupported` (then `problem` says why). */
  kind: string;
  /** What it runs or reaches (secret-looking values masked). */
  summary: string;
  problem?: string;
}

/** What moving a client's servers into Switchboard would do; nothing is written. */
export interface AdoptionPreview {
  clientPath: string;
  configPath: string;
  /** Every server in the client's file. */
  adoptable: AdoptableServerView[];
  /** The ones that would move: their name in Switchboard, and which values become keychain secrets. */
  moving: { from: string; name: string; secrets: { name: string; field: string }[] }[];
  /** Already in Switchboard's config with the same definition. */
  alreadyInConfig: string[];
  warnings: string[];
  /** Unified diffs (secret-looking values masked) of the client's file and of Switchboard's config. */
  clientDiff: string;
  configDiff: string;
  /**
   * Why Switchboard will not write the client's file (read-only, or a link to a file outside its folder; said
   * among the warnings too): moving is refused until that is fixed.
   */
  refused?: string;
}

export interface AdoptionDone {
  moved: string[];
  /** What to do next, e.g. restart the client. */
  note: string;
  backupFile?: string;
  /** As `ClientChange.warnings`: the preview's, and those only the write can tell. */
  warnings?: string[];
}

export interface ClientRestored {
  path: string;
  /**
   * 'restored': the original bytes are back; 'removed': the file did not exist before;
   * 'servers-restored': only the servers are back, the rest of the file stays as it is now (the
   * client keeps more than servers there and changed the file since Switchboard wrote it).
   */
  action: 'restored' | 'removed' | 'unchanged' | 'servers-restored';
  /** Where the file's content was kept because it changed after Switchboard's last write. */
  keptCurrent?: string;
  /** 'servers-restored': the servers put back from the original. */
  putBack?: string[];
  /** 'servers-restored': what else the client keeps in the file, e.g. "it holds all of Gemini CLI's settings". */
  otherState?: string;
}

/** One problem in the config file, where an editor can jump to it. */
export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** JSON path as people read it, e.g. `mcpServers.github.command`; '' for the whole file. */
  path: string;
  message: string;
}

/** An edit of the config file that could not be applied (the previous config keeps running). */
export interface ConfigProblem {
  /** Every issue, one per line, as `FILE:LINE:COL: PATH: MESSAGE`. */
  message: string;
  issues: ConfigIssue[];
}

/** A line for the log views: the gateway's own notes, or a server's stderr. */
export interface LogLine {
  /** Epoch milliseconds. */
  at: number;
  level: 'info' | 'warn' | 'error';
  /** The server the line is about (config key); absent for the gateway itself. */
  server?: string;
  /** `stderr`: printed by the server's process; `gateway`: written by Switchboard. */
  source: 'gateway' | 'stderr';
  text: string;
}

// ---- questions: elicitation and sampling no client could answer, put to the user ------------

/** A client as it introduced itself. */
export interface ClientInfo {
  name: string;
  version?: string;
}

/** One field of a form elicitation (the spec's flat JSON Schema subset, unknown keywords dropped). */
export interface FormField {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  title?: string;
  description?: string;
  /** A value to prefill. */
  default?: string | number | boolean | string[];
  /** string: the allowed values. */
  enum?: string[];
  /** string (legacy titled enum): display names, parallel to `enum`. */
  enumNames?: string[];
  /** string (titled enum): the allowed values with display titles. */
  oneOf?: { const: string; title?: string }[];
  /** string: `email`, `uri`, `date` or `date-time` are checked (formats.ts); others are hints. */
  format?: string;
  /** string: the server marked it `writeOnly` or `format: "password"`: typed hidden. */
  sensitive?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** array (multi-select): the allowed values. */
  items?: { type: 'string'; enum?: string[]; anyOf?: { const: string; title?: string }[] };
  minItems?: number;
  maxItems?: number;
}

export interface FormSchema {
  type: 'object';
  properties: Record<string, FormField>;
  required?: string[];
}

/**
 * A piece of sampling content as the server sent it (text, image, audio, tool use or result). Render as data, never as
 * markup.
 */
export type SamplingContent = { type: string; text?: string; mimeType?: string } & Record<string, unknown>;

export interface SamplingMessage {
  role: 'user' | 'assistant';
  content: SamplingContent | SamplingContent[];
}

/** What a sampling request asks the model — here, the user — to answer. */
export interface SamplingParams {
  messages: SamplingMessage[];
  systemPrompt?: string;
  maxTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  includeContext?: string;
  modelPreferences?: Record<string, unknown>;
  /** Tools the server offers the model; for context only. */
  tools?: Record<string, unknown>[];
}

interface QuestionBase {
  /** Random and unguessable. */
  id: string;
  /** The server (config key) that asked. */
  server: string;
  /** Text from the server (elicitation) or a summary (sampling). Untrusted: show as plain text. */
  message: string;
  /** The client whose request caused this one, when known. */
  client?: ClientInfo;
  /** Why Switchboard asks instead of the client, e.g. "the client (Zed) does not support elicitation". */
  reason: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds. Then the question ends: an elicitation is answered as cancel, sampling is rejected. */
  expiresAt: number;
}

/** A form to fill in. Answer `{ action: 'accept', content }`, `{ action: 'decline' }` or `{ action: 'cancel' }`. */
export interface FormQuestion extends QuestionBase {
  kind: 'elicitation';
  mode: 'form';
  requestedSchema: FormSchema;
}

/**
 * A page the server wants the user to visit (e.g. to sign in). `url` is the full URL, http(s)
 * only, never opened by the gateway: show it untruncated, open it only when the user chooses,
 * then answer `{ action: 'accept' }` — or decline / cancel.
 */
export interface UrlQuestion extends QuestionBase {
  kind: 'elicitation';
  mode: 'url';
  url: string;
  elicitationId?: string;
}

/**
 * A request for a model reply. Never approved silently: answer with the reply the user typed,
 * `{ action: 'accept', content: { type: 'text', text }, model? }` (model defaults to "user"), or
 * `{ action: 'decline' }`.
 */
export interface SamplingQuestion extends QuestionBase {
  kind: 'sampling';
  mode: 'form';
  params: SamplingParams;
}

export type Question = FormQuestion | UrlQuestion | SamplingQuestion;

export type FormValue = string | number | boolean | string[];

/** The user's answer to a question (see each kind of question for which fits). */
export type QuestionAnswer =
  | { action: 'accept'; content?: Record<string, FormValue> }
  | { action: 'accept'; role?: 'assistant'; content: { type: 'text'; text: string }; model?: string }
  | { action: 'decline' }
  | { action: 'cancel' };

/** How a question left the list. */
export type QuestionOutcome = 'answered' | 'declined' | 'cancelled' | 'expired' | 'withdrawn';

export interface QuestionEnded {
  id: string;
  outcome: QuestionOutcome;
}

// ---- traffic: every message at both edges of the gateway, joined into exchanges -------------

/** Which edge of the gateway a message crossed: client ⇄ gateway, gateway ⇄ server, or a question put to the user. */
export type TrafficEdge = 'client' | 'upstream' | 'app';

/**
 * How an exchange ended. `pending`: no answer yet; `delivered`: a notification (nothing to wait for);
 * `cancelled`: the caller withdrew it; `timeout`: no answer in time; `tool_error`: a `tools/call`
 * answered with a result marked `isError`, which is how a tool says it failed.
 */
export const TRAFFIC_OUTCOMES = ['pending', 'ok', 'error', 'cancelled', 'timeout', 'delivered', 'tool_error'] as const;
export type TrafficOutcome = (typeof TRAFFIC_OUTCOMES)[number];

/** The outcomes of an exchange that failed: what "errors only" shows and the stats count as errors. */
export const FAILED_OUTCOMES: readonly TrafficOutcome[] = ['error', 'timeout', 'tool_error'];

/** The client session a message belongs to. */
export interface TrafficSession {
  id: string;
  client?: ClientInfo;
  transport: string;
  profile: string;
  /** The negotiated protocol revision. */
  revision?: string;
}

/** A message's payload as recorded: redacted JSON text, cut at the size limit. */
export interface TrafficPayload {
  /** The JSON text (secrets replaced); absent when payloads are not kept. */
  json?: string;
  /** Size of the whole message's JSON text, in bytes. */
  bytes: number;
  /** The text was cut at the limit (`json` ends with a marker). */
  truncated?: boolean;
}

/** A payload without its text: the size and the cut mark, as live batches and table rows carry it. */
export function payloadSizes(payload: TrafficPayload): TrafficPayload {
  return payload.truncated ? { bytes: payload.bytes, truncated: true } : { bytes: payload.bytes };
}

/**
 * One exchange: a request joined with its answer (or error, cancellation, timeout), or a
 * notification. Exchanges a request caused (its call to a server, progress, questions) name it as
 * `parentId`, so a client's call reads as one tree.
 */
export interface TrafficEntry {
  /** Unique and increasing with start time. */
  id: string;
  parentId?: string;
  edge: TrafficEdge;
  /** From the gateway's side: `in` received, `out` sent. */
  direction: 'in' | 'out';
  kind: 'request' | 'notification';
  method: string;
  /** What the method is about: a tool or prompt name, a resource URI (as this side names it). */
  target?: string;
  session?: TrafficSession;
  /** The server (config key) on the upstream edge, or the server that asked (app edge). */
  server?: string;
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs?: number;
  outcome: TrafficOutcome;
  error?: { code: number; message: string };
  request: TrafficPayload;
  response?: TrafficPayload;
}

/** Which entries to list (every condition given must hold). */
export interface TrafficFilter {
  /** Epoch milliseconds, inclusive. */
  since?: number;
  until?: number;
  edge?: TrafficEdge;
  /** The client's name as it introduced itself. */
  client?: string;
  session?: string;
  profile?: string;
  server?: string;
  method?: string;
  /** A tool, prompt or resource (`target`). */
  target?: string;
  /** One outcome, or any of several (`FAILED_OUTCOMES`: what failed). */
  outcome?: TrafficOutcome | TrafficOutcome[];
  /** Only exchanges that took at least this long. */
  minDurationMs?: number;
  /** Found in the method, target, server, client name or payloads (case-insensitive). */
  text?: string;
  /** Only exchanges nobody else caused (the top of each tree). */
  rootsOnly?: boolean;
  /** At most this many (default 100, at most 1000). */
  limit?: number;
  /** Continue after the page that gave this cursor. */
  cursor?: string;
}

/** Newest first. */
export interface TrafficPage {
  entries: TrafficEntry[];
  /** Pass as `cursor` for the next (older) page; absent on the last one. */
  nextCursor?: string;
}

/** An exchange with everything it caused. */
export interface TrafficTree {
  entry: TrafficEntry;
  children: TrafficTree[];
}

/** Live traffic, pushed at most ten times a second: entries new or changed since the last batch. */
export interface TrafficBatch {
  /** Upsert by id. Payload text is left out (`json` absent): fetch the entry for it. */
  entries: TrafficEntry[];
  /** Changes left out because there were more than a batch holds: list again to catch up. */
  skipped: number;
  /**
   * Sent alone (no entries) to an event stream that came back after a break and was given the
   * other events it missed: live traffic is not kept for that, so list again to catch up.
   */
  resumed?: true;
}

/** Which calls the stats cover (every condition given must hold). */
export interface TrafficStatsQuery {
  /** Epoch milliseconds, inclusive. Default: the last hour. */
  since?: number;
  until?: number;
  server?: string;
  profile?: string;
  /** The client's name as it introduced itself. */
  client?: string;
}

/** Calls to one server, or to one of its tools (`tool` set): what the gateway sent upstream. */
export interface TrafficStatsRow {
  server: string;
  /** The tool's name as its server knows it. */
  tool?: string;
  calls: number;
  /** Failed: answered with an error, timed out, or a tool's result marked `isError`. */
  errors: number;
  /** Of the errors, those that timed out. */
  timeouts: number;
  /** Of the errors, tool results marked `isError`. */
  toolErrors: number;
  cancelled: number;
  /** Of the calls that ended, in milliseconds. */
  p50Ms?: number;
  p95Ms?: number;
  requestBytes: number;
  responseBytes: number;
}

export interface TrafficStats {
  since: number;
  until: number;
  /** Busiest first. */
  servers: TrafficStatsRow[];
  tools: TrafficStatsRow[];
  /**
   * The tool calls clients made, also those the gateway answered itself (an unknown tool, a server
   * that is down or paused), which no server row counts. `failed`: answered with an error, timed out,
   * or a result marked `isError`.
   */
  toolCalls: { calls: number; failed: number };
}

export type TrafficExportFormat = 'jsonl' | 'har';

/** A filtered set of exchanges, redacted, as a file a user can attach to a bug report. */
export interface TrafficExport {
  format: TrafficExportFormat;
  /** A suggested file name, e.g. `switchboard-traffic-2026-12-04T21-05-00Z.har`. */
  fileName: string;
  contentType: string;
  text: string;
  entries: number;
  /** More matched than one export holds (the newest were kept). */
  truncated: boolean;
}

/**
 * Recorded requests that `replayTraffic` sends again as they are: they read and change nothing.
 * A `tools/call` is replayed too, but only with `confirm` (ask the user first); nothing else is.
 */
export const SAFE_TO_REPLAY: ReadonlySet<string> = new Set([
  'ping',
  'tools/list',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'tasks/get',
  'tasks/list',
]);

/** What the gateway leaves where it took a secret out: `[redacted]`, `[redacted:NAME]`. */
export const REDACTED_PLACEHOLDER = /\[redacted(?::[^\]]*)?\]/;

/**
 * Why a recorded request cannot be sent again as it was recorded, or undefined when it can: its
 * text was cut, or had secrets taken out (what was sent is not there). `replayTraffic` refuses it
 * saying so, and the UI does not offer it: one rule for both.
 */
export function replayRefusal(request: TrafficPayload): string | undefined {
  if (request.truncated) return `was recorded cut (${request.bytes} bytes in all), so it cannot be sent again`;
  if (request.json !== undefined && REDACTED_PLACEHOLDER.test(request.json))
    return 'had secrets taken out when it was recorded; sending it again would send the placeholders';
  return undefined;
}

/** What sending a recorded request again gave. */
export interface TrafficReplay {
  /** The new exchange in the traffic record. */
  id: string;
  outcome: TrafficOutcome;
  result?: unknown;
  error?: { code: number; message: string };
}
