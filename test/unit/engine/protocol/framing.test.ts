import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../../../main/engine/protocol/framing.ts';

function decoder(max = 1024) {
  const lines: string[] = [];
  const overflows: { bytes: number; head: string; tail: string }[] = [];
  const refused: { head: string; tail: string }[] = [];
  const d = new LineDecoder({
    maxLineBytes: max,
    onLine: (l) => lines.push(l),
    onOverflow: (bytes, head, tail) => overflows.push({ bytes, head, tail }),
    onNotUtf8: (head, tail) => refused.push({ head, tail }),
  });
  return { d, lines, overflows, refused };
}

describe('LineDecoder', () => {
  it('splits lines across chunk boundaries and ignores blank lines and CR', () => {
    const { d, lines } = decoder();
    d.push(Buffer.from('{"a":1}\n{"b"'));
    d.push(Buffer.from(':2}\r\n\n{"c":3}'));
    d.push(Buffer.from('\n'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const { d, lines } = decoder();
    const bytes = Buffer.from('{"t":"héllo ✓"}\n');
    d.push(bytes.subarray(0, 8));
    d.push(bytes.subarray(8));
    expect(lines).toEqual(['{"t":"héllo ✓"}']);
  });

  it('refuses a line that is not UTF-8 instead of decoding it with replacement characters', () => {
    const { d, lines, refused } = decoder();
    d.push(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":3,"result":{"t":"'), Buffer.from([0xff, 0xfe])]));
    d.push(Buffer.from('"}}\n{"ok":true}\n'));
    expect(lines).toEqual(['{"ok":true}']);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.head).toMatch(/^\{"jsonrpc":"2.0","id":3,/);
  });

  it('drops an over-long line, reports its size and edges, and carries on with the next', () => {
    const { d, lines, overflows } = decoder(100);
    d.push(Buffer.from('{"jsonrpc":"2.0","id":7,"result":{"x":"'));
    for (let i = 0; i < 10; i++) d.push(Buffer.from('y'.repeat(50)));
    d.push(Buffer.from('"}}\n{"ok":true}\n'));
    expect(lines).toEqual(['{"ok":true}']);
    expect(overflows).toHaveLength(1);
    expect(overflows[0]!.bytes).toBe(39 + 500 + 3);
    expect(overflows[0]!.head).toMatch(/^\{"jsonrpc":"2.0","id":7,/);
    expect(overflows[0]!.tail.endsWith('"}}')).toBe(true);
  });

  it('handles a 16 MiB message arriving in 64 KiB chunks in linear time', () => {
    const { d, lines } = decoder(32 * 1024 * 1024);
    const payload = Buffer.from(`{"data":"${'z'.repeat(16 * 1024 * 1024)}"}\n`);
    for (let i = 0; i < payload.length; i += 64 * 1024) d.push(payload.subarray(i, i + 64 * 1024));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBe(payload.length - 1);
  });
});
