/**
 * What the tray shows, kept current from the control API's events (servers, status, questions,
 * resync) — no polling. The client list is read at start, after an install from the tray, and again
 * whenever a client's file changes (client-file). No electron import: the feed is tested against a
 * real gateway.
 */
import type {
  ClientView,
  GatewayApi,
  GatewayEvents,
  GatewayStatus,
  ServerView,
} from '../../../preload/contract/index.ts';
import type { TrayMenuInput } from './menu-model.ts';

export interface TrayFeed {
  /** The menu's input as of now. */
  input(): TrayMenuInput;
  /** Reads servers, status, questions and clients again; never rejects (a failure shows in the menu). */
  refresh(): Promise<void>;
  /** Reads the client list again (after an install from the tray). */
  refreshClients(): Promise<void>;
  /**
   * A gateway-level problem (e.g. a failed start) until cleared with undefined; `hint` says what to
   * do about it, `retry` offers Try again.
   */
  setError(message: string | undefined, options?: { hint?: string; retry?: boolean }): void;
  /** undefined: start at login cannot be changed on this system. */
  setStartAtLogin(enabled: boolean | undefined): void;
  dispose(): void;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The config's first problem in a menu line's few words: its line in the file and what is wrong, without
 * the file's path (which took up the whole line; the window names the file and every problem).
 */
export function configProblem(message: string, configPath: string): string {
  const first = message.split('\n').find((line) => line.trim() !== '') ?? message;
  if (!first.startsWith(`${configPath}:`)) return first;
  return first.slice(configPath.length + 1).replace(/^(\d+):\d+: /, 'line $1: ');
}

export function createTrayFeed(options: {
  api: Pick<GatewayApi, 'listServers' | 'getStatus' | 'listQuestions' | 'listClients'>;
  events: GatewayEvents;
  onChange(): void;
}): TrayFeed {
  const { api, events, onChange } = options;
  let servers: readonly ServerView[] | null = null;
  let fetchError: string | undefined;
  let error: string | undefined;
  let errorHelp: { hint?: string; retry?: boolean } = {};
  let paused = false;
  let endpoint: string | undefined;
  let configError: string | undefined;
  let httpProblem: string | undefined;
  let questions = new Set<string>();
  // What the events said while a refresh was fetching: its snapshot may be older than they are.
  let duringFetch: { added: Set<string>; ended: Set<string> } | undefined;
  let clients: readonly ClientView[] = [];
  let startAtLogin: boolean | undefined;

  const unsubscribers = [
    events.on('servers', (list) => {
      servers = list;
      fetchError = undefined;
      onChange();
    }),
    events.on('status', (status) => {
      applyStatus(status);
      onChange();
    }),
    events.on('question-added', (question) => {
      duringFetch?.added.add(question.id);
      questions.add(question.id);
      onChange();
    }),
    events.on('question-ended', ({ id }) => {
      duringFetch?.ended.add(id);
      if (questions.delete(id)) onChange();
    }),
    events.on('resync', () => void refresh()),
    // A client dropped the entry, or `switchboard install` wrote one: Install into shows what is so now.
    events.on('client-file', () => void refreshClients()),
  ];

  function applyStatus(status: GatewayStatus): void {
    paused = status.paused;
    endpoint = status.listen.find((url) => url.startsWith('http'));
    // The previous config keeps running, but the file the user edited is not what runs: say so.
    configError = status.configError === undefined ? undefined : configProblem(status.configError, status.configPath);
    httpProblem = status.httpProblem;
  }

  const refreshClients = async (): Promise<void> => {
    try {
      clients = await api.listClients();
    } catch {
      // Install into is left out rather than shown wrong; the Clients screen says why.
      clients = [];
    }
    onChange();
  };

  const refresh = async (): Promise<void> => {
    const log = { added: new Set<string>(), ended: new Set<string>() };
    duringFetch = log;
    try {
      const [list, status, waiting] = await Promise.all([api.listServers(), api.getStatus(), api.listQuestions()]);
      servers = list;
      applyStatus(status);
      const fresh = new Set([...waiting.map((question) => question.id), ...log.added]);
      for (const id of log.ended) fresh.delete(id);
      questions = fresh;
      fetchError = undefined;
    } catch (err) {
      fetchError = message(err);
    } finally {
      if (duringFetch === log) duringFetch = undefined;
    }
    onChange();
    await refreshClients();
  };

  return {
    input() {
      const problem = error ?? fetchError;
      return {
        servers,
        ...(servers === null && problem === undefined && configError === undefined ? { starting: true } : {}),
        ...(problem === undefined ? {} : { error: problem }),
        ...(error !== undefined && errorHelp.hint !== undefined ? { errorHint: errorHelp.hint } : {}),
        ...(error !== undefined && errorHelp.retry === true ? { canRetryStart: true } : {}),
        // The previous config keeps running: a problem to show, not a gateway that cannot be used.
        ...(configError === undefined ? {} : { configError }),
        ...(httpProblem === undefined ? {} : { httpProblem }),
        paused,
        questions: questions.size,
        clients,
        ...(endpoint === undefined ? {} : { endpoint }),
        ...(startAtLogin === undefined ? {} : { startAtLogin }),
      };
    },
    refresh,
    refreshClients,
    setError(text, options = {}) {
      error = text;
      errorHelp = options;
      onChange();
    },
    setStartAtLogin(enabled) {
      startAtLogin = enabled;
      onChange();
    },
    dispose() {
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
