/**
 * The GETs that open a remote server's event stream are paced: a server that ends its stream as
 * soon as it opens (or asks for `retry: 0`) is not asked again in a tight loop. POSTs are never held.
 */
import { describe, expect, it } from 'vitest';
import { pacedStreamOpens } from '../../../../../main/engine/upstreams/mcp-http/wire.ts';

function harness() {
  let time = 0;
  const waits: number[] = [];
  const log: string[] = [];
  const clock = {
    now: () => time,
    sleep: async (ms: number) => {
      waits.push(ms);
      time += ms;
    },
  };
  const fetch = pacedStreamOpens(
    async () => new Response(null, { status: 200 }),
    (l) => log.push(l),
    clock,
  );
  const open = (method = 'GET') => fetch('http://127.0.0.1/mcp', { method });
  return { open, waits, log, advance: (ms: number) => (time += ms) };
}

describe('pacedStreamOpens', () => {
  it('reopens in a row wait 1 s, 2 s, 4 s … up to 30 s, and says so once at the top', async () => {
    const h = harness();
    for (let i = 0; i < 9; i++) await h.open();
    expect(h.waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(h.log).toEqual([expect.stringMatching(/keeps ending as soon as it opens; .* at most every 30 s/)]);
  });

  it('counts the time already passed, and starts over once a stream lived 30 s', async () => {
    const h = harness();
    await h.open();
    h.advance(400);
    await h.open();
    expect(h.waits).toEqual([600]);
    h.advance(30_000);
    await h.open();
    h.advance(5000);
    await h.open();
    expect(h.waits).toEqual([600]);
  });

  it('never holds a POST', async () => {
    const h = harness();
    await h.open();
    for (let i = 0; i < 5; i++) await h.open('POST');
    expect(h.waits).toEqual([]);
  });
});
