/**
 * A real, private Secret Service for tests: a D-Bus session (dbus-run-session) with
 * gnome-keyring-daemon unlocked by a non-empty password, its keyring files in a temporary HOME.
 * The session lives as long as the test keeps its stdin open; close() ends it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  /**
   * With `unansweredPrompts`: whether an unlock prompt is open now, and closing it unanswered (its
   * prompter ends, as a dialog closed with Cancel: the keychain calls waiting on it fail).
   */
  promptOpen(): Promise<boolean>;
  closePrompt(): Promise<void>;
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

export interface KeyringSessionOptions {
  /**
   * Unlock prompts that nobody answers, as a dialog left open on a desktop: the prompter gnome-keyring
   * starts over D-Bus takes each prompt and never answers it, so a call that needs the keyring
   * unlocked waits until the prompt is closed (closePrompt). Without this option, there is no display
   * for gcr's prompter and the prompt fails at once ("dismissed").
   */
  unansweredPrompts?: boolean;
}

export async function startKeyringSession(options: KeyringSessionOptions = {}): Promise<KeyringSession> {
  const home = await mkdtemp(path.join(tmpdir(), 'sb-keyring-'));
  const prompterPid = path.join(home, 'prompter.pid');
  if (options.unansweredPrompts) await installSilentPrompter(home, prompterPid);
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
      // The login collection as the bus says it is now (a daemon being replaced answers nothing: locked).
      const locked = (): boolean => {
        const got = spawnSync(
          'dbus-send',
          [
            '--session',
            '--dest=org.freedesktop.secrets',
            '--print-reply',
            '/org/freedesktop/secrets/collection/login',
          ].concat([
            'org.freedesktop.DBus.Properties.Get',
            'string:org.freedesktop.Secret.Collection',
            'string:Locked',
          ]),
          { env: { ...env, DBUS_SESSION_BUS_ADDRESS: address }, encoding: 'utf8', timeout: 5000 },
        );
        return got.status !== 0 || !/boolean false/.test(got.stdout);
      };
      // On a loaded machine the replacing daemon has been seen to exit 0 with the keyring still locked:
      // checked, and done again (three times at most) rather than a test failing on its keyring.
      for (let attempt = 1; ; attempt++) {
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
        const deadline = Date.now() + 5000;
        while (locked() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (!locked()) return;
        if (attempt === 3) throw new Error('the keyring stayed locked after unlocking it three times');
      }
    },
    async promptOpen() {
      const pid = await readFile(prompterPid, 'utf8').catch(() => undefined);
      return pid !== undefined && isRunning(Number(pid));
    },
    async closePrompt() {
      const pid = Number(await readFile(prompterPid, 'utf8'));
      await rm(prompterPid);
      process.kill(pid, 'SIGKILL');
    },
    async close() {
      // A prompter still waiting is a child of the bus daemon, outside the session's group.
      const prompter = await readFile(prompterPid, 'utf8').catch(() => undefined);
      if (prompter !== undefined && isRunning(Number(prompter))) process.kill(Number(prompter), 'SIGKILL');
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

/**
 * A prompter for gnome-keyring's unlock prompts that takes each prompt and never answers it, as a
 * dialog left open on a desktop: found by the session bus before the system's gcr-prompter, as
 * `$XDG_DATA_HOME/dbus-1/services` comes first. It writes its pid to `pidFile`. (One that never
 * took the bus name would be given up by gnome-keyring after D-Bus's 25 s, as a dismissed prompt.)
 */
async function installSilentPrompter(home: string, pidFile: string): Promise<void> {
  const services = path.join(home, '.local', 'share', 'dbus-1', 'services');
  await mkdir(services, { recursive: true });
  const script = path.join(home, 'silent-prompter');
  await writeFile(script, SILENT_PROMPTER.replace('PID_FILE', JSON.stringify(pidFile)));
  await chmod(script, 0o755);
  for (const name of PROMPTER_NAMES)
    await writeFile(path.join(services, `${name}.service`), `[D-BUS Service]\nName=${name}\nExec=${script}\n`);
}

const PROMPTER_NAMES = ['org.gnome.keyring.SystemPrompter', 'org.gnome.keyring.PrivatePrompter'];

/** gcr's prompter protocol, its first step only: BeginPrompting is taken, and no PromptReady ever follows. */
const SILENT_PROMPTER = `#!/usr/bin/python3
import os, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
class Prompter(dbus.service.Object):
    @dbus.service.method('org.gnome.keyring.internal.Prompter', in_signature='o', out_signature='')
    def BeginPrompting(self, callback): pass
    @dbus.service.method('org.gnome.keyring.internal.Prompter', in_signature='osa{sv}s', out_signature='')
    def PerformPrompt(self, callback, kind, properties, exchange): pass
    @dbus.service.method('org.gnome.keyring.internal.Prompter', in_signature='o', out_signature='')
    def StopPrompting(self, callback): pass
Prompter(bus, '/org/gnome/keyring/Prompter')
names = [dbus.service.BusName(name, bus) for name in ${JSON.stringify(PROMPTER_NAMES)}]
with open(PID_FILE, 'w') as f: f.write(str(os.getpid()))
GLib.MainLoop().run()
`;

/** Why the prompter of `unansweredPrompts` cannot run here (Python's D-Bus and GLib bindings), or undefined. */
export function silentPrompterMissing(): string | undefined {
  if (spawnSync('/usr/bin/python3', ['-c', 'import dbus.mainloop.glib, gi.repository.GLib']).status === 0)
    return undefined;
  const missing = 'python3-dbus and python3-gi are not installed (apt-get install python3-dbus python3-gi)';
  if (process.env.CI) throw new Error(`the unlock prompt tests need them in CI: ${missing}`);
  return missing;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
