/**
 * Hot reload. Watches the file's directory, not the file: editors save by writing a temp file
 * and renaming it over the original, which a watch on the old file would miss. Reports a new
 * config or an error; the caller keeps running its current config when it gets an error.
 *
 * The file is checked once when the watch starts (it may have changed while the caller was
 * starting up). While it is missing it is looked for every second, and its directory watched
 * again once it is back: a directory deleted and made again (a dotfiles deploy, a sync tool)
 * is not watched by the old watch. An empty file (or one of only comments) is reported as an
 * error, not applied: it is what a save looks like between truncating and writing, or a config
 * commented out by mistake, and applied it would stop every server.
 *
 * A file that cannot be applied is reported only once it has stayed so for `settleMs`: a save in
 * two steps (truncate, then write; a script writing in parts; a file deleted and written again)
 * passes through states that are empty, missing or cut off, and those are not errors to show.
 */
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { errorMessage } from '../protocol/errors.ts';
import { ConfigError } from './errors.ts';
import {
  blankConfigError,
  bytesKey,
  decodeConfigBytes,
  parseConfigText,
  unreadableKey,
  unreadableMessage,
  type LoadedConfig,
} from './load.ts';

export type ConfigWatchResult = { config: LoadedConfig } | { error: ConfigError };

export interface ConfigWatcher {
  close(): void;
}

export interface WatchConfigOptions {
  /** Quiet time after the last event before the file is read (editors write in bursts). */
  debounceMs?: number;
  /** Hash of the config the caller already runs; defaults to whatever is on disk at start. */
  initialHash?: string;
  /** How long a file that cannot be applied must stay unchanged before it is reported. */
  settleMs?: number;
}

type FileState = { key: string; text: string } | { key: string; error: unknown };

/** How often a missing file is looked for. */
const MISSING_POLL_MS = 1000;
/** How long a file that cannot be applied stays so before that is said (a two-step save is quicker). */
const SETTLE_MS = 1000;

async function readState(file: string): Promise<FileState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    // Keyed by error code so a file that stays missing is reported once, not on every event.
    return { key: unreadableKey(err), error: err };
  }
  try {
    return { key: bytesKey(bytes), text: decodeConfigBytes(bytes, file) };
  } catch (err) {
    return { key: bytesKey(bytes), error: err };
  }
}

/** Throws ConfigError ('config_unreadable') if the directory cannot be watched. */
export function watchConfigFile(
  path: string,
  onChange: (result: ConfigWatchResult) => void,
  options: WatchConfigOptions = {},
): ConfigWatcher {
  const file = resolve(path);
  const debounceMs = options.debounceMs ?? 150;
  const settleMs = options.settleMs ?? SETTLE_MS;
  let directoryWatcher: FSWatcher | undefined;
  let target: { real: string; watcher?: FSWatcher } | undefined;
  /** The symlinked folders on the way to the file, each watched in the folder that holds it. */
  let links: { paths: string; watchers: FSWatcher[] } | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let lastKey = options.initialHash;
  let missingPoll: NodeJS.Timeout | undefined;
  /** A content that cannot be applied, since when it is on disk, and the look at it again. */
  let settling: { key: string; since: number; timer?: NodeJS.Timeout } | undefined;

  const ready =
    lastKey !== undefined
      ? Promise.resolve()
      : readState(file).then((state) => {
          lastKey ??= state.key;
        });

  const emit = (result: ConfigWatchResult): void => {
    if (closed) return;
    try {
      onChange(result);
    } catch {
      // A throwing listener must not stop later reloads.
    }
  };

  const check = async (): Promise<void> => {
    await followLink();
    const state = await readState(file);
    const missing = 'error' in state && (state.error as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing) missingPoll ??= setInterval(() => void run(), MISSING_POLL_MS).unref();
    else if (missingPoll) {
      clearInterval(missingPoll);
      missingPoll = undefined;
      watchAll();
    }
    if (settling && settling.key !== state.key) {
      clearTimeout(settling.timer);
      settling = undefined;
    }
    if (state.key === lastKey) return;
    const result = resultOf(state);
    if ('error' in result) {
      // Said only once the file has stayed so: it may be a save half done.
      settling ??= { key: state.key, since: Date.now() };
      const left = settling.since + settleMs - Date.now();
      if (left > 0) {
        clearTimeout(settling.timer);
        settling.timer = setTimeout(() => void run(), left).unref();
        return;
      }
    }
    settling = undefined;
    lastKey = state.key;
    emit(result);
  };

  const resultOf = (state: FileState): ConfigWatchResult => {
    if ('error' in state && state.error instanceof ConfigError) return { error: state.error };
    if ('error' in state)
      return {
        error: new ConfigError('config_unreadable', unreadableMessage(file, state.error, true), [], {
          cause: state.error,
        }),
      };
    try {
      const config = parseConfigText(state.text, file);
      return config.blank ? { error: blankConfigError(file, config.blank) } : { config };
    } catch (err) {
      return {
        error:
          err instanceof ConfigError ? err : new ConfigError('config_invalid', errorMessage(err), [], { cause: err }),
      };
    }
  };

  // One check at a time; events during a check cause one more pass afterwards.
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await ready;
      do {
        again = false;
        if (!closed) await check();
      } while (again && !closed);
    } catch {
      // readState and parse never throw; this guards the "never throw from the callback path" promise.
    } finally {
      running = false;
    }
  };

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), debounceMs);
  };

  const watchDirectory = (dir: string, name: string): FSWatcher => {
    const watcher = watch(dir, { persistent: false }, (_event, filename) => {
      // Some platforms omit the name; then any event in the directory may be ours.
      if (filename === null || filename === name) schedule();
    });
    watcher.on('error', (err) => {
      watcher.close();
      emit({
        error: new ConfigError('config_unreadable', `stopped watching ${dir}: ${errorMessage(err)}`, [], {
          cause: err,
        }),
      });
    });
    return watcher;
  };

  /**
   * A symlinked config (dotfiles) changes where the link points to, so that directory is watched
   * too; looked at again on every check, since the link may have been pointed elsewhere.
   */
  const followLink = async (): Promise<void> => {
    await watchLinkedFolders();
    // A file that cannot be resolved (missing, a dangling link) is reported by the check that reads it.
    const [resolved] = await Promise.allSettled([realpath(file)]);
    const real = resolved.status === 'fulfilled' ? resolved.value : undefined;
    if (closed || real === undefined || real === target?.real) return;
    target?.watcher?.close();
    target = { real };
    if (real === file) return;
    try {
      target.watcher = watchDirectory(dirname(real), basename(real));
    } catch {
      // The link's own directory is still watched.
    }
  };

  /**
   * A folder on the way that is a symlink (~/.config/switchboard -> ~/dotfiles/work, as GNU stow
   * makes) may be pointed elsewhere (ln -sfn): the watches above stay on the folder it pointed to,
   * so the link itself is watched, in the folder that holds it.
   */
  const watchLinkedFolders = async (): Promise<void> => {
    const found: string[] = [];
    // Not the folders at the root (macOS's /tmp and /var are links): "/" is not worth a watch.
    for (let dir = dirname(file); dirname(dirname(dir)) !== dirname(dir); dir = dirname(dir)) {
      const [stat] = await Promise.allSettled([lstat(dir)]);
      if (stat.status === 'fulfilled' && stat.value.isSymbolicLink()) found.push(dir);
    }
    const paths = found.join('\0');
    if (closed || paths === links?.paths) return;
    for (const watcher of links?.watchers ?? []) watcher.close();
    links = { paths, watchers: [] };
    for (const dir of found) {
      try {
        links.watchers.push(watchDirectory(dirname(dir), basename(dir)));
      } catch {
        // The file's own folder is still watched.
      }
    }
  };

  /** Watches the file's directory, and where a symlinked file points to; throws if the directory cannot be. */
  const watchAll = (): void => {
    directoryWatcher?.close();
    directoryWatcher = watchDirectory(dirname(file), basename(file));
    void followLink();
  };

  try {
    watchAll();
  } catch (err) {
    throw new ConfigError('config_unreadable', `cannot watch ${dirname(file)}: ${errorMessage(err)}`, [], {
      cause: err,
    });
  }
  // The file may have changed while the caller started (it was read before this watch began).
  schedule();

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(missingPoll);
      clearTimeout(settling?.timer);
      directoryWatcher?.close();
      target?.watcher?.close();
      for (const watcher of links?.watchers ?? []) watcher.close();
    },
  };
}
