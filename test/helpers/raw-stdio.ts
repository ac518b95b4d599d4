/** A raw line-based JSON-RPC client over a child's stdio (no SDK: its stdio reader caps lines at 10 MiB). */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from '../../main/shared/lines.ts';

export interface RawStdio {
  child: ChildProcess;
  send(message: unknown): void;
  /** Writes one line as given (JSON.stringify cannot write an id such as 12345678901234567890). */
  sendText(line: string): void;
  /** Resolves with the response carrying this id. */
  response(id: number | string, timeoutMs?: number): Promise<Record<string, unknown>>;
  messages: Record<string, unknown>[];
  /** The lines received, as text: what JSON.parse would round (big number ids) is still as sent. */
  lines: string[];
  /** Ends its stdin, as a client that is done; resolves once the child has exited. */
  end(): Promise<void>;
  close(): void;
}

export function rawStdio(command: string, args: string[], env: NodeJS.ProcessEnv): RawStdio {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const messages: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  const splitter = new LineSplitter(
    256 * 1024 * 1024,
    (line) => {
      lines.push(line.toString('utf8').trimEnd());
      messages.push(JSON.parse(line.toString('utf8')) as Record<string, unknown>);
      for (const w of waiters.splice(0)) w();
    },
    () => undefined,
  );
  child.stdout!.on('data', (c: Buffer) => splitter.push(c));
  return {
    child,
    messages,
    lines,
    send: (m) => child.stdin!.write(JSON.stringify(m) + '\n'),
    sendText: (line) => child.stdin!.write(line + '\n'),
    async response(id, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.id === id && ('result' in m || 'error' in m));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no response with id ${String(id)} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    end() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end();
      return exited;
    },
    close: () => child.kill(),
  };
}

export const INITIALIZE = (id: number | string = 0, protocolVersion = '2025-06-18') => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
