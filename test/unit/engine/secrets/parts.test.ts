import { describe, expect, it } from 'vitest';
import { joinParts, layoutOf, splitParts } from '../../../../main/engine/secrets/parts.ts';

describe('a secret kept in parts', () => {
  it('is one entry as it is when it fits, and a header plus parts that each fit when it does not', () => {
    expect(splitParts('k', 'short', 100)).toEqual({ entries: ['short'], layout: { count: 1 } });
    expect(splitParts('k', 'x'.repeat(5000), undefined).entries).toEqual(['x'.repeat(5000)]);
    const value = JSON.stringify({ tokens: { access_token: 'a'.repeat(900), refresh_token: 'r'.repeat(800) } });
    const { entries, layout } = splitParts('oauth-1', value, 100);
    expect(entries.length).toBeGreaterThan(20);
    for (const entry of entries) expect(entry.length).toBeLessThanOrEqual(100);
    expect(layoutOf(entries[0]!)).toEqual(layout);
    expect(layout).toEqual({ count: entries.length, generation: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(joinParts(entries[0]!, entries.slice(1))).toBe(value);
  });

  it('is written under a new generation each time, so two writes never share a part', () => {
    const first = splitParts('k', 'y'.repeat(500), 100).layout;
    const second = splitParts('k', 'y'.repeat(500), 100).layout;
    expect(first).not.toEqual(second);
  });

  it('never cuts between the halves of a character outside the BMP', () => {
    const value = '🔑'.repeat(400);
    const { entries } = splitParts('k', value, 101);
    for (const entry of entries) expect(entry).toBe(entry.toWellFormed());
    expect(joinParts(entries[0]!, entries.slice(1))).toBe(value);
  });

  it('is nothing when a part is missing, and a value that would read as a header is refused', () => {
    const { entries } = splitParts('k', 'y'.repeat(500), 100);
    const rest: (string | null)[] = entries.slice(1);
    rest[2] = null;
    expect(joinParts(entries[0]!, rest)).toBeUndefined();
    expect(() => splitParts('k', entries[0]!, 100)).toThrow('cannot begin with U+2063');
    expect(layoutOf('plain value')).toEqual({ count: 1 });
  });
});
