import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  hashConfigText,
  watchConfigFile,
  type ConfigWatcher,
  type ConfigWatchResult,
} from '../../../../main/engine/config/index.ts';

const DEBOUNCE_MS = 30;

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const configText = (command: string) => JSON.stringify({ mcpServers: { a: { command } } });

describe('watchConfigFile', () => {
  let dir: string;
  let file: string;
  let watcher: ConfigWatcher | undefined;
  let results: ConfigWatchResult[];

  const start = (path: string, text: string) => {
    watcher = watchConfigFile(path, (r) => results.push(r), {
      debounceMs: DEBOUNCE_MS,
      initialHash: hashConfigText(text),
    });
  };
  const commandOf = (r: ConfigWatchResult | undefined) =>
    r && 'config' in r && r.config.config.servers.a?.kind === 'stdio' ? r.config.config.servers.a.command : undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-watch-'));
    file = join(dir, 'config.json');
    results = [];
    await writeFile(file, configText('one'));
  });

  afterEach(async () => {
    watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the new config when the file is replaced atomically (temp file + rename)', async () => {
    start(file, configText('one'));
    const temp = join(dir, '.config.json.tmp');
    await writeFile(temp, configText('two'));
    await rename(temp, file);
    await waitFor(() => results.length > 0, 'a reload');
    expect(commandOf(results[0])).toBe('two');
    expect(results[0] && 'config' in results[0] && results[0].config.path).toBe(file);

    // And keeps watching the new file after the rename.
    await writeFile(file, configText('three'));
    await waitFor(() => results.length > 1, 'a second reload');
    expect(commandOf(results[1])).toBe('three');
  });

  it('reports an invalid edit as an error with positions', async () => {
    start(file, configText('one'));
    await writeFile(file, '{"mcpServers": {"a": {"command": ""}}}');
    await waitFor(() => results.length > 0, 'an error');
    const result = results[0];
    expect(result && 'error' in result && result.error.code).toBe('config_invalid');
    expect(result && 'error' in result && result.error.message).toBe(
      `${file}:1:34: mcpServers.a.command: expected a non-empty string`,
    );
  });

  it('stays quiet when a save does not change the content', async () => {
    start(file, configText('one'));
    await writeFile(file, configText('one'));
    // Let the identical save's debounce pass, then make a real change: only that one may be reported.
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS * 5));
    await writeFile(file, configText('two'));
    await waitFor(() => results.length > 0, 'the real change');
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS * 3));
    expect(results.map(commandOf)).toEqual(['two']);
  });

  it('ignores other files in the directory', async () => {
    start(file, configText('one'));
    await writeFile(join(dir, 'other.json'), 'not even json');
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS * 5));
    await writeFile(file, configText('two'));
    await waitFor(() => results.length > 0, 'the real change');
    expect(results.map(commandOf)).toEqual(['two']);
  });

  it('survives a callback that throws, a deleted file and its return', async () => {
    watcher = watchConfigFile(
      file,
      (r) => {
        results.push(r);
        throw new Error('listener bug');
      },
      { debounceMs: DEBOUNCE_MS, initialHash: hashConfigText(configText('one')) },
    );
    await unlink(file);
    await waitFor(() => results.length > 0, 'the deletion');
    const removed = results[0];
    expect(removed && 'error' in removed && removed.error.code).toBe('config_unreadable');

    await writeFile(file, configText('back'));
    await waitFor(() => results.length > 1, 'the file coming back');
    expect(commandOf(results[1])).toBe('back');
  });

  it('follows a symlinked config to the file it points at', async () => {
    const realDir = join(dir, 'dotfiles');
    await mkdir(realDir);
    const real = join(realDir, 'switchboard.json');
    await writeFile(real, configText('one'));
    const link = join(dir, 'linked.json');
    await symlink(real, link);
    start(link, configText('one'));
    // realpath resolves asynchronously; give the second watch a moment to attach.
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(real, configText('edited'));
    await waitFor(() => results.length > 0, 'the edit through the link');
    expect(commandOf(results[0])).toBe('edited');
  });

  it('follows the link to where it points now, once it was pointed elsewhere', async () => {
    const dotfiles = join(dir, 'dotfiles');
    await mkdir(join(dotfiles, 'a'), { recursive: true });
    await mkdir(join(dotfiles, 'b'));
    await writeFile(join(dotfiles, 'a', 'config.json'), configText('one'));
    await writeFile(join(dotfiles, 'b', 'config.json'), configText('bee'));
    const link = join(dir, 'linked.json');
    await symlink(join(dotfiles, 'a', 'config.json'), link);
    start(link, configText('one'));
    await new Promise((r) => setTimeout(r, 50));
    // `ln -sfn`: a new link renamed over the old one.
    await symlink(join(dotfiles, 'b', 'config.json'), `${link}.new`);
    await rename(`${link}.new`, link);
    await waitFor(() => commandOf(results.at(-1)) === 'bee', 'the file the link points at now');
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(join(dotfiles, 'b', 'config.json'), configText('edited'));
    await waitFor(() => commandOf(results.at(-1)) === 'edited', 'an edit of the file the link points at now');
  });

  it('follows a symlinked folder on the way to the file to where it points now (ln -sfn, GNU stow)', async () => {
    const dotfiles = join(dir, 'dotfiles');
    await mkdir(join(dotfiles, 'home'), { recursive: true });
    await mkdir(join(dotfiles, 'work'));
    await writeFile(join(dotfiles, 'home', 'config.json'), configText('one'));
    await writeFile(join(dotfiles, 'work', 'config.json'), configText('work'));
    const folder = join(dir, 'switchboard');
    await symlink(join(dotfiles, 'home'), folder);
    start(join(folder, 'config.json'), configText('one'));
    await new Promise((r) => setTimeout(r, 100));
    await symlink(join(dotfiles, 'work'), `${folder}.new`);
    await rename(`${folder}.new`, folder);
    await waitFor(() => commandOf(results.at(-1)) === 'work', 'the file in the folder the link points at now');
    await new Promise((r) => setTimeout(r, 100));
    await writeFile(join(dotfiles, 'work', 'config.json'), configText('edited'));
    await waitFor(() => commandOf(results.at(-1)) === 'edited', 'an edit in the folder the link points at now');
  });

  it('reports a save of nothing but comments as an error, and a file not in UTF-8 as one', async () => {
    start(file, configText('one'));
    await writeFile(file, '// {"mcpServers": {"a": {"command": "one"}}}\n');
    await waitFor(() => results.length > 0, 'the commented-out file reported');
    expect('error' in results[0]! && results[0].error.message).toMatch(
      /has nothing but comments: the servers keep running as they are/,
    );
    await writeFile(file, Buffer.from('{"mcpServers": {"a": {"command": "caf\u00e9"}}}', 'latin1'));
    await waitFor(() => results.length > 1, 'the Latin-1 file reported');
    expect('error' in results[1]! && results[1].error.message).toMatch(/not UTF-8 text .*save the file as UTF-8/);
  });

  it('reports a change made before the watch began (while the caller was starting)', async () => {
    // The caller loaded "one"; the file said "two" by the time it watched.
    await writeFile(file, configText('two'));
    start(file, configText('one'));
    await waitFor(() => results.length > 0, 'the change made before');
    expect(commandOf(results[0])).toBe('two');
  });

  it('reports an empty file as an error instead of a config without servers', async () => {
    start(file, configText('one'));
    await writeFile(file, '');
    await waitFor(() => results.length > 0, 'the empty file reported');
    expect('error' in results[0]! && results[0].error.message).toMatch(/is empty: the servers keep running/);
    await writeFile(file, configText('two'));
    await waitFor(() => results.length > 1, 'the written file');
    expect(commandOf(results[1])).toBe('two');
  });

  it('says nothing of the states a save in two steps passes through: emptied, cut off, deleted', async () => {
    start(file, configText('one'));
    const whole = configText('two');
    await writeFile(file, '');
    await new Promise((r) => setTimeout(r, 300));
    await writeFile(file, whole.slice(0, 20));
    await new Promise((r) => setTimeout(r, 300));
    await unlink(file);
    await new Promise((r) => setTimeout(r, 300));
    await writeFile(file, whole);
    await waitFor(() => results.length > 0, 'the file as written');
    await new Promise((r) => setTimeout(r, 1200));
    expect(results.map(commandOf)).toEqual(['two']);
  });

  it('reports a file that stays cut off once, when it has stayed so for a second', async () => {
    start(file, configText('one'));
    await writeFile(file, configText('two').slice(0, 20));
    const written = Date.now();
    await waitFor(() => results.length > 0, 'the error');
    expect(Date.now() - written).toBeGreaterThanOrEqual(1000);
    expect('error' in results[0]! && results[0].error.message).toMatch(/:1:\d+: .*syntax error/);
    await new Promise((r) => setTimeout(r, 1200));
    expect(results).toHaveLength(1);
  });

  it('keeps watching a directory that is deleted and made again', async () => {
    start(file, configText('one'));
    await rm(dir, { recursive: true, force: true });
    await waitFor(() => results.some((r) => 'error' in r), 'the missing file reported');
    await mkdir(dir);
    await writeFile(file, configText('back'));
    await waitFor(() => commandOf(results.at(-1)) === 'back', 'the file made again', 5000);
    await writeFile(file, configText('edited'));
    await waitFor(() => commandOf(results.at(-1)) === 'edited', 'an edit after it');
  });

  it('reports nothing after close()', async () => {
    start(file, configText('one'));
    watcher?.close();
    await writeFile(file, configText('two'));
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS * 5));
    expect(results).toEqual([]);
  });

  it('throws a ConfigError when the directory cannot be watched', () => {
    expect(() => watchConfigFile(join(dir, 'missing', 'config.json'), () => {})).toThrow(/cannot watch/);
  });
});
