/**
 * The echo JSON handler over HTTP: POST / with an envelope, answered with JSON.
 * Prints `listening http://127.0.0.1:PORT/` on stdout. Usage: handler-http.ts [PORT]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleEnvelope } from './handler-core.ts';

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = handleEnvelope(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/\n`);
});
process.on('SIGTERM', () => process.exit(0));
