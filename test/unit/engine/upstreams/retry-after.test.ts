import { describe, expect, it } from 'vitest';
import { describeRetryAfter, parseRetryAfter } from '../../../../main/engine/upstreams/retry-after.ts';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');

  it('reads seconds and HTTP dates; a date gone by is no wait', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Dec 2026 12:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what is not one (absent, negative, a fraction, words, a bare date Date.parse would guess at)', () => {
    for (const value of [undefined, null, '', '-5', '1.5', 'soon', '2026-12-07', 'Sun, garbage'])
      expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('says the wait in seconds, minutes, or as over an hour', () => {
    expect(describeRetryAfter(1_500)).toBe('it asks to wait 2 s before trying again (Retry-After)');
    expect(describeRetryAfter(90_000)).toBe('it asks to wait 90 s before trying again (Retry-After)');
    expect(describeRetryAfter(150_000)).toBe('it asks to wait 3 min before trying again (Retry-After)');
    expect(describeRetryAfter(3_600_000)).toBe('it asks to wait 60 min before trying again (Retry-After)');
    expect(describeRetryAfter(7_200_000)).toBe('it asks to wait over an hour before trying again (Retry-After)');
  });
});
