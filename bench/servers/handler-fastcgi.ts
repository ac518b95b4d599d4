/**
 * The echo JSON handler as a tiny FastCGI responder on 127.0.0.1, hand-written: one request at a
 * time per connection, FCGI_KEEP_CONN honoured (node-fastcgi 2.0.0 reads the flag under a name
 * fastcgi-stream does not define, so it closes every connection after one request, which would
 * make this path measure TCP connects). Whatever SCRIPT_FILENAME says, it answers the envelope.
 * Prints `listening 127.0.0.1:PORT`. Usage: handler-fastcgi.ts [PORT]
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { handleEnvelope } from './handler-core.ts';

const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const STDIN = 5;
const STDOUT = 6;
const KEEP_CONN = 1;
const MAX_CONTENT = 65535;

function record(type: number, id: number, content: Buffer): Buffer {
  const padding = (8 - (content.length % 8)) % 8;
  const head = Buffer.alloc(8);
  head.writeUInt8(1, 0);
  head.writeUInt8(type, 1);
  head.writeUInt16BE(id, 2);
  head.writeUInt16BE(content.length, 4);
  head.writeUInt8(padding, 6);
  return Buffer.concat([head, content, Buffer.alloc(padding)]);
}

function reply(socket: Socket, id: number, body: string | Buffer, keep: boolean): void {
  const payload = Buffer.concat([
    Buffer.from(`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`),
    typeof body === 'string' ? Buffer.from(body) : body,
  ]);
  const out: Buffer[] = [];
  for (let at = 0; at < payload.length; at += MAX_CONTENT)
    out.push(record(STDOUT, id, payload.subarray(at, at + MAX_CONTENT)));
  out.push(record(STDOUT, id, Buffer.alloc(0)));
  out.push(record(END_REQUEST, id, Buffer.alloc(8))); // appStatus 0, FCGI_REQUEST_COMPLETE
  socket.write(Buffer.concat(out));
  if (!keep) socket.end();
}

const server = createServer((socket) => {
  let buffer: Buffer = Buffer.alloc(0);
  let keep = false;
  let stdin: Buffer[] = [];
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    while (buffer.length >= 8) {
      const type = buffer.readUInt8(1);
      const id = buffer.readUInt16BE(2);
      const length = buffer.readUInt16BE(4);
      const total = 8 + length + buffer.readUInt8(6);
      if (buffer.length < total) break;
      const content = buffer.subarray(8, 8 + length);
      buffer = buffer.subarray(total);
      if (type === BEGIN_REQUEST) {
        keep = (content.readUInt8(2) & KEEP_CONN) !== 0;
        stdin = [];
      } else if (type === STDIN && length > 0) {
        stdin.push(Buffer.from(content));
      } else if (type === STDIN) {
        reply(socket, id, handleEnvelope(Buffer.concat(stdin).toString('utf8')), keep);
        stdin = [];
      }
      // PARAMS and management records are not needed by this responder.
    }
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening 127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
