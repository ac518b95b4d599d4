/**
 * The OS keychain reached through a process of its own (keychain-worker.ts). A keychain call can
 * wait for good — on an unlock prompt nobody answers — and cannot be cancelled; made in the
 * gateway's process, it would hold a thread of libuv's pool, which file access shares, and Node's
 * exit waits for that thread, so the gateway could not even quit. Made here, a call given up ends
 * the worker (signal), and the gateway's exit ends it too.
 *
 * The worker starts with the first call, runs as Node (the Electron app's own executable with
 * ELECTRON_RUN_AS_NODE, as the shim does), and is closed after IDLE_MS without calls. It never
 * holds the gateway's process open: while no call is in flight it is unreferenced.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { crashLine } from '../crash-line.ts';
import type { KeyringBackend } from './keychain-store.ts';

export type KeychainRequest = { id: number; service: string; account: string } & (
  { op: 'get' | 'delete' } | { op: 'set'; value: string } | { op: 'accounts' }
);
export type KeychainReply =
  { id: number; ok: true; value: string | null | boolean | string[] } | { id: number; ok: false; message: string };

/** Keeps the worker for the calls that come together (a start reading every server's secrets). */
export const IDLE_MS = 10_000;

/**
 * The worker's file: beside this module when it runs from source, beside the bundle when built
 * (scripts/build.ts writes out/main/keychain-worker.js next to index.js and cli.js).
 */
export const KEYCHAIN_WORKER = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './keychain-worker.ts' : './keychain-worker.js', import.meta.url),
);

/** What the worker last wrote to stderr, kept for the error when it ends before answering. */
const STDERR_KEPT = 2_000;

interface Worker {
  child: ChildProcess;
  calls: Map<number, { op: KeychainRequest['op']; resolve(value: unknown): void; reject(err: Error): void }>;
  stderr: string;
  idle?: NodeJS.Timeout;
  /** Ends it when the gateway's process exits: a call waiting on a prompt would outlive it. */
  onExit(): void;
}

export class KeychainProcess implements KeyringBackend {
  private worker: Worker | undefined;
  private nextId = 1;

  private readonly script: string;
  private readonly idleMs: number;

  constructor(script = KEYCHAIN_WORKER, idleMs = IDLE_MS) {
    this.script = script;
    this.idleMs = idleMs;
  }

  get(service: string, account: string, signal?: AbortSignal): Promise<string | null> {
    return this.call({ op: 'get', service, account }, signal) as Promise<string | null>;
  }
  async set(service: string, account: string, value: string, signal?: AbortSignal): Promise<void> {
    await this.call({ op: 'set', service, account, value }, signal);
  }
  delete(service: string, account: string, signal?: AbortSignal): Promise<boolean> {
    return this.call({ op: 'delete', service, account }, signal) as Promise<boolean>;
  }
  accounts(service: string, signal?: AbortSignal): Promise<string[]> {
    return this.call({ op: 'accounts', service, account: '' }, signal) as Promise<string[]>;
  }

  /** The worker's pid while it runs. */
  get pid(): number | undefined {
    return this.worker?.child.pid;
  }

  private call(request: DistributiveOmit<KeychainRequest, 'id'>, signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(new Error('the keychain call was given up before it was made'));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Given up: the call may be waiting on a prompt, and only ending its process frees it. Once
      // answered, the signal ends nothing: the process may be making another caller's call by then.
      const giveUp = () => this.end(worker, 'the call was given up');
      const answered = () => signal?.removeEventListener('abort', giveUp);
      worker.calls.set(id, {
        op: request.op,
        resolve: (value) => (answered(), resolve(value)),
        reject: (err) => (answered(), reject(err)),
      });
      this.busy(worker);
      signal?.addEventListener('abort', giveUp, { once: true });
      worker.child.send({ ...request, id } satisfies KeychainRequest, (err) => err && this.unreachable(worker, err));
    });
  }

  private start(): Worker {
    const child = fork(this.script, [], {
      // Electron's executable runs as Node only with this; plain Node ignores it.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      // Electron's fork would run the Helper app on macOS (process.helperExecPath): another program
      // to the keychain, which asks again before showing it each item the app, or the CLI, stored.
      execPath: process.execPath,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      windowsHide: true,
    });
    const worker: Worker = {
      child,
      calls: new Map(),
      stderr: '',
      onExit: () => child.kill('SIGKILL'),
    };
    process.once('exit', worker.onExit);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => (worker.stderr = (worker.stderr + text).slice(-STDERR_KEPT)));
    child.on('message', (message: unknown) => {
      if (isReply(message)) this.settle(worker, message.id, message);
      // Not our worker's protocol (a module in it writing to the channel?): nothing it says is trusted.
      else this.end(worker, `it sent ${kindOf(message)}, which is not an answer to a call`);
    });
    child.on('error', (err) => this.gone(worker, `the keychain process could not run: ${err.message}`));
    child.on('exit', (code, signal) =>
      this.gone(worker, `the keychain process ended (${signal ?? `exit code ${code}`}) before answering`),
    );
    return worker;
  }

  private settle(worker: Worker, id: number, reply: KeychainReply): void {
    const call = worker.calls.get(id);
    if (!call) return;
    if (reply.ok && !ANSWERS[call.op](reply.value))
      return this.end(worker, `it answered a call to ${call.op} with ${kindOf(reply.value)}`);
    worker.calls.delete(id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(new Error(reply.message));
    if (worker.calls.size === 0) this.idle(worker);
  }

  /** A call in flight: the gateway's process waits for the worker's answer. */
  private busy(worker: Worker): void {
    clearTimeout(worker.idle);
    worker.child.ref();
    worker.child.channel?.ref();
    (worker.child.stderr as Socket | null)?.ref();
  }

  /** Nothing in flight: nothing of the worker keeps the gateway's process open, and it goes if unused. */
  private idle(worker: Worker): void {
    worker.child.unref();
    worker.child.channel?.unref();
    (worker.child.stderr as Socket | null)?.unref();
    worker.idle = setTimeout(() => {
      // Let go first: a call from now on starts another, rather than reach one that is closing.
      if (this.worker === worker) this.worker = undefined;
      if (worker.child.connected) worker.child.disconnect();
    }, this.idleMs);
    worker.idle.unref();
  }

  /**
   * A call could not be sent: the process is ending (it crashed, or could not start), and its exit,
   * at hand, fails its calls saying why; one that lingers without its channel is ended.
   */
  private unreachable(worker: Worker, err: Error): void {
    if (this.worker === worker) this.worker = undefined;
    setTimeout(() => this.end(worker, `it took no call (${err.message})`), 1_000).unref();
  }

  private end(worker: Worker, why: string): void {
    worker.child.kill('SIGKILL');
    this.gone(worker, `the keychain process was ended: ${why}`);
  }

  /** The worker cannot answer any more: its calls fail, and the next call starts another. */
  private gone(worker: Worker, why: string): void {
    if (this.worker === worker) this.worker = undefined;
    clearTimeout(worker.idle);
    process.removeListener('exit', worker.onExit);
    // Its error's own line, not the stack and banner Node prints with it.
    const said = crashLine(worker.stderr.split('\n'));
    const message = said && !why.includes('given up') ? `${why}: ${said}` : why;
    for (const call of worker.calls.values()) call.reject(new Error(message));
    worker.calls.clear();
  }
}

function isReply(message: unknown): message is KeychainReply {
  if (typeof message !== 'object' || message === null) return false;
  const reply = message as Record<string, unknown>;
  if (!Number.isSafeInteger(reply.id)) return false;
  return reply.ok === true ? 'value' in reply : reply.ok === false && typeof reply.message === 'string';
}

/** What an answer to each call is: the store reads it as such. */
const ANSWERS: Record<KeychainRequest['op'], (value: unknown) => boolean> = {
  get: (value) => value === null || typeof value === 'string',
  set: () => true,
  delete: (value) => typeof value === 'boolean',
  accounts: (value) => Array.isArray(value) && value.every((account) => typeof account === 'string'),
};

/** What a message is, never what it says: it may hold a secret, and errors are logged and shown. */
function kindOf(message: unknown): string {
  if (message === null) return 'null';
  if (Array.isArray(message)) return 'a list';
  if (typeof message !== 'object') return `a ${typeof message}`;
  const fields = Object.keys(message).slice(0, 5);
  return fields.length ? `an object with ${fields.join(', ')}` : 'an empty object';
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
