/**
 * Reaching the gateway: one attempt (token file, connect, the mutual hello of
 * main/shared/hello.ts, welcome), and the retry loop around it that starts the gateway once when
 * nobody is listening. Nothing of the client's is sent before the gateway proved it holds the
 * install token, and the token itself is never sent.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import {
  encodeHello,
  encodeProof,
  gatewayProof,
  MAX_HELLO_BYTES,
  newNonce,
  parseHelloReply,
  proofMatches,
  shimProof,
} from '../shared/hello.ts';
import { checkPrivateDir } from '../shared/private-dir.ts';

export interface Connected {
  ok: true;
  /** Paused, with no listeners attached. */
  socket: net.Socket;
  /** Bytes the gateway sent after its welcome line. */
  head: Buffer;
}

export interface NotConnected {
  ok: false;
  /**
   * absent: nobody listens (or no token yet); refused: the gateway said no; unsafe: the runtime
   * directory is not private (never connect there); impostor: what listens could not prove it
   * holds the install token (it is not our gateway; it was sent nothing); stopped: nobody listens
   * because the user stopped the gateway on purpose (the message says how and when); unresponsive:
   * something accepted the connection and did not answer the hello in time (a gateway stuck or
   * frozen); failed: anything else.
   */
  kind: 'absent' | 'refused' | 'unsafe' | 'impostor' | 'stopped' | 'unresponsive' | 'failed';
  message: string;
}

export interface AttemptOptions {
  /** Directories that must be private (ours, 0700, no symlink) before we trust what is in them. */
  privateDirs: readonly string[];
  socketPath: string;
  tokenPath: string;
  profile: string;
  client: string;
  /** How long to wait for the welcome once connected. */
  timeoutMs: number;
}

const ABSENT_CODES = new Set(['ENOENT', 'ECONNREFUSED']);

async function readToken(file: string): Promise<string | NotConnected> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token === '') return { ok: false, kind: 'absent', message: `the token file ${file} is empty` };
    return token;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, kind: 'absent', message: `no token file at ${file}` };
    return { ok: false, kind: 'failed', message: `cannot read the token file ${file}: ${(err as Error).message}` };
  }
}

/** One try: read the token, connect, say hello, wait for the answer. */
export async function attemptConnect(options: AttemptOptions): Promise<Connected | NotConnected> {
  for (const dir of options.privateDirs) {
    const check = await checkPrivateDir(dir);
    if (check.ok) continue;
    if (check.missing) return { ok: false, kind: 'absent', message: check.message };
    return { ok: false, kind: check.security ? 'unsafe' : 'failed', message: check.message };
  }
  const token = await readToken(options.tokenPath);
  if (typeof token !== 'string') return token;
  const shimNonce = newNonce();
  return new Promise((resolve) => {
    const socket = net.connect(options.socketPath);
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    /** Set once the gateway proved itself and we sent our proof: the welcome comes next. */
    let proven = false;
    const settle = (result: Connected | NotConnected) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('connect', onConnect);
      if (result.ok) socket.pause();
      else socket.destroy();
      resolve(result);
    };
    const onConnect = () =>
      socket.write(encodeHello({ profile: options.profile, client: options.client, nonce: shimNonce }));
    const onLine = (line: string, rest: Buffer): void => {
      const reply = parseHelloReply(line);
      if (!reply.ok)
        return settle({
          ok: false,
          kind: proven ? 'failed' : 'impostor',
          message: `unexpected answer on ${options.socketPath}: ${reply.reason}`,
        });
      const answer = reply.value;
      if (answer.kind === 'refused')
        return settle({ ok: false, kind: 'refused', message: `the gateway refused the connection: ${answer.reason}` });
      if (!proven) {
        if (answer.kind !== 'challenge' || !proofMatches(answer.proof, gatewayProof(token, shimNonce, answer.nonce)))
          return settle({
            ok: false,
            kind: 'impostor',
            message:
              `the process listening on ${options.socketPath} could not prove it holds the token in ` +
              `${options.tokenPath}: it is not your Switchboard gateway, or the token file changed after it ` +
              `started; nothing was sent to it`,
          });
        proven = true;
        socket.write(encodeProof(shimProof(token, shimNonce, answer.nonce)));
        return take(rest);
      }
      if (answer.kind !== 'welcome')
        return settle({ ok: false, kind: 'failed', message: `unexpected ${answer.kind} on ${options.socketPath}` });
      settle({ ok: true, socket, head: Buffer.from(rest) });
    };
    const take = (chunk: Buffer): void => {
      if (chunk.length === 0 || settled) return;
      chunks.push(chunk);
      size += chunk.length;
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      const nl = all.indexOf(10);
      if (nl === -1) {
        if (size > MAX_HELLO_BYTES)
          settle({
            ok: false,
            kind: proven ? 'failed' : 'impostor',
            message: `the process on ${options.socketPath} sent an over-long reply; it is not a Switchboard gateway`,
          });
        else chunks = [all];
        return;
      }
      chunks = [];
      size = 0;
      onLine(all.subarray(0, nl).toString('utf8'), all.subarray(nl + 1));
    };
    const onData = (chunk: Buffer) => take(chunk);
    const onError = (err: NodeJS.ErrnoException) => {
      const absent = err.code !== undefined && ABSENT_CODES.has(err.code);
      settle({
        ok: false,
        kind: absent ? 'absent' : 'failed',
        message: absent
          ? `nothing is listening on ${options.socketPath}`
          : `cannot connect to ${options.socketPath}: ${err.message}`,
      });
    };
    const onClose = () =>
      settle({
        ok: false,
        kind: 'failed',
        message: `the gateway on ${options.socketPath} closed the connection during the hello`,
      });
    const timer = setTimeout(
      () =>
        settle({
          ok: false,
          kind: 'unresponsive',
          message: `no answer to the hello on ${options.socketPath} within ${options.timeoutMs} ms`,
        }),
      options.timeoutMs,
    );
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

export interface ConnectLoopOptions extends Omit<AttemptOptions, 'timeoutMs'> {
  /** Give up at this time (Date.now() scale). */
  deadline: number;
  /**
   * Called at most once, the first time nobody is listening, unless `stoppedOnPurpose` says so;
   * false when it could not even try (and said why): then no gateway is coming, and it returns.
   */
  startGateway: () => boolean | void;
  /** Whether the user stopped the gateway on purpose (main/shared/stopped-marker.ts), in words. */
  stoppedOnPurpose?: () => Promise<string | undefined>;
  /** True once nobody waits for the connection any more (the client left): it stops trying. */
  abandoned?: () => boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Tries until connected or the deadline passes. Starts the gateway once when nothing listens
 * (unless it was stopped on purpose: then it returns at once); a refusal is final unless the next
 * try (with a freshly read token) succeeds.
 */
export async function connectWithRetry(options: ConnectLoopOptions): Promise<Connected | NotConnected> {
  let started = false;
  let delay = 25;
  let refusals = 0;
  for (;;) {
    const remaining = options.deadline - Date.now();
    const result = await attemptConnect({ ...options, timeoutMs: Math.max(250, Math.min(5000, remaining)) });
    if (result.ok || result.kind === 'unsafe') return result;
    // A refusal or a failed proof may come from a token file replaced meanwhile: one more try
    // with the token read afresh, then it is final.
    if (result.kind === 'refused' || result.kind === 'impostor') {
      if (++refusals >= 2) return result;
    } else refusals = 0;
    if (result.kind === 'absent' && !started) {
      // Stopped on purpose: say so now rather than start it again or wait out the deadline.
      const stopped = await options.stoppedOnPurpose?.();
      if (stopped !== undefined) return { ok: false, kind: 'stopped', message: stopped };
      started = true;
      if (options.startGateway() === false) return result;
    }
    const left = options.deadline - Date.now();
    if (left <= 0 || options.abandoned?.()) return result;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 500);
  }
}
