/**
 * An authorization server that trickles or floods its answers, over real sockets on 127.0.0.1:
 * each answer is read whole within a time and a size limit (small limits here), so a login or a
 * refresh fails saying why instead of hanging, or holding a flood in memory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedFetch } from '../../../main/engine/oauth/bounded-fetch.ts';
import { egressFetch } from '../../../main/engine/egress/fetch.ts';

describe('answers of an authorization server', () => {
  let server: Server;
  let base = '';
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/trickle') {
        // A byte a second, forever.
        const timer = setInterval(() => res.write(' '), 1000);
        timers.add(timer);
        res.on('close', () => clearInterval(timer));
        res.write('{');
        return;
      }
      if (req.url === '/flood') {
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        pump();
        return;
      }
      res.end('{"issuer":"fine"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    for (const timer of timers) clearInterval(timer);
    server.closeAllConnections();
    server.close();
  });

  const fetch = boundedFetch(egressFetch({ allowPrivateNetwork: false }), { timeoutMs: 800, maxBytes: 4096 });

  it('are read whole and passed on', async () => {
    const res = await fetch(`${base}/ok`);
    expect(await res.json()).toEqual({ issuer: 'fine' });
  });

  it('that trickle fail once the time is up, naming the server', async () => {
    await expect(fetch(`${base}/trickle`)).rejects.toThrow(`${base} did not answer within 0.8 s`);
  });

  it('that flood fail at the size limit, without holding the flood', async () => {
    await expect(fetch(`${base}/flood`)).rejects.toThrow(`${base} sent more than 4 KiB in one answer`);
  });
});
