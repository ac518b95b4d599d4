/**
 * Where each client keeps its MCP server list on macOS, Windows and Linux: a pure function of
 * platform, environment and home directory, so every layout is testable on any machine.
 * Sources: ../shared/reference/client-configs.md (where sources disagree, both are probed).
 */
import path from 'node:path';
import type { ClientId, ClientLocations, PathContext } from './types.ts';

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

/** The VS Code user folder (`Code` or `Code - Insiders`). */
function vscodeUser(b: Bases, product: string): string {
  return b.p.join(b.userConfig, product, 'User');
}

const LOCATIONS: Record<ClientId, (ctx: PathContext, b: Bases) => ClientLocations> = {
  'claude-desktop': (ctx, { p, userConfig, localAppData, xdgConfig }) => {
    const file = 'claude_desktop_config.json';
    if (win(ctx)) {
      return {
        // The Microsoft Store (MSIX) build keeps %APPDATA% virtualised under its package folder.
        config: [
          p.join(userConfig, 'Claude', file),
          p.join(localAppData, 'Packages', 'Claude_pzs8sxrjxfjjc', 'LocalCache', 'Roaming', 'Claude', file),
        ],
        markers: [
          p.join(userConfig, 'Claude'),
          p.join(localAppData, 'AnthropicClaude'),
          p.join(localAppData, 'Packages', 'Claude_pzs8sxrjxfjjc'),
        ],
      };
    }
    if (mac(ctx))
      return {
        config: [p.join(userConfig, 'Claude', file)],
        markers: [p.join(userConfig, 'Claude'), '/Applications/Claude.app'],
      };
    return {
      config: [p.join(xdgConfig, 'Claude', file), p.join(xdgConfig, 'claude', file)],
      markers: [p.join(xdgConfig, 'Claude'), p.join(xdgConfig, 'claude')],
    };
  },
  cursor: (ctx, { p, home, userConfig }) => ({
    config: [p.join(home, '.cursor', 'mcp.json')],
    markers: [p.join(home, '.cursor'), p.join(userConfig, 'Cursor'), ...(mac(ctx) ? ['/Applications/Cursor.app'] : [])],
  }),
  zed: (ctx, { p, home, appData, xdgConfig }) => {
    if (win(ctx))
      return {
        config: [p.join(appData, 'Zed', 'settings.json'), p.join(home, '.config', 'zed', 'settings.json')],
        markers: [p.join(appData, 'Zed'), p.join(home, '.config', 'zed')],
      };
    return {
      config: [p.join(xdgConfig, 'zed', 'settings.json')],
      markers: [p.join(xdgConfig, 'zed'), ...(mac(ctx) ? ['/Applications/Zed.app'] : [])],
    };
  },
  vscode: (ctx, b) => ({
    config: [b.p.join(vscodeUser(b, 'Code'), 'mcp.json')],
    markers: [vscodeUser(b, 'Code'), ...(mac(ctx) ? ['/Applications/Visual Studio Code.app'] : [])],
  }),
  'vscode-insiders': (ctx, b) => ({
    config: [b.p.join(vscodeUser(b, 'Code - Insiders'), 'mcp.json')],
    markers: [
      vscodeUser(b, 'Code - Insiders'),
      ...(mac(ctx) ? ['/Applications/Visual Studio Code - Insiders.app'] : []),
    ],
  }),
  windsurf: (_ctx, { p, home, userConfig }) => ({
    config: [p.join(home, '.codeium', 'windsurf', 'mcp_config.json')],
    markers: [p.join(home, '.codeium', 'windsurf'), p.join(userConfig, 'Windsurf')],
  }),
  'claude-code': (ctx, { p, home }) => {
    const dir = absoluteOr(p, ctx.env.CLAUDE_CONFIG_DIR, home);
    return { config: [p.join(dir, '.claude.json')], markers: [p.join(home, '.claude')] };
  },
  codex: (ctx, { p, home }) => {
    const dir = absoluteOr(p, ctx.env.CODEX_HOME, p.join(home, '.codex'));
    return { config: [p.join(dir, 'config.toml')], markers: [dir] };
  },
  'gemini-cli': (_ctx, { p, home }) => ({
    config: [p.join(home, '.gemini', 'settings.json')],
    markers: [p.join(home, '.gemini')],
  }),
  cline: (_ctx, b) => {
    const storage = b.p.join(vscodeUser(b, 'Code'), 'globalStorage', 'saoudrizwan.claude-dev');
    return { config: [b.p.join(storage, 'settings', 'cline_mcp_settings.json')], markers: [storage] };
  },
  'lm-studio': (_ctx, { p, home }) => ({
    config: [p.join(home, '.lmstudio', 'mcp.json')],
    markers: [p.join(home, '.lmstudio')],
  }),
  continue: (ctx, { p, home }) => {
    const dir = absoluteOr(p, ctx.env.CONTINUE_GLOBAL_DIR, p.join(home, '.continue'));
    return { config: [p.join(dir, 'config.yaml')], markers: [dir] };
  },
  goose: (ctx, { p, appData, xdgConfig }) => {
    const dir = win(ctx) ? p.join(appData, 'Block', 'goose', 'config') : p.join(xdgConfig, 'goose');
    return { config: [p.join(dir, 'config.yaml')], markers: [dir] };
  },
};

export function clientLocations(id: ClientId, ctx: PathContext): ClientLocations {
  return LOCATIONS[id](ctx, bases(ctx));
}
