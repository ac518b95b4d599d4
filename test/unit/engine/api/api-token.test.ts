import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { API_TOKEN_FILE, apiTokenPath, ensureApiToken } from '../../../../main/engine/api/api-token.ts';

const posix = process.platform !== 'win32';

describe('ensureApiToken', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sb-api-token-'));
    dir = path.join(root, 'run');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the private directory and a 0600 api-token file with 64 hex characters, then reuses it', async () => {
    const token = await ensureApiToken(dir);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(apiTokenPath(dir)).toBe(path.join(dir, API_TOKEN_FILE));
    expect((await readFile(apiTokenPath(dir), 'utf8')).trim()).toBe(token);
    if (posix) {
      expect((await lstat(dir)).mode & 0o777).toBe(0o700);
      expect((await lstat(apiTokenPath(dir))).mode & 0o777).toBe(0o600);
    }
    await expect(ensureApiToken(dir)).resolves.toBe(token);
    // It is not the shim's token file.
    await expect(lstat(path.join(dir, 'token'))).rejects.toThrow(/ENOENT/);
  });

  it('concurrent first calls agree on one token', async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, () => ensureApiToken(dir)));
    expect(new Set(tokens).size).toBe(1);
    expect((await readFile(apiTokenPath(dir), 'utf8')).trim()).toBe(tokens[0]);
  });

  it.runIf(posix)('replaces a token file others can read, or one that is not a token', async () => {
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700);
    const shared = 'a'.repeat(64);
    await writeFile(apiTokenPath(dir), shared, { mode: 0o644 });
    const token = await ensureApiToken(dir);
    expect(token).not.toBe(shared);
    expect((await lstat(apiTokenPath(dir))).mode & 0o777).toBe(0o600);

    await writeFile(apiTokenPath(dir), 'not a token', { mode: 0o600 });
    const again = await ensureApiToken(dir);
    expect(again).toMatch(/^[0-9a-f]{64}$/);
    expect((await readFile(apiTokenPath(dir), 'utf8')).trim()).toBe(again);
  });

  it.runIf(posix)('never follows a symlink planted as the token file', async () => {
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700);
    const elsewhere = path.join(root, 'elsewhere');
    await writeFile(elsewhere, `${'b'.repeat(64)}\n`, { mode: 0o600 });
    await symlink(elsewhere, apiTokenPath(dir));
    const token = await ensureApiToken(dir);
    expect(token).not.toBe('b'.repeat(64));
    expect((await lstat(apiTokenPath(dir))).isSymbolicLink()).toBe(false);
    expect((await readFile(elsewhere, 'utf8')).trim()).toBe('b'.repeat(64));
  });

  it.runIf(posix)('refuses a directory others can enter', async () => {
    await mkdir(dir);
    await chmod(dir, 0o755);
    await expect(ensureApiToken(dir)).rejects.toThrow(/mode 0755, it must be 0700/);
  });
});
