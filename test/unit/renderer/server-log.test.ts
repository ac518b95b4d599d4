import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../preload/contract/index.ts';
import { clock } from '../../../renderer/src/lib/format.ts';
import { liveLogLines } from '../../../renderer/src/lib/server-log.ts';

const at = new Date(2026, 11, 6, 19, 41, 44, 483).getTime();
const line = (ms: number, text: string, source: LogLine['source'] = 'gateway'): LogLine => ({
  at: at + ms,
  level: 'info',
  server: 'fx',
  source,
  text,
});
const shown = (ms: number, text: string) => `${clock(at + ms)} ${text}`;

describe("a server's live log lines beside its fetched log", () => {
  it('leaves out what the fetched log holds: its state lines, and its notes written as [switchboard]', () => {
    const fetched = [
      shown(0, 'starting'),
      shown(824, '[switchboard] speaks the stateful protocol'),
      shown(829, 'ready'),
    ];
    const live = [line(0, 'starting'), line(823, 'speaks the stateful protocol'), line(829, 'ready')];
    expect(liveLogLines(fetched, live)).toEqual([]);
  });

  it('keeps a line the fetched log does not hold, and the same text again at another time (a restart)', () => {
    const fetched = [shown(0, 'starting'), shown(900, 'ready')];
    const live = [line(900, 'ready'), line(5000, 'starting'), line(5000, 'hello', 'stderr'), line(5800, 'ready')];
    expect(liveLogLines(fetched, live)).toEqual([shown(5000, 'starting'), shown(5000, 'hello'), shown(5800, 'ready')]);
  });

  it('takes one fetched line for one live line: two alike in the same millisecond, one fetched, one shows', () => {
    expect(liveLogLines([shown(3, 'x')], [line(3, 'x', 'stderr'), line(3, 'x', 'stderr')])).toEqual([shown(3, 'x')]);
  });
});
