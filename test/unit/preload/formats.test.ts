/**
 * The formats a question's form checks are those an MCP SDK server checks the answer against
 * (ajv-formats, full mode), tested side by side with ajv itself: what the app lets through, the
 * server accepts.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { STRING_FORMATS, localDateTime, pickerDateTime } from '../../../preload/contract/formats.ts';

const ajv = new Ajv();
(addFormats as unknown as (a: Ajv) => void)(ajv);

const samples: Record<string, string[]> = {
  email: ['ada@example.org', 'a.b+c@mail.example.co.uk', 'ada@localhost', 'ada@', '@x.org', 'a da@x.org', 'ada@-x.org'],
  // A link holds no space, no letter outside ASCII (ä is %C3%A4), and none of < > " { } | \\ ^ `.
  uri: [
    'https://example.com/a?b=c#d',
    'mailto:ada@example.org',
    'urn:isbn:0451450523',
    'https://[::1]:8080/x',
    'https://de.wikipedia.org/wiki/K%C3%A4se',
    'https://de.wikipedia.org/wiki/Käse',
    'https://exämple.com/',
    'https://example.com/a b',
    'https://example.com/<b>',
    'https://example.com/{id}',
    'https://example.com/a|b',
    'https://example.com/%zz',
    'https://example.com/#a#b',
    'example.com',
    'http://[::1',
  ],
  date: ['2026-12-05', '2026-02-29', '2024-02-29', '2026-13-01', '26-12-05'],
  'date-time': [
    '2026-12-05T14:30:00Z',
    '2026-12-05T14:30:00.5+01:00',
    '2026-12-05t14:30:00z',
    '2026-12-05T14:30',
    '2026-12-05T14:30:00',
    '2026-12-05T25:30:00Z',
    '2026-12-05T14:30:00+25:00',
  ],
};

describe('question form formats', () => {
  for (const [format, values] of Object.entries(samples)) {
    it(`${format}: accepts exactly what ajv-formats accepts`, () => {
      const validate = ajv.compile({ type: 'string', format });
      for (const value of values)
        expect([value, STRING_FORMATS[format]!.test(value)]).toEqual([value, validate(value)]);
    });
  }

  it("turns a date-time picker's local value into RFC 3339 with the user's offset, and leaves anything else", () => {
    expect(localDateTime('2026-12-05T14:30', () => 60)).toBe('2026-12-05T14:30:00+01:00');
    expect(localDateTime('2026-07-01T09:05:30', () => -330)).toBe('2026-07-01T09:05:30-05:30');
    expect(localDateTime('2026-12-05T14:30', () => 0)).toBe('2026-12-05T14:30:00+00:00');
    expect(localDateTime('2026-12-05T14:30:00Z', () => 60)).toBe('2026-12-05T14:30:00Z');
    expect(STRING_FORMATS['date-time']!.test(localDateTime('2026-12-05T14:30', () => 60))).toBe(true);
  });

  it("shows an RFC 3339 date and time in a date-time picker as the user's local time, and back unchanged", () => {
    expect(pickerDateTime('2026-12-24T10:30:00Z', () => 60)).toBe('2026-12-24T11:30');
    expect(pickerDateTime('2026-12-24T10:30:15+02:00', () => -330)).toBe('2026-12-24T03:00:15');
    expect(pickerDateTime('2026-12-31t23:30:00.25z', () => 60)).toBe('2027-01-01T00:30:00.250');
    expect(pickerDateTime('2026-12-24 10:30:00+0100', () => 0)).toBe('2026-12-24T09:30');
    // Nothing a picker can show: left for the form to start empty.
    for (const bad of ['2026-12-24T10:30', '2026-12-24', 'tomorrow', '2026-02-30T10:00:00Z', '9999-12-31T23:00:00Z'])
      expect([bad, pickerDateTime(bad, () => 60)]).toEqual([bad, undefined]);
    // What the picker shows is sent as the same moment.
    for (const [value, offset] of [
      ['2026-12-24T10:30:00Z', 60],
      ['2026-07-01T09:05:30-05:30', 120],
      ['2026-03-29T01:15:00+00:00', -480],
    ] as const) {
      const sent = localDateTime(
        pickerDateTime(value, () => offset)!,
        () => offset,
      );
      expect(Date.parse(sent)).toBe(Date.parse(value));
    }
  });
});
