/** What keys typed at `switchboard secrets set`'s hidden prompt do to the value. */
import { describe, expect, it } from 'vitest';
import { typeHidden } from '../../../main/cli/secrets.ts';

describe('typing a secret at the hidden prompt', () => {
  it('Enter ends the value; Ctrl-C cancels it', () => {
    expect(typeHidden('', 'abc\r')).toEqual({ value: 'abc', end: 'enter' });
    expect(typeHidden('ab', '\u0003')).toEqual({ value: 'ab', end: 'cancel' });
  });

  it('Ctrl-D ends a value like Enter, and cancels an empty one; it never becomes part of it', () => {
    expect(typeHidden('s3cret', '\u0004')).toEqual({ value: 's3cret', end: 'enter' });
    expect(typeHidden('', '\u0004')).toEqual({ value: '', end: 'cancel' });
  });

  it('Backspace takes back one character (a whole emoji too), Ctrl-U the whole line', () => {
    expect(typeHidden('ab🔑', '\u007f')).toEqual({ value: 'ab' });
    expect(typeHidden('abc', '\u0015x')).toEqual({ value: 'x' });
  });

  it('a paste of several lines is told apart from a line ended by Enter', () => {
    expect(typeHidden('', '-----BEGIN KEY-----\nMIIBOQ\n-----END KEY-----\n')).toEqual({
      value: '-----BEGIN KEY-----',
      end: 'lines',
    });
    expect(typeHidden('', 'one-line-paste\r\n')).toEqual({ value: 'one-line-paste', end: 'enter' });
  });

  it('arrow keys and other control characters are not kept', () => {
    expect(typeHidden('ab', '\u001b[A')).toEqual({ value: 'ab' });
    expect(typeHidden('ab', '\u0001c\t')).toEqual({ value: 'abc' });
  });
});
