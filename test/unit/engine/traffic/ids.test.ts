import { describe, expect, it } from 'vitest';
import { cursorKey, ExchangeIds, firstKeyAt, idOfKey, keyOfId } from '../../../../main/engine/traffic/ids.ts';

const T = Date.UTC(2026, 11, 5, 8);

describe('exchange ids', () => {
  it('sort as text the way their keys sort as numbers, and stand for their key', () => {
    const ids = new ExchangeIds();
    const made = [T, T, T + 1, T + 60_000, T + 86_400_000 * 365 * 60].map((ms) => ids.next(ms));
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    for (const id of made) expect(idOfKey(keyOfId(id)!)).toBe(id);
    expect(keyOfId(made[0]!)).toBe(firstKeyAt(T));
  });

  it('never go back: a clock set back, and more than 4096 in a millisecond, borrow from later', () => {
    const ids = new ExchangeIds();
    const before = ids.next(T);
    expect(ids.next(T - 3_600_000) > before).toBe(true);
    let last = '';
    for (let i = 0; i < 5000; i++) {
      const id = ids.next(T);
      expect(id > last).toBe(true);
      last = id;
    }
    expect(keyOfId(last)).toBeGreaterThanOrEqual(firstKeyAt(T + 1));
  });

  it('continue after the newest key a history holds, unless it is more than a year ahead', () => {
    const ids = new ExchangeIds();
    const kept = firstKeyAt(T + 86_400_000);
    ids.after(kept, T);
    expect(keyOfId(ids.next(T))).toBe(kept + 1);
    const far = new ExchangeIds();
    far.after(firstKeyAt(T + 400 * 86_400_000), T);
    expect(keyOfId(far.next(T))).toBe(firstKeyAt(T));
  });

  it('count from 0 for a clock before 2026, and stop growing (not wrap) at 2^53', () => {
    const ids = new ExchangeIds();
    expect(keyOfId(ids.next(Date.UTC(2025, 0, 1)))).toBe(0);
    expect(keyOfId(ids.next(Date.UTC(2025, 0, 1)))).toBe(1);
    const end = new ExchangeIds();
    const last = end.next(Date.UTC(2200, 0, 1));
    expect(keyOfId(last)).toBe(Number.MAX_SAFE_INTEGER);
    expect(end.next(Date.UTC(2200, 0, 1))).toBe(last);
  });

  it('refuse texts that are not ids, and a cursor that is not one says so', () => {
    for (const text of ['', 'abc', 'ABCDEFGHIJK', 'zzzzzzzzzzz', '0000000000-', '0000000000000']) {
      expect(keyOfId(text)).toBeUndefined();
    }
    expect(() => cursorKey('page-2')).toThrow(/traffic cursor "page-2" is not an exchange id/);
    // Named as the API names the fields it checks, so a caller can tell which argument was wrong.
    expect(() => cursorKey('page-2')).toThrow(
      expect.objectContaining({ code: 'invalid_request', field: 'filter.cursor' }),
    );
  });
});
