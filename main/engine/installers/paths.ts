/**
 * Where each client keeps its MCP server list on macOS, Windows and Linux: a pure function of
 * platform, environment and home directory, so every layout is testable on any machine. What only
 * the disk can tell (which folders exist, a pointer file's content) is settled by locate.ts.
 * Sources: ../shared/reference/client-configs.md (where sources disagree, both are probed).
 */
import path from 'node:path';
import type { ClientId, ClientLocations, PathContext } from './types.ts';

/** A file the client reads whenever `folder` exists, whether or not the file exists yet. */
export interface PreferredFile {
  /** A last segment ending in `*` (`Claude_*`) stands for every folder there whose name starts with the rest. */
  folder: string;
  /** Absolute, inside `folder`. */
  file: string;
}

export interface ClientPaths extends ClientLocations {
  /** Checked first, in order: the first whose folder exists wins over `config`. */
  prefer: PreferredFile[];
  /** A file holding the client's home folder: when it exists, `<its content>/<file>` wins over everything. */
  pointer?: { at: string; file: string };
}

interface Bases {
  p: path.PlatformPath;
  home: string;
  /** macOS ~/Library/Application Support, Windows %APPDATA%, Linux $XDG_CONFIG_HOME or ~/.config. */
  userConfig: string;
  /** $XDG_CONFIG_HOME or ~/.config on Linux, ~/.config on macOS (tools that follow XDG there too). */
  xdgConfig: string;
  appData: string;
  localAppData: string;
}

function absoluteOr(p: path.PlatformPath, value: string | undefined, fallback: string): string {
  return value && p.isAbsolute(value) ? value : fallback;
}

function bases(ctx: PathContext): Bases {
  const p = ctx.platform === 'win32' ? path.win32 : path.posix;
  const home = ctx.home;
  const appData = absoluteOr(p, ctx.env.APPDATA, p.join(home, 'AppData', 'Roaming'));
  const localAppData = absoluteOr(p, ctx.env.LOCALAPPDATA, p.join(home, 'AppData', 'Local'));
  const xdgConfig =
    ctx.platform === 'linux' || ctx.platform === 'freebsd' || ctx.platform === 'openbsd'
      ? absoluteOr(p, ctx.env.XDG_CONFIG_HOME, p.join(home, '.config'))
      : p.join(home, '.config');
  const userConfig =
    ctx.platform === 'darwin'
      ? p.join(home, 'Library', 'Application Support')
      : ctx.platform === 'win32'
        ? appData
        : xdgConfig;
  return { p, home, userConfig, xdgConfig, appData, localAppData };
}

const mac = (ctx: PathContext) => ctx.platform === 'darwin';
const win = (ctx: PathContext) => ctx.platform === 'win32';

/** The user folder of VS Code (`Code`, `Code - Insiders`) or a fork (`VSCodium`, `Cursor`, `Windsurf`). */
function vscodeUser(b: Bases, product: string): string {
  return b.p.join(b.userConfig, product, 'User');
}

/** Only `config` and `markers`: the first existing config file is used, else the first. */
const plain = (config: string[], markers: string[]): ClientPaths => ({ prefer: [], config, markers });

/** Cline 4's folder and settings file: CLINE_MCP_SETTINGS_PATH, else CLINE_DATA_DIR, else CLINE_DIR, else ~/.cline. */
function cline4(ctx: PathContext, p: path.PlatformPath, home: string): PreferredFile {
  const { CLINE_MCP_SETTINGS_PATH: file, CLINE_DATA_DIR: data, CLINE_DIR: dir } = ctx.env;
  if (file && p.isAbsolute(file)) return { folder: p.dirname(file), file };
  const settings = (d: string) => p.join(d, 'settings', 'cline_mcp_settings.json');
  if (data && p.isAbsolute(data)) return { folder: data, file: settings(data) };
  const root = absoluteOr(p, dir, p.join(home, '.cline'));
  return { folder: root, file: settings(p.join(root, 'data')) };
}

/** Editors whose globalStorage held Cline's settings before Cline 4 (VS Code, Insiders and forks). */
const CLINE_HOSTS = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'];

const LOCATIONS: Record<ClientId, (ctx: PathContext, b: Bases) => ClientPaths> = {
  'claude-desktop': (ctx, { p, userConfig, localAppData, xdgConfig }) => {
    const file = 'claude_desktop_config.json';
    if (win(ctx)) {
      // The MSIX build (the default installer since 2026) reads only the virtualised %APPDATA% in its
      // package folder, so a %APPDATA%\Claude file beside it is stale. The family suffix varies.
      const msix = p.join(localAppData, 'Packages', 'Claude_*');
      return {
        prefer: [{ folder: msix, file: p.join(msix, 'LocalCache', 'Roaming', 'Claude', file) }],
        config: [p.join(userConfig, 'Claude', file)],
        markers: [p.join(userConfig, 'Claude'), p.join(localAppData, 'AnthropicClaude'), msix],
      };
    }
    if (mac(ctx))
      return plain([p.join(userConfig, 'Claude', file)], [p.join(userConfig, 'Claude'), '/Applications/Claude.app']);
    return plain(
      [p.join(xdgConfig, 'Claude', file), p.join(xdgConfig, 'claude', file)],
      [p.join(xdgConfig, 'Claude'), p.join(xdgConfig, 'claude')],
    );
  },
  cursor: (ctx, { p, home, userConfig }) =>
    plain(
      [p.join(home, '.cursor', 'mcp.json')],
      [p.join(home, '.cursor'), p.join(userConfig, 'Cursor'), ...(mac(ctx) ? ['/Applications/Cursor.app'] : [])],
    ),
  zed: (ctx, { p, home, appData, xdgConfig }) => {
    // Zed on Windows reads only %APPDATA%\Zed (never %USERPROFILE%\.config\zed).
    if (win(ctx)) return plain([p.join(appData, 'Zed', 'settings.json')], [p.join(appData, 'Zed')]);
    const native = plain(
      [p.join(xdgConfig, 'zed', 'settings.json')],
      [p.join(xdgConfig, 'zed'), ...(mac(ctx) ? ['/Applications/Zed.app'] : [])],
    );
    if (mac(ctx)) return native;
    // Flatpak gives Zed its own XDG_CONFIG_HOME below the app's folder.
    const flatpak = p.join(home, '.var', 'app', 'dev.zed.Zed');
    return {
      ...native,
      prefer: [{ folder: flatpak, file: p.join(flatpak, 'config', 'zed', 'settings.json') }],
      markers: [...native.markers, flatpak],
    };
  },
  vscode: (ctx, b) =>
    plain(
      [b.p.join(vscodeUser(b, 'Code'), 'mcp.json')],
      [vscodeUser(b, 'Code'), ...(mac(ctx) ? ['/Applications/Visual Studio Code.app'] : [])],
    ),
  'vscode-insiders': (ctx, b) =>
    plain(
      [b.p.join(vscodeUser(b, 'Code - Insiders'), 'mcp.json')],
      [vscodeUser(b, 'Code - Insiders'), ...(mac(ctx) ? ['/Applications/Visual Studio Code - Insiders.app'] : [])],
    ),
  windsurf: (_ctx, { p, home, userConfig }) =>
    plain(
      [p.join(home, '.codeium', 'windsurf', 'mcp_config.json')],
      [p.join(home, '.codeium', 'windsurf'), p.join(userConfig, 'Windsurf')],
    ),
  'claude-code': (ctx, { p, home }) => {
    const dir = absoluteOr(p, ctx.env.CLAUDE_CONFIG_DIR, home);
    return plain([p.join(dir, '.claude.json')], [p.join(home, '.claude')]);
  },
  codex: (ctx, { p, home }) => {
    const dir = absoluteOr(p, ctx.env.CODEX_HOME, p.join(home, '.codex'));
    return plain([p.join(dir, 'config.toml')], [dir]);
  },
  'gemini-cli': (ctx, { p, home }) => {
    const dir = p.join(absoluteOr(p, ctx.env.GEMINI_CLI_HOME, home), '.gemini');
    return plain([p.join(dir, 'settings.json')], [dir]);
  },
  cline: (ctx, b) => {
    const now = cline4(ctx, b.p, b.home);
    const storage = CLINE_HOSTS.map((h) => b.p.join(vscodeUser(b, h), 'globalStorage', 'saoudrizwan.claude-dev'));
    // Cline 4 migrates the globalStorage file once and never reads it again. So: Cline 4's file when
    // its folder exists (prefer), else whichever file exists (a pre-4 Cline keeps the old one), else
    // Cline 4's file, which comes first.
    return {
      prefer: [now],
      config: [now.file, ...storage.map((s) => b.p.join(s, 'settings', 'cline_mcp_settings.json'))],
      markers: [now.folder, ...storage],
    };
  },
  'lm-studio': (ctx, { p, home }) => {
    // LM Studio's own order: LMSTUDIO_HOME, the pointer file, ~/.cache/lm-studio if it exists, ~/.lmstudio.
    if (ctx.env.LMSTUDIO_HOME && p.isAbsolute(ctx.env.LMSTUDIO_HOME))
      return plain([p.join(ctx.env.LMSTUDIO_HOME, 'mcp.json')], [ctx.env.LMSTUDIO_HOME]);
    const pointer = p.join(home, '.lmstudio-home-pointer');
    const cache = p.join(home, '.cache', 'lm-studio');
    const dot = p.join(home, '.lmstudio');
    return {
      pointer: { at: pointer, file: 'mcp.json' },
      prefer: [{ folder: cache, file: p.join(cache, 'mcp.json') }],
      config: [p.join(dot, 'mcp.json')],
      markers: [dot, cache, pointer],
    };
  },
  continue: (ctx, { p, home }) => {
    const dir = absoluteOr(p, ctx.env.CONTINUE_GLOBAL_DIR, p.join(home, '.continue'));
    return plain([p.join(dir, 'config.yaml')], [dir]);
  },
  goose: (ctx, { p, appData, xdgConfig }) => {
    const root = ctx.env.GOOSE_PATH_ROOT;
    const dir =
      root && p.isAbsolute(root)
        ? p.join(root, 'config')
        : win(ctx)
          ? p.join(appData, 'Block', 'goose', 'config')
          : p.join(xdgConfig, 'goose');
    return plain([p.join(dir, 'config.yaml')], [dir]);
  },
};

/** Where `id` may keep its file; locate.ts picks the one in use (clientConfigPath). */
export function clientLocations(id: ClientId, ctx: PathContext): ClientPaths {
  return LOCATIONS[id](ctx, bases(ctx));
}
