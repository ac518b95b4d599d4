/**
 * The gateway's config file: schema, loading with positioned errors, ${env:}/${secret:} references, diffing and hot
 * reload.
 */
export {
  DEFAULTS,
  configJsonSchema,
  configSchema,
  handlerServerSchema,
  remoteServerSchema,
  stdioServerSchema,
  TOOL_NAME_PATTERN,
  type ConfigInput,
  type HandlerFastcgiServerConfig,
  type HandlerHttpServerConfig,
  type HandlerServerConfig,
  type HandlerServerEntryInput,
  type HttpListenConfig,
  type HttpServerConfig,
  type NameFilter,
  type ParsedConfig,
  type RemoteServerEntryInput,
  type RemoteTransport,
  type ResolvedConfig,
  type ResolvedProfile,
  type ResolvedServer,
  type ServerEntryInput,
  type ServerKind,
  type StdioServerConfig,
  type StdioServerEntryInput,
  type TrafficSettings,
} from './schema.ts';
export { ConfigError, formatIssue, type ConfigIssue } from './errors.ts';
export {
  defaultConfigPath,
  hashConfigText,
  isConfigMissing,
  loadConfigFile,
  blankConfigError,
  parseConfigText,
  type LoadedConfig,
} from './load.ts';
export { emptyConfig } from './normalize.ts';
export { isLoopbackHost } from '../egress/user-url.ts';
export {
  findReferences,
  findServerReferences,
  findSettingReferences,
  resolveServer,
  resolveServerReferences,
  resolveSetting,
  secretValuesOf,
  type ConfigReference,
  type SettingReference,
  type ReferenceContext,
  type ReferenceKind,
} from './references.ts';
export { diffConfigs, type ConfigDiff } from './diff.ts';
export {
  parseHandlerAddress,
  type HandlerAddress,
  type HandlerFastcgiTarget,
  type HandlerHttpTarget,
  type HandlerKind,
} from './handler-address.ts';
export { watchConfigFile, type ConfigWatcher, type ConfigWatchResult, type WatchConfigOptions } from './watch.ts';
