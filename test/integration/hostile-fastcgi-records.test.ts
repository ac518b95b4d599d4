/**
 * A FastCGI server that cuts its reply into the smallest records it can (empty STDOUT records, or
 * one byte each) and never ends it. Each record is 8 bytes of header for at most a byte of reply,
 * so counting only the reply's bytes let the gateway keep millions of records until the timeout:
 * it ran out of memory and died, every session with it. Records that are not the reply (for
 * another request id, management ones, stderr) were not counted at all: the gateway read and
 * parsed them as fast as the server sent them until the timeout. The gateway runs as its own
 * process (`serve --stdio`) so its peak memory can be read from /proc.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordType, encodeRecord } from '../../main/engine/upstreams/handler/fastcgi/records.ts';
import { raw, startRawFastcgi, type TestServer } from '../fixtures/handlers/servers.ts';
import { INITIALIZE, rawStdio, type RawStdio } from '../helpers/raw-stdio.ts';
import { CLI, NODE, tempDir, textOf, writeConfig } from '../helpers/gateway.ts';

const MiB = 1024 * 1024;
const LIMIT = MiB;

/** Peak resident memory of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** Writes `record` over and over, as fast as the gateway reads, until the connection ends. */
function flood(socket: Socket, record: Buffer): void {
  const block = Buffer.concat(Array.from({ length: 4096 }, () => record));
  const pump = (): void => {
    while (!socket.destroyed) if (!socket.write(block)) return void socket.once('drain', pump);
  };
  pump();
}

describe('a FastCGI server sending its reply in tiny records without end', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let server: TestServer;
  let gateway: RawStdio;
  let nextId = 1;

  const call = async (name: string) => {
    const id = nextId++;
    gateway.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
    return gateway.response(id, 60_000);
  };

  beforeAll(async () => {
    dir = await tempDir();
    const tools = ['fine', 'empty', 'bytes', 'foreign', 'management', 'stderr'].map((name) => ({ name }));
    server = await startRawFastcgi((req, socket) => {
      const envelope = JSON.parse(req.stdin.toString('utf8')) as { type: string; name?: string };
      const id = req.requestId;
      if (envelope.type === 'discover') socket.write(raw.reply(id, JSON.stringify({ tools })));
      else if (envelope.name === 'empty') flood(socket, encodeRecord(RecordType.Stdout, id));
      else if (envelope.name === 'bytes') flood(socket, encodeRecord(RecordType.Stdout, id, Buffer.from('x')));
      else if (envelope.name === 'foreign') flood(socket, encodeRecord(RecordType.Stdout, id + 1, Buffer.from('x')));
      else if (envelope.name === 'management') flood(socket, encodeRecord(RecordType.GetValuesResult, 0));
      else if (envelope.name === 'stderr') flood(socket, encodeRecord(RecordType.Stderr, id, Buffer.from('x')));
      else socket.write(raw.reply(id, JSON.stringify({ content: [{ type: 'text', text: 'fine' }] })));
    });
    const config = await writeConfig(dir.dir, {
      mcpServers: { flood: { handler: server.address, entrypoint: '/srv/app/flood.php', timeoutMs: 8000 } },
      limits: { maxResponseBytes: LIMIT },
    });
    gateway = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    gateway.send(INITIALIZE(0));
    await gateway.response(0);
    gateway.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const deadline = Date.now() + 30_000;
    while (textOf((await call('flood__fine')).result) !== 'fine') {
      if (Date.now() > deadline) throw new Error('the handler never answered');
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    gateway?.close();
    await server?.close();
    await dir?.cleanup();
  });

  it.each([
    ['empty', 'empty STDOUT records'],
    ['bytes', 'STDOUT records of one byte'],
  ])(
    '%s (%s): the size limit ends the call, nothing near the flood is held, the server carries on',
    async (tool) => {
      const before = peakRss(gateway.child.pid!);
      const started = Date.now();
      const flooded = await call(`flood__${tool}`);
      expect(flooded.error).toMatchObject({
        code: -32003,
        message:
          `server "flood": the reply from FastCGI server ${server.address} is larger than ${LIMIT} bytes ` +
          '(limits.maxResponseBytes)',
      });
      // Ended by the limit as the records arrived, not by the 8 s timeout.
      expect(Date.now() - started).toBeLessThan(6000);
      expect(peakRss(gateway.child.pid!) - before).toBeLessThan(32 * MiB);
      expect(textOf((await call('flood__fine')).result)).toBe('fine');
    },
    60_000,
  );

  // Records of 16 bytes (one byte of content, 7 of padding) or 8 (empty): the limit is passed at
  // the first one over it, and the error says what they were.
  it.each([
    ['foreign', 'records for another request id', '1048592 bytes of records for request id 2 (this request is id 1)'],
    ['management', 'management records (request id 0)', '1048584 bytes of management records (request id 0)'],
    ['stderr', 'STDERR records', '1048592 bytes of stderr'],
  ])(
    '%s (%s): every byte counts toward the size limit, and the error says what came',
    async (tool, _, what) => {
      const before = peakRss(gateway.child.pid!);
      const started = Date.now();
      const flooded = await call(`flood__${tool}`);
      expect(flooded.error).toMatchObject({
        code: -32003,
        message:
          `server "flood": FastCGI server ${server.address} sent more than ${LIMIT} bytes for one request ` +
          `(limits.maxResponseBytes): ${what}`,
      });
      expect(Date.now() - started).toBeLessThan(6000);
      expect(peakRss(gateway.child.pid!) - before).toBeLessThan(32 * MiB);
      expect(textOf((await call('flood__fine')).result)).toBe('fine');
    },
    60_000,
  );
});
