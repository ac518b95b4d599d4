/**
 * A web UI login's event stream (`/api/events`) lasts as long as the login, over real sockets
 * against a real gateway. The login was checked only when the stream opened, so a stream kept
 * receiving every event (traffic, logs, questions) after its login had run out unused, or had been
 * pushed out by newer ones, for as long as its connection lasted.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

/** How long a login may go unused here (12 hours in use). */
const IDLE_MS = 1500;

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  dir = await tempDir('sb-ui-streams-');
  gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: {} }), { uiSessionIdleMs: IDLE_MS });
  base = gateway.httpUrl()!.replace(/\/mcp$/, '');
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
  await dir?.cleanup();
});

async function login(): Promise<string> {
  const code = /#login=([A-Za-z0-9_-]+)$/.exec(gateway.uiLoginUrl()!)![1]!;
  const res = await fetch(`${base}/ui/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  return ((await res.json()) as { session: string }).session;
}

interface Stream {
  status: number;
  /** Whether the gateway has ended the stream. */
  ended(): boolean;
  whenEnded: Promise<void>;
  close(): void;
}

function openStream(secret: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/events`, { headers: { authorization: `Bearer ${secret}` } }, (res) => {
      let ended = false;
      const whenEnded = new Promise<void>((done) =>
        res.once('end', () => {
          ended = true;
          done();
        }),
      );
      res.resume();
      resolve({ status: res.statusCode ?? 0, ended: () => ended, whenEnded, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

const statusWith = async (secret: string) =>
  (await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${secret}` } })).status;

/** Resolves with 'ended' when the stream ends within `ms`, or 'open'. */
const endsWithin = (stream: Stream, ms: number) =>
  Promise.race([stream.whenEnded.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('open'), ms))]);

describe("a web UI login's event stream", () => {
  it('ends when its login runs out unused; a login in use keeps its stream', async () => {
    const idle = await login();
    const used = await login();
    const idleStream = await openStream(idle);
    const usedStream = await openStream(used);
    try {
      expect([idleStream.status, usedStream.status]).toEqual([200, 200]);
      // The page of the other login keeps calling.
      const using = setInterval(() => void statusWith(used), IDLE_MS / 5);
      try {
        expect(await endsWithin(idleStream, IDLE_MS * 3)).toBe('ended');
        expect(await statusWith(idle)).toBe(401);
        expect(await endsWithin(usedStream, IDLE_MS)).toBe('open');
      } finally {
        clearInterval(using);
      }
      // Once no longer used, it runs out too.
      expect(await endsWithin(usedStream, IDLE_MS * 3)).toBe('ended');
      expect(await statusWith(used)).toBe(401);
    } finally {
      idleStream.close();
      usedStream.close();
    }
  });

  it('ends when its login is pushed out by 64 newer ones', async () => {
    const first = await login();
    const stream = await openStream(first);
    try {
      expect(stream.status).toBe(200);
      for (let i = 0; i < 64; i++) await login();
      expect(await statusWith(first)).toBe(401);
      expect(await endsWithin(stream, 1000)).toBe('ended');
    } finally {
      stream.close();
    }
  });
});
