/**
 * Claude Code's ~/.claude.json as a heavy user has it: megabytes of state (projects, prompt
 * histories, pasted text, unicode) around a small server section. Install, uninstall, adoption and
 * restore change that section and nothing else, byte for byte; the preview shows the change at the
 * line where it is; a file broken deep inside is refused with its line and column; and the Clients
 * list, which reads a file again only when it changed, sees every save Claude Code makes.
 */
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptClient,
  detectClient,
  installClient,
  planInstall,
  restoreClient,
  uninstallClient,
  watchClient,
  type ClientWatchEvent,
} from '../../../main/engine/index.ts';
import { waitFor } from '../../helpers/gateway.ts';
import { claudeState, claudeStateText } from '../../fixtures/claude-state.ts';
import { SHIM, tempHome, type TempHome } from './helpers.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

const ENTRY = { type: 'stdio', command: SHIM.command, args: SHIM.args };

/**
 * The text before and after the top-level "mcpServers" section, found by plain string search (not by
 * the code under test): what must stay exactly as Claude Code wrote it.
 */
function around(text: string): { head: string; tail: string } {
  const start = text.indexOf('\n  "mcpServers": {');
  const end = text.indexOf('\n  },\n  "cachedChangelog"', start);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return { head: text.slice(0, start), tail: text.slice(end + '\n  }'.length) };
}

/**
 * How many times `run` reads `file` through node:fs/promises, as the engine reads it (each read of a
 * 20 MB ~/.claude.json is a quarter of a second of the gateway's time once decoded and parsed).
 */
async function readsOf(file: string, run: () => Promise<unknown>): Promise<number> {
  const fs = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
  const original = fs.readFile;
  let reads = 0;
  fs.readFile = ((target: unknown, ...rest: unknown[]) => {
    if (target === file) reads++;
    return (original as (...args: unknown[]) => unknown)(target, ...rest);
  }) as typeof original;
  syncBuiltinESMExports();
  try {
    await run();
  } finally {
    fs.readFile = original;
    syncBuiltinESMExports();
  }
  return reads;
}

async function withLargeFile(): Promise<{ file: string; original: string }> {
  home = await tempHome();
  const original = claudeStateText({ bytes: 3_000_000 });
  return { file: await home.write('claude-code', original), original };
}

describe('a large ~/.claude.json', () => {
  it('install adds the entry, nothing else; the preview shows it where it is; restore is exact', async () => {
    const { file, original } = await withLargeFile();
    const plan = await planInstall('claude-code', home!.ctx, SHIM);
    const result = await installClient('claude-code', home!.ctx, SHIM);
    expect(result.written).toBe(true);
    expect(result.verified).toEqual({ ok: true });
    const after = await readFile(file, 'utf8');
    expect(around(after)).toEqual(around(original));
    const state = JSON.parse(after) as { mcpServers: Record<string, unknown> };
    expect(state).toEqual({ ...claudeState({ bytes: 3_000_000 }), mcpServers: { ...state.mcpServers } });
    expect(Object.keys(state.mcpServers)).toEqual(['github', 'notes', 'scratch', 'switchboard']);
    expect(state.mcpServers.switchboard).toEqual(ENTRY);

    // The preview is the change written, at the line numbers it has in the file before and after.
    expect(plan.diff).toBe(result.plan.diff);
    const [, oldStart, , newStart] = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/m.exec(plan.diff)!.map(Number);
    const shown = plan.diff.split('\n').slice(3, -1);
    const side = (drop: string) => shown.filter((l) => !l.startsWith(drop)).map((l) => l.slice(1));
    const at = (text: string, line: number, count: number) => text.split('\n').slice(line - 1, line - 1 + count);
    expect(at(original, oldStart!, side('+').length)).toEqual(side('+'));
    expect(at(after, newStart!, side('-').length)).toEqual(side('-'));
    expect(shown).toContain('+    "switchboard": {');
    expect(shown.filter((l) => /^[-+]/.test(l)).join('\n')).not.toMatch(/numStartups|projects|history/);

    expect((await restoreClient('claude-code', home!.ctx)).action).toBe('restored');
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it('install reads the file once to change it and once to check nobody saved it meanwhile, no more', async () => {
    const { file } = await withLargeFile();
    let result: Awaited<ReturnType<typeof installClient>> | undefined;
    expect(await readsOf(file, async () => (result = await installClient('claude-code', home!.ctx, SHIM)))).toBe(2);
    expect(result).toMatchObject({ written: true, verified: { ok: true } });
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveProperty('mcpServers.switchboard', ENTRY);
    // Already there: read once, nothing written.
    expect(await readsOf(file, async () => (result = await installClient('claude-code', home!.ctx, SHIM)))).toBe(1);
    expect(result).toMatchObject({ written: false, verified: { ok: true } });
  });

  it('uninstall takes out only the entry: the file is again as Claude Code wrote it', async () => {
    const { file, original } = await withLargeFile();
    await installClient('claude-code', home!.ctx, SHIM);
    expect((await uninstallClient('claude-code', home!.ctx)).written).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it('adoption moves the servers out; after Claude Code saves, restore puts back only the servers', async () => {
    const { file, original } = await withLargeFile();
    const ctx = { ...home!.ctx, configPath: path.join(home!.home, '.config', 'switchboard', 'config.json') };
    const adopted = await adoptClient('claude-code', ctx, { shim: SHIM });
    expect(adopted.verified).toEqual({ ok: true });
    const after = await readFile(file, 'utf8');
    expect(around(after)).toEqual(around(original));
    expect((JSON.parse(after) as { mcpServers: unknown }).mcpServers).toEqual({ switchboard: ENTRY });

    // Claude Code saves: a count goes up, in place, the rest of its state as it was.
    const saved = after.replace('"numStartups": 1873', '"numStartups": 1874');
    await writeFile(file, saved);
    const restored = await restoreClient('claude-code', ctx);
    expect(restored.action).toBe('servers-restored');
    expect(restored.putBack).toEqual(['github', 'notes', 'scratch']);
    const now = await readFile(file, 'utf8');
    expect(around(now)).toEqual(around(saved));
    expect(JSON.parse(now)).toEqual({ ...(JSON.parse(original) as object), numStartups: 1874 });
  });

  it('a file broken deep inside is refused, naming its line and column, and left as it is', async () => {
    const { file, original } = await withLargeFile();
    const at = original.indexOf('"lastCost"', original.length / 2);
    const broken = `${original.slice(0, at)}"lastCost" 1,${original.slice(at + '"lastCost":'.length)}`;
    await writeFile(file, broken);
    const line = broken.slice(0, at).split('\n').length;
    const column = at - broken.lastIndexOf('\n', at - 1) - 1 + '"lastCost" '.length + 1;
    const status = await detectClient('claude-code', home!.ctx);
    expect(status.state).toBe('invalid');
    expect(status.problem).toBe(`${file}:${line}:${column}: syntax error: expected ":"`);
    await expect(installClient('claude-code', home!.ctx, SHIM)).rejects.toThrow(
      `${file}:${line}:${column}: syntax error: expected ":" (the file was not changed)`,
    );
    expect(await readFile(file, 'utf8')).toBe(broken);
  });

  it('the Clients list sees a save that keeps the size and the time of the file', async () => {
    const { file, original } = await withLargeFile();
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    expect((await detectClient('claude-code', home!.ctx)).servers).toEqual(['github', 'notes', 'scratch']);
    // Saved in place, as long as before, and the time set back: only the change time tells.
    const renamed = original.replace('"scratch": {', '"scratcH": {');
    expect(renamed.length).toBe(original.length);
    await writeFile(file, renamed);
    await utimes(file, old, old);
    expect((await stat(file)).mtimeMs).toBe(old.getTime());
    expect((await detectClient('claude-code', home!.ctx)).servers).toEqual(['github', 'notes', 'scratcH']);
  });

  it('a watcher reads the file Claude Code saves every half second only now and then, sees the entry go', async () => {
    home = await tempHome();
    const file = await home.write('claude-code', claudeStateText({ bytes: 20_000_000 }));
    await installClient('claude-code', home.ctx, SHIM);
    const installed = await readFile(file, 'utf8');
    const events: ClientWatchEvent[] = [];
    const saves = 10;
    const watcher = watchClient('claude-code', home.ctx, {
      debounceMs: 50,
      onEvent: (e) => events.push(e),
    });
    try {
      await watcher.ready;
      // Claude Code saves its state (a little different each time), every half second.
      const reads = await readsOf(file, async () => {
        for (let i = 1; i <= saves; i++) {
          await writeFile(file, installed + ' '.repeat(i));
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      });
      // Each read of 20 MB holds up the gateway's messages for a quarter of a second or more: not one per save.
      expect(reads).toBeLessThanOrEqual(saves / 2);
      // Then it saves once without our entry: told, if not at once.
      const state = JSON.parse(installed) as { mcpServers: Record<string, unknown> };
      delete state.mcpServers.switchboard;
      await writeFile(file, JSON.stringify(state, null, 2));
      await waitFor(() => events.find((e) => e.type === 'entry-removed'), 60_000, 'entry-removed');
    } finally {
      watcher.close();
    }
    expect(events.map((e) => e.type)).toEqual(['entry-removed']);
  }, 120_000);
});
