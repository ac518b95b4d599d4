/**
 * Rounds of one scale step merged into one point: the median of each measured number, counts
 * (calls, failures) added up, lists (per-change timings, error texts) joined.
 */
import { median } from './stats.ts';

/** Keys that count events: summed over rounds, never a median. */
const COUNTS = new Set(['calls', 'failed', 'resets', 'misrouted', 'wrong']);

type Value = number | string | boolean | Value[] | { [k: string]: Value } | undefined;

function merge(values: Value[], key: string): Value {
  const first = values[0];
  if (typeof first === 'number') {
    const nums = values as number[];
    return COUNTS.has(key) ? nums.reduce((a, b) => a + b, 0) : (median(nums) ?? NaN);
  }
  if (Array.isArray(first)) return (values as Value[][]).flat();
  if (first && typeof first === 'object') {
    const out: Record<string, Value> = {};
    for (const k of Object.keys(first))
      out[k] = merge(
        values.map((v) => (v as Record<string, Value>)[k]),
        k,
      );
    return out;
  }
  return first;
}

/** One point from the rounds of a step (all of the same shape). */
export function mergeRounds<T extends object>(rounds: T[]): T {
  if (rounds.length === 1) return rounds[0] as T;
  return merge(rounds as unknown as Value[], '') as unknown as T;
}
