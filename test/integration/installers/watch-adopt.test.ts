/** Watching a client file after install, and adoption (memory secret store; the keychain has its own tests). */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptClient,
  GatewayError,
  installClient,
  listAdoptable,
  loadConfigFile,
  planAdoption,
  restoreClient,
  watchClient,
  type ClientWatchEvent,
} from '../../../main/engine/index.ts';
import { SHIM, tempHome, type TempHome } from './helpers.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

async function waitFor<T>(check: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every file under `dir`, recursively, as text. */
async function allText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(
    entries.filter((e) => e.isFile()).map((e) => readFile(path.join(e.parentPath, e.name), 'latin1')),
  );
  return texts.join('\n');
}

describe('watchClient', () => {
  it('reports a client dropping our entry, ignores our own writes, and re-adds only when asked', async () => {
    home = await tempHome();
    const original = await home.seed('claude-desktop');
    await installClient('claude-desktop', home.ctx, SHIM);
    const events: ClientWatchEvent[] = [];
    const watcher = watchClient('claude-desktop', home.ctx, {
      debounceMs: 50,
      onEvent: (e) => events.push(e),
    });
    await watcher.ready;
    // The client rewrites its file from its own store, without our entry.
    await writeFile(home.file('claude-desktop'), original);
    const removed = await waitFor(() => events.find((e) => e.type === 'entry-removed'));
    expect(removed.message).toMatch(/no longer has the "switchboard" entry/);
    expect(removed.bySwitchboard).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(await readFile(home.file('claude-desktop'))).toEqual(original);
    watcher.close();

    events.length = 0;
    await installClient('claude-desktop', home.ctx, SHIM);
    const again = watchClient('claude-desktop', home.ctx, {
      shim: SHIM,
      reapply: true,
      debounceMs: 50,
      maxReappliesPerMinute: 2,
      onEvent: (e) => events.push(e),
    });
    await again.ready;
    await writeFile(home.file('claude-desktop'), original);
    await waitFor(() => events.find((e) => e.type === 'reapplied'));
    expect(await readFile(home.file('claude-desktop'), 'utf8')).toContain('"switchboard"');
    // Our own write caused no further events: no loop.
    await new Promise((r) => setTimeout(r, 300));
    expect(events.map((e) => e.type)).toEqual(['entry-removed', 'reapplied']);
    // A client that keeps dropping it: re-added twice, then given up.
    for (let i = 0; i < 2; i++) {
      await writeFile(home.file('claude-desktop'), original);
      await waitFor(() => (events.filter((e) => e.type === 'entry-removed').length >= i + 2 ? true : undefined));
      await new Promise((r) => setTimeout(r, 150));
    }
    await waitFor(() => events.find((e) => e.type === 'error' && /stopped putting it back/.test(e.message)));
    again.close();
  });

  it('says nothing of a file caught half-written by a client that writes it in place', async () => {
    home = await tempHome();
    await home.seed('claude-desktop');
    await installClient('claude-desktop', home.ctx, SHIM);
    const installed = await readFile(home.file('claude-desktop'), 'utf8');
    const events: ClientWatchEvent[] = [];
    const watcher = watchClient('claude-desktop', home.ctx, {
      debounceMs: 50,
      onEvent: (e) => events.push(e),
    });
    await watcher.ready;
    // Truncated, then (a moment later) the rest written: read in between, the file has no entry, or is cut short.
    await writeFile(home.file('claude-desktop'), '');
    await new Promise((r) => setTimeout(r, 120));
    await writeFile(home.file('claude-desktop'), installed.slice(0, 40));
    await new Promise((r) => setTimeout(r, 120));
    await writeFile(home.file('claude-desktop'), `${installed}\n`);
    await new Promise((r) => setTimeout(r, 600));
    watcher.close();
    expect(events).toEqual([]);
  });
});

describe('adoption', () => {
  it(
    "moves servers into Switchboard's config and secrets into the store; the client keeps only our entry; " +
      'restore is exact',
    async () => {
      home = await tempHome();
      const original = await home.seed('claude-desktop');
      const configPath = path.join(home.home, '.config', 'switchboard', 'config.json');
      const ctx = { ...home.ctx, configPath };
      const listing = await listAdoptable('claude-desktop', ctx);
      expect(listing.servers.map((s) => s.name)).toEqual(['github', 'filesystem', 'brave-search']);

      const plan = await planAdoption('claude-desktop', ctx, { shim: SHIM });
      expect(plan.clientDiff).not.toContain('ghp_FIXTURE');
      expect(await home.ctx.secrets.list()).toEqual([]);

      const result = await adoptClient('claude-desktop', ctx, { shim: SHIM });
      expect(result.verified).toEqual({ ok: true });
      expect(result.servers.flatMap((s) => s.secrets.map((x) => x.name))).toEqual([
        'claude-desktop.github.GITHUB_PERSONAL_ACCESS_TOKEN',
        'claude-desktop.brave-search.BRAVE_API_KEY',
      ]);
      expect(await home.ctx.secrets.get('claude-desktop.github.GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(
        'ghp_FIXTUREgithubTOKEN0123456789abcd',
      );
      const config = (await loadConfigFile(configPath)).config;
      expect(Object.keys(config.servers)).toEqual(['github', 'filesystem', 'brave-search']);
      const text = await readFile(configPath, 'utf8');
      expect(text).toContain(
        '"GITHUB_PERSONAL_ACCESS_TOKEN": "${secret:claude-desktop.github.GITHUB_PERSONAL_ACCESS_TOKEN}"',
      );
      expect(text).toContain('"BRAVE_REGION": "de"');
      const client = JSON.parse(await readFile(home.file('claude-desktop'), 'utf8')) as Record<string, unknown>;
      expect(client).toEqual({
        mcpServers: { switchboard: SHIM },
        globalShortcut: 'Alt+Space',
        preferences: { menuBarEnabled: true },
      });
      // No secret value is left in any file: client, config, backups, state.
      const everything = await allText(home.home);
      expect(everything).not.toContain('ghp_FIXTUREgithubTOKEN');
      expect(everything).not.toContain('BSA-fixture-brave-key-42');

      await restoreClient('claude-desktop', ctx);
      expect(await readFile(home.file('claude-desktop'))).toEqual(original);
    },
  );

  it('takes only --servers, keeps config comments, reuses same-valued secrets, refuses clashes', async () => {
    home = await tempHome();
    await home.seed('cursor');
    const configPath = path.join(home.home, 'sb.json');
    await writeFile(configPath, '{\n  // mine\n  "mcpServers": {\n    "local": { "command": "echo" },\n  },\n}\n');
    const ctx = { ...home.ctx, configPath };
    const result = await adoptClient('cursor', ctx, { shim: SHIM, servers: ['linear'] });
    expect(result.servers).toEqual([
      {
        from: 'linear',
        name: 'linear',
        secrets: [{ name: 'cursor.linear.header.Authorization', field: 'headers.Authorization' }],
      },
    ]);
    const text = await readFile(configPath, 'utf8');
    expect(text).toContain('// mine');
    expect(text).toContain('"Authorization": "Bearer ${secret:cursor.linear.header.Authorization}"');
    expect(await home.ctx.secrets.get('cursor.linear.header.Authorization')).toBe('lin_api_FIXTURElinearTOKEN');
    const client = await readFile(home.file('cursor'), 'utf8');
    expect(client).toContain('"memory"');
    expect(client).not.toContain('linear');
    await writeFile(configPath, '{ "mcpServers": { "memory": { "command": "other" } } }');
    const err = await adoptClient('cursor', ctx, { shim: SHIM, servers: ['memory'] }).catch((e: unknown) => e);
    expect((err as GatewayError).message).toMatch(/already has a different server named "memory"/);
    const unknown = await adoptClient('cursor', ctx, { shim: SHIM, servers: ['nope'] }).catch((e: unknown) => e);
    expect((unknown as GatewayError).code).toBe('not_found');
  });

  it('adds what it moves to the profile the client will start, and refuses a profile the config lacks', async () => {
    home = await tempHome();
    const original = await home.seed('cursor');
    const configPath = path.join(home.home, 'sb.json');
    const config =
      '{\n  "mcpServers": { "github": { "command": "gh-mcp" } },\n' +
      '  "profiles": { "work": { "servers": ["github"] } }\n}\n';
    await writeFile(configPath, config);
    const ctx = { ...home.ctx, configPath };
    const shimFor = (profile: string) => ({ ...SHIM, args: [...SHIM.args.slice(0, -1), profile] });
    const missing = await adoptClient('cursor', ctx, { shim: shimFor('nosuch'), servers: ['memory'] }).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(GatewayError);
    expect((missing as GatewayError).message).toBe(
      `there is no profile "nosuch" in ${configPath} (it has: default, work); add it there, or pick one of those`,
    );
    expect(await readFile(configPath, 'utf8')).toBe(config);
    expect(await readFile(home.file('cursor'))).toEqual(original);

    await adoptClient('cursor', ctx, { shim: shimFor('work'), servers: ['memory'] });
    const { config: loaded } = await loadConfigFile(configPath);
    expect(loaded.profiles.work!.servers).toEqual(['github', 'memory']);
    // The implicit default profile takes every server: nothing to list.
    await restoreClient('cursor', ctx);
    await adoptClient('cursor', ctx, { shim: shimFor('default'), servers: ['linear'] });
    expect(Object.keys((await loadConfigFile(configPath)).config.profiles).sort()).toEqual(['default', 'work']);
    expect((await loadConfigFile(configPath)).config.profiles.work!.servers).toEqual(['github', 'memory']);
  });

  it('previews the secret names adopt writes, a name already holding another value included', async () => {
    home = await tempHome();
    await home.seed('cursor');
    const ctx = { ...home.ctx, configPath: path.join(home.home, 'sb.json') };
    await home.ctx.secrets.set('cursor.linear.header.Authorization', 'an older token');
    // Without a keychain to read, the preview still works and names what it would try first.
    const unreadable = { ...ctx, secrets: { ...home.ctx.secrets, get: () => Promise.reject(new Error('locked')) } };
    const blind = await planAdoption('cursor', unreadable, { shim: SHIM, servers: ['linear'] });
    expect(blind.configDiff).toContain('${secret:cursor.linear.header.Authorization}');
    const plan = await planAdoption('cursor', ctx, { shim: SHIM, servers: ['linear'] });
    expect(plan.configDiff).toContain('${secret:cursor.linear.header.Authorization-2}');
    const result = await adoptClient('cursor', ctx, { shim: SHIM, servers: ['linear'] });
    expect(result.servers[0]!.secrets.map((x) => x.name)).toEqual(['cursor.linear.header.Authorization-2']);
    expect(result.configDiff).toBe(plan.configDiff);
  });

  it('translates variables and leaves what only the client can fill in', async () => {
    home = await tempHome();
    await home.seed('vscode');
    await home.seed('claude-code');
    const ctx = { ...home.ctx, configPath: path.join(home.home, 'sb.json') };
    const vs = await adoptClient('vscode', ctx, { shim: SHIM });
    expect(vs.servers.map((s) => s.name)).toEqual(['fetch']);
    expect(vs.warnings.join('\n')).toMatch(/left "perplexity" in VS Code: uses \$\{input:perplexity-key\}/);
    expect(await readFile(home.file('vscode'), 'utf8')).toContain('perplexity');
    const cc = await adoptClient('claude-code', ctx, { shim: SHIM });
    expect(cc.servers.map((s) => [s.name, s.secrets.length])).toEqual([
      ['sentry', 0],
      ['context7', 0],
    ]);
    const config = await readFile(ctx.configPath, 'utf8');
    expect(config).toContain('"Authorization": "Bearer ${env:SENTRY_TOKEN}"');
    expect(config).toContain('"transport": "streamable-http"');
    // Claude Code's project-scoped servers and the rest of its state are untouched.
    expect(await readFile(home.file('claude-code'), 'utf8')).toContain('"project-only"');
  });

  it('takes the variables Gemini CLI, Windsurf and Codex fill in from the environment, not as text', async () => {
    home = await tempHome();
    const ctx = { ...home.ctx, configPath: path.join(home.home, 'sb.json') };
    await home.write(
      'gemini-cli',
      JSON.stringify({
        mcpServers: {
          github: { command: 'gh-mcp', env: { GITHUB_PERSONAL_ACCESS_TOKEN: '$GITHUB_TOKEN', HOST: '${GH_HOST}' } },
          api: { httpUrl: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer $API_TOKEN' } },
        },
      }),
    );
    await home.write(
      'windsurf',
      JSON.stringify({
        mcpServers: {
          jot: { serverUrl: 'https://jot.example.com/mcp', headers: { Authorization: 'Bearer ${env:JOT_TOKEN}' } },
        },
      }),
    );
    await home.write(
      'codex',
      '[mcp_servers.figma]\nurl = "https://figma.example.com/mcp"\nbearer_token_env_var = "FIGMA_TOKEN"\n',
    );
    await home.write(
      'continue',
      'name: A\nversion: 1.0.0\nschema: v1\nmcpServers:\n  - name: brave\n    command: brave-mcp\n' +
        '    env:\n      BRAVE_API_KEY: ${{ secrets.BRAVE_API_KEY }}\n',
    );
    const gemini = await adoptClient('gemini-cli', ctx, { shim: SHIM });
    expect(gemini.warnings.join('\n')).toMatch(/"github": takes GITHUB_TOKEN, GH_HOST from the environment/);
    const windsurf = await adoptClient('windsurf', ctx, { shim: SHIM });
    expect(windsurf.warnings.join('\n')).toMatch(/"jot": takes JOT_TOKEN from the environment/);
    await adoptClient('codex', ctx, { shim: SHIM });
    const servers = (await loadConfigFile(ctx.configPath)).config.servers;
    expect(servers.github).toMatchObject({
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${env:GITHUB_TOKEN}', HOST: '${env:GH_HOST}' },
    });
    expect(servers.api).toMatchObject({ headers: { Authorization: 'Bearer ${env:API_TOKEN}' } });
    expect(servers.jot).toMatchObject({ headers: { Authorization: 'Bearer ${env:JOT_TOKEN}' } });
    expect(servers.figma).toMatchObject({ headers: { Authorization: 'Bearer ${env:FIGMA_TOKEN}' } });
    // Nothing went to the keychain: the names of variables are not their values.
    expect(await home.ctx.secrets.list()).toEqual(['switchboard.backup-key']);

    const listing = await listAdoptable('continue', ctx);
    expect(listing.servers[0]!.problem).toBe('uses ${{ secrets.BRAVE_API_KEY }}, which only Continue can fill in');
    await expect(adoptClient('continue', ctx, { shim: SHIM, servers: ['brave'] })).rejects.toThrow(/only Continue/);
    expect(await readFile(home.file('continue'), 'utf8')).toContain('brave-mcp');
  });
});
