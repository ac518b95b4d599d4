import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../../main/engine/secrets/redactor.ts';
import { StderrLog, createStderrLog } from '../../../../../main/engine/upstreams/process/stderr-log.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sb-stderr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b = (s: string): Buffer => Buffer.from(s);

describe('StderrLog ring', () => {
  it('splits lines across chunk boundaries and keeps the partial last line', () => {
    const log = new StderrLog({ name: 's' });
    log.write(b('hel'));
    expect(log.lines()).toEqual(['hel']);
    log.write(b('lo\nwor'));
    log.write(b('ld\r\n\nnext'));
    expect(log.lines()).toEqual(['hello', 'world', '', 'next']);
    expect(log.tail(2)).toEqual(['', 'next']);
    expect(log.tail(0)).toEqual([]);
  });

  it("keeps a note of ours as a line of its own, even in the middle of a server's line, and not told live", () => {
    const live: string[] = [];
    const log = new StderrLog({ name: 's', onLine: (line) => live.push(line) });
    log.write(b('loading'));
    log.note('server "s" speaks the stateful protocol');
    log.write(b(' done\n'));
    expect(log.lines()).toEqual(['[switchboard] server "s" speaks the stateful protocol', 'loading done']);
    expect(live).toEqual(['loading done']);
  });

  it('does not break multi-byte characters split between chunks', () => {
    const log = new StderrLog({ name: 's' });
    const bytes = b('héllo ✓\n');
    log.write(bytes.subarray(0, 2));
    log.write(bytes.subarray(2, 9));
    log.write(bytes.subarray(9));
    expect(log.lines()).toEqual(['héllo ✓']);
  });

  it('is bounded by line count', () => {
    const log = new StderrLog({ name: 's', maxLines: 3 });
    for (let i = 0; i < 2000; i++) log.write(b(`line ${i}\n`));
    expect(log.lines()).toEqual(['line 1997', 'line 1998', 'line 1999']);
  });

  it('is bounded by bytes', () => {
    const log = new StderrLog({ name: 's', maxLines: 1000, maxBytes: 100 });
    for (let i = 0; i < 100; i++) log.write(b(`${String(i).padStart(9, '0')}\n`)); // 10 bytes a line
    const lines = log.lines();
    expect(lines.length).toBe(10);
    expect(lines.at(-1)).toBe('000000099');
  });

  it('truncates a huge line with a marker, also when it arrives in pieces', () => {
    const log = new StderrLog({ name: 's', maxLineBytes: 10 });
    log.write(b('x'.repeat(25)));
    log.write(b('y'.repeat(25) + '\nok\n'));
    expect(log.lines()).toEqual(['xxxxxxxxxx …[truncated 40 bytes]', 'ok']);
    log.write(b('z'.repeat(12)));
    expect(log.lines().at(-1)).toBe('zzzzzzzzzz …[truncated 2 bytes]');
  });

  it('copies input (callers may reuse their buffers)', () => {
    const log = createStderrLog({ name: 's' });
    const chunk = b('abc');
    log.write(chunk);
    chunk.fill(0x21);
    log.write(b('\n'));
    expect(log.lines()).toEqual(['abc']);
  });
});

describe('StderrLog file', () => {
  it('writes everything to <dir>/<name>.log and closes', async () => {
    const log = new StderrLog({ name: 'srv', dir });
    log.write(b('one\n'));
    log.write(b('two\n'));
    await log.close();
    expect(log.file).toBe(path.join(dir, 'srv.log'));
    expect(await readFile(path.join(dir, 'srv.log'), 'utf8')).toBe('one\ntwo\n');
    expect(log.fileError).toBeUndefined();
  });

  it('rotates at fileMaxBytes and keeps .1 .2 .3', async () => {
    const sub = path.join(dir, 'rot');
    const log = new StderrLog({ name: 'r', dir: sub, fileMaxBytes: 100 });
    const current = async () => {
      try {
        return await readFile(path.join(sub, 'r.log'), 'utf8');
      } catch {
        return '';
      }
    };
    for (let i = 0; i < 6; i++) {
      const line = `${String(i).repeat(59)}\n`;
      log.write(b(line)); // 60 bytes: every write past the first rotates
      // Each write on disk before the next (writes queued together are written as one batch).
      const deadline = Date.now() + 5000;
      while ((await current()) !== line && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    }
    await log.close();
    expect((await readdir(sub)).sort()).toEqual(['r.log', 'r.log.1', 'r.log.2', 'r.log.3']);
    expect(await readFile(path.join(sub, 'r.log'), 'utf8')).toBe(`${'5'.repeat(59)}\n`);
    expect(await readFile(path.join(sub, 'r.log.1'), 'utf8')).toBe(`${'4'.repeat(59)}\n`);
    expect(await readFile(path.join(sub, 'r.log.3'), 'utf8')).toBe(`${'2'.repeat(59)}\n`);
  });

  it('appends to an existing file and counts its size towards rotation', async () => {
    const sub = path.join(dir, 'append');
    await rm(sub, { recursive: true, force: true });
    const first = new StderrLog({ name: 'a', dir: sub, fileMaxBytes: 10 });
    first.write(b('12345678\n'));
    await first.close();
    const second = new StderrLog({ name: 'a', dir: sub, fileMaxBytes: 10 });
    second.write(b('abc\n'));
    await second.close();
    expect(await readFile(path.join(sub, 'a.log'), 'utf8')).toBe('abc\n');
    expect(await readFile(path.join(sub, 'a.log.1'), 'utf8')).toBe('12345678\n');
  });

  it('keeps the ring and remembers the error when the file cannot be written', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const log = new StderrLog({ name: 'e', dir: path.join(blocker, 'sub') });
    log.write(b('still here\n'));
    await log.close();
    expect(log.lines()).toEqual(['still here']);
    expect(log.fileError).toBeInstanceOf(Error);
  });

  it('with a redactor, keeps and writes only redacted whole lines, even when a secret spans two writes', async () => {
    const sub = path.join(dir, 'redacted');
    const seen: string[] = [];
    const redact = (line: string) => line.replaceAll('s3cret-value', '[redacted:key]');
    const log = new StderrLog({ name: 'r', dir: sub, redact, onLine: (line) => seen.push(line) });
    log.write(b('token s3cr'));
    log.write(b('et-value here\nlast s3cret-'));
    log.write(b('value'));
    expect(log.lines()).toEqual(['token [redacted:key] here', 'last [redacted:key]']);
    await log.close();
    expect(seen).toEqual(['token [redacted:key] here']);
    expect(await readFile(path.join(sub, 'r.log'), 'utf8')).toBe('token [redacted:key] here\nlast [redacted:key]\n');
  });

  it('a line cut inside a secret keeps none of it: not the start left by the cut, nor a key over a line', async () => {
    const sub = path.join(dir, 'cut');
    const key = `-----BEGIN KEY-----${'A1b2C3d4'.repeat(40)}-----END KEY-----`;
    const redactor = createRedactor([{ label: 'pem', value: key }]);
    const seen: string[] = [];
    const log = new StderrLog({
      name: 'c',
      dir: sub,
      maxLineBytes: 200,
      redact: (line) => redactor.redact(line),
      redactCutEnd: (text) => redactor.dropPartialAtEnd(text),
      onLine: (line) => seen.push(line),
    });
    const mark = log.mark();
    log.write(b(`${'x'.repeat(150)} ${key} tail\n`));
    log.write(b(`config: ${key}`));
    const start = key.slice(0, 30);
    expect(log.lines()).toEqual([
      `${'x'.repeat(150)}  …[truncated ${150 + 1 + key.length + 5 - 200} bytes]`,
      expect.any(String),
    ]);
    expect(log.lines()[1]).toMatch(/^config: {2}…\[truncated \d+ bytes\]$/);
    expect(log.linesSince(mark).join('\n')).not.toContain(start);
    await log.close();
    expect(seen.join('\n')).not.toContain(start);
    const file = await readFile(path.join(sub, 'c.log'), 'utf8');
    expect(file).toContain('…[truncated');
    expect(file).not.toContain('BEGIN');
  });

  it('keeps the name inside the directory', () => {
    const log = new StderrLog({ name: '../../etc/passwd', dir });
    expect(path.dirname(log.file as string)).toBe(dir);
  });
});
