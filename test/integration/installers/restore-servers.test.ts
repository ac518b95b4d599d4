/**
 * Restoring a client that keeps more than its MCP servers in the file Switchboard edits (Claude
 * Code's whole state in ~/.claude.json, Zed's settings): after the client changed the file, only
 * the server section comes back and everything else stays as the client has it now. A client
 * whose file holds only servers (Cursor) still gets its original back byte for byte. Real CLI,
 * real files under a temporary HOME; the Clients screen's path through the control API too.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { removeJsonValue } from '../../../main/engine/installers/formats/json.ts';
import type { Gateway } from '../../../main/engine/index.ts';
import { httpApi } from '../../helpers/api-clients.ts';
import { fixtureServer, startGateway, writeConfig } from '../../helpers/gateway.ts';
import { runCli, SHIM, tempHome, type TempHome } from './helpers.ts';

let home: string | undefined;
let temp: TempHome | undefined;
let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
  await temp?.cleanup();
  temp = undefined;
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

const env = () => ({ HOME: home! });
const claudeJson = () => path.join(home!, '.claude.json');
const zedSettings = () => path.join(home!, '.config', 'zed', 'settings.json');
const cursorJson = () => path.join(home!, '.cursor', 'mcp.json');
const backups = () => path.join(home!, '.local', 'state', 'switchboard', 'backups');

/** A file's text without the section at `key`: what must stay exactly as the client left it. */
const outside = (text: string, file: string, key: string) => removeJsonValue(text, file, [key]);

/** ~/.claude.json as Claude Code keeps it: its whole state, with three servers of the user's. */
const CLAUDE_STATE = {
  numStartups: 12,
  theme: 'dark',
  hasCompletedOnboarding: true,
  projects: { '/home/me/app': { allowedTools: [], history: [{ display: 'fix the build' }] } },
  mcpServers: {
    github: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: {} },
    notes: { type: 'http', url: 'https://notes.example.com/mcp' },
    scratch: { type: 'stdio', command: 'scratch-mcp', args: [] },
  },
  oauthAccount: { emailAddress: 'me@example.com' },
};

type ClaudeState = Omit<typeof CLAUDE_STATE, 'mcpServers'> & { mcpServers: Record<string, unknown> };

/** Claude Code saving its state: the whole file rewritten from what it holds in memory. */
async function claudeCodeSaves(change: (state: ClaudeState) => void): Promise<string> {
  const state = JSON.parse(await readFile(claudeJson(), 'utf8')) as ClaudeState;
  change(state);
  const text = JSON.stringify(state, null, 2) + '\n';
  await writeFile(claudeJson(), text);
  return text;
}

describe('restore of a client that keeps its own state in the same file', () => {
  it('Claude Code: the servers come back, and the state Claude Code saved since stays', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-restore-'));
    await writeFile(claudeJson(), JSON.stringify(CLAUDE_STATE, null, 2) + '\n');
    const adopt = runCli(['adopt', 'claude-code', '--servers', 'github,notes'], env());
    expect(adopt.code, adopt.stderr).toBe(0);
    expect(adopt.stdout).toContain('switchboard restore claude-code puts its servers back as they were');
    expect(Object.keys((JSON.parse(await readFile(claudeJson(), 'utf8')) as ClaudeState).mcpServers)).toEqual([
      'scratch',
      'switchboard',
    ]);

    // Claude Code goes on: settings change, a project is added, the user removes "scratch" and adds "mine".
    const saved = await claudeCodeSaves((s) => {
      s.numStartups = 31;
      s.theme = 'light';
      (s.projects as Record<string, unknown>)['/home/me/new'] = { allowedTools: ['Bash'], history: [] };
      delete s.mcpServers.scratch;
      s.mcpServers.mine = { type: 'stdio', command: 'mine-mcp', args: [] };
    });

    const restore = runCli(['restore', 'claude-code'], env());
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(
      `claude-code: ${claudeJson()}: only its servers restored (github, notes back; the switchboard entry removed)`,
    );
    expect(restore.stdout).toContain("Claude Code's whole state");
    const text = await readFile(claudeJson(), 'utf8');
    const state = JSON.parse(text) as ClaudeState;
    expect(state).toEqual({
      ...CLAUDE_STATE,
      numStartups: 31,
      theme: 'light',
      projects: {
        ...CLAUDE_STATE.projects,
        '/home/me/new': { allowedTools: ['Bash'], history: [] },
      },
      mcpServers: {
        mine: { type: 'stdio', command: 'mine-mcp', args: [] },
        github: CLAUDE_STATE.mcpServers.github,
        notes: CLAUDE_STATE.mcpServers.notes,
      },
    });
    // Outside the servers, the file is byte for byte what Claude Code saved.
    expect(outside(text, claudeJson(), 'mcpServers')).toBe(outside(saved, claudeJson(), 'mcpServers'));
    // What the file held just before is kept aside, and the backup is gone.
    const kept = (await readdir(backups())).filter((f) => f.startsWith('claude-code-before-restore-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(path.join(backups(), kept[0]!), 'utf8')).toBe(saved);
    expect(restore.stdout).toContain(`that version is kept in ${path.join(backups(), kept[0]!)}`);
    expect(runCli(['restore', 'claude-code'], env()).stderr).toMatch(/no backup of Claude Code's config/);
  });

  it("Zed: the servers come back; Zed's settings and comments stay as they are now", async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-restore-'));
    const original = [
      '// Zed settings',
      '{',
      '  "ui_font_size": 16,',
      '  // MCP servers',
      '  "context_servers": {',
      '    "postgres": { "command": "npx", "args": ["-y", "mcp-postgres"], "env": {} },',
      '    "docs": { "command": "docs-mcp", "args": [], "env": { "DOCS_DIR": "/srv/docs" } }',
      '  },',
      '  "vim_mode": false',
      '}',
      '',
    ].join('\n');
    await mkdir(path.dirname(zedSettings()), { recursive: true });
    await writeFile(zedSettings(), original);
    const adopt = runCli(['adopt', 'zed'], env());
    expect(adopt.code, adopt.stderr).toBe(0);

    // The user changes settings in Zed, with a comment of their own.
    const edited = (await readFile(zedSettings(), 'utf8'))
      .replace('"ui_font_size": 16,', '"ui_font_size": 18, // bigger since the new screen')
      .replace('"vim_mode": false', '"vim_mode": true,\n  "theme": "One Dark"');
    await writeFile(zedSettings(), edited);

    const restore = runCli(['restore', 'zed'], env());
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain('only its servers restored (postgres, docs back; the switchboard entry removed)');
    const text = await readFile(zedSettings(), 'utf8');
    expect(outside(text, zedSettings(), 'context_servers')).toBe(outside(edited, zedSettings(), 'context_servers'));
    expect(text).toContain('"ui_font_size": 18, // bigger since the new screen');
    expect(text).toContain('// MCP servers');
    const servers = runCli(['clients', '--json'], env());
    const zed = (JSON.parse(servers.stdout) as { id: string; state: string; servers: string[] }[]).find(
      (c) => c.id === 'zed',
    );
    expect(zed).toMatchObject({ state: 'not-installed', servers: ['postgres', 'docs'] });
    expect(parseJsonc(text)).toMatchObject({
      context_servers: {
        postgres: { command: 'npx', args: ['-y', 'mcp-postgres'], env: {} },
        docs: { command: 'docs-mcp', args: [], env: { DOCS_DIR: '/srv/docs' } },
      },
    });
  });

  it('Claude Code: a ~/.claude.json Switchboard created is kept once Claude Code saved its state in it', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-restore-'));
    const install = runCli(['install', 'claude-code'], env());
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('did not exist; restore removes it again');
    const saved = await claudeCodeSaves((s) => Object.assign(s, { numStartups: 1, projects: { '/home/me/app': {} } }));

    const restore = runCli(['restore', 'claude-code'], env());
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain('only its servers restored (the switchboard entry removed)');
    const text = await readFile(claudeJson(), 'utf8');
    expect(JSON.parse(text)).toEqual({ mcpServers: {}, numStartups: 1, projects: { '/home/me/app': {} } });
    expect(outside(text, claudeJson(), 'mcpServers')).toBe(outside(saved, claudeJson(), 'mcpServers'));
  });

  it('Claude Code: a file it cannot read is not overwritten; moved away, the original comes back whole', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-restore-'));
    const original = JSON.stringify(CLAUDE_STATE, null, 2) + '\n';
    await writeFile(claudeJson(), original);
    expect(runCli(['adopt', 'claude-code'], env()).code).toBe(0);
    // Claude Code cut off while saving.
    const broken = '{\n  "numStartups": 32,\n  "projects": {\n';
    await writeFile(claudeJson(), broken);

    const refused = runCli(['restore', 'claude-code'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`claude-code: ${claudeJson()}:4:1: syntax error`);
    expect(refused.stderr).toContain('nothing was changed and the backup is kept');
    expect(refused.stderr).toContain('Fix the file and restore again, or move it away');
    expect(await readFile(claudeJson(), 'utf8')).toBe(broken);

    await rename(claudeJson(), `${claudeJson()}.broken`);
    const restore = runCli(['restore', 'claude-code'], env());
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain('restored byte for byte');
    expect(await readFile(claudeJson(), 'utf8')).toBe(original);
  });

  it('restore --all: Cursor, whose file holds only servers, byte for byte; Gemini CLI only its servers', async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sb-restore-'));
    const cursorOriginal =
      '{\n  "mcpServers": {\n    "github": { "command": "npx", "args": ["-y", "mcp-github"] },\n' +
      '    "notes": { "url": "https://notes.example.com/mcp" }\n  }\n}\n';
    await mkdir(path.dirname(cursorJson()), { recursive: true });
    await writeFile(cursorJson(), cursorOriginal);
    const gemini = path.join(home, '.gemini', 'settings.json');
    await mkdir(path.dirname(gemini), { recursive: true });
    await writeFile(
      gemini,
      '{\n  "theme": "GitHub",\n  "mcpServers": {\n    "docs": { "command": "docs-mcp" }\n  }\n}\n',
    );
    expect(runCli(['adopt', 'cursor'], env()).code).toBe(0);
    expect(runCli(['adopt', 'gemini-cli'], env()).code).toBe(0);
    // A server added in Cursor; a theme picked in Gemini CLI.
    const cursorEdited = (await readFile(cursorJson(), 'utf8')).replace(
      '"mcpServers": {',
      '"mcpServers": {\n    "added-in-cursor": { "command": "my-server" },',
    );
    await writeFile(cursorJson(), cursorEdited);
    await writeFile(gemini, (await readFile(gemini, 'utf8')).replace('"GitHub"', '"Dracula"'));

    const restore = runCli(['restore', '--all'], env());
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`cursor: ${cursorJson()} restored byte for byte`);
    expect(await readFile(cursorJson(), 'utf8')).toBe(cursorOriginal);
    const kept = (await readdir(backups())).filter((f) => f.startsWith('cursor-before-restore-'));
    expect(await readFile(path.join(backups(), kept[0]!), 'utf8')).toBe(cursorEdited);
    expect(restore.stdout).toContain(`gemini-cli: ${gemini}: only its servers restored (docs back;`);
    expect(JSON.parse(await readFile(gemini, 'utf8'))).toEqual({
      theme: 'Dracula',
      mcpServers: { docs: { command: 'docs-mcp' } },
    });
  });
});

describe('restore from the Clients screen (control API over HTTP)', () => {
  it('answers which kind of restore happened, and what came back', async () => {
    temp = await tempHome();
    const config = await writeConfig(temp.home, { mcpServers: {} }, 'switchboard.json');
    const file = await temp.write(
      'claude-code',
      JSON.stringify(
        {
          ...CLAUDE_STATE,
          mcpServers: { fx: { type: 'stdio', ...fixtureServer('fx') }, notes: { url: 'https://n.example/mcp' } },
        },
        null,
        2,
      ) + '\n',
    );
    gateway = await startGateway(config, {
      // One keychain, as in the app: the backup adoption encrypts is read back by restore.
      secrets: temp.ctx.secrets,
      clientInstalls: {
        context: temp.ctx,
        shim: (profile) => ({ ...SHIM, args: [...SHIM.args.slice(0, -1), profile] }),
      },
    });
    // The renderer's own binding: what the Clients screen calls.
    const { client: api, close } = await httpApi(gateway);
    try {
      expect((await api.adoptServers('claude-code')).moved).toEqual(['fx', 'notes']);
      await writeFile(file, (await readFile(file, 'utf8')).replace('"numStartups": 12', '"numStartups": 13'));
      expect(await api.restoreClient('claude-code')).toMatchObject({
        path: file,
        action: 'servers-restored',
        putBack: ['fx', 'notes'],
        otherState: expect.stringContaining("Claude Code's whole state") as unknown,
        keptCurrent: expect.stringContaining('claude-code-before-restore-') as unknown,
      });
    } finally {
      close();
    }
    const state = JSON.parse(await readFile(file, 'utf8')) as ClaudeState;
    expect(state.numStartups).toBe(13);
    expect(Object.keys(state.mcpServers)).toEqual(['fx', 'notes']);
  });
});
