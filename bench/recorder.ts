#!/usr/bin/env node
/**
 * `node bench/recorder.ts`: the traffic record's own CPU cost per forwarded tool call, measured in
 * one process without sockets, so a change to the recorder or the history store can be compared in
 * seconds with little noise. Each call records what the gateway records for HTTP→stdio: the
 * client's request and the upstream request it became (the tool's name rewritten, as the router
 * does), both answered with the same result, 16 per turn of the event loop.
 *
 *   node bench/recorder.ts              every variant, 200,000 calls each after 20,000 to warm up
 *   node bench/recorder.ts --calls 50000
 *
 * In the gateway the same work costs two to three times as much per call (`npm run bench`, target
 * 9): there it runs between socket reads and writes, with the rest of a call's garbage. Use this to
 * compare two versions of the code, and `npm run bench` for the figure that counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { TrafficEntry } from '../preload/contract/index.ts';
import { Redactor } from '../main/engine/secrets/redactor.ts';
import { TrafficLog, TrafficStore } from '../main/engine/traffic/index.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '200000' } } });
const CALLS = Math.max(1000, Number(values.calls));
const WARM_UP = 20_000;
const IN_FLIGHT = 16;

const session = {
  id: 'b5a3c1d2-1111-2222-3333-444455556666',
  transport: 'http',
  profile: 'default',
  clientInfo: { name: 'bench', version: '1.0.0' },
  protocolVersion: '2025-06-18',
};

type Variant = 'memory' | 'history';

function recordCalls(log: TrafficLog, from: number, count: number): void {
  const recorder = log.recorder;
  for (let i = from; i < from + count; i++) {
    const params = { name: 'echo', arguments: { text: `hello ${i}, a short echo payload of some size` } };
    const xid = recorder.begin({
      edge: 'client',
      direction: 'in',
      method: 'tools/call',
      params,
      target: 'echo',
      session,
    });
    const upstream = { ...params, name: 'echo' };
    const uid = recorder.begin({
      edge: 'upstream',
      direction: 'out',
      method: 'tools/call',
      params: upstream,
      target: 'echo',
      server: 'echo',
      parentId: xid,
      session,
    });
    const result = { content: [{ type: 'text', text: upstream.arguments.text }] };
    recorder.end(uid, { result });
    recorder.end(xid, { result });
  }
}

async function drive(work: (from: number, count: number) => void, calls: number): Promise<void> {
  for (let i = 0; i < calls; i += IN_FLIGHT) {
    work(i, Math.min(IN_FLIGHT, calls - i));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** CPU µs per call (user + system) of `work` over CALLS calls, after a warm-up. */
async function cpuPerCall(work: (from: number, count: number) => void, finish: () => void): Promise<number> {
  await drive(work, WARM_UP);
  finish();
  const before = process.cpuUsage();
  await drive(work, CALLS);
  finish();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / CALLS;
}

async function measureRecorder(variant: Variant, dir: string): Promise<number> {
  const redactor = new Redactor();
  const log = new TrafficLog({ version: 'bench', publish: () => {}, hasViewers: () => false });
  log.configure({ redact: (t) => redactor.redact(t), redactCutEnd: (t) => redactor.dropPartialAtEnd(t) });
  if (variant === 'history') {
    const file = path.join(dir, `${variant}.db`);
    log.useHistory(TrafficStore.open({ file, maxAgeMs: 3 * 86_400_000, maxBytes: 256 * 1024 * 1024 }));
  }
  try {
    return await cpuPerCall(
      (from, count) => recordCalls(log, from, count),
      () => log.flush(),
    );
  } finally {
    log.close();
  }
}

/** The history's writes alone: the two entries of a call, made beforehand, added and written. */
async function measureStore(dir: string): Promise<number> {
  const store = TrafficStore.open({ file: path.join(dir, 'store.db'), maxAgeMs: 3 * 86_400_000, maxBytes: 256 << 20 });
  const log = new TrafficLog({ version: 'bench' });
  recordCalls(log, 0, 1);
  const [upstream, client] = log.list({}).entries as [TrafficEntry, TrafficEntry];
  let key = store.lastKey() + 1;
  const idOf = (k: number): string => k.toString(36).padStart(11, '0');
  try {
    return await cpuPerCall(
      (from, count) => {
        for (let i = 0; i < count; i++) {
          const clientId = idOf(key++);
          store.add({ ...client, id: clientId });
          store.add({ ...upstream, id: idOf(key++), parentId: clientId });
        }
      },
      () => store.flush(),
    );
  } finally {
    store.close();
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-recorder-'));
try {
  const rows: [string, number][] = [
    ['recorder, memory ring only', await measureRecorder('memory', dir)],
    ['recorder with history (as the gateway runs it)', await measureRecorder('history', dir)],
    ['history writes alone (two rows)', await measureStore(dir)],
  ];
  console.log(`traffic record, CPU per forwarded call (${CALLS} calls, ${IN_FLIGHT} per turn):`);
  for (const [name, us] of rows) console.log(`  ${us.toFixed(2).padStart(6)} µs  ${name}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
