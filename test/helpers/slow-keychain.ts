/**
 * A Secret Service that takes a while to answer, as a keychain does while the system asks the user
 * for access, or while its daemon is still being started: a private D-Bus session (dbus-daemon)
 * that starts gnome-keyring-daemon on the first keychain call, `delayMs` after it. The keyring
 * lives in a temporary HOME; close() ends the bus and the daemon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { busAddress, sessionEnv } from './dbus-session.ts';

export interface SlowKeychain {
  /** DBUS_SESSION_BUS_ADDRESS of the session. */
  address: string;
  close(): Promise<void>;
}

export async function startSlowKeychain(delayMs: number): Promise<SlowKeychain> {
  const home = await mkdtemp(path.join(tmpdir(), 'sb-slow-keychain-'));
  const services = path.join(home, 'services');
  await mkdir(services);
  const starter = path.join(home, 'start-keyring.sh');
  await writeFile(
    starter,
    `#!/bin/sh\nsleep ${delayMs / 1000}\nprintf '%s' switchboard-test-password |\n` +
      '  exec gnome-keyring-daemon --unlock --foreground --components=secrets\n',
  );
  await chmod(starter, 0o755);
  await writeFile(
    path.join(services, 'org.freedesktop.secrets.service'),
    `[D-BUS Service]\nName=org.freedesktop.secrets\nExec=${starter}\n`,
  );
  const config = path.join(home, 'session.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${home}</listen>
  <servicedir>${services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const env = sessionEnv(home);
  const bus: ChildProcess = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const address = await busAddress(
    bus,
    (stdout) => (stdout.includes('\n') ? stdout.split('\n')[0]!.trim() || undefined : undefined),
    'the D-Bus session',
  );
  return {
    address,
    async close() {
      // The bus's process group: dbus-daemon and the keyring daemon it started.
      try {
        process.kill(-bus.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}
