/**
 * Watching a client's file after install. Some clients rewrite their file and drop entries they
 * did not write (Claude Desktop is reported to on launch): that is reported as an event, and our
 * entry is put back only when the caller asked for it. No rewrite loop: changes are debounced,
 * our own writes are recognised by their hash, and re-adding stops after a few tries a minute.
 */
import { watch, type FSWatcher } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { deepEqual } from '../config/diff.ts';
import { errorMessage } from '../protocol/errors.ts';
import { leftByRestore, readBackupRecord } from './backups.ts';
import { clientDefinition } from './clients.ts';
import { clientConfigPath, type InstallerContext } from './client-file.ts';
import { installClient } from './installer.ts';
import { readSnapshot } from './safe-file.ts';
import { sha256, splitText } from './text.ts';
import { ENTRY_NAME, type ClientId, type ShimCommand } from './types.ts';

export type ClientWatchEventType =
  /** The client's file no longer has our entry. */
  | 'entry-removed'
  /** Our entry is there again, or for the first time (an install by `switchboard install`, or by hand). */
  | 'entry-present'
  /** Our entry is still there but says something else (another profile, the other kind of entry). */
  | 'entry-changed'
  /** We put our entry back (`reapply: true`). */
  | 'reapplied'
  /** The file cannot be read or parsed, or re-adding failed or was given up. */
  | 'error';

export interface ClientWatchEvent {
  type: ClientWatchEventType;
  client: ClientId;
  path: string;
  message: string;
  /**
   * The file is as Switchboard last wrote it: an install or uninstall by the app or `switchboard install`
   * (its backup record names the write), not the client's doing.
   */
  bySwitchboard: boolean;
}

export type WatchClientOptions = {
  /** Quiet time after the last change before the file is read (default 300 ms). */
  debounceMs?: number;
  onEvent(event: ClientWatchEvent): void;
} & (
  | { reapply?: false }
  | {
      /** Put our entry back when the client drops it (by default it is only reported). */
      reapply: true;
      /** The entry put back. */
      shim: ShimCommand;
      /** Re-adds allowed per minute before giving up (default 3). */
      maxReappliesPerMinute?: number;
    }
);

export interface ClientWatcher {
  /** Resolves once the watcher has read the file and is listening. */
  ready: Promise<void>;
  /** A folder it watched failed: it sees no more changes (watch the client again). */
  readonly broken: boolean;
  close(): void;
}

/** The file as one read found it: our entry (as JSON) if it has one, or why it cannot be read. */
interface FileState {
  hash: string | null;
  has: boolean;
  /** Our entry's value, when it has one. */
  entry?: unknown;
  error?: string;
}

/** How many times its read takes a file waits, at least, before it is read again. */
const READ_SHARE = 20;
/** How long a file that seemed to lose our entry, or could not be read, is given to be written whole. */
const RECHECK_MS = 1000;

export function watchClient(id: ClientId | string, ctx: InstallerContext, options: WatchClientOptions): ClientWatcher {
  const def = clientDefinition(id);
  const debounceMs = options.debounceMs ?? 300;
  const watchers: FSWatcher[] = [];
  const reapplied: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let file = '';
  let target = '';
  let lastSeen: string | null = null;
  let ourWrite: string | undefined;
  let hadEntry = false;
  /** Our entry as last read, to tell a change of it from one elsewhere in the file. */
  let lastEntry: unknown;
  let running: Promise<void> = Promise.resolve();
  /** A folder watch failed (the folder went, on Windows): the watcher sees nothing more. */
  let broken = false;

  const emit = (type: ClientWatchEventType, message: string, bySwitchboard = false) => {
    if (!closed) options.onEvent({ type, client: def.id, path: file, message, bySwitchboard });
  };

  /** Our entry in the file's text ({ value }; undefined: none). Throws when the text cannot be read. */
  const entryIn = (text: string): { value: unknown } | undefined => {
    const ours = def.format.read(splitText(text).body, file).find(([name]) => name === ENTRY_NAME);
    return ours === undefined ? undefined : { value: ours[1] };
  };

  /** The file now (`error`: it cannot be read); undefined when it did not change since it was last read. */
  const read = async (): Promise<FileState | undefined> => {
    let snapshot;
    try {
      // Resolved again each time: a link the client replaced with a file when it saved is read as that file.
      target = await realpath(file).catch(() => file);
      snapshot = await readSnapshot(target);
    } catch (err) {
      // Not readable at all (not UTF-8, not ours to read): the same failure again is no news.
      const error = errorMessage(err);
      return `unreadable:${error}` === lastSeen ? undefined : { hash: `unreadable:${error}`, has: false, error };
    }
    if (snapshot.hash === lastSeen) return undefined;
    // Read again to confirm what the last read found amiss, and unchanged: that is what it found.
    if (suspect !== undefined && snapshot.hash === suspect.state.hash) return suspect.state;
    // Without our name anywhere it has no entry of ours: a large file a client saves often (Claude
    // Code's ~/.claude.json, tens of megabytes) is not parsed at each save for nothing.
    if (!hadEntry && !snapshot.text.includes(ENTRY_NAME)) return { hash: snapshot.hash, has: false };
    try {
      const entry = entryIn(snapshot.text);
      return entry === undefined
        ? { hash: snapshot.hash, has: false }
        : { hash: snapshot.hash, has: true, entry: entry.value };
    } catch (err) {
      return { hash: snapshot.hash, has: false, error: (err as Error).message };
    }
  };

  /**
   * What the last read found amiss: our entry gone (from a file that reads well) or the file unreadable.
   * Told only once the next read agrees: the entry still gone, whatever else changed meanwhile (a client
   * saving its state often), or the very same unreadable file. A client that writes its file in place,
   * not by renaming, is then not caught half-written.
   */
  let suspect: { state: FileState; gone: boolean } | undefined;
  let recheck = false;

  const check = async () => {
    const state = await read();
    if (!state) return;
    const gone = state.error === undefined && !state.has && hadEntry;
    if (state.error !== undefined || gone) {
      const agreed = gone ? suspect?.gone === true : suspect?.state.hash === state.hash;
      if (!agreed) {
        suspect = { state, gone };
        recheck = true;
        return;
      }
    }
    suspect = undefined;
    lastSeen = state.hash;
    if (state.error !== undefined) {
      emit('error', state.error);
      return;
    }
    const record = await readBackupRecord(ctx.stateDir, def.id).catch((err: unknown) => {
      emit('error', errorMessage(err));
      return undefined;
    });
    // Switchboard's write: an install or uninstall (its record names it), or a restore (which drops the record).
    const ours =
      (state.hash !== null && (state.hash === ourWrite || state.hash === record?.lastWritten)) ||
      (record === undefined && (await leftByRestore(ctx.stateDir, def.id, state.hash)));
    const entryBefore = lastEntry;
    lastEntry = state.entry;
    if (state.has && !hadEntry)
      emit(
        'entry-present',
        ours
          ? `Switchboard wrote its "${ENTRY_NAME}" entry into ${def.name}'s config`
          : `${def.name}'s config has the "${ENTRY_NAME}" entry again`,
        ours,
      );
    // Compared as values: a client that saves the file with the keys in another order did not change it.
    else if (state.has && entryBefore !== undefined && !deepEqual(state.entry, entryBefore))
      emit('entry-changed', `the "${ENTRY_NAME}" entry in ${def.name}'s config changed`, ours);
    if (!state.has && hadEntry) {
      if (ours) {
        // An uninstall: nothing to put back.
        emit('entry-removed', `Switchboard removed its "${ENTRY_NAME}" entry from ${file}`, true);
        hadEntry = false;
        return;
      }
      emit('entry-removed', `${def.name}'s config (${file}) no longer has the "${ENTRY_NAME}" entry`);
      if (options.reapply) await reapply(options.shim, options.maxReappliesPerMinute ?? 3);
      else {
        hadEntry = false;
        return;
      }
    }
    hadEntry = state.has || hadEntry;
  };

  const reapply = async (shim: ShimCommand, budget: number) => {
    const now = Date.now();
    while (reapplied.length > 0 && now - reapplied[0]! > 60_000) reapplied.shift();
    if (reapplied.length >= budget) {
      hadEntry = false;
      emit(
        'error',
        `${def.name} removed the "${ENTRY_NAME}" entry ${reapplied.length} times within a minute; ` +
          `Switchboard stopped putting it back (run switchboard install ${def.id} when ${def.name} is settled)`,
      );
      return;
    }
    reapplied.push(now);
    try {
      const result = await installClient(def.id, ctx, shim);
      ourWrite = sha256(result.plan.after);
      lastSeen = ourWrite;
      hadEntry = true;
      lastEntry = entryIn(result.plan.after)?.value;
      emit('reapplied', `put the "${ENTRY_NAME}" entry back into ${file}`, true);
    } catch (err) {
      hadEntry = false;
      emit('error', `could not put the "${ENTRY_NAME}" entry back: ${(err as Error).message}`);
    }
  };

  /**
   * A file that is slow to read is read less often: at most one twentieth of the time goes to it
   * (a 20 MB ~/.claude.json takes a quarter of a second, on the thread that carries every message).
   */
  let notBefore = 0;
  const schedule = (waitMs = debounceMs, confirming = false) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        running = running
          .then(async () => {
            const started = performance.now();
            await check();
            notBefore = performance.now() + (performance.now() - started) * READ_SHARE;
            if (recheck) {
              // Soon, whatever the file's size: the read that confirms is not parsed again when nothing changed.
              recheck = false;
              schedule(Math.max(debounceMs, RECHECK_MS), true);
            }
          })
          .catch((err: unknown) => emit('error', (err as Error).message));
      },
      confirming ? waitMs : Math.max(waitMs, notBefore - performance.now()),
    );
  };

  const ready = (async () => {
    file = await clientConfigPath(def, ctx);
    // Watching only reads: a file linked from elsewhere (a dotfiles folder) is watched where it is.
    target = await realpath(file).catch(() => file);
    // A file that cannot be read now is told once it changes and still cannot (the client list says so meanwhile).
    const state = await read();
    lastSeen = state?.hash ?? null;
    hadEntry = state?.has ?? false;
    lastEntry = state?.entry;
    if (closed) return;
    // Folders, not files: clients (and we) replace the file by renaming, which ends a file watch.
    // Names as the file system compares them: without case on Windows and (by default) macOS.
    const fold =
      process.platform === 'win32' || process.platform === 'darwin' ? (n: string) => n.toLowerCase() : String;
    for (const dir of new Set([path.dirname(file), path.dirname(target)])) {
      const names = new Set([path.basename(file), path.basename(target)].map(fold));
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(fold(name.toString()))) schedule();
      });
      w.on('error', (err) => {
        broken = true;
        emit('error', `watching ${dir} failed: ${err.message}`);
      });
      watchers.push(w);
    }
  })();

  return {
    ready,
    get broken() {
      return broken;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
