/**
 * A handler that sends tens of MiB and then fails (hangs up mid-reply, or goes past
 * limits.maxResponseBytes): the error says so and keeps the start of the reply, and the gateway
 * makes no second copy of all it received to keep that start (its peak memory does not double).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpHandler, type TestServer } from '../../fixtures/handlers/servers.ts';
import { ROOT } from '../../fixtures/handlers/php-fpm.ts';

const MiB = 1024 * 1024;
/** Big enough to stand far above what the process's memory does otherwise. */
const SENT = 64 * MiB;

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** Answers the warm-up small; to the exchange under test, sends SENT bytes of a longer reply, then hangs up. */
async function bigThenHangUp(): Promise<TestServer> {
  const piece = Buffer.alloc(MiB, 'x');
  const s = await startHttpHandler((received, res) => {
    if (received.envelope.type === 'warm') return void res.end('{}');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * SENT) });
    let sent = 0;
    const pump = (): void => {
      while (sent < SENT) {
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      // Written out before the hang-up, so that all of it arrives.
      res.socket?.end(() => res.socket?.destroy());
    };
    pump();
  });
  servers.push(s);
  return s;
}

interface Outcome {
  code: string;
  message: string;
  rawLength: number;
  rawTruncated: boolean;
  peakRiseBytes: number;
}

/** One exchange from a process of its own (test/fixtures/handlers/reply-peak.ts). */
async function exchangeFromOwnProcess(url: string, maxReplyBytes: number): Promise<Outcome> {
  const script = path.join(ROOT, 'test/fixtures/handlers/reply-peak.ts');
  const { stdout } = await promisify(execFile)(process.execPath, [script, url, String(maxReplyBytes)], {
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Outcome;
}

describe('a handler that sends a large reply and then fails', () => {
  it('hanging up mid-reply: the error says how much came and keeps its first 4 KiB, not a copy of all', async () => {
    const s = await bigThenHangUp();
    const outcome = await exchangeFromOwnProcess(s.address, 4 * SENT);
    expect(outcome.code).toBe('upstream_closed');
    expect(outcome.message).toBe(
      `server "big": ${s.address} closed the connection mid-reply (HTTP 200, after ${SENT} bytes)`,
    );
    expect(outcome.rawLength).toBe(4096);
    expect(outcome.rawTruncated).toBe(true);
    // What arrived is held until the exchange ends (about 1.25 x SENT with its buffers); a copy of it all for
    // the error made that about 2.25 x.
    expect(outcome.peakRiseBytes).toBeLessThan(1.7 * SENT);
  });

  it('going past limits.maxResponseBytes: the same', async () => {
    const s = await bigThenHangUp();
    const limit = SENT - MiB;
    const outcome = await exchangeFromOwnProcess(s.address, limit);
    expect(outcome.code).toBe('message_too_large');
    expect(outcome.message).toBe(
      `server "big": the reply from ${s.address} is larger than ${limit} bytes (limits.maxResponseBytes)`,
    );
    expect(outcome.rawLength).toBe(4096);
    expect(outcome.rawTruncated).toBe(true);
    expect(outcome.peakRiseBytes).toBeLessThan(1.7 * limit);
  });
});
