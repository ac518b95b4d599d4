/** Shapes shared by the installers, the adoption code and their callers. */

export type ClientId =
  | 'claude-desktop'
  | 'cursor'
  | 'zed'
  | 'vscode'
  | 'vscode-insiders'
  | 'windsurf'
  | 'claude-code'
  | 'codex'
  | 'gemini-cli'
  | 'cline'
  | 'lm-studio'
  | 'continue'
  | 'goose';

/** Everything a client's file location depends on: paths are a pure function of these. */
export interface PathContext {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
}

export interface ClientLocations {
  /** Candidate config files, most likely first: the first that exists is used, else the first. */
  config: string[];
  /** Files or folders whose presence means the client is installed. */
  markers: string[];
}

/** How a client starts the shim. Absolute paths; argv is never split or passed to a shell. */
export interface ShimCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** The name of our entry in every client. */
export const ENTRY_NAME = 'switchboard';

/** One server as a client describes it, in a neutral form. */
export interface ClientServer {
  name: string;
  /** The entry exactly as the file holds it. */
  raw: unknown;
  kind: 'stdio' | 'remote' | 'unsupported';
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  transport?: 'auto' | 'streamable-http' | 'sse';
  disabled?: boolean;
  /** Variables the client passes on from its own environment by name (Codex `env_vars`). */
  passEnv?: string[];
  /** A variable whose value the client sends as `Authorization: Bearer …` (Codex `bearer_token_env_var`). */
  bearerEnv?: string;
  /** Which of the server's tools the client shows (Gemini CLI `includeTools` / `excludeTools`). */
  tools?: { allow?: string[]; deny?: string[] };
  /** Keys of the entry that only the client understands: they are not carried over. */
  ignored?: string[];
  /** Why Switchboard cannot take this entry over (kind 'unsupported'). */
  problem?: string;
}
