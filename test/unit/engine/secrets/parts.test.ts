import { describe, expect, it } from 'vitest';
import { joinParts, partCount, splitParts } from '../../../../main/engine/secrets/parts.ts';

describe('a secret kept in parts', () => {
  it('is one entry as it is when it fits, and a header plus parts that each fit when it does not', () => {
    expect(splitParts('k', 'short', 100)).toEqual(['short']);
    expect(splitParts('k', 'x'.repeat(5000), undefined)).toEqual(['x'.repeat(5000)]);
    const value = JSON.stringify({ tokens: { access_token: 'a'.repeat(900), refresh_token: 'r'.repeat(800) } });
    const parts = splitParts('oauth-1', value, 100);
    expect(parts.length).toBeGreaterThan(17);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(100);
    expect(partCount(parts[0]!)).toBe(parts.length);
    expect(joinParts('oauth-1', parts[0]!, parts.slice(1))).toBe(value);
  });

  it('never cuts between the halves of a character outside the BMP', () => {
    const value = '🔑'.repeat(400);
    const parts = splitParts('k', value, 101);
    for (const part of parts.slice(1)) expect(part).toBe(part.toWellFormed());
    expect(parts[0]).toBe(parts[0]!.toWellFormed());
    expect(joinParts('k', parts[0]!, parts.slice(1))).toBe(value);
  });

  it('says which part is missing, and refuses a value that would read as a header', () => {
    const parts = splitParts('k', 'y'.repeat(500), 100);
    const rest: (string | null)[] = parts.slice(1);
    rest[2] = null;
    expect(() => joinParts('k', parts[0]!, rest)).toThrow(
      `secret "k" is incomplete in the keychain (part 4 of ${parts.length} is missing): set it again`,
    );
    expect(() => splitParts('k', parts[0]!, 100)).toThrow('cannot begin with U+2063');
    expect(partCount('plain value')).toBe(1);
  });
});
