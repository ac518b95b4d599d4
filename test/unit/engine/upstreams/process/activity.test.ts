import { describe, expect, it } from 'vitest';
import { cpuTimeMs } from '../../../../../main/engine/upstreams/process/activity.ts';

describe('cpuTimeMs (ps time column)', () => {
  it('reads the forms ps prints on macOS and Linux', () => {
    expect(cpuTimeMs('0:00.25')).toBe(250);
    expect(cpuTimeMs('1:02.50')).toBe(62_500);
    expect(cpuTimeMs('01:00:00')).toBe(3_600_000);
    expect(cpuTimeMs('2-00:00:01')).toBe(172_801_000);
  });
});
