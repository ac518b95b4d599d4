/** A temporary HOME with client files seeded from test/fixtures/client-configs, and contexts for each OS layout. */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  clientLocations,
  createMemorySecretStore,
  type ClientId,
  type InstallerContext,
  type SecretStore,
} from '../../../main/engine/index.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/client-configs');
export const SHIM = {
  command: '/opt/node/bin/node',
  args: ['/opt/switchboard/bin/switchboard.js', 'shim', '--profile', 'default'],
};

/** Which fixture each client is tested with. */
export const CLIENT_FIXTURES: Record<ClientId, string> = {
  'claude-desktop': 'claude-desktop.json',
  cursor: 'cursor.json',
  zed: 'zed-settings.json',
  vscode: 'vscode-mcp-crlf.json',
  'vscode-insiders': 'vscode-mcp-crlf.json',
  windsurf: 'windsurf-bom-crlf.json',
  'claude-code': 'claude-code.json',
  codex: 'codex.toml',
  'gemini-cli': 'gemini.json',
  cline: 'cline.json',
  'lm-studio': 'lm-studio.json',
  continue: 'continue.yaml',
  goose: 'goose.yaml',
};

export interface TempHome {
  home: string;
  ctx: InstallerContext & { secrets: SecretStore };
  /** Where `id` keeps its file in this layout. */
  file(id: ClientId): string;
  seed(id: ClientId, fixture?: string): Promise<Buffer>;
  /** Writes `text` as `id`'s file (its folder made first); gives the file's path. */
  write(id: ClientId, text: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function tempHome(platform: 'linux' | 'darwin' = 'linux'): Promise<TempHome> {
  const home = await mkdtemp(path.join(tmpdir(), `sb-home-${platform}-`));
  const ctx = {
    platform,
    env: {},
    home,
    stateDir: path.join(home, '.local', 'state', 'switchboard'),
    secrets: createMemorySecretStore(),
  };
  const file = (id: ClientId) => clientLocations(id, ctx).config[0]!;
  return {
    home,
    ctx,
    file,
    async seed(id, fixture = CLIENT_FIXTURES[id]) {
      const bytes = await readFile(path.join(FIXTURES, fixture));
      await mkdir(path.dirname(file(id)), { recursive: true });
      await writeFile(file(id), bytes);
      return bytes;
    },
    async write(id, text) {
      await mkdir(path.dirname(file(id)), { recursive: true });
      await writeFile(file(id), text);
      return file(id);
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Runs the real CLI (main/cli.ts on this Node) with only the given environment (plus PATH). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'main/cli.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    input: input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
