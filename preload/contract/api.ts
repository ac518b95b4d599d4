/**
 * THE control API: everything the UI asks of the gateway. Declared once here; the method table
 * (methods.ts) binds every method to an IPC channel and an HTTP route, and the renderer never
 * knows which binding it has.
 *
 * Every method returns a promise; a failure rejects with a GatewayApiError whose `code` is
 * stable and whose message is meant for people (e.g. an unknown server name).
 */
import type {
  AdoptionDone,
  AdoptionPreview,
  ClientChange,
  ClientChangePreview,
  InstallChoice,
  ClientRestored,
  ClientView,
  GatewayStatus,
  LoginStart,
  ProfileEntry,
  ProfileView,
  Settings,
  SettingsChange,
  SecretsView,
  ServerEntry,
  ServerToolView,
  SessionView,
  ToolOptions,
  Question,
  QuestionAnswer,
  ServerView,
  ToolView,
  TrafficExport,
  TrafficExportFormat,
  TrafficFilter,
  TrafficPage,
  TrafficReplay,
  TrafficStats,
  TrafficStatsQuery,
  TrafficTree,
} from './payloads.ts';

export interface GatewayApi {
  /** Version, config file and its error (if any), listen addresses. */
  getStatus(): Promise<GatewayStatus>;
  /** Every configured server, in config order. */
  listServers(): Promise<ServerView[]>;
  /** The merged tool catalog, or one server's tools when `server` is given. */
  listTools(server?: string): Promise<ToolView[]>;
  /**
   * Stops and starts one server, its `${secret:}` and `${env:}` references read again (also revives a
   * server that gave up after repeated failures, or one whose secret was missing).
   */
  restartServer(name: string): Promise<void>;
  /**
   * Starts a login to a remote server that uses OAuth (docs/remote-servers.md). Resolves with the
   * authorization URL once it is known (the app has opened it in the system browser where it can;
   * show it for the user to open otherwise); the login finishes when the browser comes back, and
   * the server's `auth.state` says so (`servers` event). A client credentials server gets its
   * token at once (no URL). `not_found` for an unknown server, `invalid_request` for one without
   * OAuth, `upstream_error` saying why for a login that fails before its page is known (the
   * authorization server cannot be found or used).
   */
  loginServer(name: string): Promise<LoginStart>;
  /**
   * Finishes a login whose browser could not come back to the gateway (a gateway on another
   * machine): `address` is where the browser ended up (`http://127.0.0.1:PORT/callback?code=…`),
   * checked as the gateway's own listener checks it. `invalid_request` saying why when it is not
   * the waiting login's answer; `upstream_error` when it is, and the authorization server said no
   * (`error=access_denied`) or the answer fails its checks (the login is then over).
   */
  completeLogin(name: string, address: string): Promise<void>;
  /**
   * Gives up the login waiting for the browser (its page left unused, or opened in the wrong
   * browser): the server needs a login again, or keeps the tokens it had. Nothing to do when none
   * waits. `not_found` for an unknown server, `invalid_request` for one without OAuth.
   */
  cancelLogin(name: string): Promise<void>;
  /** Forgets a server's OAuth tokens (from the keychain); it needs a login again. */
  logoutServer(name: string): Promise<void>;
  /**
   * Pauses the gateway (every server is stopped; clients stay connected and are told the tool list
   * is empty, and a call says the gateway is paused) or resumes it. Not saved: a restart resumes.
   */
  setPaused(paused: boolean): Promise<void>;
  /**
   * Adds a server to the config file, keeping its comments, order and formatting, and applies it.
   * `entry` is what goes under `mcpServers.<name>`: a local command (`command`, `args`, `env`,
   * `cwd`), a remote server (`url`, `headers`) or a JSON handler (`handler`, `entrypoint`,
   * `headers`); values may use `${secret:NAME}`. Refused with `invalid_request` and the `field` at
   * fault (`name`, or a key of the entry) when the config's checks would refuse it.
   */
  addServer(name: string, entry: ServerEntry): Promise<void>;
  /** A server's entry as the config file holds it (`${secret:NAME}` references as written), to edit it. */
  getServerEntry(name: string): Promise<ServerEntry>;
  /**
   * Replaces what the Add server form owns of an entry (command, args, env, cwd, url, headers,
   * handler, entrypoint), writing only what differs, and keeps the rest (tools, timeouts,
   * description; the keys only the old kind of server has go when it becomes another kind); refused
   * like addServer. Another key sent with a value other than the file's is
   * refused (field: that key), not ignored. A `[redacted…]` value sent back where getServerEntry
   * showed it keeps the file's value; a placeholder anywhere else is refused.
   */
  updateServer(name: string, entry: ServerEntry): Promise<void>;
  /**
   * Gives a server another name in the config file, where its entry stands, and in every profile
   * that lists it, and applies it: the server starts again under the new name, and clients see its
   * tools under it. Its secrets keep their names. Refused (field: name) when the name is taken or
   * not one a server may have.
   */
  renameServer(name: string, newName: string): Promise<void>;
  /** Removes a server from the config file and applies it (refused while a profile names it). */
  removeServer(name: string): Promise<void>;
  /** Turns a server off (`"disabled": true` in its entry) or on again, and applies it. */
  setServerEnabled(name: string, enabled: boolean): Promise<void>;
  /** A server's own tools, shown or hidden, with their aliases (none until the server is ready). */
  listServerTools(name: string): Promise<ServerToolView[]>;
  /**
   * Shows or hides one of a server's tools (its `tools.deny` list) and gives it another name
   * (`tools.aliases`; '' removes the alias), in the config file, and applies it. A tool kept out by
   * the entry's `tools.allow` list cannot be shown from here (`invalid_request`, field `shown`).
   */
  setToolOptions(server: string, tool: string, options: ToolOptions): Promise<void>;
  /** The settings the config file holds for the Settings screen. */
  getSettings(): Promise<Settings>;
  /**
   * Writes settings into the config file (comments and order kept) and applies it. Refused with
   * `invalid_request` and the `field` (the setting's name) when the config's checks refuse a value.
   */
  changeSettings(change: SettingsChange): Promise<void>;
  /** The clients connected now (also pushed as the `sessions` event). */
  listSessions(): Promise<SessionView[]>;
  /** Every profile with its servers, where clients reach it, and what its tool list costs. */
  listProfiles(): Promise<ProfileView[]>;
  /**
   * Creates or replaces a profile in the config file (`profiles.<name>`, comments and order kept)
   * and applies it: its clients see the new tool list at once. Listing "default" replaces the
   * implicit one (every enabled server). Refused with `invalid_request` and the `field` at fault
   * (`name`, `servers` for a server the config does not have, `description`).
   */
  saveProfile(name: string, profile: ProfileEntry): Promise<void>;
  /**
   * Removes a profile from the config file and applies it; its clients are disconnected and told
   * it is unknown when they come back. A listed "default" goes back to every enabled server.
   * `not_found` for a profile the config does not list.
   */
  removeProfile(name: string): Promise<void>;
  /**
   * The secrets in the store and the ones the config refers to, with where each is used; names
   * only. `secret_store_unavailable` when the keychain cannot be reached (nothing is then written
   * anywhere else).
   */
  listSecrets(): Promise<SecretsView>;
  /** Stores a secret (new or replaced) and restarts the servers that use it. The value is never sent back. */
  setSecret(name: string, value: string): Promise<void>;
  /** Deletes a secret; servers that use it stop being able to start. `not_found` when there is none. */
  deleteSecret(name: string): Promise<void>;
  /** Every AI client Switchboard knows, found on this machine or not, and whether Switchboard is in it. */
  listClients(): Promise<ClientView[]>;
  /** The exact change installing into a client would make (`profile` default "default"); nothing is written. */
  previewInstall(client: string, profile?: string): Promise<ClientChangePreview>;
  /**
   * Adds Switchboard's entry to the client's config (backing the original up first); restart the client then.
   * `choice`: the profile, or the profile and the `fingerprint` of the preview shown: when the file needs another
   * change now, nothing is written (`client_config_conflict`, field `fingerprint`).
   */
  installClient(client: string, choice?: string | InstallChoice): Promise<ClientChange>;
  /** Takes Switchboard's entry out of the client's config (the backup stays for Restore). */
  uninstallClient(client: string): Promise<ClientChange>;
  /**
   * What moving a client's servers into Switchboard would do (`servers`: which ones, default every
   * one that can move): the names they get, the values that would go to the keychain, and both
   * files' diffs. Nothing is written.
   */
  previewAdoption(client: string, servers?: string[]): Promise<AdoptionPreview>;
  /**
   * Moves them: secret-looking values into the keychain first (nothing changes if it cannot be
   * reached), then the servers into Switchboard's config, then Switchboard in place of them in the
   * client's file (its original backed up for Restore).
   */
  adoptServers(client: string, servers?: string[]): Promise<AdoptionDone>;
  /** Puts the client's original config back byte for byte. `not_found` when Switchboard never changed it. */
  restoreClient(client: string): Promise<ClientRestored>;
  /** Recent log lines of one server (its state changes, then the stderr of a stdio server), oldest first. */
  getServerLog(name: string): Promise<string[]>;
  /** Elicitation and sampling questions waiting for the user (no client could answer them), oldest first. */
  listQuestions(): Promise<Question[]>;
  /**
   * Answers a waiting question. Fails with `not_found` when it was answered, expired or withdrawn
   * meanwhile, and with `invalid_request` (and the `field` at fault) when the answer does not fit
   * the question; the question stays open after a refused answer.
   */
  answerQuestion(id: string, answer: QuestionAnswer): Promise<void>;
  /** Recorded exchanges, newest first, as `filter` says; page on with `nextCursor`. */
  listTraffic(filter?: TrafficFilter): Promise<TrafficPage>;
  /** One exchange with everything it caused (its call upstream, progress, questions). `not_found` once it is gone. */
  getTrafficTree(id: string): Promise<TrafficTree>;
  /** Calls, errors, p50/p95 duration and bytes per server and per tool over a time window (default the last hour). */
  getTrafficStats(query?: TrafficStatsQuery): Promise<TrafficStats>;
  /** The exchanges `filter` picks (at most 10 000, the newest), as JSON lines or HAR, redacted. */
  exportTraffic(format: TrafficExportFormat, filter?: TrafficFilter): Promise<TrafficExport>;
  /**
   * Sends a recorded request again and records it as a new exchange. Lists, reads and gets only;
   * a tools/call needs `confirm: true` (ask the user first). Refused with `invalid_request` for
   * anything else, and for a request recorded cut or with secrets taken out.
   */
  replayTraffic(id: string, options?: { confirm?: boolean }): Promise<TrafficReplay>;
}
