import { describe, expect, it } from 'vitest';
import { printableLines } from '../../../main/cli/format.ts';

describe('printableLines', () => {
  it('escapes what a terminal acts on and keeps line breaks and tabs', () => {
    expect(printableLines('a\tb\r\nc\nd\re\u001b[1Af\u009b2Jg\u202eh\u007f\u200fi')).toBe(
      'a\tb\r\nc\nd\\u000de\\u001b[1Af\\u009b2Jg\\u202eh\\u007f\\u200fi',
    );
  });

  it('leaves JSON valid and meaning the same (JSON.stringify leaves C1 controls and bidi overrides raw)', () => {
    const value = { text: 'x\u0085\u009b31m\u2066y\u0000', list: [1, '\u202d'] };
    const json = JSON.stringify(value, null, 2);
    expect(json).toMatch(/[\u0085\u009b\u2066\u202d]/);
    const shown = printableLines(json);
    expect(shown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(shown)).toEqual(value);
  });
});
