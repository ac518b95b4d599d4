/**
 * The echo MCP server over Streamable HTTP, stateless: POST /mcp answers JSON, or SSE when a call
 * sends progress notifications first; GET and DELETE are 405 (no standalone stream, no sessions).
 * Prints `listening http://127.0.0.1:PORT/mcp` on stdout. Usage: http-echo.ts [PORT]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handle } from './echo-core.ts';

const server = createServer((req, res) => {
  if (req.url !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const reply = handle(Buffer.concat(chunks).toString('utf8'));
    if (reply.response === undefined) {
      res.writeHead(202).end();
    } else if (reply.notifications.length === 0) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply.response) });
      res.end(reply.response);
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let body = '';
      for (const n of reply.notifications) body += `event: message\ndata: ${n}\n\n`;
      res.write(`${body}event: message\ndata: `);
      res.write(reply.response);
      res.end('\n\n');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp\n`);
});
process.on('SIGTERM', () => process.exit(0));
