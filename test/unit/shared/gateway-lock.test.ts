import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireGatewayLock, readGatewayLock } from '../../../main/shared/gateway-lock.ts';

let dir: string;
let file: string;
const base = { version: 'test', configPath: '/x/config.json' };

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sb-lock-'));
  file = path.join(dir, 'gateway.lock');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A pid that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('gateway lock', () => {
  it('is taken whole, read back, updated and released', async () => {
    const got = await acquireGatewayLock(file, base);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await readGatewayLock(file)).toEqual({ running: true, info: expect.objectContaining({ pid: process.pid }) });
    await got.lock.update({ http: 'http://127.0.0.1:1/mcp' });
    expect((await readGatewayLock(file))?.info?.http).toBe('http://127.0.0.1:1/mcp');
    await got.lock.release();
    expect(await readGatewayLock(file)).toBeUndefined();
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('keeps the last of updates made at once (a reload that fixes the config and moves the listener)', async () => {
    const got = await acquireGatewayLock(file, base);
    if (!got.ok) throw new Error('not taken');
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        got.lock.update(i % 2 === 0 ? { http: `http://127.0.0.1:${i + 1}/mcp` } : { configError: `error ${i}` }),
      ),
    );
    // Each update wrote the whole record: one renamed into place after a later one put the older back.
    expect((await readGatewayLock(file))?.info).toMatchObject({
      http: 'http://127.0.0.1:39/mcp',
      configError: 'error 39',
    });
    await got.lock.release();
  });

  it('names the live holder instead of taking it', async () => {
    const holder = { ...base, pid: process.ppid, host: 'h', startedAt: 'then' };
    await fs.writeFile(file, JSON.stringify(holder));
    const got = await acquireGatewayLock(file, base);
    expect(got).toEqual({ ok: false, holder });
  });

  it('takes over a lock whose process is gone, or that is not a lock at all', async () => {
    await fs.writeFile(file, JSON.stringify({ ...base, pid: deadPid(), host: 'h', startedAt: 'then' }));
    expect((await readGatewayLock(file))?.running).toBe(false);
    const got = await acquireGatewayLock(file, base);
    expect(got.ok).toBe(true);
    if (got.ok) await got.lock.release();
    await fs.writeFile(file, 'garbage');
    expect((await acquireGatewayLock(file, base)).ok).toBe(true);
    expect(await fs.readdir(dir)).toEqual(['gateway.lock']);
  });

  it.runIf(process.platform === 'linux')('does not mistake a reused pid for the gateway', async () => {
    // Our own parent is alive, but it did not start at the time the lock says.
    await fs.writeFile(
      file,
      JSON.stringify({ ...base, pid: process.ppid, host: 'h', startedAt: 'then', processStart: '1' }),
    );
    expect((await readGatewayLock(file))?.running).toBe(false);
  });

  it.runIf(process.platform === 'linux')('counts a gateway that exited but was never reaped as gone', async () => {
    // `sleep 1` exits after its parent execs into `sleep 10`, which never reaps it: a zombie. (Had it
    // exited before the exec, on a busy machine, the shell would have reaped it: it must outlive the exec.)
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (c: Buffer) => resolve(String(c)))),
      );
      const stat = async () => fs.readFile(`/proc/${zombie}/stat`, 'utf8');
      while (!/\) Z /.test(await stat())) await new Promise((r) => setTimeout(r, 10));
      const start = (await stat()).split(') ')[1]!.split(' ')[19];
      await fs.writeFile(
        file,
        JSON.stringify({ ...base, pid: zombie, host: 'h', startedAt: 'then', processStart: start }),
      );
      expect((await readGatewayLock(file))?.running).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('never leaves two holders when many take it at once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => acquireGatewayLock(file, base)));
    // One process here, so all tries are ours: the first wins, the rest see it held by this pid.
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });
});
