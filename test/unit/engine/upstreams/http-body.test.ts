import { describe, expect, it } from 'vitest';
import { SseEventSplitter, Utf8Check, guardResponse } from '../../../../main/engine/upstreams/http-body.ts';

describe('Utf8Check', () => {
  const text = Buffer.from('a é ✓ 𝄞 z');

  it('accepts valid text split at every byte', () => {
    for (let cut = 0; cut <= text.length; cut++) {
      const check = new Utf8Check();
      expect(check.push(text.subarray(0, cut)) && check.push(text.subarray(cut)) && check.end()).toBe(true);
    }
  });

  it('accepts valid text fed one byte at a time', () => {
    const check = new Utf8Check();
    for (const byte of text) expect(check.push(Buffer.from([byte]))).toBe(true);
    expect(check.end()).toBe(true);
  });

  it('refuses invalid bytes, a character cut off by the end, and a stray continuation byte', () => {
    expect(new Utf8Check().push(Buffer.from([0x61, 0xff]))).toBe(false);
    const cut = new Utf8Check();
    expect(cut.push(Buffer.from([0x61, 0xe2, 0x9c]))).toBe(true);
    expect(cut.end()).toBe(false);
    const split = new Utf8Check();
    expect(split.push(Buffer.from([0xe2]))).toBe(true);
    expect(split.push(Buffer.from([0x28, 0x61]))).toBe(false);
    expect(new Utf8Check().push(Buffer.from([0x80, 0x80]))).toBe(false);
  });
});

describe('SseEventSplitter', () => {
  function split(max: number, ...chunks: string[]) {
    const events: string[] = [];
    const refused: { reason: string; bytes: number }[] = [];
    const s = new SseEventSplitter(
      max,
      (e) => events.push(e.toString()),
      (r) => refused.push({ reason: r.reason, bytes: r.bytes }),
    );
    for (const c of chunks) s.push(Buffer.from(c));
    return { events, refused, rest: s.end()?.toString() };
  }

  it('cuts whole events at blank lines in every line-ending style, across chunks', () => {
    const { events, rest } = split(100, 'data: a\n\ndata: b\r', '\n\r\ndata: c\r\rdata: d\n', '\ndata: e');
    expect(events).toEqual(['data: a\n\n', 'data: b\r\n\r\n', 'data: c\r\r', 'data: d\n\n']);
    expect(rest).toBe('data: e');
  });

  it('refuses an event over the limit with its full size, and keeps going', () => {
    const { events, refused } = split(20, 'data: ', 'x'.repeat(30), 'x'.repeat(30), '\n\ndata: ok\n\n');
    expect(refused).toEqual([{ reason: 'size', bytes: 6 + 60 + 2 }]);
    expect(events).toEqual(['data: ok\n\n']);
  });
});

describe('guardResponse', () => {
  const opts = (log: string[] = []) => ({ server: 'web', maxBytes: 64, requestId: 9, log: (l: string) => log.push(l) });

  it('turns an oversized response event into an error for its request, keeping its event id', async () => {
    const body = `id: e1\nevent: message\ndata: {"result":{"t":"${'x'.repeat(5000)}"},"jsonrpc":"2.0","id":4}\n\n`;
    const log: string[] = [];
    const guarded = await guardResponse(
      new Response(body + 'data: {"jsonrpc":"2.0","method":"n"}\n\n', {
        headers: { 'content-type': 'text/event-stream' },
      }),
      opts(log),
    );
    expect(guarded.whole).toBe(false);
    const text = await guarded.response.text();
    expect(text).toContain('id: e1\nevent: message\ndata: {"jsonrpc":"2.0","id":4,"error":{"code":-32003');
    expect(text).toContain('data: {"jsonrpc":"2.0","method":"n"}\n\n');
    expect(text).not.toContain('xxxx');
    expect(log[0]).toMatch(/dropped a \d+-byte message: over the 64-byte limit/);
  });

  it('says once when an event names an id (the stream can be resumed), never for data that mentions one', async () => {
    const seen = async (body: string): Promise<number> => {
      let calls = 0;
      const guarded = await guardResponse(new Response(body, { headers: { 'content-type': 'text/event-stream' } }), {
        ...opts(),
        maxBytes: 1000,
        onEventId: () => calls++,
      });
      await guarded.response.text();
      return calls;
    };
    expect(await seen('data: {"valid: no":1}\n\nevent: message\ndata: x\n\n')).toBe(0);
    expect(await seen('event: message\nid: 7\ndata: x\n\nid: 8\ndata: y\n\n')).toBe(1);
    expect(await seen('id: 1\r\ndata: x\r\n\r\n')).toBe(1);
  });

  it('drops an oversized notification event without answering anything', async () => {
    const body = `data: {"jsonrpc":"2.0","method":"notifications/message","params":{"d":"${'x'.repeat(5000)}"}}\n\n`;
    const guarded = await guardResponse(
      new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
      opts(),
    );
    expect(await guarded.response.text()).toBe('');
  });

  it('refuses a plain body past the limit, and one that is not UTF-8', async () => {
    let refused: unknown;
    const big = await guardResponse(new Response('x'.repeat(100)), {
      ...opts(),
      onRefused: (e) => (refused = e),
    });
    await expect(big.response.text()).rejects.toThrow(/over the 64-byte limit/);
    expect(refused).toMatchObject({ code: -32003 });
    const bad = await guardResponse(new Response(new Uint8Array([0x7b, 0xff, 0x7d])), opts());
    await expect(bad.response.text()).rejects.toThrow(/not valid UTF-8/);
  });
});
