/**
 * A real, private Secret Service for tests: a D-Bus session (dbus-run-session) with
 * gnome-keyring-daemon unlocked by a non-empty password, its keyring files in a temporary HOME.
 * The session lives as long as the test keeps its stdin open; close() ends it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { busAddress, sessionEnv } from '../../helpers/dbus-session.ts';

export interface KeyringSession {
  /** DBUS_SESSION_BUS_ADDRESS of the session. */
  address: string;
  /** Environment for a child process that should use this keyring. */
  env: Record<string, string>;
  /** Locks the keyring, as the desktop does after a while or on a screen lock: reads then fail. */
  lock(): void;
  /** Unlocks it again: a daemon started with its password takes over from the running one. */
  unlock(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Why a keyring session cannot start here, or undefined when it can; in CI a missing one is an error
 * (the keychain tests must run there), thrown when the test file loads.
 */
export function keyringMissingOutsideCi(): string | undefined {
  const missing = keyringMissing();
  if (missing && process.env.CI) throw new Error(`keychain tests need a Secret Service in CI: ${missing}`);
  return missing;
}

/** Why a keyring session cannot start here, or undefined when it can. */
export function keyringMissing(): string | undefined {
  for (const tool of ['dbus-run-session', 'gnome-keyring-daemon']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (apt-get install dbus gnome-keyring)`;
  }
  return undefined;
}

const SCRIPT = `printf '%s' "$KEYRING_PASSWORD" |
  gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 3
echo "ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
exec cat >/dev/null`;

export async function startKeyringSession(): Promise<KeyringSession> {
  const home = await mkdtemp(path.join(tmpdir(), 'sb-keyring-'));
  const env = { ...sessionEnv(home), KEYRING_PASSWORD: 'switchboard-test-password' };
  const child: ChildProcess = spawn('dbus-run-session', ['--', 'sh', '-c', SCRIPT], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const address = await busAddress(child, (stdout) => /ADDRESS=(\S+)/.exec(stdout)?.[1], 'keyring session');
  // Daemons started by unlock(): each forks into the process group it was started in.
  const groups: number[] = [];
  return {
    address,
    env: { DBUS_SESSION_BUS_ADDRESS: address },
    lock() {
      const lock = spawnSync(
        'dbus-send',
        ['--session', '--dest=org.freedesktop.secrets', '--print-reply', '/org/freedesktop/secrets'].concat([
          'org.freedesktop.Secret.Service.Lock',
          'array:objpath:/org/freedesktop/secrets/collection/login',
        ]),
        { env: { ...env, DBUS_SESSION_BUS_ADDRESS: address }, encoding: 'utf8' },
      );
      if (lock.status !== 0) throw new Error(`the keyring could not be locked: ${lock.stderr}`);
    },
    async unlock() {
      // `--unlock` alone would start a second daemon beside the running one, which stays locked.
      const daemon = spawn('gnome-keyring-daemon', ['--replace', '--unlock', '--components=secrets'], {
        env: { ...env, DBUS_SESSION_BUS_ADDRESS: address },
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
      });
      groups.push(daemon.pid!);
      daemon.stdin!.end(env.KEYRING_PASSWORD);
      // It exits once its fork has the bus name and the keyring open.
      const code = await new Promise<number | null>((resolve) => daemon.once('exit', resolve));
      if (code !== 0) throw new Error(`the keyring could not be unlocked (gnome-keyring-daemon exited with ${code})`);
    },
    async close() {
      const exited = new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
      );
      child.stdin!.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      // The session's group: dbus-daemon and gnome-keyring-daemon if they outlived the bus.
      for (const group of [child.pid!, ...groups]) {
        try {
          process.kill(-group, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}
