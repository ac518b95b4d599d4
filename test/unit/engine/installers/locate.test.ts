/**
 * Which file each client reads, settled against a real folder tree under a temporary home. The
 * Windows layouts use win32 path logic on that same tree: the probe maps `\` to `/`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientId, PathContext } from '../../../../main/engine/index.ts';
import { disk, locateClient, type DiskProbe } from '../../../../main/engine/installers/locate.ts';

let home = '';
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = '';
});

async function tempHome(): Promise<string> {
  home = await mkdtemp(path.join(tmpdir(), 'sb-locate-'));
  return home;
}

/** Creates a folder (trailing `/`) or a file below the home. */
async function make(...entries: string[]): Promise<void> {
  for (const entry of entries) {
    const full = path.join(home, entry);
    if (entry.endsWith('/')) await mkdir(full, { recursive: true });
    else {
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, entry.endsWith('pointer') ? '' : '{}\n');
    }
  }
}

const linux = (env: Record<string, string> = {}): PathContext => ({ platform: 'linux', env, home });
const at = (id: ClientId, ctx: PathContext = linux()) => locateClient(id, ctx).then((r) => r.config);
const under = (...parts: string[]) => path.join(home, ...parts);

const toPosix = (f: string) => f.replaceAll('\\', '/');
const windowsDisk: DiskProbe = {
  exists: (f) => disk.exists(toPosix(f)),
  folders: (d) => disk.folders(toPosix(d)),
  read: (f) => disk.read(toPosix(f)),
};
const win = (): PathContext => ({ platform: 'win32', env: {}, home });
const winUnder = (...parts: string[]) => path.win32.join(home, ...parts);

describe('Cline', () => {
  const NEW = ['.cline', 'data', 'settings', 'cline_mcp_settings.json'];
  const OLD = 'globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json';

  it("uses Cline 4's ~/.cline file when nothing exists yet", async () => {
    await tempHome();
    expect(await at('cline')).toBe(under(...NEW));
  });

  it("keeps an older Cline's globalStorage file when there is no ~/.cline (VS Code, Insiders, forks)", async () => {
    await tempHome();
    await make(`.config/Code - Insiders/User/${OLD}`);
    expect(await at('cline')).toBe(under(`.config/Code - Insiders/User/${OLD}`));
    await make(`.config/Code/User/${OLD}`);
    expect(await at('cline')).toBe(under(`.config/Code/User/${OLD}`));
  });

  it('uses ~/.cline once it exists, even beside the migrated globalStorage file', async () => {
    await tempHome();
    await make(`.config/Code/User/${OLD}`, '.cline/');
    expect(await at('cline')).toBe(under(...NEW));
  });

  it('follows CLINE_MCP_SETTINGS_PATH, CLINE_DATA_DIR, CLINE_DIR over an old file if their folder exists', async () => {
    await tempHome();
    await make(`.config/Code/User/${OLD}`, 'c/', 'd/', 'm/');
    const env = { CLINE_DIR: under('c'), CLINE_DATA_DIR: under('d'), CLINE_MCP_SETTINGS_PATH: under('m', 'mcp.json') };
    expect(await at('cline', linux(env))).toBe(under('m', 'mcp.json'));
    expect(await at('cline', linux({ ...env, CLINE_MCP_SETTINGS_PATH: '' }))).toBe(
      under('d', 'settings', 'cline_mcp_settings.json'),
    );
    expect(await at('cline', linux({ CLINE_DIR: under('c') }))).toBe(
      under('c', 'data', 'settings', 'cline_mcp_settings.json'),
    );
    // The folder CLINE_DIR names does not exist: the old file is still the one in use.
    expect(await at('cline', linux({ CLINE_DIR: under('nowhere') }))).toBe(under(`.config/Code/User/${OLD}`));
  });

  it('counts ~/.cline and the globalStorage folders as markers', async () => {
    await tempHome();
    const { markers } = await locateClient('cline', linux());
    expect(markers).toContain(under('.cline'));
    expect(markers).toContain(under('.config/Code/User/globalStorage/saoudrizwan.claude-dev'));
    expect(markers).toContain(under('.config/Cursor/User/globalStorage/saoudrizwan.claude-dev'));
  });
});

describe('Claude Desktop on Windows', () => {
  const CONFIG = ['LocalCache', 'Roaming', 'Claude', 'claude_desktop_config.json'];

  it('reads the MSIX package folder, whatever its suffix, even beside a stale %APPDATA%\\Claude file', async () => {
    await tempHome();
    await make(
      'AppData/Roaming/Claude/claude_desktop_config.json',
      'AppData/Local/Packages/Claude_7xk2m9/',
      'AppData/Local/Packages/ClaudeHelper_1/',
      'AppData/Local/Packages/Microsoft.WindowsTerminal_8wekyb3d8bbwe/',
    );
    const found = await locateClient('claude-desktop', win(), windowsDisk);
    expect(found.config).toBe(winUnder('AppData', 'Local', 'Packages', 'Claude_7xk2m9', ...CONFIG));
    expect(found.markers).toContain(winUnder('AppData', 'Local', 'Packages', 'Claude_7xk2m9'));
    expect(found.markers.some((m) => m.includes('ClaudeHelper') || m.includes('*'))).toBe(false);
  });

  it('uses %APPDATA%\\Claude when no Claude_ package is installed', async () => {
    await tempHome();
    await make('AppData/Local/Packages/Other_1/');
    const found = await locateClient('claude-desktop', win(), windowsDisk);
    expect(found.config).toBe(winUnder('AppData', 'Roaming', 'Claude', 'claude_desktop_config.json'));
  });

  it('follows LOCALAPPDATA to the Packages folder', async () => {
    await tempHome();
    await make('Local/Packages/Claude_pzs8sxrjxfjjc/');
    const ctx = { ...win(), env: { LOCALAPPDATA: winUnder('Local') } };
    expect((await locateClient('claude-desktop', ctx, windowsDisk)).config).toBe(
      winUnder('Local', 'Packages', 'Claude_pzs8sxrjxfjjc', ...CONFIG),
    );
  });
});

describe('LM Studio', () => {
  it('uses ~/.lmstudio when nothing else says otherwise', async () => {
    await tempHome();
    expect(await at('lm-studio')).toBe(under('.lmstudio', 'mcp.json'));
  });

  it('uses ~/.cache/lm-studio when that folder exists, even beside ~/.lmstudio/mcp.json', async () => {
    await tempHome();
    await make('.lmstudio/mcp.json', '.cache/lm-studio/');
    expect(await at('lm-studio')).toBe(under('.cache', 'lm-studio', 'mcp.json'));
  });

  it('follows the path written in ~/.lmstudio-home-pointer over both; LMSTUDIO_HOME over everything', async () => {
    await tempHome();
    await make('.lmstudio/mcp.json', '.cache/lm-studio/');
    await writeFile(under('.lmstudio-home-pointer'), `${under('models-disk', 'lms')}\n`);
    expect(await at('lm-studio')).toBe(under('models-disk', 'lms', 'mcp.json'));
    expect((await locateClient('lm-studio', linux())).markers).toContain(under('models-disk', 'lms'));
    expect(await at('lm-studio', linux({ LMSTUDIO_HOME: under('env-home') }))).toBe(under('env-home', 'mcp.json'));
  });

  it('ignores a pointer that holds no absolute path', async () => {
    await tempHome();
    await writeFile(under('.lmstudio-home-pointer'), 'relative/dir\n');
    expect(await at('lm-studio')).toBe(under('.lmstudio', 'mcp.json'));
  });

  it('reads the pointer on Windows too', async () => {
    await tempHome();
    await writeFile(under('.lmstudio-home-pointer'), 'D:\\LMStudio');
    expect((await locateClient('lm-studio', win(), windowsDisk)).config).toBe('D:\\LMStudio\\mcp.json');
  });
});

describe('Zed', () => {
  it('uses the Flatpak config when ~/.var/app/dev.zed.Zed exists, else ~/.config/zed', async () => {
    await tempHome();
    await make('.config/zed/settings.json');
    expect(await at('zed')).toBe(under('.config', 'zed', 'settings.json'));
    await make('.var/app/dev.zed.Zed/');
    expect(await at('zed')).toBe(under('.var', 'app', 'dev.zed.Zed', 'config', 'zed', 'settings.json'));
  });

  it('on Windows never uses %USERPROFILE%\\.config\\zed', async () => {
    await tempHome();
    await make('.config/zed/settings.json');
    expect((await locateClient('zed', win(), windowsDisk)).config).toBe(
      winUnder('AppData', 'Roaming', 'Zed', 'settings.json'),
    );
  });
});
