/**
 * The gateway options of the desktop app: the same config, logs and defaults as
 * `switchboard serve`, built from the engine's public face only, plus where AI clients' configs
 * live and the entry the app writes into them (client-entry.ts).
 */
import { app, shell } from 'electron';
import {
  createKeychainSecretStore,
  defaultConfigPath,
  logDir,
  runtimePaths,
  trafficHistoryPath,
  type ClientInstallSetup,
  type GatewayOptions,
  type SecretStore,
  userInstallerContext,
} from '../engine/index.ts';
import { appShimCommand } from './client-entry.ts';

/** Where clients' configs live and the entry to write, with the keychain the gateway shares. */
export type DesktopClientInstalls = ClientInstallSetup & { context: { secrets: SecretStore } };

/** The user's client configs, and entries that start `shimFile` on this app's own runtime. */
export function desktopClientInstalls(shimFile: string): DesktopClientInstalls {
  const runtime = { execPath: process.execPath, env: process.env, platform: process.platform };
  return {
    context: userInstallerContext(),
    shim: (profile) => appShimCommand(runtime, shimFile, profile),
  };
}

export function desktopGatewayOptions(clientInstalls: DesktopClientInstalls): GatewayOptions {
  return {
    configPath: defaultConfigPath(),
    allowMissingConfig: true,
    secrets: clientInstalls.context.secrets,
    version: app.getVersion(),
    logDir: logDir(),
    watch: true,
    // A broken config file must not leave a dead app: it shows the error and waits for a fix.
    keepRunningOnConfigError: true,
    // Nor a port another program holds: clients that start the shim need only the socket, and the
    // window talks over IPC. The tray says the HTTP endpoint is off (GatewayStatus.httpProblem).
    httpOptional: true,
    httpPortAdvice: 'choose another HTTP port in Settings',
    // The shim socket: clients spawn the shim, which connects here.
    runtimeDir: runtimePaths().dir,
    trafficHistoryFile: trafficHistoryPath(),
    clientInstalls,
    oauthStore: createKeychainSecretStore({ namespace: 'oauth' }),
    // Logins open in the system browser (the engine hands over http(s) URLs only).
    openBrowser: (url) => shell.openExternal(url),
  };
}
