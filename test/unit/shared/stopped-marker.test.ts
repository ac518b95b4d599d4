import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearStopped, describeStopped, markStopped, readStopped } from '../../../main/shared/stopped-marker.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function runtimeFile(): string {
  const base = mkdtempSync(path.join(os.tmpdir(), 'sb-stopped-'));
  dirs.push(base);
  return path.join(base, 'state', 'run', 'stopped');
}

describe('the "stopped on purpose" marker', () => {
  it('is written into a private runtime directory made for it, read back, and cleared', async () => {
    const file = runtimeFile();
    expect(await readStopped(file)).toBeUndefined();
    await markStopped(file, '`switchboard stop`', new Date('2026-12-05T10:00:00Z'));
    if (process.platform !== 'win32') {
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(await readStopped(file)).toEqual({ at: '2026-12-05T10:00:00.000Z', by: '`switchboard stop`' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ by: '`switchboard stop`' });
    await clearStopped(file);
    await clearStopped(file);
    expect(await readStopped(file)).toBeUndefined();
  });

  it('still counts when its content is not what it should be', async () => {
    const file = runtimeFile();
    await markStopped(file, 'x');
    writeFileSync(file, 'not json');
    expect(await readStopped(file)).toEqual({ at: '', by: 'an unknown command' });
    writeFileSync(file, JSON.stringify({ at: 5, by: 'y'.repeat(500) }));
    expect(await readStopped(file)).toEqual({ at: '', by: 'y'.repeat(200) });
  });

  it('says how and when, with the date only when it was not today', () => {
    const today = new Date();
    today.setHours(9, 5, 0, 0);
    expect(describeStopped({ at: today.toISOString(), by: 'Quit in the Switchboard app' })).toMatch(
      /^Quit in the Switchboard app at 0?9.05/,
    );
    const earlier = new Date('2020-01-02T09:05:00');
    expect(describeStopped({ at: earlier.toISOString(), by: 'b' })).toContain(earlier.toLocaleDateString());
    expect(describeStopped({ at: '', by: 'an unknown command' })).toBe('an unknown command');
  });
});
