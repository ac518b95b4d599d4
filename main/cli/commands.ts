/** The CLI commands other than `shim`. Each returns the process exit code. */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AlreadyRunningError,
  createGateway,
  createKeychainSecretStore,
  defaultConfigPath,
  ensurePrivateDir,
  formatLogLine,
  isMissingConfigError,
  loadConfigFile,
  logDir,
  lookupCommand,
  argumentsInCommandProblem,
  missingCommandHint,
  relativeCommandProblem,
  trafficHistoryPath,
  askSocket,
  connectRunningGateway,
  errorMessage,
  GatewayError,
  readGatewayLock,
  runsWithoutSocket,
  requestUiLoginLink,
  resolveLoginShellPath,
  resolveServerReferences,
  stripUrlCredentials,
  shimCommand,
  type ClientInstallSetup,
  type Gateway,
  type GatewayInfo,
  type GatewayOptions,
  type ServerView,
  statusText,
  StatusLines,
  userInstallerContext,
  withoutServerName,
} from '../engine/index.ts';
import { isSuspended } from '../shared/gateway-lock.ts';
import { runtimePaths } from '../shared/paths.ts';
import { describeStopped, markStopped, readStopped } from '../shared/stopped-marker.ts';
import { saveCompileCache } from './compile-cache.ts';
import { formatToolResult, printable, printableLines, table } from './format.ts';
import { localTime } from './traffic-format.ts';
import pkg from '../../package.json' with { type: 'json' };

/** The built renderer (npm run build), served as the web UI under /ui by `switchboard serve`. */
const UI_DIR = fileURLToPath(new URL('../../renderer/dist', import.meta.url));
/** What a client starts for the shim: this copy's launcher. */
const SWITCHBOARD_SCRIPT = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

interface Common {
  configPath: string | undefined;
  timeoutMs: number;
}

// A line can quote a server (its error line): none may move the cursor or retitle the terminal.
const log = (line: string) => process.stderr.write(`switchboard: ${printableLines(line)}\n`);

/** Short retries for one-shot commands: a broken server should fail fast, not back off for minutes. */
const ONE_SHOT_BACKOFF = { initialMs: 200, maxMs: 1000, maxAttempts: 3, stableMs: 5000 };

function gatewayOptions(common: Common, extra: Partial<GatewayOptions>): GatewayOptions {
  return {
    configPath: common.configPath ?? defaultConfigPath(),
    allowMissingConfig: common.configPath === undefined,
    secrets: createKeychainSecretStore(),
    oauthStore: createKeychainSecretStore({ namespace: 'oauth' }),
    version: pkg.version,
    logDir: logDir(),
    ...extra,
  };
}

/**
 * SWITCHBOARD_API_KEEPALIVE_MS: how often an idle event stream of the web UI gets a keep-alive (default 25 s),
 * which is how soon after it a page notices a stalled stream; tests make it short.
 */
function apiKeepAlive(): { apiKeepAliveMs?: number } {
  const value = Number(process.env.SWITCHBOARD_API_KEEPALIVE_MS);
  return Number.isInteger(value) && value >= 50 && value <= 3_600_000 ? { apiKeepAliveMs: value } : {};
}

/** The exit code of a command a signal ended (128 + the signal's number, as a shell says it). */
const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

export async function serve(
  opts: Common & {
    stdio: boolean;
    port?: number;
    host?: string;
    http: boolean;
    socket: boolean;
    profile: string;
    background: boolean;
  },
): Promise<number> {
  // A closed terminal fails every later write (EIO), as does a log reader that went away (EPIPE):
  // nothing can be said there any more, and the gateway must still stop its servers, not crash.
  process.stderr.on('error', () => undefined);
  const paths = runtimePaths();
  const gateway = createGateway(
    gatewayOptions(opts, {
      watch: true,
      keepRunningOnConfigError: true,
      http:
        opts.stdio || !opts.http
          ? false
          : { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) },
      // Turned off here by --stdio and --no-socket; otherwise the config's listen.socket decides, but for a
      // gateway a shim started, which is there to serve that shim over the socket.
      ...(opts.stdio || !opts.socket ? { socket: false } : opts.background ? { socket: true } : {}),
      ...(opts.stdio
        ? { onlyProfile: opts.profile }
        : {
            runtimeDir: paths.dir,
            trafficHistoryFile: trafficHistoryPath(),
            uiDir: UI_DIR,
            clientInstalls: clientInstallSetup(),
          }),
      httpOptional: opts.background,
      // `npm start --port N` would give npm the flag: the advice for a taken port says how to pass it on.
      ...(process.env.npm_lifecycle_event === 'start'
        ? { httpPortAdvice: 'set listen.http.port in the config file, or run npm start -- --port N' }
        : {}),
      // A gateway the shim started writes to this file (the shim points its output there).
      ...(opts.background ? { logFile: paths.log } : {}),
      ...apiKeepAlive(),
    }),
  );
  gateway.on('log', (line) => log(formatLogLine(line)));
  // In the words of the server's log: "server "x" exited with code 1: …; restarting in 2 s", not "… backoff: …".
  const statusLines = new StatusLines();
  gateway.on('status', (s) => log(`server "${s.name}" ${statusLines.line(s)}`));
  let configError = false;
  gateway.on('config-error', (e) => {
    configError = true;
    if ((e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      // Not an edit to fix: say what keeps running, and that putting the file back is what applies.
      const names = Object.keys(gateway.config().servers);
      const running = names.length ? `${names.length > 1 ? 'servers' : 'server'} ${names.join(', ')}` : 'no servers';
      log(
        gateway.runsWithoutConfig()
          ? `${e.message}: no server runs until it is there again`
          : `${e.message}: the gateway keeps running on the config it had (${running}) until it is there again`,
      );
    } else log(`config not applied (the gateway keeps running; save the file again once it is fixed):\n${e.message}`);
  });
  gateway.on('reloaded', (c) => {
    log(`config reloaded${configError ? ' (the error is fixed)' : ''}: ${describeReload(c)}`);
    configError = false;
  });
  // Before the start, which can wait (a server's secret read while the keychain shows an unlock prompt):
  // a signal then stops the servers started so far and ends the start, with the signal's exit code;
  // once started, a signal is the usual way to stop (0). A second one ends the process at once.
  let started = false;
  let stopping: Promise<void> | undefined;
  const stop = (signal?: keyof typeof SIGNAL_CODES) => {
    const code = started || signal === undefined ? 0 : SIGNAL_CODES[signal];
    stopping ??= gateway.stop().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP in a terminal is a closed terminal or SSH session: servers run in process groups of their
  // own, so they are stopped here or they outlive the gateway. Without one it was sent on purpose
  // (systemd's ExecReload, kill -HUP, a gateway under nohup): the config is read again, as daemons do.
  const inTerminal = [process.stdin, process.stdout, process.stderr].some((s) => s.isTTY);
  process.on('SIGHUP', () => {
    if (inTerminal) return stop('SIGHUP');
    log('SIGHUP: reading the config file again');
    void Promise.allSettled([gateway.reload()]); // a failure is in the gateway's log already
  });
  try {
    await gateway.start();
  } catch (err) {
    // Stopped by a signal while starting: the process exits once the stop is done.
    if (stopping) return new Promise<number>(() => undefined);
    await gateway.stop();
    // Started by a shim while another gateway came up first: that one serves; nothing to do.
    const raced =
      err instanceof AlreadyRunningError || (err as { cause?: { code?: string } }).cause?.code === 'EADDRINUSE';
    if (opts.background && raced) {
      log(`another gateway already serves (${(err as Error).message}); this one exits`);
      return 0;
    }
    throw err;
  }
  if (stopping) return new Promise<number>(() => undefined);
  started = true;
  // The same for a bug: every server is stopped before the gateway fails.
  process.once('uncaughtException', (err) => {
    log(`internal error, stopping every server: ${err.stack ?? String(err)}`);
    setTimeout(() => process.exit(70), 10_000).unref();
    void gateway.stop().finally(() => process.exit(70));
  });

  if (opts.stdio) {
    if (!gateway.profileExists(opts.profile)) {
      // Its servers are running: stopped, or the process would stay with nobody to serve.
      await gateway.stop();
      throw new Error(
        `unknown profile "${opts.profile}" (the config has: ${Object.keys(gateway.config().profiles).join(', ')})`,
      );
    }
    const session = gateway.attachLineSession(process.stdin, process.stdout, opts.profile, 'stdio');
    session.onClose(() => void stop());
    saveCompileCache();
    return new Promise<number>(() => undefined);
  }
  if (!gateway.httpUrl() && !gateway.socketPath()) {
    // Running on, it would start servers no client can reach (and with none, end at once, saying "ready").
    await gateway.stop();
    const listen = gateway.config().listen;
    const why = [
      !opts.http ? '--no-http' : listen.http === false ? 'listen.http is false in the config' : undefined,
      !opts.socket ? '--no-socket' : !listen.socket ? 'listen.socket is false in the config' : undefined,
    ].filter(Boolean);
    const because = why.length ? ` (${why.join('; ')})` : '';
    throw new Error(
      `nothing to serve: the HTTP listener and the shim socket are both off${because}, ` +
        'so no client could reach this gateway; turn one on, or serve one client on stdin/stdout with --stdio',
    );
  }
  const where = [
    gateway.httpUrl() && `HTTP ${gateway.httpUrl()}`,
    gateway.socketPath() && `shim socket ${gateway.socketPath()}`,
  ]
    .filter(Boolean)
    .join('; ');
  const count = gateway.config().profiles.default?.servers.length ?? 0;
  log(
    `ready (${count} ${count === 1 ? 'server' : 'servers'}; ` +
      `config ${gateway.configPath()}${where ? `; ${where}` : ''})`,
  );
  saveCompileCache();
  // The link logs a browser in: printed for the person at this terminal, never into a log file (a
  // service's output is kept in its journal, which others may read within the link's 10 minutes).
  const link = opts.background ? undefined : gateway.uiLoginUrl();
  if (link) {
    const at = `${gateway.httpUrl()!.replace(/\/mcp$/, '')}/ui/`;
    log(
      !existsSync(join(UI_DIR, 'index.html'))
        ? 'web UI: not built in this copy (run "npm run build" to build it)'
        : process.stderr.isTTY
          ? `web UI: ${link} (one-time login link, valid 10 minutes; "switchboard ui" makes a new one)`
          : `web UI: ${at} (run "switchboard ui" for a login link: none is printed where output may be kept in a log)`,
    );
  }
  return new Promise<number>(() => undefined);
}

/** `switchboard ui`: a fresh login link to the running gateway's web UI. Exit 1 when none runs. */
export async function uiLink(): Promise<number> {
  const url = await requestUiLoginLink();
  if (!url) {
    log('no gateway is running; start one with "switchboard serve", which prints a login link');
    return 1;
  }
  process.stdout.write(`${url}\n`);
  log('open it in a browser within 10 minutes; it works once');
  return 0;
}

/** The AI clients' configs for the UI's Clients screen: this user's, with the shim of this copy. */
function clientInstallSetup(): ClientInstallSetup {
  return {
    context: userInstallerContext(),
    shim: (profile) => shimCommand({ executable: process.execPath, script: SWITCHBOARD_SCRIPT, profile }).shim,
  };
}

/** The gateway the lock names, if it is running. */
async function runningGateway(): Promise<GatewayInfo | undefined> {
  const state = await readGatewayLock(runtimePaths().lock);
  return state?.running ? state.info : undefined;
}

/** How long `status` and `doctor` wait for the gateway to answer a hello on its socket. */
const ANSWER_WAIT_MS = 2000;

/** The command that ends a process outright, for a gateway that does not stop when asked. */
function killCommand(pid: number): string {
  return process.platform === 'win32' ? `taskkill /F /PID ${pid}` : `kill -9 ${pid}`;
}

/** Why a running gateway does not answer on its socket, and what to do about it. */
function unresponsiveAdvice(pid: number): string {
  if (isSuspended(pid))
    return (
      `it is suspended (Ctrl-Z in the terminal that runs it, or SIGSTOP), so clients get no answer; resume it ` +
      `("fg" in that terminal, or "kill -CONT ${pid}"), or stop it with "switchboard stop"`
    );
  return (
    `it may be stuck, and clients get no answer; stop it with "switchboard stop" ` +
    `(if it does not stop: "${killCommand(pid)}")`
  );
}

/** `switchboard status`: is a gateway running, and where. Exit 0 when one runs, 1 when none does. */
export async function status(opts: { json: boolean }): Promise<number> {
  const paths = runtimePaths();
  const info = await runningGateway();
  // Connecting is not enough: a suspended gateway's socket still accepts, in the kernel, and answers nothing.
  const answer = info ? await askSocket(info.socket ?? paths.socket, ANSWER_WAIT_MS) : 'none';
  const answering = answer === 'answering';
  const stopped = info ? undefined : await readStopped(paths.stopped);
  if (opts.json) {
    const report = info
      ? { running: true, ...info, socketAnswering: answering, runtimeDir: paths.dir }
      : {
          running: false,
          runtimeDir: paths.dir,
          logFile: paths.log,
          ...(stopped ? { stoppedOnPurpose: stopped } : {}),
        };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return info ? 0 : 1;
  }
  if (!info) {
    process.stdout.write(
      `No Switchboard gateway is running (runtime directory ${paths.dir}).\n` +
        (stopped
          ? `It was stopped on purpose (${describeStopped(stopped)}): clients' shims will not start one. ` +
            `Start the Switchboard app or run "switchboard serve".\n`
          : `A client's shim starts one when it connects, or run "switchboard serve".\n`),
    );
    return 1;
  }
  const socket = info.socket ? `${info.socket} (${answering ? 'answering' : 'not answering'})` : 'off';
  const since = localTime(Date.parse(info.startedAt));
  process.stdout.write(
    `Switchboard gateway running: pid ${info.pid}, version ${info.version}, since ${since}\n` +
      table(null, [
        ['  config', info.configPath],
        ['  HTTP', info.http ?? (info.httpProblem ? `off: ${info.httpProblem}` : 'off')],
        ['  socket', socket],
        ['  log', info.logFile ?? 'the terminal or app that started it'],
        ['  lock', paths.lock],
      ]),
  );
  if (info.socket && answer === 'unresponsive')
    process.stdout.write(
      `\nThe gateway accepts connections on its socket but did not answer within ${ANSWER_WAIT_MS / 1000} s: ` +
        `${unresponsiveAdvice(info.pid)}.\n`,
    );
  // An edit by hand that was refused: the file on disk is not what runs, which nothing else here says.
  const gone = info.configError !== undefined && !existsSync(info.configPath);
  if (info.configError !== undefined && gone)
    process.stdout.write(
      `\nThe config file is gone: ` +
        (info.runsWithoutConfig ? `no server runs. ` : `the gateway runs on with the config it had. `) +
        `Put the file back to change what runs:\n${info.configError.replace(/^/gm, '  ')}\n`,
    );
  else if (info.configError !== undefined)
    process.stdout.write(
      `\nThe config file as last saved is not applied: ` +
        (info.runsWithoutConfig
          ? `it was already broken when the gateway started, so no server runs. `
          : `the gateway runs on with the config it had. `) +
        `Fix it and save again:\n${info.configError.replace(/^/gm, '  ')}\n`,
    );
  return 0;
}

/** `switchboard stop`: asks the running gateway to stop (SIGTERM), waits, and says how it went. */
export async function stop(opts: { timeoutMs: number }): Promise<number> {
  const info = await runningGateway();
  if (info?.pid === process.pid) throw new Error('refusing to stop this very process');
  // Written first: a client's shim that sees the gateway go must not start another one.
  await markStopped(runtimePaths().stopped, '`switchboard stop`');
  const until = `Clients will not start it again until you start Switchboard (the app, or "switchboard serve").`;
  if (!info) {
    process.stdout.write(`No Switchboard gateway is running; nothing to stop. ${until}\n`);
    return 0;
  }
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch (err) {
    throw new Error(`cannot signal the gateway (pid ${info.pid}): ${(err as Error).message}`);
  }
  // As systemd does: a suspended gateway (Ctrl-Z, SIGSTOP) handles the SIGTERM only once continued.
  if (process.platform !== 'win32') {
    try {
      process.kill(info.pid, 'SIGCONT');
    } catch {
      // Gone already: the loop below sees it.
    }
  }
  const started = Date.now();
  // Looked at once at least: with --timeout 0 it says whether the gateway is gone already.
  for (;;) {
    if (!(await runningGateway())) {
      process.stdout.write(
        `Stopped the Switchboard gateway (pid ${info.pid}) in ${Date.now() - started} ms. ${until}\n`,
      );
      return 0;
    }
    if (Date.now() - started >= opts.timeoutMs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const kill = killCommand(info.pid);
  const stuck = info.socket !== undefined && (await askSocket(info.socket, ANSWER_WAIT_MS)) === 'unresponsive';
  process.stderr.write(
    `switchboard: the gateway (pid ${info.pid}) did not stop within ${opts.timeoutMs} ms; it is still running` +
      (stuck
        ? ` and does not answer on its socket: it looks stuck. End it with "${kill}"`
        : `. It may still be stopping its servers: run "switchboard status" in a while; if it still runs, ` +
          `end it with "${kill}"`) +
      ` (the next gateway to start stops the servers it leaves running). ${until}\n`,
  );
  return 1;
}

/**
 * Runs `work` with a gateway of its own, stopped afterwards. Its servers run in process groups of
 * their own, so Ctrl-C in the terminal never reaches them: on SIGINT, SIGTERM or SIGHUP the gateway
 * stops them (as `serve` does) before the command exits (130, 143 or 129).
 */
async function withOneShot(
  common: Common,
  servers: string[] | undefined,
  work: (gateway: Gateway) => Promise<number>,
): Promise<number> {
  const gateway = createGateway(
    gatewayOptions(common, {
      http: false,
      socket: false,
      watch: false,
      backoff: ONE_SHOT_BACKOFF,
      oneShot: true,
      // Nobody would see a question in a one-shot command's Questions: the server hears so at once.
      askPeople: false,
      ...(servers ? { onlyServers: servers } : {}),
    }),
  );
  // SIGHUP: the terminal closed, after which every write fails (EIO); its servers are stopped all the same.
  const signals = SIGNAL_CODES;
  let interrupted: number | undefined;
  const onSignal = (signal: keyof typeof signals) => {
    if (signal === 'SIGHUP') process.stderr.on('error', () => undefined);
    interrupted = signals[signal];
    void gateway.stop().finally(() => process.exit(interrupted));
  };
  for (const signal of Object.keys(signals) as (keyof typeof signals)[]) process.once(signal, onSignal);
  try {
    await gateway.start();
    return await work(gateway);
  } catch (err) {
    // The work of an interrupted command fails as its servers stop: that is not news to report.
    if (interrupted !== undefined) return interrupted;
    throw err;
  } finally {
    await gateway.stop();
    for (const signal of Object.keys(signals)) process.off(signal, onSignal);
  }
}

/**
 * A server this command did not start because this terminal cannot read the keychain (an SSH login beside the
 * session the gateway runs in): the running gateway reads it from its own. Its pid, and its view of the server
 * (with its tools when asked for and ready), or why it could not be asked.
 */
interface ServedThere {
  pid: number;
  view?: ServerView;
  tools?: ListedTool[];
  problem?: string;
}

/**
 * The running gateway's view of `names`, when one runs with the config at `configPath` (another config's servers of
 * the same name are other servers); undefined otherwise.
 */
async function servedByRunningGateway(
  configPath: string,
  names: string[],
  withTools: boolean,
): Promise<Map<string, ServedThere> | undefined> {
  const info = names.length ? await runningGateway() : undefined;
  if (!info || info.configPath !== configPath) return undefined;
  const out = new Map<string, ServedThere>();
  let running: Awaited<ReturnType<typeof connectRunningGateway>>;
  try {
    running = await connectRunningGateway();
    if (!running) return undefined;
    const views = await running.api.listServers();
    for (const name of names) {
      const view = views.find((v) => v.name === name);
      const served: ServedThere = view ? { pid: info.pid, view } : { pid: info.pid, problem: NO_SUCH_SERVER };
      if (withTools && view?.state === 'ready')
        served.tools = (await running.api.listServerTools(name)).map((t) => ({
          name: t.originalName,
          description: t.description ?? '',
          ...(t.shown ? (t.name === undefined ? {} : { clientName: t.name }) : { hidden: true as const }),
        }));
      out.set(name, served);
    }
  } catch (err) {
    for (const name of names) out.set(name, { pid: info.pid, problem: `it could not be asked: ${errorMessage(err)}` });
  } finally {
    running?.close();
  }
  return out;
}

/** A server's entry in `list --json` as the running gateway has it (`runningGateway`), when not started here. */
interface RunningGatewayView {
  pid: number;
  state?: ServerView['state'];
  lastError?: string;
  toolCount?: number;
  toolsError?: string;
  /** Why it could not be asked, instead of its state. */
  problem?: string;
  tools: ListedTool[];
}

/** What this terminal's keychain kept from starting here: `reason` as the keychain gave it. */
const notStartedHere = (reason: string) => `not started here: this terminal cannot read the keychain (${reason})`;

/** What the running gateway has of a server: "has it ready, 3 tools", "has it failed: …". */
function servedThereText(s: ServedThere): string {
  const gateway = `the running gateway (pid ${s.pid})`;
  if (!s.view)
    return s.problem === NO_SUCH_SERVER
      ? `${gateway} has no server of that name (it runs an older version of this config)`
      : `${gateway} reads it from its own keychain (${s.problem ?? 'not asked'})`;
  const tools = s.view.toolCount === undefined ? '' : `, ${s.view.toolCount} tools`;
  // In list's words for a state ("not ready", not the engine's "backoff"); its error after, as a clause of its own.
  return s.view.state === 'ready'
    ? `${gateway} has it ready${tools}`
    : `${gateway} has it ${listedState(s.view.state)}${s.view.lastError ? ` (${s.view.lastError})` : ''}`;
}

const NO_SUCH_SERVER = 'it has no such server';

/** A server's tool as `list` shows it: the name clients call it by, or hidden by the entry's filter. */
interface ListedTool {
  name: string;
  description: string;
  clientName?: string;
  hidden?: true;
}

export async function list(opts: Common & { json: boolean }): Promise<number> {
  return withOneShot(opts, undefined, async (gateway) => {
    const names = gateway.servers().map((s) => s.name);
    // Whether each became ready is in its status, listed below.
    await Promise.allSettled(names.map((n) => gateway.upstream(n)?.whenReady(opts.timeoutMs)));
    const toolsOf = async (s: { name: string; state: string; isolated: boolean }) =>
      s.state === 'ready' && !s.isolated ? await gateway.serverTools(s.name, opts.timeoutMs).catch(() => []) : [];
    const listed = new Map(await Promise.all(gateway.servers().map(async (s) => [s.name, await toolsOf(s)] as const)));
    // Each server's status is taken once its tools are listed: taken before, what it says of them (toolCount,
    // leftOutTools in --json) was there or not by how soon each list came.
    const ownView = gateway.servers().map((s) => {
      const tools = listed.get(s.name) ?? [];
      // What clients see of each: the name they call it by (the default profile's), or nothing.
      const seen = new Map(tools.length ? gateway.listServerTools(s.name).map((v) => [v.originalName, v]) : []);
      // Tools MCP clients would refuse (a malformed schema): the gateway leaves them out, and says why.
      const leftOut = s.state === 'ready' && !s.isolated ? gateway.leftOutTools(s.name) : [];
      // Ready, but its tools/list failed: its tools are unknown (clients get none of them), not none.
      const toolsError = s.state === 'ready' && !s.isolated ? toolListError(gateway, s.name) : undefined;
      // Said once each, under the names --json documents (leftOut), not again as the status has them.
      const { leftOutTools: _leftOutTools, toolsError: _toolsError, ...status } = s;
      return {
        ...status,
        ...(leftOut.length ? { leftOut } : {}),
        ...(toolsError === undefined ? {} : { toolsError }),
        tools: tools.map((t) => {
          const view = seen.get(String(t.name));
          const tool: ListedTool = {
            name: String(t.name),
            description: typeof t.description === 'string' ? t.description : '',
          };
          if (view?.shown === false) tool.hidden = true;
          else if (view?.name !== undefined) tool.clientName = view.name;
          return tool;
        }),
      };
    });
    // Not started here because this terminal cannot read the keychain: the running gateway's view of them beside it.
    const outOfReach = ownView.filter((s) => s.state !== 'ready' && gateway.keychainOutOfReach(s.name) !== undefined);
    const there = await servedByRunningGateway(
      gateway.configPath(),
      outOfReach.map((s) => s.name),
      true,
    );
    const report = ownView.map((s): (typeof ownView)[number] & { runningGateway?: RunningGatewayView } => {
      const served = there?.get(s.name);
      if (!served) return s;
      const { view } = served;
      const runningGateway: RunningGatewayView = {
        pid: served.pid,
        ...(view
          ? {
              state: view.state,
              ...(view.lastError === undefined ? {} : { lastError: view.lastError }),
              ...(view.toolCount === undefined ? {} : { toolCount: view.toolCount }),
              ...(view.toolsError === undefined ? {} : { toolsError: view.toolsError }),
            }
          : { problem: served.problem }),
        tools: served.tools ?? [],
      };
      return { ...s, lastError: notStartedHere(gateway.keychainOutOfReach(s.name)!), runningGateway };
    });
    // A script checking a config learns from the exit code that a server it should run is not up
    // (an isolated one runs only inside a client's session: there is none to check here); one the running gateway
    // has ready is up, though this terminal could not start it.
    const up = (s: (typeof report)[number]) => s.state === 'ready' || s.runningGateway?.state === 'ready';
    const down = report.filter((s) => !s.disabled && !s.isolated && !up(s)).length;
    const unlisted = report.filter(
      (s) => s.toolsError !== undefined || s.runningGateway?.toolsError !== undefined,
    ).length;
    const code = down + unlisted > 0 ? 1 : 0;
    if (opts.json) {
      process.stdout.write(printableLines(JSON.stringify(report, null, 2)) + '\n');
      return code;
    }
    if (report.length === 0) {
      // Only a path the environment chose is said to come from it: --config names its own.
      const named =
        opts.configPath === undefined && process.env.SWITCHBOARD_CONFIG ? ' (named by SWITCHBOARD_CONFIG)' : '';
      const file = gateway.configPath();
      // A path with a typo reads like an empty config: say there is no file there.
      process.stdout.write(
        existsSync(file)
          ? `No servers configured in ${file}${named}.\n`
          : `No config file at ${file}${named} yet: Switchboard starts with no servers (add them there, or with ` +
              `Add server in the app; docs/configuration.md).\n`,
      );
      return 0;
    }
    process.stdout.write(
      table(
        ['SERVER', 'KIND', 'STATE', 'TOOLS', 'NOTE'],
        report.map((s) => {
          // Not started here, but known to the running gateway: its state, its tools, and where that comes from.
          const there = s.runningGateway;
          if (there?.state !== undefined) {
            const ready = there.state === 'ready' && there.toolsError === undefined;
            const why = there.state === 'ready' ? '' : `; there: ${there.lastError ?? there.state}`;
            return [
              s.name,
              s.kind,
              listedState(there.state),
              ready && there.toolCount !== undefined ? String(there.toolCount) : '-',
              printable(`in the running gateway (pid ${there.pid}); ${s.lastError}${why}`),
            ];
          }
          return [
            s.name,
            s.kind,
            s.disabled ? 'disabled' : needsLogin(s) ? 'needs login' : listedState(s.state),
            s.state === 'ready' && s.toolsError === undefined ? String(s.tools.length) : '-',
            // What a server wrote (its error line, its tools) is printed with its control characters escaped.
            s.isolated
              ? 'isolated: one process per client'
              : s.state !== 'ready'
                ? printable(
                    (s.lastError ?? '') +
                      (there
                        ? `; the running gateway (pid ${there.pid}) reads it from its own (${there.problem})`
                        : ''),
                  )
                : s.toolsError !== undefined
                  ? `tools/list failed: ${printable(s.toolsError)}`
                  : s.leftOut
                    ? `${s.leftOut.length} left out (clients would refuse ${s.leftOut.length === 1 ? 'it' : 'them'})`
                    : '',
          ];
        }),
      ),
    );
    for (const s of report) {
      const tools = s.runningGateway?.tools.length ? s.runningGateway.tools : s.tools;
      if (tools.length === 0 && !s.leftOut) continue;
      process.stdout.write(`\n${s.name}\n`);
      if (tools.length)
        process.stdout.write(
          table(
            null,
            tools.map((t) => [
              `  ${printable(t.name)}`,
              t.hidden ? '(hidden)' : printable(t.clientName ?? ''),
              printable(firstLine(t.description)),
            ]),
          ),
        );
      for (const line of s.leftOut ?? []) process.stdout.write(`  left out: ${printable(line)}\n`);
    }
    const of = `of ${report.length} ${report.length === 1 ? 'server' : 'servers'}`;
    if (down > 0) process.stderr.write(`${down} ${of} ${down === 1 ? 'is' : 'are'} not ready\n`);
    if (unlisted > 0)
      process.stderr.write(`${unlisted} ${of} could not list ${unlisted === 1 ? 'its' : 'their'} tools\n`);
    return code;
  });
}

/**
 * A server's state in `list`'s STATE column. "backoff" is the engine's word for waiting to try again; a
 * one-shot list tries no more once it has printed, so the server is only not ready (its NOTE says why).
 */
function listedState(state: string): string {
  return state === 'backoff' ? 'not ready' : state;
}

/**
 * A remote server that cannot start until the user logs in: shown as "needs login", as the Servers screen and
 * the tray show it, rather than "failed".
 */
function needsLogin(s: { state: string; auth?: { state: string; reason?: string } }): boolean {
  return s.auth?.state === 'needs-login' && s.state !== 'ready';
}

/** Why a ready server's tools/list failed, without the server's name the message may begin with. */
function toolListError(gateway: Gateway, server: string): string | undefined {
  const error = gateway.toolListError(server);
  return error === undefined ? undefined : withoutServerName(error, server);
}

/** `--args`' value as the tool's arguments; undefined with the reason when it is not a JSON object. */
export function parseToolArgs(text: string): { args: Record<string, unknown> } | { problem: string } {
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch (err) {
    return { problem: `--args is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    return { problem: '--args must be a JSON object, e.g. --args \'{"message":"hi"}\'' };
  return { args: args as Record<string, unknown> };
}

export async function call(
  opts: Common & {
    server: string;
    tool: string;
    args: Record<string, unknown>;
    json: boolean;
    /** The call's time limit; without one, the server's own (its timeoutMs). */
    callTimeoutMs?: number | undefined;
  },
): Promise<number> {
  const { args } = opts;
  return withOneShot(opts, [opts.server], async (gateway) => {
    const tools = await gateway.serverTools(opts.server, opts.timeoutMs).catch(async (err: unknown) => {
      // This terminal's keychain, not the setup's: its advice, to start a gateway where one can be read, is about
      // the gateway that runs, which does not run this command's call.
      const reason = gateway.keychainOutOfReach(opts.server);
      const there =
        reason === undefined
          ? undefined
          : (await servedByRunningGateway(gateway.configPath(), [opts.server], false))?.get(opts.server);
      if (!there || reason === undefined) throw err;
      const has =
        there.view?.state === 'ready'
          ? `the running gateway (pid ${there.pid}) has it ready for its clients`
          : servedThereText(there);
      throw new Error(
        `server "${opts.server}" cannot start here: this terminal cannot read the keychain (${reason}); ${has}, ` +
          `but call runs the server itself: run it where the keychain can be read (the gateway's session)`,
        { cause: err },
      );
    });
    const listError = toolListError(gateway, opts.server);
    if (listError !== undefined && !tools.some((t) => t.name === opts.tool))
      throw new Error(
        `server "${opts.server}" could not list its tools (so whether it has "${opts.tool}" is unknown): ` + listError,
      );
    if (!tools.some((t) => t.name === opts.tool)) {
      // One it listed that clients would refuse: why, rather than that it is not there.
      const named = `tool ${JSON.stringify(opts.tool.slice(0, 100))} (`;
      const leftOut = gateway.leftOutTools(opts.server).find((line) => line.startsWith(named));
      if (leftOut)
        throw new Error(
          `server "${opts.server}" lists ${printable(leftOut.slice(0, named.length - 2))} but it is left out: ` +
            `MCP clients would refuse it (${printable(leftOut.slice(named.length))}`,
        );
      throw new Error(
        `server "${opts.server}" has no tool "${opts.tool}" (it ` +
          `has: ${tools.map((t) => String(t.name)).join(', ') || 'none'})`,
      );
    }
    const result = await gateway
      .upstream(opts.server)!
      .request(
        'tools/call',
        { name: opts.tool, arguments: args },
        opts.callTimeoutMs === undefined ? {} : { timeoutMs: opts.callTimeoutMs },
      )
      .catch((err: unknown) => {
        // Printed by the CLI: redacted like everything else the gateway shows.
        throw new Error(gateway.redact(err instanceof Error ? err.message : String(err)), { cause: err });
      });
    // What a tool answers can quote a secret it was given (its key, an env var): redacted like all output.
    // And what it answers can carry escape sequences: shown as \uXXXX, as everywhere a server's text is printed.
    const output = opts.json ? JSON.stringify(result, null, 2) + '\n' : formatToolResult(result);
    process.stdout.write(printableLines(gateway.redact(output)));
    return result.isError === true ? 1 : 0;
  });
}

export async function doctor(opts: Common): Promise<number> {
  let failures = 0;
  // Lines quote servers (their error lines): printed with control characters escaped.
  const ok = (line: string) => process.stdout.write(`  ✓ ${printableLines(line)}\n`);
  const bad = (text: string) => {
    failures++;
    // A config error lists one problem per line: each under the mark, not at the margin.
    process.stdout.write(`  ✗ ${printableLines(text).split('\n').join('\n    ')}\n`);
  };
  const configPath = opts.configPath ?? defaultConfigPath();
  process.stdout.write(`Config\n`);
  let config;
  let configFailed = false;
  try {
    config = (await loadConfigFile(configPath)).config;
    const count = Object.keys(config.servers).length;
    ok(
      `${configPath} is valid (${count} ${count === 1 ? 'server' : 'servers'}, ` +
        `profiles: ${Object.keys(config.profiles).join(', ')})`,
    );
  } catch (err) {
    if (opts.configPath === undefined && isMissingConfigError(err)) {
      // A path the environment names is a typo as often as a file not made yet: say where it came from.
      const named = process.env.SWITCHBOARD_CONFIG ? ' (named by SWITCHBOARD_CONFIG)' : '';
      ok(`no config file yet at ${configPath}${named}: Switchboard starts with no servers`);
    } else {
      // The checks that need no config still run: the listener's socket, the clients, the running gateway.
      bad((err as Error).message);
      configFailed = true;
    }
  }

  const servers = config ? Object.values(config.servers) : [];
  if (servers.length) {
    process.stdout.write(`\nCommands and references\n`);
    const loginPath = await resolveLoginShellPath();
    const secrets = createKeychainSecretStore();
    // A gateway running this config reads the secrets from its keychain, which this terminal may not reach.
    const gatewayHere = await runningGateway().then((g) => (g?.configPath === configPath ? g : undefined));
    // Servers whose references could not be resolved: not started below, which would say the same again.
    const unresolved = new Set<string>();
    // Of those, the ones this terminal's keychain kept from it, with why.
    const keychainHere = new Map<string, string>();
    for (const server of servers) {
      // Not started, so not checked: a server turned off because its command is gone is not a problem.
      if (server.disabled) {
        ok(`${server.name}: disabled (its command and references are not checked)`);
        continue;
      }
      try {
        const resolved = await resolveServerReferences(server, { env: process.env, secrets });
        if (resolved.kind === 'stdio') {
          const relative = relativeCommandProblem(resolved.command, resolved.cwd);
          const found = lookupCommand(resolved.command, loginPath, process.platform, resolved.cwd);
          const withArguments = argumentsInCommandProblem(resolved.command, resolved.args);
          if (withArguments && (relative || !found.path)) bad(`${server.name}: ${withArguments}`);
          else if (relative) bad(`${server.name}: ${relative}`);
          else if (found.path) ok(`${server.name}: command "${resolved.command}" found at ${found.path}`);
          else {
            const problem =
              found.problem === 'missing'
                ? `not found in PATH${missingCommandHint(resolved.command)}`
                : `is a ${found.problem}`;
            bad(`${server.name}: command "${resolved.command}" ${problem} (PATH from the login shell: ${loginPath})`);
          }
        } else {
          // The URL as written (references, not their values), and never credentials.
          const where = stripUrlCredentials(
            server.kind === 'http'
              ? `remote ${server.url}`
              : `${server.kind} ${'handler' in server ? server.handler : ''}`,
          );
          ok(`${server.name}: ${where}`);
        }
      } catch (err) {
        unresolved.add(server.name);
        const message = (err as Error).message;
        if (gatewayHere && err instanceof GatewayError && err.code === 'secret_store_unavailable') {
          // This terminal's keychain (an SSH login beside the gateway's session), not the setup's: its advice, to
          // start a gateway where a keychain can be read, is about the gateway that runs.
          const reason = err.cause instanceof Error ? err.cause.message : message;
          keychainHere.set(server.name, reason);
          ok(
            `${server.name}: references not checked here: this terminal cannot read the keychain (${reason}); ` +
              `the running gateway (pid ${gatewayHere.pid}) reads them from its own`,
          );
        }
        // A missing reference names its server already; a keychain out of reach does not.
        else bad(message.startsWith(`server "${server.name}"`) ? message : `${server.name}: ${message}`);
      }
    }
    process.stdout.write(`\nServers\n`);
    // Each server's line, printed in the config's order once all are known.
    const lines = new Map<string, () => void>();
    const note = (line: string) => process.stdout.write(`  - ${printableLines(line)}\n`);
    const there = await servedByRunningGateway(configPath, [...keychainHere.keys()], false);
    for (const name of unresolved) {
      const served = there?.get(name);
      if (!served?.view)
        lines.set(name, () =>
          keychainHere.has(name)
            ? bad(`${name}: not started here; ${servedThereText(served ?? { pid: gatewayHere!.pid })}`)
            : note(`${name}: not started: its references cannot be resolved (above)`),
        );
      else if (served.view.state === 'ready') {
        const tools = served.view.toolCount === undefined ? '' : `, ${served.view.toolCount} tools`;
        lines.set(name, () =>
          ok(`${name}: ready in the running gateway (pid ${served.pid})${tools} (not started here)`),
        );
      } else lines.set(name, () => bad(`${name}: not started here; ${servedThereText(served)}`));
    }
    const startHere = servers.filter((s) => !unresolved.has(s.name)).map((s) => s.name);
    if (startHere.length)
      await withOneShot(opts, startHere, async (gateway) => {
        // Whether each became ready is in its status, reported below.
        await Promise.allSettled(gateway.servers().map((s) => gateway.upstream(s.name)?.whenReady(opts.timeoutMs)));
        for (const s of gateway.servers()) {
          const good = (line: string) => lines.set(s.name, () => ok(line));
          const wrong = (line: string) => lines.set(s.name, () => bad(line));
          if (s.disabled) good(`${s.name}: disabled`);
          else if (s.isolated) good(`${s.name}: isolated (starts per client session; not started here)`);
          else if (s.state === 'ready') {
            const tools = await gateway.serverTools(s.name).catch(() => []);
            const listError = toolListError(gateway, s.name);
            if (listError === undefined) good(`${s.name}: started, ${tools.length} tools`);
            else wrong(`${s.name}: started, but its tools/list failed (clients get none of its tools): ${listError}`);
          } else if (needsLogin(s)) {
            const why = s.auth?.reason === undefined ? '' : ` (${printable(s.auth.reason)})`;
            wrong(`${s.name}: needs login${why}: run "switchboard login ${s.name}", or use Log in in Switchboard`);
          } else wrong(`${s.name}: ${statusText(s)}`);
        }
        return 0;
      });
    for (const server of servers) lines.get(server.name)?.();
  }

  process.stdout.write(`\nListeners\n`);
  const http = config ? config.listen.http : { host: '127.0.0.1', port: 8787 };
  if (configFailed) ok('HTTP port not checked: it is set in the config file, which did not load');
  else if (http === false) ok('HTTP listener disabled in config');
  // Port 0 is any free port, whichever is free when the gateway starts: none to check now.
  else if (http.port === 0) ok(`HTTP ${http.host}: any free port (listen.http.port is 0)`);
  else {
    const free = await portFree(http.host, http.port);
    // A gateway started with --port listens elsewhere: "free" alone read as all well for clients of this port.
    const elsewhere = await runningGateway().then((g) =>
      g?.http !== undefined && new URL(g.http).port !== String(http.port) ? g.http : undefined,
    );
    if (free === true && elsewhere)
      ok(
        `HTTP ${http.host}:${http.port} (the config's port) is free: the running gateway listens at ${elsewhere} ` +
          'instead (started with --port), so clients given this port reach nothing',
      );
    else if (free === true) ok(`HTTP ${http.host}:${http.port} is free`);
    else if (await looksLikeSwitchboard(http.host, http.port))
      ok(`HTTP ${http.host}:${http.port} is in use by a running Switchboard`);
    else bad(`HTTP ${http.host}:${http.port} is in use by another program (${free}); set listen.http.port`);
  }
  const paths = runtimePaths();
  try {
    await ensurePrivateDir(paths.dir);
    ok(`socket directory ${paths.dir} is private (0700, ours)`);
    const answer = await askSocket(paths.socket, ANSWER_WAIT_MS);
    const pid = answer === 'unresponsive' ? (await runningGateway())?.pid : undefined;
    if (answer === 'answering') ok(`a gateway is answering on ${paths.socket}`);
    else if (answer === 'unresponsive')
      bad(
        `${pid === undefined ? 'something' : `the gateway (pid ${pid})`} accepts connections on ${paths.socket} ` +
          `but did not answer within ${ANSWER_WAIT_MS / 1000} s` +
          (pid === undefined ? ' (it is not a Switchboard gateway that works)' : `: ${unresponsiveAdvice(pid)}`),
      );
    else {
      const socketless = await runningGateway().then((g) => (g && runsWithoutSocket(g) ? g : undefined));
      // Not a problem in itself (HTTP clients only), but the shim's clients would not get in: said, not counted.
      if (socketless)
        process.stdout.write(
          `  - the running gateway (pid ${socketless.pid}) has no socket at ${paths.socket} (listen.socket is ` +
            'false, or it was started with --no-socket): clients that start the shim cannot reach it\n',
        );
      else
        ok(
          (await readStopped(paths.stopped))
            ? `no gateway on ${paths.socket} (stopped on purpose)`
            : `no gateway on ${paths.socket} yet (the shim starts one when a client connects)`,
        );
    }
  } catch (err) {
    bad(`socket directory: ${(err as Error).message}`);
  }

  process.stdout.write(`\nClients\n`);
  // The config's profiles ("default" alone when there is none yet): a client starting another is refused.
  const { clientChecks } = await import('./clients.ts');
  // Without a config that loads, the profiles clients start are not known: not checked.
  const clientsSeen = await clientChecks(
    config ? Object.keys(config.profiles) : configFailed ? undefined : ['default'],
  );
  for (const line of clientsSeen.ok) ok(line);
  for (const line of clientsSeen.bad) bad(line);
  if (clientsSeen.ok.length + clientsSeen.bad.length === 0)
    ok('Switchboard is in no AI client yet ("switchboard clients" lists them; "switchboard install CLIENT")');

  process.stdout.write(`\nGateway\n`);
  const running = await runningGateway();
  if (running) {
    ok(`running: pid ${running.pid} since ${localTime(Date.parse(running.startedAt))}, config ${running.configPath}`);
    if (running.configPath !== configPath)
      bad(`the running gateway uses ${running.configPath}, not ${configPath}; stop it ("switchboard stop") to switch`);
    // As `switchboard status` says it: an edit it refused is not what runs (counted above when it is this file).
    if (running.configError !== undefined) {
      const what = running.runsWithoutConfig
        ? 'it was already broken when the gateway started, so no server runs'
        : 'it runs on with the config it had';
      const line = `the running gateway does not apply the file as saved: ${what}`;
      if (configFailed && running.configPath === configPath) ok(line);
      else bad(`${line}: ${running.configError}`);
    }
  } else {
    const stopped = await readStopped(paths.stopped);
    ok(
      stopped
        ? `not running: stopped on purpose (${describeStopped(stopped)}); clients' shims will not start it`
        : 'not running (a client\'s shim starts one when it connects; "switchboard status" tells)',
    );
  }
  const logSize = await stat(paths.log).then(
    (s) => s.size,
    () => undefined,
  );
  ok(
    `log of a gateway started by a client's shim: ${paths.log} ` +
      (logSize === undefined ? '(none yet)' : `(${Math.ceil(logSize / 1024)} KiB)`),
  );
  process.stdout.write(
    failures ? `\n${failures} problem${failures > 1 ? 's' : ''} found.\n` : `\nAll checks passed.\n`,
  );
  return failures ? 1 : 0;
}

function portFree(host: string, port: number): Promise<true | string> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function looksLikeSwitchboard(host: string, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream' },
      signal: AbortSignal.timeout(2000),
    });
    const body = await res.text();
    // A gateway with listen.http.token refuses a request without it, in its own words.
    if (res.status === 401) return res.headers.get('www-authenticate') === 'Bearer realm="switchboard"';
    return res.status === 400 && body.includes('Mcp-Session-Id');
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/**
 * What a reload changed, in words: "started fx; stopped old; updated notes without a restart" (a
 * new timeoutMs, description or tool filter), or that no server changed.
 */
export function describeReload(c: {
  started: string[];
  restarted: string[];
  stopped: string[];
  updated: string[];
  profiles?: { added: string[]; removed: string[]; changed: string[] };
}): string {
  const parts = [
    c.started.length > 0 ? `started ${c.started.join(', ')}` : '',
    c.restarted.length > 0 ? `restarted ${c.restarted.join(', ')}` : '',
    c.stopped.length > 0 ? `stopped ${c.stopped.join(', ')}` : '',
    c.updated.length > 0 ? `updated ${c.updated.join(', ')} without a restart` : '',
  ].filter((p) => p !== '');
  const profile = (names: string[] | undefined, verb: string) =>
    names?.length ? `${verb} profile${names.length > 1 ? 's' : ''} ${names.join(', ')}` : '';
  const profiles = [
    profile(c.profiles?.added, 'added'),
    profile(c.profiles?.removed, 'removed'),
    profile(c.profiles?.changed, 'changed'),
  ].filter((p) => p !== '');
  // A profile-only edit: what did change, after the servers that did not.
  return [...(parts.length > 0 ? parts : ['no server changed']), ...profiles].join('; ');
}
