/**
 * The gateway options of the desktop app: the same config, logs and defaults as
 * `switchboard serve`, built from the engine's public face only.
 */
import { app } from 'electron';
import {
  createKeychainSecretStore,
  defaultConfigPath,
  logDir,
  runtimePaths,
  trafficHistoryPath,
  type GatewayOptions,
} from '../engine/index.ts';

export function desktopGatewayOptions(): GatewayOptions {
  return {
    configPath: defaultConfigPath(),
    allowMissingConfig: true,
    // The OS keychain; without one, ${secret:...} lookups fail saying why (never plaintext).
    secrets: createKeychainSecretStore(),
    version: app.getVersion(),
    logDir: logDir(),
    watch: true,
    // A broken config file must not leave a dead app: it shows the error and waits for a fix.
    keepRunningOnConfigError: true,
    // The shim socket: clients spawn `switchboard shim`, which connects here.
    runtimeDir: runtimePaths().dir,
    trafficHistoryFile: trafficHistoryPath(),
  };
}
