/** Running a stdio server's child process: environment, PATH, spawn, stderr capture, tree kill. */
export { buildChildEnv, envPath } from './env.ts';
export type { ChildEnvOptions } from './env.ts';
export {
  clearLoginShellPathCache,
  findExecutable,
  lookupCommand,
  mergePaths,
  resolveLoginShellPath,
} from './login-path.ts';
export type { CommandLookup, LoginShellPathOptions } from './login-path.ts';
export { killProcessTree } from './kill-tree.ts';
export type { KillTreeOptions } from './kill-tree.ts';
export { StderrLog, createStderrLog } from './stderr-log.ts';
export type { StderrLogOptions } from './stderr-log.ts';
export { argumentsInCommandProblem, missingCommandHint, relativeCommandProblem, spawnServer } from './spawn.ts';
export type { SpawnServerOptions } from './spawn.ts';
export { crashLine } from '../../crash-line.ts';
export { watchActivity, cpuTimeMs } from './activity.ts';
export type { ActivityWatch } from './activity.ts';
