import { describe, expect, it } from 'vitest';
import { CLIENT_IDS, clientLocations, type PathContext } from '../../../../main/engine/index.ts';

const linux: PathContext = { platform: 'linux', env: {}, home: '/home/me' };
const mac: PathContext = { platform: 'darwin', env: {}, home: '/Users/me' };
const win: PathContext = {
  platform: 'win32',
  env: { APPDATA: 'C:\\Users\\me\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' },
  home: 'C:\\Users\\me',
};

const first = (id: string, ctx: PathContext) => clientLocations(id as never, ctx).config[0];

/** Cline's settings file, below VS Code's globalStorage. */
const CLINE = 'saoudrizwan.claude-dev/settings/cline_mcp_settings.json';

describe('client config paths', () => {
  it.each([
    [
      'claude-desktop',
      '/Users/me/Library/Application Support/Claude/claude_desktop_config.json',
      '/home/me/.config/Claude/claude_desktop_config.json',
      'C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    ],
    ['cursor', '/Users/me/.cursor/mcp.json', '/home/me/.cursor/mcp.json', 'C:\\Users\\me\\.cursor\\mcp.json'],
    [
      'zed',
      '/Users/me/.config/zed/settings.json',
      '/home/me/.config/zed/settings.json',
      'C:\\Users\\me\\AppData\\Roaming\\Zed\\settings.json',
    ],
    [
      'vscode',
      '/Users/me/Library/Application Support/Code/User/mcp.json',
      '/home/me/.config/Code/User/mcp.json',
      'C:\\Users\\me\\AppData\\Roaming\\Code\\User\\mcp.json',
    ],
    [
      'vscode-insiders',
      '/Users/me/Library/Application Support/Code - Insiders/User/mcp.json',
      '/home/me/.config/Code - Insiders/User/mcp.json',
      'C:\\Users\\me\\AppData\\Roaming\\Code - Insiders\\User\\mcp.json',
    ],
    [
      'windsurf',
      '/Users/me/.codeium/windsurf/mcp_config.json',
      '/home/me/.codeium/windsurf/mcp_config.json',
      'C:\\Users\\me\\.codeium\\windsurf\\mcp_config.json',
    ],
    ['claude-code', '/Users/me/.claude.json', '/home/me/.claude.json', 'C:\\Users\\me\\.claude.json'],
    ['codex', '/Users/me/.codex/config.toml', '/home/me/.codex/config.toml', 'C:\\Users\\me\\.codex\\config.toml'],
    [
      'gemini-cli',
      '/Users/me/.gemini/settings.json',
      '/home/me/.gemini/settings.json',
      'C:\\Users\\me\\.gemini\\settings.json',
    ],
    [
      'cline',
      `/Users/me/Library/Application Support/Code/User/globalStorage/${CLINE}`,
      `/home/me/.config/Code/User/globalStorage/${CLINE}`,
      `C:\\Users\\me\\AppData\\Roaming\\Code\\User\\globalStorage\\${CLINE.replaceAll('/', '\\')}`,
    ],
    ['lm-studio', '/Users/me/.lmstudio/mcp.json', '/home/me/.lmstudio/mcp.json', 'C:\\Users\\me\\.lmstudio\\mcp.json'],
    [
      'continue',
      '/Users/me/.continue/config.yaml',
      '/home/me/.continue/config.yaml',
      'C:\\Users\\me\\.continue\\config.yaml',
    ],
    [
      'goose',
      '/Users/me/.config/goose/config.yaml',
      '/home/me/.config/goose/config.yaml',
      'C:\\Users\\me\\AppData\\Roaming\\Block\\goose\\config\\config.yaml',
    ],
  ])('%s: macOS, Linux and Windows', (id, macPath, linuxPath, winPath) => {
    expect(first(id, mac)).toBe(macPath);
    expect(first(id, linux)).toBe(linuxPath);
    expect(first(id, win)).toBe(winPath);
  });

  it('covers every client', () => {
    for (const id of CLIENT_IDS)
      for (const ctx of [mac, linux, win]) expect(clientLocations(id, ctx).config.length).toBeGreaterThan(0);
  });

  it('probes both spellings and the Microsoft Store folder for Claude Desktop', () => {
    expect(clientLocations('claude-desktop', linux).config).toEqual([
      '/home/me/.config/Claude/claude_desktop_config.json',
      '/home/me/.config/claude/claude_desktop_config.json',
    ]);
    expect(clientLocations('claude-desktop', win).config[1]).toBe(
      String.raw`C:\Users\me\AppData\Local\Packages\Claude_pzs8sxrjxfjjc\LocalCache` +
        String.raw`\Roaming\Claude\claude_desktop_config.json`,
    );
    expect(clientLocations('claude-desktop', win).markers).toContain('C:\\Users\\me\\AppData\\Local\\AnthropicClaude');
  });

  it("follows XDG_CONFIG_HOME on Linux (absolute only) and the clients' own overrides", () => {
    expect(first('vscode', { ...linux, env: { XDG_CONFIG_HOME: '/xdg' } })).toBe('/xdg/Code/User/mcp.json');
    expect(first('zed', { ...linux, env: { XDG_CONFIG_HOME: 'relative' } })).toBe('/home/me/.config/zed/settings.json');
    expect(first('vscode', { ...mac, env: { XDG_CONFIG_HOME: '/xdg' } })).toBe(
      '/Users/me/Library/Application Support/Code/User/mcp.json',
    );
    expect(first('claude-code', { ...linux, env: { CLAUDE_CONFIG_DIR: '/cc' } })).toBe('/cc/.claude.json');
    expect(first('codex', { ...linux, env: { CODEX_HOME: '/cx' } })).toBe('/cx/config.toml');
    expect(first('zed', win)).toBe('C:\\Users\\me\\AppData\\Roaming\\Zed\\settings.json');
    expect(clientLocations('zed', win).config[1]).toBe('C:\\Users\\me\\.config\\zed\\settings.json');
  });

  it('falls back to %USERPROFILE%\\AppData when APPDATA is not set', () => {
    expect(first('vscode', { ...win, env: {} })).toBe('C:\\Users\\me\\AppData\\Roaming\\Code\\User\\mcp.json');
  });
});
