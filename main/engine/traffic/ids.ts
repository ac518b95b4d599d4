/**
 * Exchange ids: an integer that grows with creation time, shown as 11 base36 digits so that the
 * text sorts as the number does. The number is the history's row key (an integer key is a third
 * cheaper to write than a text one); the text is what the API, the UI and cursors use.
 *
 *   key = (milliseconds since 2026-01-01 UTC) × 4096 + a counter within the millisecond
 *
 * 2^53 (the largest exact integer) allows 69 years of milliseconds at 4096 ids each (to 2095). Ids
 * never go back: a clock set back, or more than 4096 ids in a millisecond, borrows from the next one
 * (keys then run ahead of their start time; the history widens its time bounds by that, store.ts).
 * A clock before 2026 counts from key 0.
 */

import { GatewayError } from '../protocol/errors.ts';

const EPOCH_MS = Date.UTC(2026, 0, 1);
const PER_MS = 4096;
const WIDTH = 11;
/** Past this the key would not be an exact integer. */
const MAX_KEY = Number.MAX_SAFE_INTEGER;
/** A history's newest key further ahead of the clock than this is not continued after. */
const MAX_LEAD_MS = 366 * 24 * 60 * 60 * 1000;

/** Makes ids for one recorder; `after` raises the floor (the largest key a history already holds). */
export class ExchangeIds {
  private last = -1;

  /** A fresh id, larger than every id made before (and than the floor); past 2095 the last one repeats. */
  next(now = Date.now()): string {
    const key = Math.min(Math.max(this.last + 1, firstKeyAt(now)), MAX_KEY);
    this.last = key;
    return idOfKey(key);
  }

  /**
   * Ids made from now on are larger than `key` (the newest a history holds), unless that is more
   * than a year ahead of the clock: following a clock that was that wrong would use up the keys.
   * Those entries then sort after new ones until the clock passes them.
   */
  after(key: number, now = Date.now()): void {
    if (key > this.last && key <= firstKeyAt(now + MAX_LEAD_MS)) this.last = key;
  }
}

/** The smallest key made at `ms` (keys are never below 0: a clock before 2026 starts at 0). */
export function firstKeyAt(ms: number): number {
  return Math.min(Math.max(0, Math.floor(ms) - EPOCH_MS) * PER_MS, MAX_KEY);
}

export function idOfKey(key: number): string {
  return key.toString(36).padStart(WIDTH, '0');
}

/** The key an id stands for, or undefined for a text that is not an id. */
export function keyOfId(id: string): number | undefined {
  if (id.length !== WIDTH || !/^[0-9a-z]+$/.test(id)) return undefined;
  const key = parseInt(id, 36);
  return key <= MAX_KEY ? key : undefined;
}

/** Paging goes on below the cursor's key; a cursor that is not an id is refused, saying so. */
export function cursorKey(cursor: string): number {
  const key = keyOfId(cursor);
  if (key === undefined) {
    // The field, as the API's argument check names one: a form shows the refusal beside it.
    throw new GatewayError('invalid_request', `traffic cursor "${cursor.slice(0, 40)}" is not an exchange id`, {
      field: 'filter.cursor',
    });
  }
  return key;
}
