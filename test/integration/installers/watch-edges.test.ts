/**
 * Watching clients' files where it is easy to be wrong: a restore (which drops the backup record) is
 * Switchboard's doing, not the client's; an entry taken out of a file the client keeps saving is told
 * while it saves; a config linked from a dotfiles folder, a client folder deleted and made again, and
 * a link the client replaced with a file when it saved are all still watched; a file that is not
 * UTF-8 is told once, not at every save.
 */
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientFileChange } from '../../../preload/contract/index.ts';
import { ClientFileWatch } from '../../../main/engine/api/client-watch.ts';
import { installClient, restoreClient, watchClient, type ClientWatchEvent } from '../../../main/engine/index.ts';
import { waitFor } from '../../helpers/gateway.ts';
import { SHIM, tempHome, type TempHome } from './helpers.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WITH_ENTRY = JSON.stringify({ mcpServers: { switchboard: { command: SHIM.command, args: SHIM.args } } });
const WITHOUT = '{ "mcpServers": {} }\n';

let home: TempHome | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await home?.cleanup();
  home = undefined;
});

/** The events of a watcher of `client`'s file, once it listens. */
async function watched(client: 'claude-desktop' | 'cursor' | 'claude-code'): Promise<ClientWatchEvent[]> {
  const events: ClientWatchEvent[] = [];
  const watcher = watchClient(client, home!.ctx, { debounceMs: 50, onEvent: (e) => events.push(e) });
  closers.push(() => watcher.close());
  await watcher.ready;
  return events;
}

function fileWatch(): { changes: ClientFileChange[]; logs: string[]; watch: ClientFileWatch } {
  const changes: ClientFileChange[] = [];
  const logs: string[] = [];
  const watch = new ClientFileWatch({
    context: home!.ctx,
    debounceMs: 50,
    onChange: (c) => changes.push(c),
    log: (t) => logs.push(t),
  });
  closers.push(() => watch.close());
  return { changes, logs, watch };
}

describe('watching client files', () => {
  it.each([
    ['puts the original back', false],
    ['removes a file Switchboard made', true],
  ])('tells a restore that %s as Switchboard taking its entry out', async (_what, made) => {
    home = await tempHome();
    if (!made) await home.seed('claude-desktop');
    else await mkdir(path.dirname(home.file('claude-desktop')), { recursive: true });
    await installClient('claude-desktop', home.ctx, SHIM);
    const events = await watched('claude-desktop');
    const result = await restoreClient('claude-desktop', home.ctx);
    expect(result.action).toBe(made ? 'removed' : 'restored');
    const removed = await waitFor(() => events.find((e) => e.type === 'entry-removed'), 10_000, 'entry-removed');
    expect(removed.bySwitchboard).toBe(true);
  });

  it('tells an entry taken out of a file the client keeps saving, while it saves', async () => {
    home = await tempHome();
    await home.seed('claude-code');
    await installClient('claude-code', home.ctx, SHIM);
    const state = JSON.parse(await readFile(home.file('claude-code'), 'utf8')) as Record<string, unknown> & {
      mcpServers: Record<string, unknown>;
    };
    delete state.mcpServers.switchboard;
    const events = await watched('claude-code');
    // Saved every 400 ms (its startup count, say) for 6 s, each save without the entry.
    for (let i = 0; i < 15 && !events.some((e) => e.type === 'entry-removed'); i++) {
      await writeFile(home.file('claude-code'), JSON.stringify({ ...state, numStartups: i }, null, 2));
      await sleep(400);
    }
    expect(events.map((e) => e.type)).toEqual(['entry-removed']);
  });

  it('does not tell an entry as changed when the client saved it with its keys in another order', async () => {
    home = await tempHome();
    await home.write('cursor', WITH_ENTRY);
    const events = await watched('cursor');
    // As a client that rewrites its file on launch might: the same entry, args first, indented.
    const reordered = { mcpServers: { switchboard: { args: SHIM.args, command: SHIM.command } } };
    await writeFile(home.file('cursor'), JSON.stringify(reordered, null, 2));
    await sleep(1500);
    expect(events).toEqual([]);
    // A real change of it still is.
    const edited = {
      mcpServers: { switchboard: { args: [...SHIM.args, '--profile', 'work'], command: SHIM.command } },
    };
    await writeFile(home.file('cursor'), JSON.stringify(edited, null, 2));
    const changed = await waitFor(() => events.find((e) => e.type === 'entry-changed'), 10_000, 'entry-changed');
    expect(changed.bySwitchboard).toBe(false);
  });

  it('watches a config linked from a dotfiles folder, and says nothing at each scan', async () => {
    home = await tempHome();
    const dotfile = path.join(home.home, 'dotfiles', 'mcp.json');
    await mkdir(path.dirname(dotfile), { recursive: true });
    await writeFile(dotfile, WITH_ENTRY);
    await mkdir(path.dirname(home.file('cursor')), { recursive: true });
    await symlink(dotfile, home.file('cursor'));
    const { changes, logs, watch } = fileWatch();
    await watch.scan();
    await watch.scan();
    expect(watch.watched()).toContain('cursor');
    expect(logs).toEqual([]);
    await writeFile(dotfile, WITHOUT);
    const removed = await waitFor(() => changes.find((c) => c.client === 'cursor'), 10_000, 'a change of Cursor');
    expect(removed.change).toBe('entry-removed');
  });

  it('watches a client whose folder was deleted and made again, once the clients are listed', async () => {
    home = await tempHome();
    await home.write('cursor', WITH_ENTRY);
    const { changes, watch } = fileWatch();
    await watch.scan();
    await rm(path.dirname(home.file('cursor')), { recursive: true });
    await sleep(1500);
    await home.write('cursor', WITH_ENTRY);
    await watch.scan();
    // Whatever the deletion made it read again has been read.
    await sleep(1500);
    changes.length = 0;
    await writeFile(home.file('cursor'), WITHOUT);
    const removed = await waitFor(() => changes.find((c) => c.client === 'cursor'), 10_000, 'a change of Cursor');
    expect(removed.change).toBe('entry-removed');
  });

  it('follows a link the client replaced with a file when it saved', async () => {
    home = await tempHome();
    const dir = path.dirname(home.file('cursor'));
    const real = path.join(dir, 'real', 'mcp.json');
    await mkdir(path.dirname(real), { recursive: true });
    await writeFile(real, WITH_ENTRY);
    await symlink(real, home.file('cursor'));
    const events = await watched('cursor');
    // The client saves by writing a temp file and renaming it over its path: the link becomes a file.
    await writeFile(path.join(dir, 'mcp.json.tmp'), WITHOUT);
    await rename(path.join(dir, 'mcp.json.tmp'), home.file('cursor'));
    await waitFor(() => events.find((e) => e.type === 'entry-removed'), 10_000, 'entry-removed');
  });

  it('tells a file that is not UTF-8 once, not at every save', async () => {
    home = await tempHome();
    await home.write('cursor', WITH_ENTRY);
    const events = await watched('cursor');
    for (let i = 0; i < 3; i++) {
      await writeFile(home.file('cursor'), Buffer.from([0xff, 0xfe, 0x7b, 0x30 + i]));
      await sleep(600);
    }
    await sleep(1500);
    expect(events.map((e) => e.type)).toEqual(['error']);
    expect(events[0]!.message).toMatch(/not UTF-8/);
  });
});
