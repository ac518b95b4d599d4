/**
 * The shim's relay: client stdio <-> gateway socket, with reconnection. Client lines are
 * parsed (they are small) to track requests and the session; gateway lines are only peeked
 * at, never parsed, except the few small answers to the shim's own requests.
 */
import type net from 'node:net';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { readGatewayLockSync, runsWithoutSocket } from '../shared/gateway-lock.ts';
import { runtimePaths, type RuntimePaths } from '../shared/paths.ts';
import { describeStopped, readStopped } from '../shared/stopped-marker.ts';
import { peekResponseId } from '../shared/wire.ts';
import { connectWithRetry, type NotConnected } from './connect.ts';
import { gatewayLaunch, spawnGatewayDetached, type GatewayLaunch } from './gateway.ts';
import { isUtf8 } from 'node:buffer';
import { LineSplitter } from '../shared/lines.ts';
import { idFromText, withExactIds } from '../shared/exact-numbers.ts';
import { ID_IN_HEAD } from '../shared/request-ids.ts';
import { ClientSession, eachId, isId, OWN_ID_PREFIX, type Id } from './session.ts';

export interface ShimOptions {
  /** The Switchboard profile this client sees. Default "default". */
  profile?: string;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
  /**
   * Starts a gateway when none is listening. Default: spawn `SWITCHBOARD_GATEWAY_COMMAND`
   * or `switchboard serve --background`, detached; it returns false when it could not even try
   * (and said why). `false` never starts one.
   */
  spawnGateway?: (() => boolean | void) | false;
  /** How long to keep trying to reach a gateway (per connection attempt cycle). Default 15 s. */
  connectTimeoutMs?: number;
  /** After stdin ends, how long to wait for answers to requests still in flight. Default 5 s. */
  drainTimeoutMs?: number;
  /** Default: runtimePaths(env). */
  paths?: RuntimePaths;
  /** The `client` field of the hello. Default "shim". */
  client?: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;
/** JSON-RPC error code for "the gateway is unavailable" (same as the engine's UpstreamUnavailable). */
export const GATEWAY_UNAVAILABLE = -32002;
/** Sent for a request in flight when the gateway went away: it may well have run (a tool may have acted). */
export const RESTARTED_MESSAGE =
  'The connection to the Switchboard gateway was lost while this request was in flight (the gateway ' +
  'stopped or restarted), so whether it ran is unknown: check before repeating anything it changes';
/** Longest line relayed in either direction. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** Bounds on what is queued while (re)connecting. */
export const MAX_QUEUE_LINES = 1000;
export const MAX_QUEUE_BYTES = 64 * 1024 * 1024;
const QUICK_DROP_MS = 1000;
/** After giving up, a client's next request tries again for this long (the gateway may be back by then). */
const RETRY_AFTER_FAILURE_MS = 3000;
/** While no gateway runs, how often an idle client's shim looks for one (it never starts one then). */
const PROBE_MS = 5000;
/** JSON-RPC error code for a message over the size limit (the engine's MessageTooLarge). */
const MESSAGE_TOO_LARGE = -32003;
const MAX_QUICK_DROPS = 5;
/**
 * How much of the gateway's output is held for a client slow to read it before the gateway is read no
 * further. Read on to here, a gateway that goes away is seen at once: a paused socket hears of it only
 * when a write fails, and then the answers it had sent, unread, were lost with it, and the requests
 * written meanwhile reported lost, though no gateway ever had them.
 */
const MAX_HELD_FOR_STDOUT = 16 * 1024 * 1024;
/** Enough of a gateway line to read any tracked id (1024 chars, even fully escaped). */
const PEEK_BYTES = 8192;

type State = 'connecting' | 'replaying' | 'open' | 'failed' | 'done';

interface Queued {
  line: Buffer;
  requestId?: Id | readonly Id[];
}

/**
 * Why nothing listens on the socket though a gateway runs: it runs without one (listen.socket off, serve
 * --no-socket). The gateway this shim started then found it and went away. Undefined when that is not so.
 */
function gatewayWithoutSocket(lockFile: string): string | undefined {
  const lock = readGatewayLockSync(lockFile);
  if (!lock?.running || !lock.info || !runsWithoutSocket(lock.info)) return undefined;
  const http = lock.info.http === undefined ? '' : `, or connect this client to ${lock.info.http}`;
  return (
    `Switchboard runs (pid ${lock.info.pid}) without its local socket (listen.socket is false in its config, or it ` +
    `was started with --no-socket), so this client's shim cannot reach it: turn listen.socket on, or start it ` +
    `without --no-socket${http}.`
  );
}

/** Runs the shim until stdin ends (or stdout breaks). Resolves with the exit code. */
export function runShim(options: ShimOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const profile = options.profile ?? 'default';
  const client = options.client ?? 'shim';
  const paths = options.paths ?? runtimePaths(env);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;

  // Where the socket sits in a fallback directory (long runtime path), that one must be private too.
  const socketDir = path.dirname(paths.socket);
  const privateDirs = process.platform === 'win32' || socketDir === paths.dir ? [paths.dir] : [paths.dir, socketDir];

  const log = (message: string): void => {
    stderr.write(`switchboard shim: ${message}\n`);
  };
  let startedOne = false;
  /** Why this shim cannot start a gateway (a copy without the CLI beside it), once it tried. */
  let cannotStart: string | undefined;
  /** The gateway this shim started exited failing before anyone connected: not worth waiting for. */
  let startFailed: string | undefined;
  const spawnOne =
    options.spawnGateway === false
      ? () => undefined
      : (options.spawnGateway ??
        (() => {
          let launch: GatewayLaunch;
          try {
            launch = gatewayLaunch(env);
          } catch (err) {
            cannotStart = (err as Error).message;
            log(cannotStart);
            return false;
          }
          log(`no gateway is running on ${paths.socket}; starting one (its log: ${paths.log})`);
          startFailed = undefined;
          spawnGatewayDetached(launch, log, paths.log, (why) => (startFailed ??= why));
          return true;
        }));
  const startGateway = (): boolean => {
    startedOne = spawnOne() !== false;
    return startedOne;
  };

  return new Promise<number>((resolve) => {
    let state: State = 'connecting';
    let socket: net.Socket | undefined;
    const session = new ClientSession();
    let queue: Queued[] = [];
    let queueBytes = 0;
    let queueFullLogged = false;
    /**
     * Ids of the shim's own requests (all begin with OWN_ID_PREFIX, which clients may not use): their
     * answers are handled here, never written to stdout.
     */
    const own = new Map<Id, (line: Buffer) => void>();
    let reinits = 0;
    let replays = 0;
    let stdinEnded = false;
    let stdoutBlocked = false;
    let drainTimer: NodeJS.Timeout | undefined;
    /** Why the gateway cannot be reached, and whether a client's request tries again (none was there). */
    let unreachable: { message: string; data: Record<string, unknown>; retry: boolean } | undefined;
    let connectedAt = 0;
    /** Connections that closed right after the welcome, in a row: back off, then give up. */
    let quickDrops = 0;
    /** The next look for a gateway while none runs (see PROBE_MS). */
    let probe: NodeJS.Timeout | undefined;

    const writeOut = (data: Buffer | string): void => {
      if (state === 'done') return;
      if (!stdout.write(data)) stdoutBlocked = true;
      if (stdoutBlocked && stdout.writableLength >= MAX_HELD_FOR_STDOUT) socket?.pause();
    };
    /** stdin paused because the shim's own answers to it wait on a full stdout. */
    let stdinHeldForStdout = false;
    const onStdoutDrain = (): void => {
      stdoutBlocked = false;
      socket?.resume();
      if (stdinHeldForStdout) {
        stdinHeldForStdout = false;
        if (!stdinEnded && !socket?.writableNeedDrain) stdin.resume();
      }
    };
    const errorReply = (
      id: Id | null,
      message: string,
      data?: Record<string, unknown>,
      code = GATEWAY_UNAVAILABLE,
    ): void => {
      const error = data === undefined ? { code, message } : { code, message, data };
      writeOut(JSON.stringify({ jsonrpc: '2.0', id, error }) + '\n');
    };
    /**
     * The shim's own answer to a client request. A client that sends requests and never reads the
     * answers is read no further until it does: they would pile up here without bound.
     */
    const answerClient = (id: Id | null, message: string, data?: Record<string, unknown>, code?: number): void => {
      errorReply(id, message, data, code);
      if (stdoutBlocked && !stdinEnded && !stdinHeldForStdout) {
        stdinHeldForStdout = true;
        stdin.pause();
      }
    };

    // ---- gateway -> client -------------------------------------------------------------
    const fromGateway = new LineSplitter(
      MAX_LINE_BYTES,
      (line) => {
        const id = peekResponseId(line.toString('utf8', 0, Math.min(line.length, PEEK_BYTES)));
        if (id === undefined && line[0] === 0x5b) return batchAnswers(line); // '[': a batch's answers
        if (id !== undefined) {
          const handler = own.get(id);
          if (handler !== undefined) {
            own.delete(id);
            handler(line);
            return;
          }
          if (session.noteResponse(id)) rememberProtocolVersion(line);
        }
        writeOut(line);
        if (id !== undefined) maybeFinish();
      },
      (bytes, head) => {
        log(`dropped a ${bytes}-byte message from the gateway: longer than ${MAX_LINE_BYTES} bytes`);
        // An answer the client waits for still ends its request, when its id is in the first bytes.
        const id = peekResponseId(head.toString('utf8'));
        if (id === undefined || !session.inFlight.has(id)) return;
        session.noteResponse(id);
        errorReply(
          id,
          `The answer of ${bytes} bytes is over the ${MAX_LINE_BYTES}-byte limit of the Switchboard shim, ` +
            'so it was dropped (the request itself ran)',
          undefined,
          MESSAGE_TOO_LARGE,
        );
        maybeFinish();
      },
    );

    const batchAnswers = (line: Buffer): void => {
      try {
        const text = line.toString('utf8');
        const answers = withExactIds(text, JSON.parse(text)) as unknown[];
        for (const answer of answers) {
          const id = (answer as { id?: unknown } | null)?.id;
          if (isId(id)) session.noteResponse(id);
        }
      } catch {
        // Not JSON: passed on as it is, as any other line.
      }
      writeOut(line);
      maybeFinish();
    };
    const resultOf = (line: Buffer): { result?: Record<string, unknown>; error?: { message?: string } } => {
      try {
        return JSON.parse(line.toString('utf8')) as { result?: Record<string, unknown>; error?: { message?: string } };
      } catch {
        return {};
      }
    };
    const rememberProtocolVersion = (line: Buffer): void => {
      const version = resultOf(line).result?.protocolVersion;
      if (typeof version === 'string') session.protocolVersion = version;
    };

    // ---- client -> gateway -------------------------------------------------------------
    const send = (line: Buffer, requestId: Id | readonly Id[] | undefined): void => {
      eachId(requestId, (id) => session.inFlight.add(id));
      if (socket !== undefined && !socket.write(line)) stdin.pause();
    };
    /** Whether a client request with this id still waits for its answer (sent, or queued to be). */
    const waiting = (id: Id): boolean =>
      session.inFlight.has(id) ||
      queue.some((q) => q.requestId === id || (Array.isArray(q.requestId) && q.requestId.includes(id)));
    const untrack = (q: Queued, id: Id): void => {
      if (q.requestId === id) delete q.requestId;
      else if (Array.isArray(q.requestId) && q.requestId.includes(id))
        q.requestId = (q.requestId as readonly Id[]).filter((r) => r !== id);
    };
    const enqueue = (line: Buffer, requestId: Id | readonly Id[] | undefined): void => {
      if (queue.length >= MAX_QUEUE_LINES || queueBytes + line.length > MAX_QUEUE_BYTES) {
        if (!queueFullLogged) {
          queueFullLogged = true;
          log(
            `too many messages while reconnecting (over ${MAX_QUEUE_LINES} lines ` +
              `or ${MAX_QUEUE_BYTES >> 20} MiB); refusing more until connected`,
          );
        }
        const text = 'Switchboard gateway is reconnecting and the shim queue is full; please retry';
        eachId(requestId, (id) => answerClient(id, text));
        return;
      }
      queue.push(requestId === undefined ? { line } : { line, requestId });
      queueBytes += line.length;
    };
    const fromClient = new LineSplitter(
      MAX_LINE_BYTES,
      (line) => {
        if (state === 'done') return;
        // A line that is not UTF-8 is refused by the gateway (id null): there is nothing to track.
        const { requestId, refusal, batch, cancels } = isUtf8(line)
          ? session.noteClientLine(line.toString('utf8'), waiting)
          : {};
        // A request cancelled while it waits to be sent still goes (its cancellation after it), but the
        // gateway will not answer it: nothing is owed for it, and its id is free again.
        if (cancels !== undefined) for (const q of queue) untrack(q, cancels);
        // A request the shim could not answer if the gateway went away: refused here, as the gateway would.
        if (refusal !== undefined) return answerClient(refusal.id, refusal.message, undefined, refusal.code);
        // The same for those of a batch; the rest of it goes on.
        for (const r of batch?.refusals ?? []) answerClient(r.id, r.message, undefined, r.code);
        if (batch !== undefined && batch.rest === undefined) return;
        const out = batch?.rest === undefined ? line : Buffer.from(batch.rest + '\n');
        switch (state) {
          case 'open':
            send(out, requestId);
            break;
          case 'connecting':
          case 'replaying':
            enqueue(out, requestId);
            break;
          case 'failed':
            if (requestId === undefined || !unreachable) break;
            if (!unreachable.retry) {
              const { message, data } = unreachable;
              eachId(requestId, (id) => answerClient(id, message, data));
              break;
            }
            // No gateway was there: the user may have started Switchboard since. The request waits
            // for one more, shorter, try; if that fails too it gets the same answer as before.
            enqueue(out, requestId);
            void connect(true, 0, Math.min(connectTimeoutMs, RETRY_AFTER_FAILURE_MS));
            break;
        }
      },
      (bytes, head) => {
        log(`dropped a ${bytes}-byte message from the client: longer than ${MAX_LINE_BYTES} bytes`);
        // Its request still gets an answer, when its id is in the first bytes (as clients write it).
        const id = ID_IN_HEAD.exec(head.toString('utf8'))?.[1];
        if (id !== undefined)
          answerClient(
            idFromText(id),
            `Message of ${bytes} bytes is over the ${MAX_LINE_BYTES}-byte limit of the Switchboard shim`,
            undefined,
            MESSAGE_TOO_LARGE,
          );
      },
    );

    // ---- connection lifecycle ----------------------------------------------------------
    const attach = (s: net.Socket, head: Buffer): void => {
      socket = s;
      connectedAt = Date.now();
      fromGateway.reset();
      s.on('data', (chunk: Buffer) => fromGateway.push(chunk));
      s.on('drain', () => {
        if (!stdinEnded && s === socket && !stdinHeldForStdout) stdin.resume();
      });
      s.on('error', () => undefined); // 'close' follows; reconnection handles it
      s.on('close', () => onClosed(s));
      if (head.length > 0) fromGateway.push(head);
      if (!stdoutBlocked) s.resume();
    };

    const onClosed = (s: net.Socket): void => {
      if (s !== socket) return;
      socket = undefined;
      fromGateway.reset();
      own.clear();
      if (state === 'done') return;
      if (!stdinEnded && !stdinHeldForStdout) stdin.resume();
      for (const id of session.inFlight) errorReply(id, RESTARTED_MESSAGE);
      session.inFlight.clear();
      session.streams.clear();
      if (stdinEnded && queue.length === 0) return finish(0);
      quickDrops = Date.now() - connectedAt < QUICK_DROP_MS ? quickDrops + 1 : 0;
      if (quickDrops >= MAX_QUICK_DROPS) {
        const reason = `the gateway closed the connection right after accepting it, ${MAX_QUICK_DROPS} times in a row`;
        return fail(
          { ok: false, kind: 'failed', message: reason },
          `Switchboard keeps dropping this connection (${reason}). Check the Switchboard logs, then retry.`,
        );
      }
      log('lost the connection to the gateway; reconnecting');
      void connect(true, quickDrops === 0 ? 0 : 100 * 2 ** quickDrops);
    };

    const open = (): void => {
      state = 'open';
      const pending = queue;
      queue = [];
      queueBytes = 0;
      queueFullLogged = false;
      for (const item of pending) send(item.line, item.requestId);
      maybeFinish();
    };

    const replay = (s: net.Socket): void => {
      const reinitId = `${OWN_ID_PREFIX}reinit-${++reinits}`;
      const plan = session.replayPlan(reinitId, () => {
        const id = `${OWN_ID_PREFIX}replay-${++replays}`;
        own.set(id, (line) => {
          const message = resultOf(line).error?.message;
          if (message !== undefined) log(`restoring session state after the restart failed: ${message}`);
        });
        return id;
      });
      if (plan === undefined) return open();
      state = 'replaying';
      let done = false;
      const proceed = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (s !== socket || state !== 'replaying') return;
        for (const line of plan.after) s.write(line);
        // The gateway that answers now may serve other tools than the one the client listed.
        for (const kind of ['tools', 'prompts', 'resources'])
          writeOut(JSON.stringify({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` }) + '\n');
        open();
      };
      const timer = setTimeout(() => {
        if (s !== socket) return;
        log(`the restarted gateway did not answer initialize within ${connectTimeoutMs} ms; continuing`);
        proceed();
      }, connectTimeoutMs);
      own.set(reinitId, (line) => {
        const answer = resultOf(line);
        if (answer.error !== undefined)
          log(`the restarted gateway refused the session's initialize: ${answer.error.message ?? 'unknown error'}`);
        const version = answer.result?.protocolVersion;
        if (
          typeof version === 'string' &&
          session.protocolVersion !== undefined &&
          version !== session.protocolVersion
        ) {
          log(`the restarted gateway negotiated protocol ${version} instead of ${session.protocolVersion}`);
        }
        proceed();
      });
      s.write(plan.initialize);
    };

    const fail = (result: NotConnected, explained?: string): void => {
      state = 'failed';
      const seconds = Math.round(connectTimeoutMs / 100) / 10;
      // The gateway names the profiles it has when it does not have the client's (a profile renamed or removed).
      const known = result.kind === 'refused' ? /unknown profile ".*" \(known: ([^)]*)\)/.exec(result.message) : null;
      const noProfile =
        known &&
        `Switchboard has no profile "${profile}" (its config has: ${known[1]}): add it to the config, or install ` +
          'this client again with one of those (switchboard install CLIENT --profile NAME, or the Clients screen).';
      const socketless = result.kind === 'absent' ? gatewayWithoutSocket(paths.lock) : undefined;
      const message =
        explained ??
        noProfile ??
        (result.kind === 'refused'
          ? `Switchboard refused this connection (${result.message}). Check that Switchboard is up to date ` +
            `and the profile "${profile}" exists.`
          : result.kind === 'unsafe'
            ? `Switchboard's runtime directory is not private, so the shim will not connect: ${result.message}.`
            : result.kind === 'impostor'
              ? `The shim will not use ${paths.socket}: ${result.message}. Restart Switchboard; if that does ` +
                `not help, find and stop the program listening there.`
              : result.kind === 'unresponsive'
                ? `The Switchboard gateway on ${paths.socket} did not answer within ${seconds} s ` +
                  `(${result.message}): it runs but may be stuck. "switchboard status" shows which process it ` +
                  'is; restart Switchboard (quit the app, or "switchboard stop", then start it again), then retry.'
                : result.kind === 'stopped'
                  ? `Switchboard was stopped on purpose (${result.message}), so this client does not start it. ` +
                    `Start the Switchboard app or run "switchboard serve", then retry.`
                  : socketless !== undefined
                    ? socketless
                    : result.kind === 'absent' && cannotStart !== undefined
                      ? `Switchboard is not running on ${paths.socket}: ${cannotStart}.`
                      : result.kind === 'absent' && startFailed !== undefined
                        ? `Switchboard is not running on ${paths.socket}: ${startFailed}. Its log is ${paths.log}; ` +
                          'start the Switchboard app or run "switchboard serve" to see why, then retry.'
                        : `Switchboard is not running: no gateway answered on ${paths.socket} within ${seconds} ` +
                          `s (${result.message}). Start the Switchboard app or run "switchboard serve", then retry` +
                          (startedOne ? ` (the gateway this shim started writes its log to ${paths.log}).` : '.'));
      // Said once: a client retrying every few seconds must not fill its log with it.
      if (message !== unreachable?.message) log(message);
      // A refusal may be fixed too (the profile added back), and a gateway that kept dropping the
      // connection (its message says to retry): the next request asks again.
      const retry = ['absent', 'stopped', 'unresponsive', 'failed', 'refused'].includes(result.kind);
      const data = { socket: paths.socket, reason: result.message };
      unreachable = { message, data, retry };
      // An idle client hears again from a gateway that is started later (a resource update, a new list).
      clearTimeout(probe);
      if (retry && (result.kind === 'absent' || result.kind === 'stopped'))
        probe = setTimeout(() => {
          if (state === 'failed') void connect(true, 0, Math.min(connectTimeoutMs, 1000), false);
        }, PROBE_MS).unref();
      const pending = queue;
      queue = [];
      queueBytes = 0;
      for (const item of pending) eachId(item.requestId, (id) => errorReply(id, message, data));
      maybeFinish();
    };

    const connect = async (
      reconnecting: boolean,
      delayMs = 0,
      forMs = connectTimeoutMs,
      mayStart = true,
    ): Promise<void> => {
      state = 'connecting';
      clearTimeout(probe);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if ((state as State) === 'done') return;
      const result = await connectWithRetry({
        privateDirs,
        socketPath: paths.socket,
        tokenPath: paths.token,
        profile,
        client,
        deadline: Date.now() + forMs,
        abandoned: () => (state as State) === 'done' || startFailed !== undefined,
        startGateway: mayStart ? startGateway : () => undefined,
        stoppedOnPurpose: async () => {
          const marker = await readStopped(paths.stopped);
          return marker && describeStopped(marker);
        },
      });
      if ((state as State) === 'done') {
        if (result.ok) result.socket.destroy();
        return;
      }
      if (!result.ok) return fail(result);
      attach(result.socket, result.head);
      if (reconnecting) {
        log('reconnected to the gateway');
        replay(result.socket);
      } else open();
    };

    // ---- shutdown ----------------------------------------------------------------------
    const maybeFinish = (): void => {
      if (!stdinEnded || state === 'done') return;
      if (state === 'failed') return finish(0);
      // Nothing of the client's waits for a gateway (one this shim started goes on starting without it).
      if (queue.length === 0 && session.answersOwed() === 0) return finish(0);
      if (state !== 'open') return; // the connect deadline bounds the wait
      drainTimer ??= setTimeout(() => {
        log(`stdin closed; giving up on ${session.answersOwed()} unanswered request(s)`);
        finish(0);
      }, drainTimeoutMs);
    };

    const finish = (code: number): void => {
      if (state === 'done') return;
      state = 'done';
      clearTimeout(drainTimer);
      clearTimeout(probe);
      stdin.off('data', onStdinData);
      stdin.off('end', onStdinEnd);
      stdout.off('drain', onStdoutDrain);
      if (!stdinEnded) stdin.pause();
      const s = socket;
      socket = undefined;
      if (s !== undefined) {
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      }
      resolve(code);
    };

    const onStdinData = (chunk: Buffer | string): void =>
      fromClient.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const onStdinEnd = (): void => {
      if (stdinEnded) return;
      fromClient.end();
      stdinEnded = true;
      maybeFinish();
    };
    stdin.on('data', onStdinData);
    stdin.on('end', onStdinEnd);
    stdin.on('error', onStdinEnd);
    stdout.on('drain', onStdoutDrain);
    stdout.on('error', () => finish(0)); // the client went away
    void connect(false);
  });
}
