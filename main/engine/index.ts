/**
 * The engine's only public face: the gateway, its config, and the ports others implement.
 * main/app and main/cli import from here and nowhere else in main/engine.
 */
import { homedir } from 'node:os';
import { defaultConfigPath as configPathFor } from './config/index.ts';

export {
  createGateway,
  Gateway,
  GATEWAY_NAME,
  AlreadyRunningError,
  type GatewayOptions,
  type GatewayEvents,
  type ServerStatusDto,
} from './gateway.ts';
export {
  ConfigError,
  loadConfigFile,
  parseConfigText,
  isConfigMissing as isMissingConfigError,
  resolveServerReferences,
  findReferences,
  findSettingReferences,
  type ResolvedConfig,
  type ResolvedServer,
  type LoadedConfig,
} from './config/index.ts';
export { GatewayError, errorMessage, type GatewayErrorCode } from './protocol/errors.ts';
export type {
  GatewayApi,
  GatewayEvents as GatewayApiEvents,
  ServerView,
  TrafficEntry,
  TrafficExportFormat,
  TrafficFilter,
  TrafficOutcome,
  TrafficStats,
  TrafficTree,
} from '../../preload/contract/index.ts';
export { FAILED_OUTCOMES, MAX_FILTER_TEXT, withoutServerName } from '../../preload/contract/index.ts';
export { REVISIONS, LATEST_STATEFUL, type Revision } from './protocol/versions.ts';
export type { SecretStore } from './secrets/store.ts';
export { assertSecretName, secretValueProblem } from './secrets/store.ts';
export { createMemorySecretStore } from './secrets/memory-store.ts';
export { stripUrlCredentials } from './secrets/redactor.ts';
export type { Session } from './downstream/session.ts';
export type { UpstreamStatus, UpstreamState } from './upstreams/types.ts';
export { statusText, StatusLines } from './upstreams/status-text.ts';
export {
  lookupCommand,
  argumentsInCommandProblem,
  missingCommandHint,
  relativeCommandProblem,
  resolveLoginShellPath,
} from './upstreams/process/index.ts';
export { askSocket, ensurePrivateDir, probeSocket, type SocketAnswer } from './downstream/socket-listener.ts';
export { logDir, stateDir, trafficHistoryPath } from './state-paths.ts';
export { runtimePaths } from '../shared/paths.ts';
export { markStopped } from '../shared/stopped-marker.ts';
export { ownAppImage } from '../shared/app-image.ts';
export { isLoopbackHost, userUrlRefusal } from './egress/user-url.ts';
export { readGatewayLock, isRunning, runsWithoutSocket, type GatewayInfo } from '../shared/gateway-lock.ts';
export { createApiDispatcher, toApiError, type ApiDispatch } from './api/dispatch.ts';
export { EventHub, type PublishedEvent } from './api/events.ts';
export { QuestionBroker, QuestionAnswerError } from './elicitation/index.ts';
export { formatLogLine, logFailure, type LogFn, type LogNote } from './log.ts';
export { ensureApiToken, apiTokenPath, readApiToken } from './api/api-token.ts';
export { connectRunningGateway, requestUiLoginLink, type RunningGatewayApi } from './api/remote.ts';
export {
  TrafficLog,
  matches as trafficMatches,
  unwrapUpstream,
  withoutPayloads,
  SENSITIVE_FIELDS,
} from './traffic/index.ts';

/** The config path for this user and platform (SWITCHBOARD_CONFIG overrides). */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return configPathFor(env, process.platform, homedir());
}
export {
  createKeychainSecretStore,
  HEADLESS_KEYRING_COMMAND,
  installId,
  type KeychainStoreOptions,
  type KeyringBackend,
} from './secrets/keychain-store.ts';
export * from './installers/index.ts';
export * from './adoption/index.ts';
export { ClientInstalls, type ClientInstallSetup } from './api/client-installs.ts';
export { resolveStaticFile } from './api/ui-routes.ts';
