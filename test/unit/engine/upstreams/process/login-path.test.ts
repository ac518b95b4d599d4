import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clearLoginShellPathCache,
  findExecutable,
  lookupCommand,
  mergePaths,
  resolveLoginShellPath,
} from '../../../../../main/engine/upstreams/process/login-path.ts';

const posix = process.platform !== 'win32';
let dir: string;

async function script(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sb-login-path-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => clearLoginShellPathCache());

describe.skipIf(!posix)('resolveLoginShellPath', () => {
  it('reads PATH from the login shell, ignores noise, merges with ours (login first)', async () => {
    // A fake "login shell": prints banner noise, sets PATH, then runs the -c script like sh.
    const shell = await script(
      'fake-shell',
      [
        'echo "Welcome! motd noise"',
        'printf "prompt%% "',
        'export PATH="/opt/login/bin:/usr/bin:/opt/login/bin"',
        'shift',
        'eval "$1"',
        'echo "trailing noise"',
      ].join('\n'),
    );
    const result = await resolveLoginShellPath({ shell, timeoutMs: 5000, platform: 'linux' });
    const entries = result.split(':');
    expect(entries.slice(0, 2)).toEqual(['/opt/login/bin', '/usr/bin']);
    expect(new Set(entries).size).toBe(entries.length);
    for (const e of (process.env.PATH ?? '').split(':').filter(Boolean)) expect(entries).toContain(e);
  });

  it('caches the answer per shell', async () => {
    const shell = await script('counting-shell', `echo x >> "${dir}/count"\nshift\nexport PATH=/cached\neval "$1"`);
    const a = resolveLoginShellPath({ shell, platform: 'linux' });
    const b = resolveLoginShellPath({ shell, platform: 'linux' });
    expect(a).toBe(b);
    expect((await a).startsWith('/cached:')).toBe(true);
  });

  it('falls back to our PATH on timeout, without waiting for the shell', async () => {
    const shell = await script('slow-shell', 'sleep 30');
    const started = Date.now();
    await expect(resolveLoginShellPath({ shell, timeoutMs: 200, platform: 'linux' })).resolves.toBe(process.env.PATH);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('asks a shell that did not answer again next time (a slow first start), and then remembers', async () => {
    const flag = path.join(dir, 'slow-once');
    await writeFile(flag, '');
    const shell = await script(
      'slow-once-shell',
      `if [ -e "${flag}" ]; then rm "${flag}"; sleep 5; fi\nshift\nexport PATH=/from/login\neval "$1"`,
    );
    await expect(resolveLoginShellPath({ shell, timeoutMs: 300, platform: 'linux' })).resolves.toBe(process.env.PATH);
    const second = resolveLoginShellPath({ shell, timeoutMs: 3000, platform: 'linux' });
    expect((await second).startsWith('/from/login:')).toBe(true);
    expect(resolveLoginShellPath({ shell, timeoutMs: 3000, platform: 'linux' })).toBe(second);
  });

  it('falls back on a non-zero exit, a missing shell, and on Windows', async () => {
    const failing = await script('failing-shell', 'echo broken; exit 3');
    await expect(resolveLoginShellPath({ shell: failing, platform: 'linux' })).resolves.toBe(process.env.PATH);
    await expect(resolveLoginShellPath({ shell: path.join(dir, 'no-such-shell'), platform: 'linux' })).resolves.toBe(
      process.env.PATH,
    );
    await expect(resolveLoginShellPath({ shell: '', platform: 'linux' })).resolves.toBe(process.env.PATH);
    await expect(resolveLoginShellPath({ shell: failing, platform: 'win32' })).resolves.toBe(process.env.PATH);
  });

  it('works with a real sh as login shell', async () => {
    const result = await resolveLoginShellPath({ shell: '/bin/sh', timeoutMs: 5000, platform: 'linux' });
    expect(result.length).toBeGreaterThan(0);
  });
});

describe('mergePaths', () => {
  it('keeps order, first wins, drops empties', () => {
    expect(mergePaths('/a:/b::/a', '/c:/b:')).toBe('/a:/b:/c');
    expect(mergePaths('C:\\a;C:\\b', 'C:\\b;C:\\c', ';')).toBe('C:\\a;C:\\b;C:\\c');
  });
});

describe.skipIf(!posix)('findExecutable', () => {
  it('finds a command on the given PATH, not ours', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'my-tool'), '#!/bin/sh\n');
    await chmod(path.join(bin, 'my-tool'), 0o755);
    expect(findExecutable('my-tool', `/nonexistent:${bin}`)).toBe(path.join(bin, 'my-tool'));
    expect(findExecutable('my-tool', process.env.PATH)).toBeUndefined();
    expect(findExecutable('sh', process.env.PATH)).toMatch(/\/sh$/);
    expect(findExecutable('definitely-not-a-command-xyz', process.env.PATH)).toBeUndefined();
    expect(findExecutable('sh', '')).toBeUndefined();
  });

  it('skips non-executable files and directories, and says why', async () => {
    const bin = path.join(dir, 'bin2');
    await mkdir(path.join(bin, 'a-dir'), { recursive: true });
    await writeFile(path.join(bin, 'plain'), 'not a program');
    expect(findExecutable('plain', bin)).toBeUndefined();
    expect(findExecutable('a-dir', bin)).toBeUndefined();
    expect(lookupCommand('plain', bin)).toEqual({ problem: 'not-executable', candidate: path.join(bin, 'plain') });
  });

  it('checks commands with a path separator directly (relative to cwd)', async () => {
    const tool = await script('direct-tool', 'true');
    expect(findExecutable(tool, '')).toBe(tool);
    expect(findExecutable('./direct-tool', '', process.platform, dir)).toBe(tool);
    expect(findExecutable(path.join(dir, 'missing'), process.env.PATH)).toBeUndefined();
  });
});
