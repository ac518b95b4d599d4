/**
 * Reaching the gateway: one attempt (token file, connect, hello, welcome), and the retry loop
 * around it that starts the gateway once when nobody is listening.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { encodeHello, MAX_HELLO_BYTES, parseHelloReply } from '../shared/hello.ts';
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
   * directory is not private (never connect there); failed: anything else.
   */
  kind: 'absent' | 'refused' | 'unsafe' | 'failed';
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
  return new Promise((resolve) => {
    const socket = net.connect(options.socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
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
    const onConnect = () => socket.write(encodeHello({ token, profile: options.profile, client: options.client }));
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const all = Buffer.concat(chunks, size);
      const nl = all.indexOf(10);
      if (nl === -1) {
        if (size > MAX_HELLO_BYTES)
          settle({
            ok: false,
            kind: 'failed',
            message: `the process on ${options.socketPath} sent an over-long reply; it is not a Switchboard gateway`,
          });
        return;
      }
      const reply = parseHelloReply(all.subarray(0, nl).toString('utf8'));
      if (!reply.ok)
        return settle({
          ok: false,
          kind: 'failed',
          message: `unexpected answer on ${options.socketPath}: ${reply.reason}`,
        });
      if (reply.value.kind === 'refused')
        return settle({
          ok: false,
          kind: 'refused',
          message: `the gateway refused the connection: ${reply.value.reason}`,
        });
      settle({ ok: true, socket, head: Buffer.from(all.subarray(nl + 1)) });
    };
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
          kind: 'failed',
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
  /** Called at most once, the first time nobody is listening. */
  startGateway: () => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Tries until connected or the deadline passes. Starts the gateway once when nothing listens;
 * a refusal is final unless the next try (with a freshly read token) succeeds.
 */
export async function connectWithRetry(options: ConnectLoopOptions): Promise<Connected | NotConnected> {
  let started = false;
  let delay = 25;
  let refusals = 0;
  for (;;) {
    const remaining = options.deadline - Date.now();
    const result = await attemptConnect({ ...options, timeoutMs: Math.max(250, Math.min(5000, remaining)) });
    if (result.ok || result.kind === 'unsafe') return result;
    if (result.kind === 'refused') {
      if (++refusals >= 2) return result;
    } else refusals = 0;
    if (result.kind === 'absent' && !started) {
      started = true;
      options.startGateway();
    }
    const left = options.deadline - Date.now();
    if (left <= 0) return result;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 500);
  }
}
