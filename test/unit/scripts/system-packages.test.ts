/**
 * scripts/system-packages.sh, which `npm test` and `.ci/run` both run first. The system's own
 * package tools are replaced by small recording scripts on PATH: the real ones cannot be made to
 * lack a package (or the user to lack root) here.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import pkg from '../../../package.json' with { type: 'json' };

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, '../../../scripts/system-packages.sh');
const BASH = '/bin/bash';

interface Machine {
  /** Packages dpkg reports as installed; undefined: no dpkg at all (not Debian). */
  installed?: string[];
  uid: number;
  sudo: 'none' | 'password' | 'passwordless';
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fakeMachine(m: Machine): Promise<{ bin: string; log: string }> {
  const bin = await mkdtemp(path.join(tmpdir(), 'sb-syspkg-'));
  dirs.push(bin);
  const log = path.join(bin, 'calls.log');
  const tool = async (name: string, body: string) => {
    await writeFile(path.join(bin, name), `#!${BASH}\n${body}\n`);
    await chmod(path.join(bin, name), 0o755);
  };
  await symlink('/usr/bin/grep', path.join(bin, 'grep'));
  await tool('id', `echo ${m.uid}`);
  if (m.installed) {
    const known = m.installed.map((p) => `"${p}"`).join(' ');
    await tool(
      'dpkg-query',
      // The package name is the last argument.
      `for p in ${known}; do [[ "\${@: -1}" == "$p" ]] && { printf 'install ok installed'; exit 0; }; done; exit 1`,
    );
    await tool('apt-get', `echo "apt-get $*" >> ${log}`);
  }
  if (m.sudo !== 'none') {
    const ok = m.sudo === 'passwordless';
    const refuse = ok ? '' : 'exit 1;';
    await tool(
      'sudo',
      `[[ "$1" == -n ]] && shift; ${refuse} echo "sudo $*" >> ${log}; [[ "$1" == true ]] && exit 0; exec "$@"`,
    );
  }
  return { bin, log };
}

async function runScript(bin: string): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(BASH, [SCRIPT], { env: { PATH: bin } });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

const calls = async (log: string) => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
const ALL = ['php8.2-fpm', 'dbus-daemon', 'gnome-keyring', 'python3-dbus', 'python3-gi', 'chromium'];

describe('the system packages the tests need', () => {
  it('does nothing when every package is there', async () => {
    const m = await fakeMachine({ installed: ALL, uid: 1000, sudo: 'none' });
    expect(await runScript(m.bin)).toEqual({ code: 0, stderr: '' });
    expect(await calls(m.log)).toEqual([]);
  });

  it('without root or passwordless sudo: stops at once with the command that installs what is missing', async () => {
    const m = await fakeMachine({ installed: ['dbus-daemon', 'chromium'], uid: 1000, sudo: 'password' });
    const result = await runScript(m.bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing: php8.2-fpm gnome-keyring');
    expect(result.stderr).toContain(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends php8.2-fpm gnome-keyring',
    );
    expect(await calls(m.log)).toEqual([]);
  });

  it('as root: installs exactly what is missing', async () => {
    const m = await fakeMachine({ installed: ['php8.2-fpm'], uid: 0, sudo: 'none' });
    expect((await runScript(m.bin)).code).toBe(0);
    expect(await calls(m.log)).toEqual([
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends dbus-daemon gnome-keyring python3-dbus python3-gi chromium',
    ]);
  });

  it('with passwordless sudo: installs through sudo', async () => {
    const m = await fakeMachine({ installed: [], uid: 1000, sudo: 'passwordless' });
    expect((await runScript(m.bin)).code).toBe(0);
    expect(await calls(m.log)).toEqual([
      'sudo true',
      'sudo apt-get update -qq',
      'apt-get update -qq',
      `sudo apt-get install -y -qq --no-install-recommends ${ALL.join(' ')}`,
      `apt-get install -y -qq --no-install-recommends ${ALL.join(' ')}`,
    ]);
  });

  it('elsewhere: says what the tests need and goes on', async () => {
    const m = await fakeMachine({ uid: 501, sudo: 'none' });
    const result = await runScript(m.bin);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('not a Debian or Ubuntu system');
  });

  it('runs first in `npm test`', () => {
    expect(pkg.scripts.test.startsWith('bash scripts/system-packages.sh && ')).toBe(true);
  });
});
