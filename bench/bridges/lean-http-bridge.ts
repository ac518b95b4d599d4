/**
 * The floor of an HTTP→stdio hop: each POST body becomes one line to the child, with a fresh id
 * (so two clients can never see each other's answers), and the child's line with that id is the
 * HTTP answer, with the client's id restored. Notifications to the child are answered 202;
 * notifications from the child are dropped (no SSE). Prints `listening http://127.0.0.1:PORT/mcp`.
 * Usage: lean-http-bridge.ts COMMAND [ARGS...]
 */
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lineSplitter } from '../lib/lines.ts';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) throw new Error('usage: lean-http-bridge.ts COMMAND [ARGS...]');
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
const pending = new Map<number, { res: ServerResponse; id: unknown }>();
let nextId = 0;

child.stdout.on(
  'data',
  lineSplitter((line) => {
    const msg = JSON.parse(line) as { id?: number };
    const waiting = typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
    if (!waiting) return;
    pending.delete(msg.id as number);
    msg.id = waiting.id as number;
    const body = JSON.stringify(msg);
    waiting.res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .end(body);
  }),
);

const server = createServer((req, res) => {
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method?: string };
    if (msg.id === undefined || msg.method === undefined) {
      child.stdin.write(JSON.stringify(msg) + '\n');
      return void res.writeHead(202).end();
    }
    const id = nextId++;
    pending.set(id, { res, id: msg.id });
    msg.id = id;
    child.stdin.write(JSON.stringify(msg) + '\n');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp\n`),
);
child.on('exit', (code) => process.exit(code ?? 0));
process.on('SIGTERM', () => process.exit(0));
