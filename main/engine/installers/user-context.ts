/** The installer context of the user running Switchboard: their home, environment, state folder and keychain. */
import { homedir } from 'node:os';
import { createKeychainSecretStore } from '../secrets/keychain-store.ts';
import type { SecretStore } from '../secrets/store.ts';
import { stateDir } from '../state-paths.ts';
import type { InstallerContext } from './client-file.ts';

export function userInstallerContext(): InstallerContext & { secrets: SecretStore } {
  return {
    platform: process.platform,
    env: process.env,
    home: homedir(),
    stateDir: stateDir(),
    // The OS keychain; without one, ${secret:...} lookups fail saying why (never plaintext).
    secrets: createKeychainSecretStore(),
  };
}
