import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStderrFeed } from '../../../../main/engine/api/stderr-feed.ts';
import type { LogLine } from '../../../../preload/contract/index.ts';

describe('the live stderr feed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows up to its limit per server per second, then one line saying how many were held back', () => {
    const lines: LogLine[] = [];
    const feed = createStderrFeed((line) => lines.push(line), { perSecond: 3 });
    for (let i = 1; i <= 10; i++) feed('noisy', `n${i}`);
    feed('quiet', 'q1');
    expect(lines.map((l) => `${l.server}:${l.source}:${l.text}`)).toEqual([
      'noisy:stderr:n1',
      'noisy:stderr:n2',
      'noisy:stderr:n3',
      'quiet:stderr:q1',
    ]);
    vi.advanceTimersByTime(1000);
    expect(lines.at(-1)).toMatchObject({
      server: 'noisy',
      source: 'gateway',
      level: 'warn',
      text: `7 more stderr lines of "noisy" were not shown live (over 3 a second); the server's log has them`,
    });
    // A new second, a new allowance.
    feed('noisy', 'n11');
    expect(lines.at(-1)).toMatchObject({ source: 'stderr', text: 'n11' });
  });
});
