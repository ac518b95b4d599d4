/**
 * The local socket (named pipe on Windows) the shim connects to. Owns the private runtime
 * directory checks, the per-install token file, stale-socket cleanup and the mutual hello
 * (main/shared/hello.ts: each side proves it holds the token, neither sends it); a connection
 * that passes the hello is handed to the caller, who owns it from then on. A refused or
 * garbage connection never affects any other.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  encodeChallenge,
  encodeHello,
  encodeRefused,
  encodeWelcome,
  gatewayProof,
  MAX_HELLO_BYTES,
  newNonce,
  parseHello,
  parseHelloReply,
  parseProof,
  proofMatches,
  shimProof,
  type Hello,
} from '../../shared/hello.ts';
import { socketPath, tokenPath } from '../../shared/paths.ts';
import { checkPrivateDir } from '../../shared/private-dir.ts';
import { GatewayError, errorMessage } from '../protocol/errors.ts';

export interface LocalSocketConnection {
  profile: string;
  client: string;
  /**
   * The connection, paused: attach your handlers, then call `socket.resume()` (or pipe it).
   * The listener has removed its own handlers (it keeps only a 'close' hook for close()).
   */
  socket: net.Socket;
  /** Bytes that arrived after the hello line (the start of the JSON-RPC stream). */
  head: Buffer;
}

export interface LocalSocketListenerOptions {
  /** The runtime directory (see main/shared/paths.ts runtimeDir). Created 0700 if missing. */
  dir: string;
  onConnection: (connection: LocalSocketConnection) => void;
  /** Use this token instead of the one in the token file (it is written to the file). */
  token?: string;
  /** How long a new connection has to complete the hello (hello and proof lines). */
  helloTimeoutMs?: number;
  /** Optional extra check after the token matched, e.g. an unknown profile; return a refusal reason. */
  checkHello?: (hello: Hello) => string | undefined;
  /** Connections in the hello phase at once; beyond this the one waiting longest is refused. */
  maxPendingHellos?: number;
}

export interface LocalSocketListener {
  path: string;
  token: string;
  /** Stops listening, drops every connection it accepted, removes the socket file. */
  close(): Promise<void>;
}

const TOKEN_RE = /^[0-9a-f]{64}$/;
const isWindows = process.platform === 'win32';

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayError('internal', `cannot inspect ${p}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Creates `dir` (0700) if missing; otherwise insists it is a real directory, ours, mode 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  let check = await checkPrivateDir(dir);
  if (!check.ok && check.missing) {
    try {
      await fs.mkdir(path.dirname(dir), { recursive: true });
      await fs.mkdir(dir, { mode: 0o700 });
      // mkdir's mode is filtered by the umask; we created it, so set it exactly.
      if (!isWindows) await fs.chmod(dir, 0o700);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GatewayError('internal', `cannot create the runtime directory ${dir}: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    }
    check = await checkPrivateDir(dir);
  }
  if (!check.ok) {
    throw new GatewayError(!check.missing && check.security ? 'unauthorized' : 'internal', check.message);
  }
}

/** Reads the token file if it is a valid, private, regular file of ours; otherwise undefined. */
async function readValidToken(file: string): Promise<string | undefined> {
  const st = await lstatOrUndefined(file);
  if (st === undefined || !st.isFile()) return undefined;
  if (!isWindows) {
    if ((st.mode & 0o077) !== 0) return undefined;
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return undefined;
  }
  let text: string;
  try {
    text = await fs.readFile(file, { encoding: 'utf8', flag: fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) });
  } catch {
    return undefined;
  }
  const token = text.trim();
  return TOKEN_RE.test(token) ? token : undefined;
}

/** Writes the token 0600 atomically: temp file in the same directory, fsync, rename. */
async function writeToken(file: string, token: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', 0o600);
    await handle.writeFile(token + '\n', 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, file);
  } catch (err) {
    // Tidying after a failure: the error below is what matters.
    await Promise.allSettled([handle?.close(), fs.rm(tmp, { force: true })]);
    throw new GatewayError('internal', `cannot write the token file ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Returns the per-install token, creating it if missing or invalid. An existing valid token
 * is reused so running shims reconnect after a gateway restart.
 */
export async function ensureToken(dir: string, wanted?: string): Promise<string> {
  const file = tokenPath(dir);
  if (wanted !== undefined && !TOKEN_RE.test(wanted)) {
    throw new GatewayError('internal', 'the shim token must be 64 lowercase hex characters');
  }
  const existing = await readValidToken(file);
  if (existing !== undefined && (wanted === undefined || existing === wanted)) return existing;
  const token = wanted ?? randomBytes(32).toString('hex');
  await writeToken(file, token);
  return token;
}

/** True when something accepts connections on `socket` within `timeoutMs`. */
export function probeSocket(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect(socket);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(alive);
    };
    // A listener that accepts but hangs still counts as alive: never steal its socket.
    const timer = setTimeout(() => done(true), timeoutMs);
    conn.once('connect', () => done(true));
    conn.once('error', () => done(false));
  });
}

/**
 * What listens on the shim socket: nobody; something that accepts connections but does not answer
 * (a gateway that is suspended or stuck: the kernel still accepts on its behalf); or a gateway that
 * answers.
 */
export type SocketAnswer = 'none' | 'unresponsive' | 'answering';

/**
 * Says a hello on `socket` and waits up to `timeoutMs` for the gateway's first reply line (its
 * challenge, or a refusal): only a gateway whose event loop runs can send it. Nothing follows the
 * hello, so no session is made; the gateway drops the connection as one that ended in the hello.
 */
export function askSocket(socket: string, timeoutMs = 2000): Promise<SocketAnswer> {
  return new Promise((resolve) => {
    const conn = net.connect(socket);
    let connected = false;
    let received = '';
    const done = (answer: SocketAnswer) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done('unresponsive'), timeoutMs);
    conn.once('connect', () => {
      connected = true;
      conn.write(encodeHello({ profile: 'default', client: 'probe', nonce: newNonce() }));
    });
    conn.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const nl = received.indexOf('\n');
      if (nl !== -1) done(parseHelloReply(received.slice(0, nl)).ok ? 'answering' : 'unresponsive');
      else if (received.length > MAX_HELLO_BYTES) done('unresponsive');
    });
    // Closed without a reply line: it listens, but no gateway answered.
    conn.once('close', () => done('unresponsive'));
    conn.once('error', () => done(connected ? 'unresponsive' : 'none'));
  });
}

function alreadyRunning(socket: string): GatewayError {
  const cause = Object.assign(new Error(`address in use: ${socket}`), { code: 'EADDRINUSE' });
  return new GatewayError('internal', `another Switchboard gateway is already listening on ${socket}`, { cause });
}

/** Removes a socket file left by a gateway that died, after checking nobody answers on it. */
async function clearStaleSocket(socket: string): Promise<void> {
  if (isWindows) return; // named pipes vanish with their server
  const st = await lstatOrUndefined(socket);
  if (st === undefined) return;
  if (!st.isSocket()) {
    throw new GatewayError('internal', `${socket} exists and is not a socket; remove it and start Switchboard again`);
  }
  if (await probeSocket(socket)) throw alreadyRunning(socket);
  await fs.rm(socket, { force: true }).catch((err: unknown) => {
    throw new GatewayError('internal', `cannot remove the stale socket ${socket}: ${errorMessage(err)}`, {
      cause: err,
    });
  });
}

function listen(server: net.Server, socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(socket);
  });
}

export async function listenLocalSocket(options: LocalSocketListenerOptions): Promise<LocalSocketListener> {
  const { dir, onConnection, checkHello } = options;
  const helloTimeoutMs = options.helloTimeoutMs ?? 5000;
  const maxPending = options.maxPendingHellos ?? 64;
  await ensurePrivateDir(dir);
  const token = await ensureToken(dir, options.token);
  const socket = socketPath(dir);
  // A too-long runtime path puts the socket in a short private directory of its own.
  if (!isWindows && path.dirname(socket) !== dir) await ensurePrivateDir(path.dirname(socket));

  const accepted = new Set<net.Socket>();
  /** Connections still in the hello, oldest first, each with its refusal. */
  const pending = new Map<net.Socket, (reason: string) => void>();

  const server = net.createServer((conn) => {
    accepted.add(conn);
    conn.once('close', () => {
      accepted.delete(conn);
      pending.delete(conn);
    });
    // Full: the one waiting longest goes (a shim says its hello at once; a connection that stays
    // silent cannot keep every shim out, as it did when the newcomer was the one dropped).
    if (pending.size >= maxPending) {
      const refuseOldest = pending.values().next().value!;
      refuseOldest(`${maxPending} connections were waiting to say hello, and this one waited longest`);
    }
    let handled = false;
    let chunks: Buffer[] = [];
    let size = 0;
    /** Set once the hello was answered with our challenge: the proof line comes next. */
    let hello: (Hello & { gatewayNonce: string }) | undefined;

    const finish = () => {
      handled = true;
      pending.delete(conn);
      clearTimeout(timer);
      conn.off('data', onData);
      conn.off('end', onEnd);
    };
    const refuse = (reason: string) => {
      if (handled) return;
      finish();
      conn.on('error', () => undefined);
      conn.end(encodeRefused(reason));
      // Don't let a peer that never reads hold the connection open.
      setTimeout(() => conn.destroy(), 1000).unref();
    };
    /** One complete line of the handshake; `rest` is what came after it. */
    const onLine = (line: string, rest: Buffer): void => {
      if (hello === undefined) {
        const parsed = parseHello(line);
        if (!parsed.ok) return refuse(parsed.reason);
        const gatewayNonce = newNonce();
        hello = { ...parsed.value, gatewayNonce };
        conn.write(encodeChallenge(gatewayNonce, gatewayProof(token, parsed.value.nonce, gatewayNonce)));
        return take(rest);
      }
      const proof = parseProof(line);
      if (!proof.ok) return refuse(proof.reason);
      if (!proofMatches(proof.value, shimProof(token, hello.nonce, hello.gatewayNonce)))
        return refuse("invalid token (the shim read a token that does not match this gateway's token file)");
      const extra = checkHello?.(hello);
      if (extra !== undefined) return refuse(extra);
      finish();
      conn.off('error', onError);
      conn.pause();
      conn.write(encodeWelcome());
      onConnection({ profile: hello.profile, client: hello.client, socket: conn, head: Buffer.from(rest) });
    };
    /** Adds bytes; runs every complete line in them. */
    const take = (chunk: Buffer): void => {
      if (chunk.length === 0 || handled) return;
      chunks.push(chunk);
      size += chunk.length;
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      const nl = all.indexOf(10);
      if (nl === -1) {
        if (size > MAX_HELLO_BYTES) refuse(`hello line longer than ${MAX_HELLO_BYTES} bytes`);
        else chunks = [all];
        return;
      }
      if (nl > MAX_HELLO_BYTES) return refuse(`hello line longer than ${MAX_HELLO_BYTES} bytes`);
      chunks = [];
      size = 0;
      onLine(all.subarray(0, nl).toString('utf8'), all.subarray(nl + 1));
    };
    const onData = (chunk: Buffer) => take(chunk);
    const onEnd = () => refuse('connection ended before the hello');
    const onError = () => {
      if (!handled) finish();
      conn.destroy();
    };
    const timer = setTimeout(() => refuse(`no hello within ${helloTimeoutMs} ms`), helloTimeoutMs);
    pending.set(conn, refuse);
    conn.on('data', onData);
    conn.on('end', onEnd);
    conn.on('error', onError);
  });
  server.on('error', () => undefined); // errors after listen surface per connection

  await clearStaleSocket(socket);
  try {
    await listen(server, socket);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      throw new GatewayError('internal', `cannot listen on ${socket}: ${errorMessage(err)}`, { cause: err });
    }
    // Someone created the socket between our check and listen: find out who.
    if (isWindows || (await probeSocket(socket))) throw alreadyRunning(socket);
    await clearStaleSocket(socket);
    try {
      await listen(server, socket);
    } catch (again) {
      throw new GatewayError('internal', `cannot listen on ${socket}: ${errorMessage(again)}`, { cause: again });
    }
  }
  let ino: number | undefined;
  if (!isWindows) {
    try {
      await fs.chmod(socket, 0o600);
    } catch {
      // A second fence only: the private directory (0700) already keeps other users out.
    }
    ino = (await lstatOrUndefined(socket))?.ino;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of accepted) conn.destroy();
      await closed;
      if (!isWindows && ino !== undefined) {
        // Remove our socket file, but never one a newer gateway has put there since. A file that
        // cannot be removed is cleared by the next gateway's stale-socket check.
        try {
          if ((await lstatOrUndefined(socket))?.ino === ino) await fs.rm(socket, { force: true });
        } catch {
          // See above: harmless, and nobody is left to tell while shutting down.
        }
      }
    })();
    return closing;
  };
  return { path: socket, token, close };
}
