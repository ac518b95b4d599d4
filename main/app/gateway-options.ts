/**
 * The gateway options of the desktop app: the same config, logs and defaults as
 * `switchboard serve`, built from the engine's public face only.
 */
import { app } from 'electron';
import { createMemorySecretStore, defaultConfigPath, logDir, runtimePaths, type GatewayOptions } from '../engine/index.ts';

export function desktopGatewayOptions(): GatewayOptions {
  return {
    configPath: defaultConfigPath(),
    allowMissingConfig: true,
    // Until main/app/keychain implements the SecretStore port: nothing is persisted, so
    // ${secret:...} references fail visibly (secret_missing) instead of reading a plaintext file.
    secrets: createMemorySecretStore(),
    version: app.getVersion(),
    logDir: logDir(),
    watch: true,
    // The shim socket: clients spawn `switchboard shim`, which connects here.
    runtimeDir: runtimePaths().dir,
  };
}
