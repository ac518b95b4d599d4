import { describe, expect, it } from 'vitest';
import { pageCrashPolicy } from '../../../../main/app/windows/page-crash.ts';

describe("the window's page gone", () => {
  it('loads it again, three times a minute at most, then closes the window; a page that ended cleanly is left', () => {
    const next = pageCrashPolicy();
    expect(next('clean-exit', 0)).toBe('none');
    expect([next('crashed', 0), next('oom', 10_000), next('killed', 20_000)]).toEqual(['reload', 'reload', 'reload']);
    expect(next('crashed', 30_000)).toBe('close');
    // A fresh window (the count starts over), and crashes a minute apart are each mended.
    expect(next('crashed', 40_000)).toBe('reload');
    expect([next('crashed', 110_000), next('crashed', 180_000), next('crashed', 250_000)]).toEqual([
      'reload',
      'reload',
      'reload',
    ]);
  });
});
