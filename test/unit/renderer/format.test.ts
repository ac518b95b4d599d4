import { describe, expect, it } from 'vitest';
import {
  dateTime,
  dated,
  dayOf,
  pretty,
  serverSaidOf,
  stamp,
  toolFailure,
  toolFailureOf,
  holdsUnseen,
  unhidden,
} from '../../../renderer/src/lib/format.ts';

describe('when a recorded exchange began, as the screens say it', () => {
  const today = dayOf(new Date(2026, 11, 6, 9, 30).getTime());

  it('gives the time of day alone for today, the day first for another day, and the year for another year', () => {
    expect(stamp(new Date(2026, 11, 6, 0, 0, 0, 5).getTime(), today)).toBe('00:00:00.005');
    expect(stamp(new Date(2026, 11, 5, 23, 59, 58, 120).getTime(), today)).toBe('Dec 5 23:59:58');
    expect(stamp(new Date(2026, 11, 7, 0, 0, 1).getTime(), today)).toBe('Dec 7 00:00:01');
    expect(stamp(new Date(2025, 11, 31, 23, 59, 58).getTime(), today)).toBe('Dec 31 2025 23:59:58');
  });

  it('gives the whole date where there is room', () => {
    const before = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();
    expect(dateTime(before)).toBe('2026-01-02 03:04:05.006');
    expect(dated(before, today)).toBe('2026-01-02 03:04:05.006');
    expect(dated(new Date(2026, 11, 6, 23, 59, 59, 999).getTime(), today)).toBe('23:59:59.999');
  });
});

describe('a tool that failed with its result', () => {
  it("says what the tool said when its result is marked isError, and nothing for a tool's answer", () => {
    const text = (t: string) => ({ type: 'text', text: t });
    expect(toolFailure({ content: [text('no such repo'), { type: 'image' }, text('try again')], isError: true })).toBe(
      'no such repo try again',
    );
    expect(toolFailure({ isError: true })).toBe('');
    expect(toolFailure({ content: [text('x'.repeat(400))], isError: true })).toBe(`${'x'.repeat(300)}…`);
    expect(toolFailure({ content: [text('fine')] })).toBeUndefined();
    expect(toolFailure({ content: [text('fine')], isError: 'yes' })).toBeUndefined();
    expect(toolFailure(null)).toBeUndefined();
    expect(toolFailureOf('{"content":[{"type":"text","text":"denied"}],"isError":true}')).toBe('denied');
    // A response cut at the size limit is not JSON: nothing is said (its text shows below).
    expect(toolFailureOf('{"content":[{"type":"text","text":"den…[truncated: 70000 bytes in all]')).toBeUndefined();
    expect(toolFailureOf(undefined)).toBeUndefined();
  });
});

describe('what a failed server said, beside its error', () => {
  it("reads a handler's status, reply and stderr as text, a JSON reply pretty-printed", () => {
    const error = { code: -32603, message: 'server "php": handler answered HTTP 500' };
    const detail = {
      status: 500,
      reply: '<h1>Oops\u202e</h1>',
      replyTruncated: true,
      stderr: 'PHP Fatal error: x\nStack',
    };
    expect(serverSaidOf(JSON.stringify({ error, detail }))).toEqual({
      status: 500,
      reply: '<h1>Oops\\u202e</h1>',
      replyCut: true,
      stderr: 'PHP Fatal error: x\nStack',
    });
    expect(serverSaidOf(JSON.stringify({ error, detail: { status: 401, reply: { error: 'no' } } }))).toEqual({
      status: 401,
      reply: '{\n  "error": "no"\n}',
    });
    expect(serverSaidOf(JSON.stringify({ error, detail: { status: 500, reply: '' } }))).toEqual({
      status: 500,
      reply: '',
    });
    expect(serverSaidOf(JSON.stringify({ error }))).toBeUndefined();
    // A response cut at the size limit is not JSON: its text shows as it is, above.
    expect(
      serverSaidOf('{"error":{"code":-32603},"detail":{"reply":"<h1>…[truncated: 70000 bytes in all]'),
    ).toBeUndefined();
    expect(serverSaidOf(undefined)).toBeUndefined();
  });
});

describe('text a client or a server wrote, as the screens show it', () => {
  it('writes controls and bidi overrides as \\uXXXX, and leaves other text, tabs and line breaks alone', () => {
    expect(unhidden('gro.live\u202e x \u2066y\u2069 \u009b2J \u0007 \u007f \u061c')).toBe(
      'gro.live\\u202e x \\u2066y\\u2069 \\u009b2J \\u0007 \\u007f \\u061c',
    );
    expect(unhidden('a\tb\nc\r\n שלום 😀 ü')).toBe('a\tb\nc\r\n שלום 😀 ü');
  });

  it('finds such a character in any string of a question, a key too, but not in right-to-left text', () => {
    expect(holdsUnseen({ message: 'ok', schema: { properties: { a: { enum: ['x', 'gro.live\u202e'] } } } })).toBe(true);
    expect(holdsUnseen({ properties: { 'a\u2067': {} } })).toBe(true);
    expect(holdsUnseen({ message: 'שלום עולם', title: 'مرحبا', n: 3, ok: true, none: null })).toBe(false);
  });

  it('keeps a payload the same JSON: what it escapes is a JSON escape, also in a payload cut short', () => {
    const json = JSON.stringify({ 'k\u202e': 'pay \u202egro.live \u0085' });
    const shown = pretty(json);
    expect(shown).not.toMatch(/[\u202e\u0085]/);
    expect(JSON.parse(shown)).toEqual(JSON.parse(json));
    expect(pretty(json.slice(0, 20))).toBe(unhidden(json.slice(0, 20)));
    expect(pretty(json.slice(0, 20))).toContain('\\u202e');
  });
});
