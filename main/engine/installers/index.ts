/** Client installers: where each AI client keeps its MCP servers, and safe edits of those files. */
export { CLIENTS, CLIENT_IDS, clientDefinition, type ClientDefinition, type VariableDialect } from './clients.ts';
export { clientLocations } from './paths.ts';
export { userInstallerContext } from './user-context.ts';
export {
  applyChange,
  clientConfigPath,
  planChange,
  type ChangePlan,
  type ChangeResult,
  type InstallerContext,
  type BodyEdit,
} from './client-file.ts';
export {
  detectClient,
  detectClients,
  entryKind,
  installClient,
  keptEntryShim,
  planInstall,
  planUninstall,
  readClientServers,
  repairAppEntries,
  restoreClient,
  uninstallClient,
  verifyClient,
  type ClientState,
  type ClientStatus,
  type InstallResult,
  type RepairedEntry,
  type RestoreResult,
  type VerifyResult,
} from './installer.ts';
export {
  watchClient,
  type ClientWatchEvent,
  type ClientWatchEventType,
  type ClientWatcher,
  type WatchClientOptions,
} from './watch.ts';
export {
  shimCommand,
  lostProfileProblem,
  profileOf,
  PROFILE_NAME,
  type ShimEntry,
  type ShimOptions,
} from './shim-entry.ts';
export { backupDir, backupKeyProblem, readBackupRecord, BACKUP_KEY_NAME, type BackupRecord } from './backups.ts';
export { unifiedDiff } from './diff.ts';
export { looksSecret, redactLine } from './secret-names.ts';
export {
  ENTRY_NAME,
  type ClientId,
  type ClientLocations,
  type ClientServer,
  type PathContext,
  type ShimCommand,
} from './types.ts';
