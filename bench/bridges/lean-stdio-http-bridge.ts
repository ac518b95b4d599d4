/**
 * The floor of a stdio→remote HTTP hop (how a client reaches a hosted MCP server through a local
 * process): each line from stdin is POSTed to the server, and its answer — JSON, or the last
 * `data:` of an SSE body — is written back as one line. Requests go out in parallel; notifications
 * from the server and in SSE bodies are dropped (no progress, by design). Keeps the server's
 * session id if it hands one out. Usage: lean-stdio-http-bridge.ts URL
 */
import { lineSplitter } from '../lib/lines.ts';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: lean-stdio-http-bridge.ts URL');
let session: string | undefined;

async function forward(line: string): Promise<void> {
  const res = await fetch(url!, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: line,
  });
  session = res.headers.get('mcp-session-id') ?? session;
  const text = await res.text();
  if (res.status === 202 || text === '') return;
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    process.stdout.write(`${text}\n`);
    return;
  }
  // The answer is the last event: progress notifications before it are dropped.
  const data = text
    .trimEnd()
    .split('\n')
    .findLast((l) => l.startsWith('data: '));
  if (data !== undefined) process.stdout.write(`${data.slice(6)}\n`);
}

process.stdin.on(
  'data',
  lineSplitter((line) => {
    forward(line).catch((err: unknown) => process.stderr.write(`lean-stdio-http-bridge: ${String(err)}\n`));
  }),
);
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
