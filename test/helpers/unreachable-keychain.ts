import path from 'node:path';

/**
 * Points this process at a D-Bus session bus that is not there (as on a headless login or an SSH
 * session), so the keychain library really fails to reach the keychain. Returns what puts the
 * previous address back.
 */
export function useUnreachableKeychain(dir: string): () => void {
  const before = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${path.join(dir, 'no-bus')}`;
  return () => {
    if (before === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = before;
  };
}
