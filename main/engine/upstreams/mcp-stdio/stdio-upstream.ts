/**
 * A local MCP server spawned as a child process speaking newline-delimited JSON-RPC on stdio.
 * No shell; a small safe environment plus the server's own; PATH from the user's login shell;
 * stderr kept in a bounded ring (and a rotating file); stop kills the whole process tree.
 */
import type { ChildProcess } from 'node:child_process';
import { GatewayError } from '../../protocol/errors.ts';
import { LineDecoder, encodeLine } from '../../protocol/framing.ts';
import { failure, parseBatch, parseMessage } from '../../protocol/jsonrpc.ts';
import { responseIdOf, responseNotUtf8, responseTooLarge } from '../../protocol/refusals.ts';
import type { BackoffPolicy } from '../lifecycle.ts';
import {
  ManagedUpstream,
  type Channel,
  type ChannelHandlers,
  type Handshake,
  type StartWatch,
} from '../mcp-upstream.ts';
import {
  buildChildEnv,
  crashLine,
  killProcessTree,
  resolveLoginShellPath,
  spawnServer,
  StderrLog,
  watchActivity,
} from '../process/index.ts';
import type { ProcessLedger } from '../process/leftovers.ts';

export interface StdioServerSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  startupTimeoutMs: number;
  /** How long a start may take while the process stays busy (an installer); default 5 minutes. */
  installTimeoutMs?: number;
}

/** See StdioServerSpec.installTimeoutMs (and timeouts.installMs in the config). */
export const DEFAULT_INSTALL_TIMEOUT_MS = 300_000;

export interface StdioUpstreamDeps {
  clientInfo: { name: string; version: string };
  capabilities: Record<string, unknown>;
  /** Largest message accepted from the server (a longer response fails only its request). */
  maxMessageBytes: number;
  /** Directory for `<server>.log` stderr files; none when absent. */
  logDir?: string;
  /** Told each complete stderr line as it arrives. */
  onStderrLine?: (line: string) => void;
  /** Rewrites each stderr line before it is kept, written to the file or told (the gateway's redactor). */
  redact?: (line: string) => string;
  /** For a stderr line cut short, after `redact`: drops the start of a secret left at its end. */
  redactCutEnd?: (text: string) => string;
  /** Failures nobody awaits (a process tree that would not die). */
  log?: (line: string) => void;
  backoff?: BackoffPolicy;
  /** PATH for children; defaults to the login shell's. */
  path?: () => Promise<string>;
  /** Records the server's process while it runs (for the next gateway, should this one be killed). */
  processes?: ProcessLedger;
  /** Replaces the stateful initialize handshake (the 2026-07-28 revision, era detection: see era.ts). */
  handshake?: Handshake;
}

/** A line of ours in a server's stderr log, marked as ours (crashLine passes over it). */
export class StdioMcpUpstream extends ManagedUpstream {
  private readonly log: StderrLog;

  constructor(spec: StdioServerSpec, deps: StdioUpstreamDeps) {
    const log = new StderrLog({
      name: spec.name,
      ...(deps.logDir === undefined ? {} : { dir: deps.logDir }),
      ...(deps.onStderrLine ? { onLine: deps.onStderrLine } : {}),
      ...(deps.redact ? { redact: deps.redact } : {}),
      ...(deps.redactCutEnd ? { redactCutEnd: deps.redactCutEnd } : {}),
    });
    super({
      name: spec.name,
      kind: 'stdio',
      requestTimeoutMs: spec.timeoutMs,
      startupTimeoutMs: spec.startupTimeoutMs,
      clientInfo: deps.clientInfo,
      capabilities: deps.capabilities,
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
      ...(deps.handshake ? { handshake: deps.handshake } : {}),
      // What the gateway notes about this server (it is busy installing, say) is in its own log too.
      log: (line: string) => {
        deps.log?.(line);
        log.note(line);
      },
      open: (handlers) => openProcess(spec, deps, log, handlers),
    });
    this.log = log;
  }

  /** Recent stderr lines of the current or last process. */
  stderr(): string[] {
    return this.log.lines();
  }

  /** Its stderr with when each line came (epoch ms), oldest first. */
  timedStderr(): { at: number; text: string }[] {
    return this.log.timedLines();
  }

  /** Adds a line of ours (e.g. which protocol era was detected) to the server's stderr log. */
  note(line: string): void {
    this.log.note(line);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.log.close();
  }
}

/**
 * What is held for a server that does not read its input: twice the largest request a client may
 * send by default (limits.maxRequestBytes), so one large message always fits behind a small one.
 */
export const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024;

export function createStdioUpstream(spec: StdioServerSpec, deps: StdioUpstreamDeps): StdioMcpUpstream {
  return new StdioMcpUpstream(spec, deps);
}

async function openProcess(
  spec: StdioServerSpec,
  deps: StdioUpstreamDeps,
  log: StderrLog,
  handlers: ChannelHandlers,
): Promise<Channel> {
  const path = await (deps.path ?? resolveLoginShellPath)();
  const env = buildChildEnv({ declared: spec.env, path });
  const child: ChildProcess = await spawnServer({
    command: spec.command,
    args: spec.args,
    env,
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
  });
  deps.processes?.track(child, spec.name);
  let closed = false;
  // Only this process's lines: the ring also holds earlier runs and our own notes.
  const mark = log.mark();
  const cause = () => {
    const line = crashLine(log.linesSince(mark));
    const where = log.file === undefined ? '' : ` (full log: ${log.file})`;
    return line === undefined ? where && `; no error output${where}` : `: ${line.slice(0, 300)}${where}`;
  };

  const decoder = new LineDecoder({
    maxLineBytes: deps.maxMessageBytes,
    onLine: (line) => {
      const parsed = parseMessage(line);
      if ('message' in parsed) return handlers.onMessage(parsed.message);
      // A 2025-03-26 server may send several messages as one batch (progress and the answer).
      const batch = parseBatch(line);
      if (batch) return batch.forEach((m) => handlers.onMessage(m));
      // Text printed without a newline runs into the next message ("loading...{"jsonrpc":…}"): the
      // message is read from where it starts, the text kept as output.
      const start = line.indexOf('{"jsonrpc"');
      const glued = start > 0 ? parseMessage(line.slice(start)) : undefined;
      const text = glued && 'message' in glued ? line.slice(0, start) : line;
      // Non-JSON on stdout (a stray console.log) is not a message; keep it where people look.
      log.write(Buffer.from(`[stdout, not JSON-RPC] ${text.slice(0, 500)}\n`));
      if (glued && 'message' in glued) handlers.onMessage(glued.message);
    },
    onOverflow: (bytes, head, tail) => {
      log.write(
        Buffer.from(
          `[switchboard] dropped a ${bytes}-byte message from stdout: over the ${deps.maxMessageBytes}-byte limit\n`,
        ),
      );
      const id = responseIdOf(head, tail);
      if (id !== undefined) handlers.onMessage(failure(id, responseTooLarge(spec.name, bytes, deps.maxMessageBytes)));
    },
    onNotUtf8: (head, tail) => {
      log.write(Buffer.from(`[switchboard] refused a message from stdout: it is not valid UTF-8\n`));
      const id = responseIdOf(head, tail);
      if (id !== undefined) handlers.onMessage(failure(id, responseNotUtf8(spec.name)));
    },
  });
  // Until it has answered: is it busy (installing) or hung? See process/activity.ts.
  const activity = watchActivity(child.pid!);
  const starting: StartWatch = {
    startedAt: activity.startedAt,
    lastActive: () => activity.lastActive(),
    installTimeoutMs: Math.max(spec.installTimeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS, spec.startupTimeoutMs),
    stop: () => activity.stop(),
    announced: false,
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    activity.note();
    decoder.push(chunk);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    activity.note();
    log.write(chunk);
  });
  // EPIPE when the server died mid-write: the exit handler reports it.
  child.stdin!.on('error', () => undefined);
  child.on('error', () => undefined);
  // 'exit' can come before the last stdout bytes are read: report the loss only once stdout
  // has ended too (or shortly after, if a grandchild keeps the pipe open).
  child.on('exit', (code, signal) => {
    activity.stop();
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const report = () => {
      if (closed) return;
      closed = true;
      handlers.onClose(new Error(`${how}${cause()}`));
    };
    if (child.stdout!.readableEnded) return report();
    child.stdout!.once('end', report);
    setTimeout(report, 1000).unref();
  });

  return {
    pid: child.pid,
    starting,
    send(message) {
      if (closed || !child.stdin!.writable || child.exitCode !== null || child.signalCode !== null) {
        throw new GatewayError('upstream_closed', `server "${spec.name}" is not running`, { notSent: true });
      }
      const line = encodeLine(message);
      // A server that stopped reading: what is written to it waits in our memory, so past a
      // bound new messages are refused instead of piling up until it is stopped.
      const waiting = child.stdin!.writableLength;
      if (waiting > 0 && waiting + Buffer.byteLength(line) > MAX_UNWRITTEN_BYTES) {
        throw new GatewayError(
          'upstream_unavailable',
          `server "${spec.name}" is not reading its input: ${(waiting / 1048576).toFixed(1)} MiB sent to it ` +
            'earlier are still waiting to be written, so this message was not sent',
        );
      }
      child.stdin!.write(line);
    },
    async close() {
      closed = true;
      activity.stop();
      await killProcessTree(child);
    },
  };
}
