import { describe, expect, it } from 'vitest';
import { holdsUnseenChar, showUnseen, showUnseenInLines } from '../../../preload/contract/index.ts';

/** Every Bidi_Control character of Unicode: each can make text read in another order than it is. */
const BIDI_CONTROLS = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e'];
const ISOLATES = ['\u2066', '\u2067', '\u2068', '\u2069'];

describe('unseen characters', () => {
  it('shows every bidi control as its code, so "gro.live" cannot read as "evil.org"', () => {
    for (const c of [...BIDI_CONTROLS, ...ISOLATES]) {
      const code = `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      expect(showUnseen(`pay ${c}gro.live`)).toBe(`pay ${code}gro.live`);
      expect(showUnseenInLines(`pay ${c}gro.live`)).toBe(`pay ${code}gro.live`);
      expect(holdsUnseenChar(`pay ${c}gro.live`)).toBe(true);
    }
  });

  it('shows C0 and C1 controls and DEL as codes; on one line, tabs and line breaks too', () => {
    expect(showUnseen('a\tb\nc\u001b[2Kd\u009be\u007f')).toBe('a\\u0009b\\u000ac\\u001b[2Kd\\u009be\\u007f');
    expect(showUnseenInLines('a\tb\r\nc\nd\re\u001b[2K')).toBe('a\tb\r\nc\nd\\u000de\\u001b[2K');
  });

  it('leaves other text alone, right-to-left script included', () => {
    const text = 'שלום مرحبا naïve 🙂 "quoted" \\u202e';
    expect(showUnseen(text)).toBe(text);
    expect(holdsUnseenChar(text)).toBe(false);
  });
});
