/**
 * The clients' config files, watched while the gateway runs: a client that rewrites its file
 * without Switchboard's entry (Claude Desktop is reported to on launch), an install or uninstall by
 * `switchboard install` or by hand, or a file that can no longer be read is told as it happens
 * (the `client-file` event), so every view of the clients reads them again and the app can say so.
 * Only clients whose folder exists are watched; one that appears later is picked up the next time
 * the clients are listed.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import type { ClientFileChange } from '../../../preload/contract/index.ts';
import {
  CLIENTS,
  clientConfigPath,
  clientDefinition,
  watchClient,
  type ClientWatcher,
  type InstallerContext,
} from '../installers/index.ts';
import { errorMessage } from '../protocol/errors.ts';

export interface ClientFileWatchOptions {
  context: InstallerContext;
  onChange(change: ClientFileChange): void;
  log?: (text: string) => void;
  /** Quiet time after a change before the file is read. Default 300 ms. */
  debounceMs?: number;
}

export class ClientFileWatch {
  private readonly opts: ClientFileWatchOptions;
  /** Watched clients, by id, with the file they were watched at and its folder's inode then. */
  private readonly watching = new Map<string, { file: string; folder: number; watcher: ClientWatcher }>();
  /** What could not be watched, by client, as last logged: said once, not at every scan. */
  private readonly refused = new Map<string, string>();
  private scanning: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(opts: ClientFileWatchOptions) {
    this.opts = opts;
  }

  /**
   * Watches every client whose config folder exists and is not watched yet (or moved: a variable such
   * as CLAUDE_CONFIG_DIR changed). Resolves once those watchers listen; never rejects.
   */
  scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        await Promise.all(CLIENTS.map((def) => this.watchOne(def.id)));
      } while (this.again && !this.closed);
    };
    this.scanning = run().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** Clients watched now, by id. */
  watched(): string[] {
    return [...this.watching.keys()];
  }

  close(): void {
    this.closed = true;
    for (const { watcher } of this.watching.values()) watcher.close();
    this.watching.clear();
  }

  private async watchOne(id: string): Promise<void> {
    let file: string;
    try {
      file = await clientConfigPath(clientDefinition(id), this.opts.context);
    } catch (err) {
      this.opts.log?.(`cannot tell where ${clientDefinition(id).name} keeps its config: ${errorMessage(err)}`);
      return;
    }
    const known = this.watching.get(id);
    if (this.closed) return;
    const folder = await folderInode(path.dirname(file));
    // Watched still, unless the folder went (made again, it is another: a watch on the old one sees nothing).
    if (known?.file === file && known.folder === folder && !known.watcher.broken) return;
    if (this.closed || this.watching.get(id) !== known) return;
    known?.watcher.close();
    this.watching.delete(id);
    if (folder === undefined) return;
    const def = clientDefinition(id);
    const watcher = watchClient(id, this.opts.context, {
      debounceMs: this.opts.debounceMs ?? 300,
      onEvent: (event) =>
        this.opts.onChange({
          client: event.client,
          name: def.name,
          path: event.path,
          change: event.type,
          message: event.message,
          bySwitchboard: event.bySwitchboard,
        }),
    });
    this.watching.set(id, { file, folder, watcher });
    try {
      await watcher.ready;
      this.refused.delete(id);
    } catch (err) {
      // The folder went meanwhile, or cannot be watched: tried again at the next scan.
      watcher.close();
      if (this.watching.get(id)?.watcher === watcher) this.watching.delete(id);
      const why = `cannot watch ${def.name}'s config (${file}): ${errorMessage(err)}`;
      if (this.refused.get(id) !== why) this.opts.log?.(why);
      this.refused.set(id, why);
    }
  }
}

/** The folder's inode, or undefined when there is no folder there. */
async function folderInode(dir: string): Promise<number | undefined> {
  try {
    const info = await stat(dir);
    return info.isDirectory() ? info.ino : undefined;
  } catch {
    return undefined;
  }
}
