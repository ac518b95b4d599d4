import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../main/shared/lines.ts';

function collect(max = 1024) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const splitter = new LineSplitter(
    max,
    (l) => lines.push(l.toString()),
    (n) => overflows.push(n),
  );
  return { lines, overflows, splitter };
}

describe('LineSplitter', () => {
  it('splits lines across chunks and keeps the newline', () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from('{"a":1}\n{"b"'));
    splitter.push(Buffer.from(':2}\n\n  \n{"c":3}\r\n'));
    expect(lines).toEqual(['{"a":1}\n', '{"b":2}\n', '{"c":3}\r\n']);
  });

  it('skips over-long lines and keeps going', () => {
    const { lines, overflows, splitter } = collect(10);
    splitter.push(Buffer.from('0123456789'));
    splitter.push(Buffer.from('abc\nok\n'));
    splitter.push(Buffer.from('0123456789xyz\nfine\n'));
    expect(lines).toEqual(['ok\n', 'fine\n']);
    // Sizes are the lines' own, without the newline.
    expect(overflows).toEqual([13, 13]);
  });

  it('accepts a line of exactly the maximum', () => {
    const { lines, overflows, splitter } = collect(4);
    splitter.push(Buffer.from('abcd\n'));
    splitter.push(Buffer.from('ab'));
    splitter.push(Buffer.from('cd\n'));
    expect(lines).toEqual(['abcd\n', 'abcd\n']);
    expect(overflows).toEqual([]);
  });

  it('emits a last unterminated line at end, and reset drops a partial one', () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from('partial'));
    splitter.reset();
    splitter.push(Buffer.from('{"last":true}'));
    splitter.end();
    expect(lines).toEqual(['{"last":true}\n']);
  });
});
