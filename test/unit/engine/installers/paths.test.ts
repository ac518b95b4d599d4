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

/** Cline 4's settings file, below ~/.cline. */
const CLINE = '.cline/data/settings/cline_mcp_settings.json';
/** Older Cline's settings file, below an editor's globalStorage. */
const OLD_CLINE = 'globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json';

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
    ['cline', `/Users/me/${CLINE}`, `/home/me/${CLINE}`, `C:\\Users\\me\\${CLINE.replaceAll('/', '\\')}`],
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

  it('probes both spellings for Claude Desktop on Linux, and prefers any Claude_* MSIX package on Windows', () => {
    expect(clientLocations('claude-desktop', linux).config).toEqual([
      '/home/me/.config/Claude/claude_desktop_config.json',
      '/home/me/.config/claude/claude_desktop_config.json',
    ]);
    const packages = String.raw`C:\Users\me\AppData\Local\Packages\Claude_*`;
    expect(clientLocations('claude-desktop', win).prefer).toEqual([
      { folder: packages, file: String.raw`${packages}\LocalCache\Roaming\Claude\claude_desktop_config.json` },
    ]);
    expect(clientLocations('claude-desktop', win).config).toEqual([
      String.raw`C:\Users\me\AppData\Roaming\Claude\claude_desktop_config.json`,
    ]);
    expect(clientLocations('claude-desktop', win).markers).toEqual([
      String.raw`C:\Users\me\AppData\Roaming\Claude`,
      String.raw`C:\Users\me\AppData\Local\AnthropicClaude`,
      packages,
    ]);
  });

  it('Cline: Cline 4 (CLINE_MCP_SETTINGS_PATH, CLINE_DATA_DIR, CLINE_DIR), then the editors of older Cline', () => {
    const cline = (env: Record<string, string>) => clientLocations('cline', { ...linux, env });
    expect(cline({}).prefer).toEqual([{ folder: '/home/me/.cline', file: `/home/me/${CLINE}` }]);
    expect(cline({}).config).toEqual([
      `/home/me/${CLINE}`,
      `/home/me/.config/Code/User/${OLD_CLINE}`,
      `/home/me/.config/Code - Insiders/User/${OLD_CLINE}`,
      `/home/me/.config/VSCodium/User/${OLD_CLINE}`,
      `/home/me/.config/Cursor/User/${OLD_CLINE}`,
      `/home/me/.config/Windsurf/User/${OLD_CLINE}`,
    ]);
    expect(cline({}).markers).toContain('/home/me/.cline');
    expect(cline({}).markers).toContain('/home/me/.config/Code/User/globalStorage/saoudrizwan.claude-dev');
    const all = { CLINE_DIR: '/c', CLINE_DATA_DIR: '/d', CLINE_MCP_SETTINGS_PATH: '/m/mcp.json' };
    expect(cline(all).prefer).toEqual([{ folder: '/m', file: '/m/mcp.json' }]);
    expect(cline({ ...all, CLINE_MCP_SETTINGS_PATH: '' }).prefer).toEqual([
      { folder: '/d', file: '/d/settings/cline_mcp_settings.json' },
    ]);
    expect(cline({ CLINE_DIR: '/c' }).prefer).toEqual([
      { folder: '/c', file: '/c/data/settings/cline_mcp_settings.json' },
    ]);
    expect(cline({ CLINE_DIR: 'relative' }).config[0]).toBe(`/home/me/${CLINE}`);
    expect(clientLocations('cline', mac).config[1]).toBe(
      `/Users/me/Library/Application Support/Code/User/${OLD_CLINE}`,
    );
    expect(clientLocations('cline', win).config[2]).toBe(
      `C:\\Users\\me\\AppData\\Roaming\\Code - Insiders\\User\\${OLD_CLINE.replaceAll('/', '\\')}`,
    );
  });

  it('LM Studio: LMSTUDIO_HOME, else the pointer file, else ~/.cache/lm-studio if it exists, else ~/.lmstudio', () => {
    expect(clientLocations('lm-studio', linux)).toEqual({
      pointer: { at: '/home/me/.lmstudio-home-pointer', file: 'mcp.json' },
      prefer: [{ folder: '/home/me/.cache/lm-studio', file: '/home/me/.cache/lm-studio/mcp.json' }],
      config: ['/home/me/.lmstudio/mcp.json'],
      markers: ['/home/me/.lmstudio', '/home/me/.cache/lm-studio', '/home/me/.lmstudio-home-pointer'],
    });
    expect(clientLocations('lm-studio', { ...linux, env: { LMSTUDIO_HOME: '/lms' } })).toEqual({
      prefer: [],
      config: ['/lms/mcp.json'],
      markers: ['/lms'],
    });
  });

  it('Zed: the Flatpak folder on Linux; on Windows only %APPDATA%\\Zed', () => {
    expect(clientLocations('zed', linux).prefer).toEqual([
      { folder: '/home/me/.var/app/dev.zed.Zed', file: '/home/me/.var/app/dev.zed.Zed/config/zed/settings.json' },
    ]);
    expect(clientLocations('zed', mac).prefer).toEqual([]);
    expect(clientLocations('zed', win)).toEqual({
      prefer: [],
      config: ['C:\\Users\\me\\AppData\\Roaming\\Zed\\settings.json'],
      markers: ['C:\\Users\\me\\AppData\\Roaming\\Zed'],
    });
  });

  it("follows XDG_CONFIG_HOME on Linux (absolute only) and the clients' own overrides", () => {
    expect(first('vscode', { ...linux, env: { XDG_CONFIG_HOME: '/xdg' } })).toBe('/xdg/Code/User/mcp.json');
    expect(first('zed', { ...linux, env: { XDG_CONFIG_HOME: 'relative' } })).toBe('/home/me/.config/zed/settings.json');
    expect(first('vscode', { ...mac, env: { XDG_CONFIG_HOME: '/xdg' } })).toBe(
      '/Users/me/Library/Application Support/Code/User/mcp.json',
    );
    expect(first('claude-code', { ...linux, env: { CLAUDE_CONFIG_DIR: '/cc' } })).toBe('/cc/.claude.json');
    expect(first('codex', { ...linux, env: { CODEX_HOME: '/cx' } })).toBe('/cx/config.toml');
    expect(first('gemini-cli', { ...linux, env: { GEMINI_CLI_HOME: '/g' } })).toBe('/g/.gemini/settings.json');
    expect(first('gemini-cli', { ...win, env: { GEMINI_CLI_HOME: 'D:\\g' } })).toBe('D:\\g\\.gemini\\settings.json');
    expect(first('goose', { ...linux, env: { GOOSE_PATH_ROOT: '/gr' } })).toBe('/gr/config/config.yaml');
    expect(first('goose', { ...win, env: { GOOSE_PATH_ROOT: 'D:\\gr' } })).toBe('D:\\gr\\config\\config.yaml');
    expect(first('goose', { ...linux, env: { GOOSE_PATH_ROOT: 'rel' } })).toBe('/home/me/.config/goose/config.yaml');
  });

  it('falls back to %USERPROFILE%\\AppData when APPDATA is not set', () => {
    expect(first('vscode', { ...win, env: {} })).toBe('C:\\Users\\me\\AppData\\Roaming\\Code\\User\\mcp.json');
  });
});
