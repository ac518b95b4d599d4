import { afterEach, describe, expect, it } from 'vitest';
import { parseSince, parseUntil } from '../../../main/cli/traffic.ts';

const usage = (message: string) => new Error(message);
const zone = process.env.TZ;

afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('switchboard traffic --since', () => {
  it('reads a date, with or without a time, in the local time zone', () => {
    process.env.TZ = 'America/New_York';
    expect(parseSince('2026-12-04', usage)).toBe(Date.UTC(2026, 11, 4, 5));
    expect(parseSince('2026-12-04T10:00', usage)).toBe(Date.UTC(2026, 11, 4, 15));
    expect(parseSince('2026-12-04T10:00Z', usage)).toBe(Date.UTC(2026, 11, 4, 10));
    expect(parseSince('2026-12-04 10:00:30', usage)).toBe(Date.UTC(2026, 11, 4, 15, 0, 30));
    expect(parseSince('2028-02-29', usage)).toBe(Date.UTC(2028, 1, 29, 5));
  });

  it('reads a duration back from now, and refuses anything else saying what it takes', () => {
    const now = Date.UTC(2026, 11, 5, 12);
    expect(parseSince('15m', usage, now)).toBe(now - 15 * 60_000);
    expect(parseSince('1.5h', usage, now)).toBe(now - 90 * 60_000);
    expect(() => parseSince('yesterday', usage)).toThrow(/--since takes a duration .* got "yesterday"/);
    expect(() => parseSince('2026-13-45', usage)).toThrow('--since: there is no date 2026-13-45');
    expect(() => parseSince('2026-02-29', usage)).toThrow('--since: there is no date 2026-02-29');
    expect(() => parseSince('2026-02-30T10:00', usage)).toThrow('--since: there is no date 2026-02-30T10:00');
    expect(() => parseSince('2026-12-04T24:30', usage)).toThrow('--since: there is no date 2026-12-04T24:30');
  });

  it('refuses what is neither a duration nor a date, rather than read it as a day in 2001', () => {
    // Date.parse takes each of these as a date in 2001: the whole history would be listed.
    expect(() => parseSince('5', usage)).toThrow('--since 5 needs a unit: 5s, 5m, 5h or 5d ago');
    expect(() => parseUntil('90', usage)).toThrow('--until 90 needs a unit: 90s, 90m, 90h or 90d ago');
    for (const text of ['Dec 4', '4 Dec', '12/4', 'monday 5', '2026-12-04 junk', '2026-12-04Tnoon'])
      expect(() => parseSince(text, usage), text).toThrow(
        `--since takes a duration (15m, 2h, 3d), a time of day (10:00) or a date`,
      );
    process.env.TZ = 'America/New_York';
    expect(parseSince('2026-12-04T10:00:00.5', usage)).toBe(Date.UTC(2026, 11, 4, 15, 0, 0, 500));
    expect(parseSince('2026-12-04 10:00:30.25+01:00', usage)).toBe(Date.UTC(2026, 11, 4, 9, 0, 30, 250));
  });

  it('reads a time of day alone as the last time it was that time, and --until on the day --since starts', () => {
    process.env.TZ = 'America/New_York';
    // 2026-12-05 07:00 in New York.
    const now = Date.UTC(2026, 11, 5, 12);
    expect(parseSince('06:30', usage, now)).toBe(Date.UTC(2026, 11, 5, 11, 30));
    expect(parseSince('9:05:30', usage, now)).toBe(Date.UTC(2026, 11, 4, 14, 5, 30));
    // Not 23:00 tonight: yesterday's.
    expect(parseSince('23:00', usage, now)).toBe(Date.UTC(2026, 11, 5, 4));
    expect(parseUntil('06:45', usage, now)).toBe(Date.UTC(2026, 11, 5, 11, 46) - 1);
    const since = parseSince('23:00', usage, now);
    expect(parseUntil('23:30', usage, now, since)).toBe(Date.UTC(2026, 11, 5, 4, 31) - 1);
    // Past midnight: the next day.
    expect(parseUntil('01:00:00', usage, now, since)).toBe(Date.UTC(2026, 11, 5, 6, 0, 1) - 1);
    expect(() => parseSince('24:00', usage, now)).toThrow('--since: there is no time of day 24:00');
    expect(() => parseUntil('10:75', usage, now)).toThrow('--until: there is no time of day 10:75');
  });

  it('reads --until as --since does, a local date or time to its end', () => {
    process.env.TZ = 'America/New_York';
    const now = Date.UTC(2026, 11, 5, 12);
    expect(parseUntil('15m', usage, now)).toBe(now - 15 * 60_000);
    expect(parseUntil('2026-12-04', usage)).toBe(Date.UTC(2026, 11, 5, 5) - 1);
    expect(parseUntil('2026-12-04T10:05', usage)).toBe(Date.UTC(2026, 11, 4, 15, 6) - 1);
    expect(parseUntil('2026-12-04 10:05:30', usage)).toBe(Date.UTC(2026, 11, 4, 15, 5, 31) - 1);
    expect(parseUntil('2026-12-04T10:05Z', usage)).toBe(Date.UTC(2026, 11, 4, 10, 5));
    // The day clocks go back is 25 hours long.
    expect(parseUntil('2026-11-01', usage)).toBe(Date.UTC(2026, 10, 2, 5) - 1);
    expect(() => parseUntil('tomorrow', usage)).toThrow(/--until takes a duration .* got "tomorrow"/);
    expect(() => parseUntil('2026-02-29', usage)).toThrow('--until: there is no date 2026-02-29');
  });
});
