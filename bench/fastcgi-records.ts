#!/usr/bin/env node
/**
 * `node bench/fastcgi-records.ts`: the CPU the FastCGI record parser spends on one record of the
 * largest size (65535 bytes) that arrives a few bytes at a time, as from a server that trickles its
 * reply. Measured in one process without sockets, so two versions of the parser can be compared in
 * seconds; through a real socket the kernel hands a reader that falls behind larger chunks, so the
 * gateway sees fewer, larger chunks than a server writes (see docs/benchmarks.md).
 *
 *   node bench/fastcgi-records.ts               chunks of 1, 4, 16 and 256 bytes, 5 rounds each
 *   node bench/fastcgi-records.ts --rounds 9
 */
import { parseArgs } from 'node:util';
import { RecordParser, RecordType, encodeRecord } from '../main/engine/upstreams/handler/fastcgi/records.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Math.max(1, Number(values.rounds));
const record = encodeRecord(RecordType.Stdout, 1, Buffer.alloc(65535, 0x78));

/** CPU ms to parse `record` pushed `size` bytes at a time (the chunks are cut beforehand). */
function once(size: number): number {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < record.length; offset += size)
    chunks.push(Buffer.from(record.subarray(offset, offset + size)));
  const parser = new RecordParser();
  const start = process.cpuUsage();
  let records = 0;
  for (const chunk of chunks) records += parser.push(chunk).length;
  const used = process.cpuUsage(start);
  if (records !== 1) throw new Error(`parsed ${records} records, expected 1`);
  return (used.user + used.system) / 1000;
}

console.log('chunk bytes | chunks | CPU ms per 64 KiB record (median of rounds)');
for (const size of [1, 4, 16, 256]) {
  once(size); // warm-up
  const times = Array.from({ length: ROUNDS }, () => once(size)).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(
    `${String(size).padStart(11)} | ${String(Math.ceil(record.length / size)).padStart(6)} | ${median.toFixed(1)}`,
  );
}
